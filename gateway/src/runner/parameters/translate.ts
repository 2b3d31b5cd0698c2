import { InvalidInputError } from '../../common/errors';
import type { ParameterLanguage, Parameters } from './parameter-value';
import { pythonFloatRepr } from './python-numbers';

/**
 * The code papermill 2.x's translators write for parameters: papermill/translators.py `Translator.codify` with
 * `PythonTranslator` and `RTranslator`.
 *
 * Where this differs from papermill, it does so on purpose and only there:
 * - a float with an integral value (`1.0`, `-p x 1e3`) is a plain number (parameter-value.ts) and is written as
 *   an int (`x = 1`; papermill writes `x = 1.0`);
 * - the Python output is papermill's without `black` installed (black is an optional papermill extra).
 */

/** str(int) for integers a number holds exactly, repr(float) for everything else (see the module note). */
function pythonNumber(value: number): string {
  return Number.isSafeInteger(value) && !Object.is(value, -0) ? String(value) : pythonFloatRepr(value);
}

/**
 * `Translator.translate_escaped_str`: str.encode('unicode_escape').decode('utf-8'), then `"` → `\"`,
 * in double quotes. unicode_escape escapes backslash, \t \n \r, other controls and U+007F–U+00FF as \xhh,
 * U+0100–U+FFFF as \uhhhh and beyond as \Uhhhhhhhh; it leaves ' and " alone.
 */
function escapedString(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0x10000) out += `\\U${code.toString(16).padStart(8, '0')}`;
    else if (code >= 0x100) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (char === '\\') out += '\\\\';
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (code < 0x20 || code >= 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `"${out.replace(/"/g, '\\"')}"`;
}

interface Translator {
  none: string;
  bool(value: boolean): string;
  number(value: number): string;
  list(items: string[]): string;
  dict(entries: [string, string][]): string;
  name(name: string): string;
}

const PYTHON: Translator = {
  none: 'None',
  bool: (value) => (value ? 'True' : 'False'),
  number: (value) => {
    if (Number.isNaN(value)) return "float('nan')";
    if (value === Infinity) return "float('inf')";
    if (value === -Infinity) return "float('-inf')";
    return pythonNumber(value);
  },
  list: (items) => `[${items.join(', ')}]`,
  dict: (entries) => `{${entries.map(([key, value]) => `${key}: ${value}`).join(', ')}}`,
  name: (name) => name,
};

const R: Translator = {
  none: 'NULL',
  bool: (value) => (value ? 'TRUE' : 'FALSE'),
  // RTranslator keeps the base translate_float: str(float), so nan/inf/-inf come out as Python spells them.
  number: pythonNumber,
  list: (items) => `list(${items.join(', ')})`,
  dict: (entries) => `list(${entries.map(([key, value]) => `${key} = ${value}`).join(', ')})`,
  // "Leading '_' aren't legal R variable names -- so we drop them when injecting" (RTranslator.assign).
  name: (name) => name.replace(/^_+/, ''),
};

function translator(language: ParameterLanguage): Translator {
  if (language === 'python') return PYTHON;
  if (language === 'r') return R;
  throw new InvalidInputError(`Berth has no parameter translator for ${JSON.stringify(language)}; use "python" or "r".`);
}

function translateValue(t: Translator, value: unknown, path: string): string {
  if (value === null) return t.none;
  if (typeof value === 'string') return escapedString(value);
  if (typeof value === 'boolean') return t.bool(value);
  if (typeof value === 'number') return t.number(value);
  if (Array.isArray(value)) return t.list(value.map((item, index) => translateValue(t, item, `${path}[${index}]`)));
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    return t.dict(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        escapedString(key),
        translateValue(t, item, `${path}.${key}`),
      ]),
    );
  }
  throw new InvalidInputError(
    `Parameter ${path} is ${value === undefined ? 'undefined' : `a ${typeof value}`}; ` +
      'parameters must be strings, numbers, booleans, null, lists or plain objects.',
  );
}

/** papermill's translator output for the language, starting with the "# Parameters" comment line. */
export function translateParameters(language: ParameterLanguage, parameters: Parameters): string {
  const t = translator(language);
  let content = '# Parameters\n';
  for (const [name, value] of Object.entries(parameters)) {
    content += `${t.name(name)} = ${translateValue(t, value, name)}\n`;
  }
  return content;
}
