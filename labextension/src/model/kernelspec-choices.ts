import { describeExecConfig, type ExecResources } from './resources';

/**
 * The code env × exec config pairs a user may pick, read from the kernelspecs alone: Berth
 * publishes one kernelspec `<code-env>--<exec-config>` per pair the caller may use, with
 * `metadata.berth = {codeEnv, executionConfig, backend, resources, image}`. Nothing else is
 * needed, so this works through jupyter_server's `--gateway-url` without any extra setting.
 */

/** The fields of a kernelspec this module reads (JupyterLab's KernelSpec.ISpecModel has them). */
export interface SpecLike {
  readonly name: string;
  readonly display_name?: string;
  readonly language?: string;
  readonly metadata?: Readonly<Record<string, unknown>> | null;
}

/** The shape of KernelSpec.ISpecModels (and of Berth's /api/kernelspecs once flattened). */
export interface SpecsLike {
  readonly default?: string;
  readonly kernelspecs: Readonly<Record<string, SpecLike | undefined>>;
}

export interface PairSpec {
  /** The kernelspec name, `<code-env>--<exec-config>`. */
  readonly name: string;
  readonly displayName: string;
  readonly language: string;
  readonly codeEnv: string;
  readonly execConfig: string;
  readonly backend: string;
  readonly resources: ExecResources;
}

export interface CodeEnvOption {
  readonly id: string;
  readonly language: string;
  /** Exec configs this code env pairs with, sorted. */
  readonly execConfigs: readonly string[];
}

export interface ExecConfigOption {
  readonly id: string;
  readonly backend: string;
  readonly resources: ExecResources;
  /** "docker · 1 CPU · 2 GiB". */
  readonly summary: string;
  /** Code envs that pair with it, sorted. */
  readonly codeEnvs: readonly string[];
}

export interface ExecutionChoices {
  readonly codeEnvs: readonly CodeEnvOption[];
  readonly execConfigs: readonly ExecConfigOption[];
  readonly pairs: readonly PairSpec[];
}

export const NO_CHOICES: ExecutionChoices = { codeEnvs: [], execConfigs: [], pairs: [] };

/** The kernelspec name of a pair (ids are DNS-label slugs without "--", so the name is unambiguous). */
export function pairKernelName(codeEnv: string, execConfig: string): string {
  return `${codeEnv}--${execConfig}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readResources(value: unknown): ExecResources {
  if (!isRecord(value)) return {};
  const resources: { cpus?: number; memory?: number | string; gpus?: number } = {};
  if (typeof value['cpus'] === 'number') resources.cpus = value['cpus'];
  if (typeof value['memory'] === 'number' || typeof value['memory'] === 'string') resources.memory = value['memory'];
  if (typeof value['gpus'] === 'number') resources.gpus = value['gpus'];
  return resources;
}

/** The pair a kernelspec stands for, or undefined for any other kernelspec (python3, ir, …). */
export function pairFromSpec(spec: SpecLike): PairSpec | undefined {
  const berth = spec.metadata?.['berth'];
  if (!isRecord(berth)) return undefined;
  const codeEnv = berth['codeEnv'];
  const execConfig = berth['executionConfig'];
  if (typeof codeEnv !== 'string' || typeof execConfig !== 'string' || codeEnv === '' || execConfig === '') return undefined;
  return {
    name: spec.name,
    displayName: spec.display_name ?? spec.name,
    language: spec.language ?? '',
    codeEnv,
    execConfig,
    backend: typeof berth['backend'] === 'string' ? berth['backend'] : '',
    resources: readResources(berth['resources']),
  };
}

const byId = (a: { id: string }, b: { id: string }): number => a.id.localeCompare(b.id);

/** Every pair among the kernelspecs, grouped into the two lists the picker shows. */
export function executionChoices(specs: SpecsLike | null | undefined): ExecutionChoices {
  if (!specs) return NO_CHOICES;
  const pairs: PairSpec[] = [];
  for (const spec of Object.values(specs.kernelspecs)) {
    const pair = spec ? pairFromSpec(spec) : undefined;
    if (pair) pairs.push(pair);
  }
  pairs.sort((a, b) => a.name.localeCompare(b.name));
  const codeEnvs = new Map<string, { id: string; language: string; execConfigs: string[] }>();
  const execConfigs = new Map<string, { id: string; backend: string; resources: ExecResources; codeEnvs: string[] }>();
  for (const pair of pairs) {
    const env = codeEnvs.get(pair.codeEnv) ?? { id: pair.codeEnv, language: pair.language, execConfigs: [] };
    env.execConfigs.push(pair.execConfig);
    codeEnvs.set(pair.codeEnv, env);
    const config = execConfigs.get(pair.execConfig) ?? {
      id: pair.execConfig,
      backend: pair.backend,
      resources: pair.resources,
      codeEnvs: [],
    };
    config.codeEnvs.push(pair.codeEnv);
    execConfigs.set(pair.execConfig, config);
  }
  return {
    pairs,
    codeEnvs: [...codeEnvs.values()].map((env) => ({ ...env, execConfigs: [...env.execConfigs].sort() })).sort(byId),
    execConfigs: [...execConfigs.values()]
      .map((config) => ({
        ...config,
        codeEnvs: [...config.codeEnvs].sort(),
        summary: describeExecConfig(config.backend, config.resources),
      }))
      .sort(byId),
  };
}

export function findPair(choices: ExecutionChoices, codeEnv: string | undefined, execConfig: string | undefined): PairSpec | undefined {
  if (!codeEnv || !execConfig) return undefined;
  return choices.pairs.find((pair) => pair.codeEnv === codeEnv && pair.execConfig === execConfig);
}

export function pairByKernelName(choices: ExecutionChoices, name: string | undefined): PairSpec | undefined {
  if (!name) return undefined;
  return choices.pairs.find((pair) => pair.name === name);
}

/** A pair by its display name: how a pending kernel start shows in a session context. */
export function pairByDisplayName(choices: ExecutionChoices, displayName: string | undefined): PairSpec | undefined {
  if (!displayName) return undefined;
  return choices.pairs.find((pair) => pair.displayName === displayName);
}

export function execConfigOption(choices: ExecutionChoices, id: string | undefined): ExecConfigOption | undefined {
  return id ? choices.execConfigs.find((config) => config.id === id) : undefined;
}
