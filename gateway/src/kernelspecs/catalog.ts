import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';
import { isResourceFile, kernelJsonSchema, type ResolvedKernelSpec } from './kernelspec';

/**
 * Finds kernelspecs in folders, first match of a name wins. Scanned on every call
 * (a few small files) so specs installed while the gateway runs appear without a restart.
 */
export class KernelSpecCatalog {
  constructor(
    private readonly kernelsDirs: readonly string[],
    private readonly defaultName: string,
    private readonly log: Logger,
  ) {}

  /** All valid specs, by name. Invalid kernel.json files are logged and skipped. */
  list(): Map<string, ResolvedKernelSpec> {
    const found = new Map<string, ResolvedKernelSpec>();
    for (const dir of this.kernelsDirs) {
      for (const name of listEntries(dir, 'directories')) {
        if (found.has(name)) continue;
        const spec = this.load(join(dir, name), name);
        if (spec) found.set(name, spec);
      }
    }
    return found;
  }

  get(name: string): ResolvedKernelSpec {
    const spec = this.list().get(name);
    if (!spec) {
      throw new NotFoundError(`No such kernel spec "${name}". GET /api/kernelspecs lists the available ones.`, {
        details: { name },
      });
    }
    return spec;
  }

  /** The configured default if it exists, else the first spec found (Jupyter falls back the same way). */
  defaultSpecName(): string {
    const all = this.list();
    if (all.has(this.defaultName) || all.size === 0) return this.defaultName;
    return all.keys().next().value as string;
  }

  /** Absolute path of a resource file, refusing anything outside the spec folder. */
  resourcePath(name: string, fileName: string): string {
    const spec = this.get(name);
    if (!spec.resourceFiles.includes(fileName)) {
      throw new NotFoundError(`Kernel spec "${name}" has no resource "${fileName}".`);
    }
    return resolve(spec.resourceDir, fileName);
  }

  private load(dir: string, name: string): ResolvedKernelSpec | undefined {
    const file = join(dir, 'kernel.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined; // not a kernelspec folder
    }
    try {
      const spec = kernelJsonSchema.parse(JSON.parse(text));
      return { name, spec, resourceDir: dir, resourceFiles: listEntries(dir, 'files').filter(isResourceFile) };
    } catch (error) {
      this.log.warn({ file, err: (error as Error).message }, 'skipping invalid kernel.json');
      return undefined;
    }
  }
}

function listEntries(dir: string, kind: 'directories' | 'files'): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => (kind === 'directories' ? entry.isDirectory() || entry.isSymbolicLink() : entry.isFile()))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return []; // a missing folder is normal: not every standard path exists
  }
}

/**
 * The folders searched, in order: JUPYTER_PATH, Berth's shipped specs, the user's and the
 * system's Jupyter data folders. Shipped specs come before the system ones because they
 * name interpreters by absolute path (PATH order is not to be trusted for kernels).
 */
export function standardKernelsDirs(options: { shippedDir: string; extraDirs?: readonly string[]; env?: NodeJS.ProcessEnv }): string[] {
  const env = options.env ?? process.env;
  const jupyterPath = (env['JUPYTER_PATH'] ?? '')
    .split(':')
    .filter(Boolean)
    .map((p) => join(p, 'kernels'));
  const dataHome = env['JUPYTER_DATA_DIR'] ?? join(env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'jupyter');
  return [
    ...(options.extraDirs ?? []),
    ...jupyterPath,
    options.shippedDir,
    join(dataHome, 'kernels'),
    '/usr/local/share/jupyter/kernels',
    '/usr/share/jupyter/kernels',
  ];
}
