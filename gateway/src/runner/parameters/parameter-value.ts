import { InvalidInputError } from '../../common/errors';

/**
 * Notebook parameters, as papermill 2.x handles them (`berth run NOTEBOOK -p NAME VALUE -y YAML -f FILE`): the
 * values, and what the parameter modules share. The parameter modules are pure functions: no I/O.
 *
 * Where JavaScript cannot carry a Python value, they differ from papermill, on purpose and only there (translate.ts
 * notes how its output differs):
 * - a float with an integral value (`1.0`, `-p x 1e3`) is a plain number here;
 * - an integer beyond ±(2^53 - 1) is refused (InvalidInputError) instead of being rounded;
 * - object keys that look like array indices ("2") come first in JavaScript objects, so a mapping keeps
 *   papermill's order except for those keys.
 */

export type ParameterValue = string | number | boolean | null | ParameterValue[] | { [key: string]: ParameterValue };
export type Parameters = Record<string, ParameterValue>;
export type ParameterLanguage = 'python' | 'r';

/** An exact integer as a number, refused when a number cannot hold it exactly. */
export function safeInteger(value: bigint, describe: () => string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new InvalidInputError(
      `${describe()} is an integer too large to pass exactly (the limit is ±${Number.MAX_SAFE_INTEGER}); ` +
        'quote it to pass a string, or write it as a float (e.g. 1.0e+20).',
    );
  }
  return number === 0 ? 0 : number; // int("-0") is 0, never -0.0
}
