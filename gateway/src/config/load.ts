import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidInputError } from '../common/errors';
import { gatewayConfigSchema, type GatewayConfig } from './schema';

/** Environment variables read, and the config field each sets. */
const ENV_FIELDS: Record<string, { path: string[]; type: 'string' | 'number' | 'list' }> = {
  BERTH_IP: { path: ['ip'], type: 'string' },
  BERTH_PORT: { path: ['port'], type: 'number' },
  BERTH_BASE_URL: { path: ['baseUrl'], type: 'string' },
  BERTH_TOKEN: { path: ['token'], type: 'string' },
  BERTH_ALLOW_ORIGIN: { path: ['allowOrigin'], type: 'string' },
  BERTH_DATA_DIR: { path: ['dataDir'], type: 'string' },
  BERTH_CONFIG_DIR: { path: ['configDir'], type: 'string' },
  BERTH_DEFAULT_KERNEL_NAME: { path: ['defaultKernelName'], type: 'string' },
  BERTH_KERNELSPEC_DIRS: { path: ['kernelspecDirs'], type: 'list' },
  BERTH_LOG_LEVEL: { path: ['logLevel'], type: 'string' },
  BERTH_CULL_IDLE_TIMEOUT: { path: ['kernels', 'cullIdleTimeoutSeconds'], type: 'number' },
  BERTH_MAX_KERNELS: { path: ['kernels', 'maxKernels'], type: 'number' },
};

export interface LoadConfigOptions {
  /** Path of a YAML or JSON file. */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags (already typed), highest precedence. */
  readonly flags?: Record<string, unknown>;
}

/**
 * Merges defaults < the config directory's berth.yaml < file < BERTH_* env < flags and validates
 * once; errors name the field. The config directory (`configDir` from flags, env or file) only
 * supplies gateway settings here; its exec configs and code envs are loaded by the gateway.
 */
export function loadConfig(options: LoadConfigOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env['BERTH_CONFIG'];
  const fromFile: Record<string, unknown> = file ? readConfigFile(file) : {};
  let merged = deepMerge(deepMerge(fromFile, fromEnv(env)), options.flags ?? {});
  const configDir = merged['configDir'];
  const dirFile = typeof configDir === 'string' && configDir ? join(configDir, 'berth.yaml') : undefined;
  if (dirFile && existsSync(dirFile)) merged = deepMerge(readConfigFile(dirFile), merged);
  const result = gatewayConfigSchema.safeParse(merged);
  if (!result.success) {
    const sources = [file, dirFile && existsSync(dirFile) ? dirFile : undefined].filter(Boolean).join(', ');
    throw new InvalidInputError(`Invalid configuration${sources ? ` (${sources})` : ''}: ${formatIssues(result.error)}`);
  }
  return result.data;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`Cannot read config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new InvalidInputError(`Config file ${file} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidInputError(`Config file ${file} must hold a mapping of settings.`);
  return parsed as Record<string, unknown>;
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(ENV_FIELDS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (field.type === 'number') {
      value = Number(raw);
      if (!Number.isFinite(value)) throw new InvalidInputError(`${name} must be a number; got "${raw}".`);
    } else if (field.type === 'list') {
      value = raw.split(':').filter(Boolean);
    }
    let target = result;
    for (const key of field.path.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[field.path.at(-1)!] = value;
  }
  return result;
}

function deepMerge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const result = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const existing = result[key];
    result[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "kernels.maxKernels: expected number, received string; port: …" */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
