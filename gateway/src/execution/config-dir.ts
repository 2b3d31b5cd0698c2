import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { InvalidInputError } from '../common/errors';
import { createLogger } from '../common/logger';
import { gatewayConfigSchema, type GatewayConfig } from '../config/schema';
import { KernelSpecCatalog, standardKernelsDirs } from '../kernelspecs/catalog';
import { codeEnvSchema, type CodeEnv } from './code-env';
import { checkExecutionConfigs, type ConfigProblem, type Sourced } from './config-checks';
import { defaultLocalExecConfig, execConfigSchema, LOCAL_EXEC_CONFIG_ID, type ExecConfig } from './execution-config';

/** Shipped kernelspecs (python3, ir), from gateway/src/execution or gateway/dist/execution. */
const SHIPPED_KERNELSPECS = resolve(__dirname, '..', '..', '..', 'kernelspecs');

const EXEC_CONFIGS_DIR = 'execution-configs';
const CODE_ENVS_DIR = 'code-envs';
const GATEWAY_FILE = 'berth.yaml';
const BUILT_IN = '(built in)';

/** A validated configuration directory. */
export interface ConfigDir {
  readonly dir: string;
  /** berth.yaml, or the defaults when there is none. */
  readonly gateway: GatewayConfig;
  /** Sorted by id; always holds `local` (the built-in one unless the directory has local.yaml). */
  readonly execConfigs: ExecConfig[];
  readonly codeEnvs: CodeEnv[];
}

export interface ConfigDirOptions {
  /** Kernelspec names the gateway can launch (default: found like the gateway finds them). */
  readonly kernelspecNames?: ReadonlySet<string>;
}

/**
 * Reads a configuration directory:
 *
 *     berth.yaml                 gateway settings (optional)
 *     execution-configs/ID.yaml  one exec config per file
 *     code-envs/ID.yaml          one code env per file
 *
 * The file name is the id: `id:` may be left out, and when given must equal the file name (so
 * an object is found by its id without opening every file). Returns every problem found, each
 * with its file and field path; `config` is set only when there are none.
 */
export function inspectConfigDir(dir: string, options: ConfigDirOptions = {}): { config?: ConfigDir; problems: ConfigProblem[] } {
  if (!isDirectory(dir)) {
    throw new InvalidInputError(`Configuration directory ${dir} does not exist or is not a directory.`);
  }
  const problems: ConfigProblem[] = [];
  const gatewayFile = join(dir, GATEWAY_FILE);
  let gateway = gatewayConfigSchema.parse({});
  if (existsSync(gatewayFile)) {
    const raw = readYamlMapping(gatewayFile, problems);
    if (raw) {
      const result = gatewayConfigSchema.safeParse(raw);
      if (result.success) gateway = result.data;
      else problems.push(...issuesToProblems(gatewayFile, result.error));
    }
  }
  for (const name of listYamlFiles(dir)) {
    if (name !== GATEWAY_FILE) {
      problems.push({
        file: join(dir, name),
        path: '',
        message: `not read: put exec configs in ${EXEC_CONFIGS_DIR}/, code envs in ${CODE_ENVS_DIR}/ and gateway settings in ${GATEWAY_FILE}`,
      });
    }
  }

  const execConfigs = readObjects(join(dir, EXEC_CONFIGS_DIR), execConfigSchema, problems);
  if (!execConfigs.some(({ value }) => value.id === LOCAL_EXEC_CONFIG_ID)) {
    execConfigs.unshift({ file: BUILT_IN, value: defaultLocalExecConfig() });
  }
  const codeEnvs = readObjects(join(dir, CODE_ENVS_DIR), codeEnvSchema, problems);
  problems.push(...checkFiles(dir, execConfigs, codeEnvs));
  const kernelspecNames = options.kernelspecNames ?? findKernelspecNames(gateway);
  problems.push(...checkExecutionConfigs({ execConfigs, codeEnvs, kernelspecNames }));

  if (problems.length > 0) return { problems };
  const byId = (a: { id: string }, b: { id: string }): number => a.id.localeCompare(b.id);
  return {
    problems,
    config: {
      dir,
      gateway,
      execConfigs: execConfigs.map(({ value }) => value).sort(byId),
      codeEnvs: codeEnvs.map(({ value }) => value).sort(byId),
    },
  };
}

/** Like inspectConfigDir, but throws one InvalidInputError listing every problem (`details.problems`). */
export function loadConfigDir(dir: string, options: ConfigDirOptions = {}): ConfigDir {
  const { config, problems } = inspectConfigDir(dir, options);
  if (config) return config;
  throw new InvalidInputError(
    `Configuration directory ${dir} has ${problems.length} problem${problems.length === 1 ? '' : 's'} (check with \`berth config validate ${dir}\`):\n${problems.map(formatProblem).join('\n')}`,
    { details: { problems } },
  );
}

/** `file: field.path: message` (the path left out when the problem is the whole file). */
export function formatProblem(problem: ConfigProblem): string {
  return `${problem.file}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`;
}

/** Parses each ID.yaml in `folder` with `schema`, the id defaulting to the file name. */
function readObjects<S extends z.ZodType<{ id: string }>>(folder: string, schema: S, problems: ConfigProblem[]): Sourced<z.output<S>>[] {
  const objects: Sourced<z.output<S>>[] = [];
  for (const name of listYamlFiles(folder)) {
    const file = join(folder, name);
    const raw = readYamlMapping(file, problems);
    if (!raw) continue;
    const idFromName = basename(name, extname(name));
    if (raw['id'] === undefined) {
      raw['id'] = idFromName;
    } else if (raw['id'] !== idFromName) {
      problems.push({
        file,
        path: 'id',
        message: `is "${String(raw['id'])}" but the file is ${name}: the id must equal the file name (rename one of them, or leave id out)`,
      });
      raw['id'] = idFromName; // still check the other fields, so one pass reports everything
    }
    const result = schema.safeParse(raw);
    if (result.success) objects.push({ file, value: result.data });
    else problems.push(...issuesToProblems(file, result.error));
  }
  return objects;
}

/** Paths the objects name must exist: TLS certificates of Docker daemons, copied resource folders. */
function checkFiles(dir: string, execConfigs: readonly Sourced<ExecConfig>[], codeEnvs: readonly Sourced<CodeEnv>[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const { file, value: config } of execConfigs) {
    if (config.backend !== 'docker') continue;
    config.docker.daemons.forEach((daemon, index) => {
      if (!daemon.tls) return;
      const certDir = resolve(dir, daemon.tls.certDir);
      const missing = ['ca.pem', 'cert.pem', 'key.pem'].filter((name) => !existsSync(join(certDir, name)));
      if (missing.length > 0) {
        problems.push({
          file,
          path: `docker.daemons.${index}.tls.certDir`,
          message: `${certDir} lacks ${missing.join(', ')}: it must hold ca.pem, cert.pem and key.pem, as \`docker --tlsverify\` expects`,
        });
      }
    });
  }
  for (const { file, value: codeEnv } of codeEnvs) {
    if (codeEnv.resources.mode !== 'copy') continue;
    const folder = resolve(dir, codeEnv.resources.path);
    if (!isDirectory(folder)) {
      problems.push({ file, path: 'resources.path', message: `${folder} is not a folder: copy mode copies a local folder into the image` });
    }
  }
  return problems;
}

/** Zod issues as problems; unknown keys get one problem each, at the key's own path. */
export function issuesToProblems(file: string, error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ file, path: [...path, key].join('.'), message: 'unknown field: check its spelling, or remove it' });
      }
    } else if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      problems.push({ file, path: path.join('.'), message: `is required (${issue.expected})` });
    } else {
      problems.push({ file, path: path.join('.'), message: issue.message });
    }
  }
  return problems;
}

function readYamlMapping(file: string, problems: ConfigProblem[]): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    problems.push({ file, path: '', message: `not valid YAML: ${(error as Error).message.split('\n')[0]}` });
    return undefined;
  }
  if (parsed === null || parsed === undefined) parsed = {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push({ file, path: '', message: 'must hold one mapping (field: value lines), not a list or a scalar' });
    return undefined;
  }
  return parsed as Record<string, unknown>;
}

/** *.yaml and *.yml files, sorted; a missing folder is an empty one. */
function listYamlFiles(folder: string): string[] {
  if (!isDirectory(folder)) return [];
  // Symbolic links count as the files they point to: a Kubernetes ConfigMap volume is a folder of
  // links (name → ..data/name).
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => /\.ya?ml$/.test(entry.name) && !entry.name.startsWith('.'))
    .filter((entry) => entry.isFile() || (entry.isSymbolicLink() && isFile(join(folder, entry.name))))
    .map((entry) => entry.name)
    .sort();
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function findKernelspecNames(gateway: GatewayConfig): Set<string> {
  const dirs = standardKernelsDirs({ shippedDir: SHIPPED_KERNELSPECS, extraDirs: gateway.kernelspecDirs });
  return new Set(new KernelSpecCatalog(dirs, gateway.defaultKernelName, createLogger({ level: 'silent' })).list().keys());
}
