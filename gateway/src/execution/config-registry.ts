import type { z } from 'zod';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/errors';
import type { ConfigObjects } from '../store/config-objects';
import { codeEnvSchema, type CodeEnv } from './code-env';
import { checkExecutionConfigs, type ConfigProblem, type Sourced } from './config-checks';
import { formatProblem, issuesToProblems, type ConfigDir } from './config-dir';
import { defaultLocalExecConfig, execConfigSchema, LOCAL_EXEC_CONFIG_ID, type ExecConfig } from './execution-config';

export interface ConfigRegistryOptions {
  /** Kernelspec names the gateway can launch, for the language check of code envs. */
  readonly kernelspecNames: () => ReadonlySet<string>;
  /** Exec config ids the gateway config names (defaultExecutionConfig, groupDefaults), which must not be deleted. */
  readonly gatewayReferences: ReadonlyMap<string, string>;
}

type Kind = 'execution-config' | 'code-env';

const LABEL: Record<Kind, { noun: string; folder: string; path: string }> = {
  'execution-config': { noun: 'exec config', folder: 'execution-configs', path: 'execution-configs' },
  'code-env': { noun: 'code env', folder: 'code-envs', path: 'code-envs' },
};

/**
 * Exec configs and code envs as the gateway uses them: kept in the store (seeded from the config
 * directory at start; edited through the admin API), with the embedded `local` exec config always
 * present. Every write is validated by the schema and by the cross-object checks of a config
 * directory; a write is refused only for problems it introduces.
 */
export class ConfigRegistry {
  constructor(
    private readonly store: ConfigObjects,
    private readonly options: ConfigRegistryOptions,
  ) {}

  /** Replaces what was seeded from a config directory by its current contents (files win). */
  seedFrom(dir: ConfigDir): void {
    this.store.seed([
      ...dir.execConfigs.map((value) => ({ kind: 'execution-config' as const, id: value.id, body: value })),
      ...dir.codeEnvs.map((value) => ({ kind: 'code-env' as const, id: value.id, body: value })),
    ]);
  }

  /** Every exec config, sorted by id; `local` is the built-in one unless one is stored. */
  execConfigs(): ExecConfig[] {
    const stored = this.store.list<ExecConfig>('execution-config').map((record) => record.body);
    if (!stored.some((config) => config.id === LOCAL_EXEC_CONFIG_ID)) stored.push(defaultLocalExecConfig());
    return stored.sort((a, b) => a.id.localeCompare(b.id));
  }

  codeEnvs(): CodeEnv[] {
    return this.store.list<CodeEnv>('code-env').map((record) => record.body);
  }

  findExecConfig(id: string): ExecConfig | undefined {
    return this.execConfigs().find((config) => config.id === id);
  }

  findCodeEnv(id: string): CodeEnv | undefined {
    return this.store.get<CodeEnv>('code-env', id)?.body;
  }

  getExecConfig(id: string): ExecConfig {
    const config = this.findExecConfig(id);
    if (!config) throw notFound('execution-config', id);
    return config;
  }

  getCodeEnv(id: string): CodeEnv {
    const codeEnv = this.findCodeEnv(id);
    if (!codeEnv) throw notFound('code-env', id);
    return codeEnv;
  }

  /** Problems of the whole current state (e.g. after seeding next to API-made objects). */
  problems(): ConfigProblem[] {
    return this.check(this.execConfigs(), this.codeEnvs());
  }

  createExecConfig(body: unknown): ExecConfig {
    const config = parseObject('execution-config', execConfigSchema, body, undefined);
    if (this.store.get('execution-config', config.id) || config.id === LOCAL_EXEC_CONFIG_ID) throw exists('execution-config', config.id);
    return this.write('execution-config', config, [...this.execConfigs(), config], this.codeEnvs());
  }

  updateExecConfig(id: string, body: unknown): ExecConfig {
    this.getExecConfig(id);
    const config = parseObject('execution-config', execConfigSchema, body, id);
    return this.write('execution-config', config, replaceById(this.execConfigs(), config), this.codeEnvs());
  }

  deleteExecConfig(id: string): void {
    this.getExecConfig(id);
    if (id === LOCAL_EXEC_CONFIG_ID) {
      throw new ConflictError(
        'The exec config "local" is built in and cannot be deleted; PUT it to change it (e.g. to limit who may use it).',
      );
    }
    const users = this.codeEnvs().filter((codeEnv) => codeEnv.availableFor !== 'all' && codeEnv.availableFor.includes(id));
    if (users.length > 0) {
      const names = users.map((codeEnv) => `"${codeEnv.id}"`).join(', ');
      throw new ConflictError(
        `Exec config "${id}" is used by the code env${users.length === 1 ? '' : 's'} ${names} (availableFor); remove "${id}" from their availableFor first.`,
        { details: { codeEnvs: users.map((codeEnv) => codeEnv.id) } },
      );
    }
    const setting = this.options.gatewayReferences.get(id);
    if (setting) {
      throw new ConflictError(`Exec config "${id}" is the gateway's ${setting}; change that setting in berth.yaml first.`, {
        details: { setting },
      });
    }
    this.store.remove('execution-config', id);
  }

  createCodeEnv(body: unknown): CodeEnv {
    const codeEnv = parseObject('code-env', codeEnvSchema, body, undefined);
    if (this.store.get('code-env', codeEnv.id)) throw exists('code-env', codeEnv.id);
    return this.write('code-env', codeEnv, this.execConfigs(), [...this.codeEnvs(), codeEnv]);
  }

  updateCodeEnv(id: string, body: unknown): CodeEnv {
    this.getCodeEnv(id);
    const codeEnv = parseObject('code-env', codeEnvSchema, body, id);
    return this.write('code-env', codeEnv, this.execConfigs(), replaceById(this.codeEnvs(), codeEnv));
  }

  deleteCodeEnv(id: string): void {
    this.getCodeEnv(id);
    this.store.remove('code-env', id);
  }

  /** Stores `value` unless the candidate state has cross-object problems the current one has not. */
  private write<T extends { id: string }>(kind: Kind, value: T, execConfigs: ExecConfig[], codeEnvs: CodeEnv[]): T {
    const before = new Set(this.problems().map(formatProblem));
    const introduced = this.check(execConfigs, codeEnvs).filter((problem) => !before.has(formatProblem(problem)));
    if (introduced.length > 0) {
      throw new InvalidInputError(
        `The ${LABEL[kind].noun} "${value.id}" does not fit the other objects: ${introduced.map(formatProblem).join('; ')}`,
        { details: { problems: introduced } },
      );
    }
    this.store.put(kind, value.id, value, 'api');
    return value;
  }

  private check(execConfigs: ExecConfig[], codeEnvs: CodeEnv[]): ConfigProblem[] {
    const sourced = <T extends { id: string }>(kind: Kind, values: T[]): Sourced<T>[] =>
      values.map((value) => ({ file: `${LABEL[kind].path}/${value.id}`, value }));
    return checkExecutionConfigs({
      execConfigs: sourced('execution-config', execConfigs),
      codeEnvs: sourced('code-env', codeEnvs),
      kernelspecNames: this.options.kernelspecNames(),
    });
  }
}

/** Parses a REST body; with `id` (PUT), the body's id may be left out but must match when given. */
function parseObject<S extends z.ZodType<{ id: string }>>(kind: Kind, schema: S, body: unknown, id: string | undefined): z.output<S> {
  const what = `${LABEL[kind].noun}${id ? ` "${id}"` : ''}`;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError(`Invalid ${what}: the body must be a JSON object with the ${LABEL[kind].noun}'s fields.`, {
      details: { problems: [{ path: '', message: 'must be a JSON object' }] },
    });
  }
  const raw = { ...(body as Record<string, unknown>) };
  const problems: { path: string; message: string }[] = [];
  if (id !== undefined) {
    if (raw['id'] === undefined) raw['id'] = id;
    else if (raw['id'] !== id)
      problems.push({ path: 'id', message: `is "${String(raw['id'])}" but the URL names "${id}"; ids cannot change` });
  }
  const result = schema.safeParse(raw);
  if (!result.success) problems.push(...issuesToProblems('', result.error).map(({ path, message }) => ({ path, message })));
  if (problems.length > 0) {
    throw new InvalidInputError(`Invalid ${what}: ${problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ')}`, {
      details: { problems },
    });
  }
  return result.data!;
}

function replaceById<T extends { id: string }>(values: T[], value: T): T[] {
  return values.map((existing) => (existing.id === value.id ? value : existing));
}

function notFound(kind: Kind, id: string): NotFoundError {
  return new NotFoundError(`No ${LABEL[kind].noun} "${id}". GET /api/berth/${LABEL[kind].path} lists them.`, { details: { id } });
}

function exists(kind: Kind, id: string): ConflictError {
  return new ConflictError(
    `The ${LABEL[kind].noun} "${id}" already exists; PUT /api/berth/${LABEL[kind].path}/${id} replaces it, or pick another id.`,
    { details: { id } },
  );
}
