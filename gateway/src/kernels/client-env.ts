import { InvalidInputError } from '../common/errors';

const KERNEL_VARIABLE = /^KERNEL_[A-Za-z0-9_]+$/;
const MAX_VALUE_LENGTH = 4096;

export interface FilteredEnv {
  readonly env: Record<string, string>;
  /** How many variables were dropped (their names and values are never logged). */
  readonly dropped: number;
}

/**
 * Keeps only `KERNEL_*` variables from a client's env. Jupyter Server 1.23 in gateway mode
 * sends its whole environment on session starts; none of that may reach a kernel or a log.
 * Values must be strings of at most 4 KiB without NUL; errors name the variable, never the value.
 */
export function filterClientEnv(env: unknown): FilteredEnv {
  if (env === undefined || env === null) return { env: {}, dropped: 0 };
  if (typeof env !== 'object' || Array.isArray(env)) {
    throw new InvalidInputError('"env" must be an object of string values, e.g. {"KERNEL_USERNAME": "ada"}.');
  }
  const kept: Record<string, string> = {};
  let dropped = 0;
  for (const [name, value] of Object.entries(env as Record<string, unknown>)) {
    if (!KERNEL_VARIABLE.test(name)) {
      dropped++;
      continue;
    }
    if (typeof value !== 'string') throw new InvalidInputError(`env variable ${name} must be a string.`);
    if (value.length > MAX_VALUE_LENGTH) throw new InvalidInputError(`env variable ${name} is longer than ${MAX_VALUE_LENGTH} characters.`);
    if (value.includes('\0')) throw new InvalidInputError(`env variable ${name} contains a NUL character.`);
    kept[name] = value;
  }
  return { env: kept, dropped };
}
