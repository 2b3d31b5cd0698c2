/**
 * How an exec config's resources read in the UI: "docker · 1 CPU · 2 GiB · 1 GPU". Berth
 * publishes them in each pair kernelspec's `metadata.berth.resources`, memory in bytes.
 */

export interface ExecResources {
  readonly cpus?: number;
  /** Bytes (as Berth publishes it); a string such as "4g" is shown as written. */
  readonly memory?: number | string;
  readonly gpus?: number;
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 2147483648 → "2 GiB", 1610612736 → "1.5 GiB", 512 → "512 B". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // One decimal at most, and none when it would be ".0".
  const rounded = Math.round(value * 10) / 10;
  return `${rounded} ${BINARY_UNITS[unit]}`;
}

export function formatCpus(cpus: number): string {
  return `${cpus} CPU${cpus === 1 ? '' : 's'}`;
}

/** The parts worth showing, in a fixed order; limits the exec config does not set are left out. */
export function resourceParts(resources: ExecResources): string[] {
  const parts: string[] = [];
  if (typeof resources.cpus === 'number' && resources.cpus > 0) parts.push(formatCpus(resources.cpus));
  if (typeof resources.memory === 'number' && resources.memory > 0) parts.push(formatBytes(resources.memory));
  else if (typeof resources.memory === 'string' && resources.memory !== '') parts.push(resources.memory);
  if (typeof resources.gpus === 'number' && resources.gpus > 0) parts.push(`${resources.gpus} GPU${resources.gpus === 1 ? '' : 's'}`);
  return parts;
}

/** "docker · 1 CPU · 2 GiB"; a backend without limits is just its name. */
export function describeExecConfig(backend: string, resources: ExecResources): string {
  return [backend, ...resourceParts(resources)].filter((part) => part !== '').join(' · ');
}
