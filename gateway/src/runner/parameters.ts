import { randomBytes } from 'node:crypto';
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { InvalidInputError } from '../common/errors';
import { cellSource, cellTags, type Notebook, type NotebookCell } from './notebook';

/**
 * Notebook parameters, as papermill 2.x handles them (`berth run NOTEBOOK -p NAME VALUE -y YAML -f FILE`):
 * typing of `-p` values (papermill/cli.py `_resolve_type`), YAML as papermill reads it (PyYAML's SafeLoader
 * without timestamps, papermill/iorw.py `NoDatesSafeLoader`), the code papermill's translators write
 * (papermill/translators.py `PythonTranslator`, `RTranslator`) and where the injected cell goes
 * (papermill/parameterize.py `parameterize_notebook`). Pure functions: no I/O.
 *
 * Where JavaScript cannot carry a Python value, this module differs from papermill, on purpose and only there:
 * - a float with an integral value (`1.0`, `-p x 1e3`) is a plain number here and is written as an int
 *   (`x = 1`; papermill writes `x = 1.0`);
 * - an integer beyond ±(2^53 - 1) is refused (InvalidInputError) instead of being rounded;
 * - object keys that look like array indices ("2") come first in JavaScript objects, so a mapping keeps
 *   papermill's order except for those keys;
 * - the Python output is papermill's without `black` installed (black is an optional papermill extra).
 */

export type ParameterValue = string | number | boolean | null | ParameterValue[] | { [key: string]: ParameterValue };
export type Parameters = Record<string, ParameterValue>;
export type ParameterLanguage = 'python' | 'r';

/** One assignment in a notebook's `parameters` cell. */
export interface DeclaredParameter {
  name: string;
  /** The assigned expression's source text, comments removed. */
  literal: string;
  /** The literal's value when it is a simple number, string, bool or None/NULL. */
  value?: ParameterValue;
}

const INJECTED_TAG = 'injected-parameters';
const PARAMETERS_TAG = 'parameters';

// ---------------------------------------------------------------------------------------------
// `-p NAME VALUE`: papermill/cli.py `_resolve_type` ("True"/"False"/"None", then int(), then float()).

/** The characters Python's str.strip(), int() and float() treat as whitespace. */
const PYTHON_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PYTHON_STRIP = new RegExp(`^[${PYTHON_SPACE}]+|[${PYTHON_SPACE}]+$`, 'g');
/** What Python's int(text) accepts (base 10, PEP 515 underscores; ASCII digits only here). */
const PYTHON_INT_TEXT = /^[+-]?\d+(?:_\d+)*$/;
/** What Python's float(text) accepts, apart from inf/infinity/nan. */
const PYTHON_FLOAT_TEXT = /^[+-]?(?:(?:\d+(?:_\d+)*)?\.\d+(?:_\d+)*|\d+(?:_\d+)*\.?)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const PYTHON_FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** papermill's typing of `-p NAME VALUE` (True/False → boolean, None → null, ints, floats, else the string). */
export function parseCliValue(raw: string): ParameterValue {
  if (raw === 'True') return true;
  if (raw === 'False') return false;
  if (raw === 'None') return null;
  const text = raw.replace(PYTHON_STRIP, '');
  if (PYTHON_INT_TEXT.test(text)) {
    return safeInteger(BigInt(text.replace(/_/g, '')), () => `the -p value ${JSON.stringify(raw)}`);
  }
  const float = pythonFloat(text);
  return float === undefined ? raw : float;
}

/** Python's float(text) on stripped text, or undefined where float() raises ValueError. */
function pythonFloat(text: string): number | undefined {
  const special = PYTHON_FLOAT_SPECIAL.exec(text);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  return PYTHON_FLOAT_TEXT.test(text) ? Number(text.replace(/_/g, '')) : undefined;
}

/** An exact integer as a number, refused when a number cannot hold it exactly. */
function safeInteger(value: bigint, describe: () => string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new InvalidInputError(
      `${describe()} is an integer too large to pass exactly (the limit is ±${Number.MAX_SAFE_INTEGER}); ` +
        'quote it to pass a string, or write it as a float (e.g. 1.0e+20).',
    );
  }
  return number === 0 ? 0 : number; // int("-0") is 0, never -0.0
}

// ---------------------------------------------------------------------------------------------
// `-y YAML` / `-f FILE`: yaml.load(text, Loader=NoDatesSafeLoader), i.e. PyYAML's YAML 1.1 SafeLoader
// resolvers except timestamps (dates stay strings). The `yaml` package parses the syntax with the
// failsafe schema (every scalar a string); the scalars are then typed here with PyYAML's rules.

const TAG = 'tag:yaml.org,2002:';
const YAML_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const YAML_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const YAML_INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const YAML_NULL = /^(?:~|null|Null|NULL|)$/;

/** A YAML scalar typed as PyYAML types it: ints stay exact, floats stay floats (keys need both). */
type YamlScalar =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'str'; value: string };

/** `-y` YAML text or `-f` file contents: must be a mapping; `source` names it in errors. */
export function parseYamlParameters(text: string, source: string): Parameters {
  const doc = parseDocument(text, { schema: 'failsafe', version: '1.1', uniqueKeys: false, prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '');
    throw new InvalidInputError(`${source} is not valid YAML: ${first}. Fix the YAML (quote values that contain ': ' or '#').`);
  }
  const reader = new YamlReader(doc, source);
  const contents: unknown = doc.contents;
  // papermill does `yaml.load(...) or {}`: an empty document (or a bare null) means no parameters.
  if (contents === null || contents === undefined) return {};
  const node = reader.deref(contents, '(top)');
  if (isScalar(node) && reader.scalar(node, '(top)').kind === 'null') return {};
  if (!isMap(node)) {
    throw new InvalidInputError(
      `${source} must be a YAML mapping of parameter names to values (like "alpha: 0.1"), not ${describeYamlNode(node)}.`,
    );
  }
  return reader.mapping(node, '');
}

function describeYamlNode(node: unknown): string {
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return `the scalar ${JSON.stringify(String(node.value))}`;
  return 'that';
}

class YamlReader {
  /** Collections being read, to refuse recursive aliases (papermill's values are trees). */
  private readonly open = new Set<unknown>();

  constructor(
    private readonly doc: Document,
    private readonly source: string,
  ) {}

  fail(path: string, problem: string): never {
    throw new InvalidInputError(`${this.source}: ${path || '(top)'} ${problem}`);
  }

  deref(node: unknown, path: string): unknown {
    let current = node;
    for (let hops = 0; isAlias(current); hops += 1) {
      if (hops > 100) this.fail(path, 'is an alias chain that does not end; remove the alias.');
      current = current.resolve(this.doc);
      if (current === undefined) this.fail(path, 'uses an alias with no anchor; define the anchor (&name) first.');
    }
    return current;
  }

  value(raw: unknown, path: string): ParameterValue {
    const node = this.deref(raw, path);
    if (node === null || node === undefined) return null;
    if (isScalar(node)) {
      const scalar = this.scalar(node, path);
      switch (scalar.kind) {
        case 'null':
          return null;
        case 'bool':
        case 'str':
        case 'float':
          return scalar.value;
        case 'int':
          return safeInteger(scalar.value, () => `${this.source}: ${path || '(top)'}`);
      }
    }
    if (this.open.has(node)) this.fail(path, 'refers to itself through an alias; parameters must be a tree.');
    this.open.add(node);
    try {
      if (isMap(node)) return this.mapping(node, path);
      if (isSeq(node)) {
        this.checkTag(node.tag, 'seq', path);
        return node.items.map((item, index) => this.value(item, `${path}[${index}]`));
      }
    } finally {
      this.open.delete(node);
    }
    return this.fail(path, 'is a YAML node Berth cannot read; use plain mappings, lists and scalars.');
  }

  /** PyYAML's construct_mapping after flatten_mapping (merge keys), with Python key equality. */
  mapping(node: unknown, path: string): Parameters {
    if (!isMap(node)) return this.fail(path, 'must be a mapping.');
    this.checkTag(node.tag, 'map', path);
    const entries = new Map<string, { name: string; value: ParameterValue }>();
    for (const [keyNode, valueNode] of this.flatten(node, path)) {
      const key = this.deref(keyNode, path);
      if (!isScalar(key)) this.fail(path, 'has a list or mapping as a key; keys must be scalars (Python would say "unhashable key").');
      const scalar = this.scalar(key, path, true);
      const name = pythonStr(scalar);
      const childPath = path ? `${path}.${name}` : name;
      const identity = pythonKeyIdentity(scalar, entries.size);
      const value = this.value(valueNode, childPath);
      const existing = entries.get(identity);
      // A Python dict keeps the first key object and its position, and takes the last value.
      entries.set(identity, { name: existing?.name ?? name, value });
    }
    const result: Parameters = {};
    for (const { name, value } of entries.values()) {
      Object.defineProperty(result, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return result;
  }

  /** The key/value pairs of a mapping with `<<` merges applied in PyYAML's order (merged pairs first). */
  private flatten(node: unknown, path: string, depth = 0): [unknown, unknown][] {
    if (depth > 100 || !isMap(node)) return this.fail(path, 'has merge keys (<<) nested too deeply.');
    const merged: [unknown, unknown][] = [];
    const own: [unknown, unknown][] = [];
    for (const pair of node.items) {
      const key = pair.key;
      if (isScalar(key) && key.type === 'PLAIN' && key.tag === undefined && key.value === '<<') {
        const target = this.deref(pair.value, path);
        if (isMap(target)) {
          merged.push(...this.flatten(target, path, depth + 1));
        } else if (isSeq(target)) {
          const parts = target.items.map((item) => {
            const map = this.deref(item, path);
            if (!isMap(map)) return this.fail(path, 'merges (<<) a list that holds something other than mappings.');
            return this.flatten(map, path, depth + 1);
          });
          for (const part of parts.reverse()) merged.push(...part);
        } else {
          this.fail(path, 'merges (<<) something other than a mapping or a list of mappings.');
        }
      } else {
        own.push([key, pair.value]);
      }
    }
    return [...merged, ...own];
  }

  private checkTag(tag: string | undefined, kind: 'map' | 'seq', path: string): void {
    if (tag !== undefined && tag !== '!' && tag !== `${TAG}${kind}`) {
      this.fail(path, `has the tag ${tag}, which papermill's safe YAML loader does not build; remove the tag.`);
    }
  }

  scalar(node: unknown, path: string, isKey = false): YamlScalar {
    if (!isScalar(node)) return this.fail(path, 'must be a scalar.');
    const text = String(node.value ?? '');
    const tag = node.tag;
    if (tag === undefined) {
      if (node.type !== 'PLAIN') return { kind: 'str', value: text };
      return this.implicit(text, path, isKey);
    }
    if (tag === '!' || tag === `${TAG}str`) return { kind: 'str', value: text };
    if (tag === `${TAG}null`) return { kind: 'null' };
    if (tag === `${TAG}bool`) {
      const value = ({ yes: true, no: false, true: true, false: false, on: true, off: false } as Record<string, boolean>)[
        text.toLowerCase()
      ];
      if (value === undefined) this.fail(path, `is tagged !!bool but ${JSON.stringify(text)} is not a YAML 1.1 bool.`);
      return { kind: 'bool', value };
    }
    if (tag === `${TAG}int`) return { kind: 'int', value: this.yamlInt(text, path) };
    if (tag === `${TAG}float`) return { kind: 'float', value: this.yamlFloat(text, path) };
    return this.fail(path, `has the tag ${tag}, which papermill's safe YAML loader does not build; remove the tag.`);
  }

  /** PyYAML's implicit resolution of a plain scalar (bool, float, int, merge, null, value; no timestamp). */
  private implicit(text: string, path: string, isKey: boolean): YamlScalar {
    if (YAML_BOOL.test(text)) return { kind: 'bool', value: ['yes', 'true', 'on'].includes(text.toLowerCase()) };
    if (YAML_FLOAT.test(text)) return { kind: 'float', value: this.yamlFloat(text, path) };
    if (YAML_INT.test(text)) return { kind: 'int', value: this.yamlInt(text, path) };
    if (YAML_NULL.test(text)) return { kind: 'null' };
    if (text === '=') {
      // PyYAML turns a `=` key into the string "=", and has no constructor for a `=` value.
      if (isKey) return { kind: 'str', value: '=' };
      this.fail(path, 'is a bare "=", which PyYAML cannot load; quote it ("=").');
    }
    if (text === '<<') this.fail(path, 'is a bare "<<" (a merge key) used as a value; quote it ("<<").');
    return { kind: 'str', value: text };
  }

  /** PyYAML's construct_yaml_int: underscores dropped, 0b / 0x / leading-0 octal / base 60 (1:30). */
  private yamlInt(source: string, path: string): bigint {
    let text = source.replace(/_/g, '');
    const negative = text.startsWith('-');
    if (text.startsWith('-') || text.startsWith('+')) text = text.slice(1);
    let value: bigint;
    try {
      if (text === '0') value = 0n;
      else if (text.startsWith('0b')) value = BigInt(`0b${text.slice(2)}`);
      else if (text.startsWith('0x')) value = BigInt(`0x${text.slice(2)}`);
      else if (text.startsWith('0')) value = BigInt(`0o${text.slice(1)}`);
      else if (text.includes(':')) value = text.split(':').reduce((total, part) => total * 60n + BigInt(part), 0n);
      else value = BigInt(text);
    } catch {
      return this.fail(path, `is ${JSON.stringify(source)}, which is not a valid YAML 1.1 integer; quote it to pass a string.`);
    }
    return negative ? -value : value;
  }

  /** PyYAML's construct_yaml_float: underscores dropped, .inf / .nan, base 60 (1:30.5). */
  private yamlFloat(source: string, path: string): number {
    let text = source.replace(/_/g, '').toLowerCase();
    const sign = text.startsWith('-') ? -1 : 1;
    if (text.startsWith('-') || text.startsWith('+')) text = text.slice(1);
    let value: number;
    if (text === '.inf') value = Infinity;
    else if (text === '.nan') return Number.NaN;
    else if (text.includes(':')) value = text.split(':').reduce((total, part) => total * 60 + Number(part), 0);
    else value = pythonFloat(text) ?? Number.NaN; // PyYAML ends with Python's float(text)
    if (Number.isNaN(value) && !/^[+-]?nan$/.test(text))
      this.fail(path, `is ${JSON.stringify(source)}, which is not a valid YAML 1.1 float; quote it to pass a string.`);
    return sign * value;
  }
}

/** Python's str() of a YAML key (keys that are not strings become names like "1", "1.5", "True", "None"). */
function pythonStr(scalar: YamlScalar): string {
  switch (scalar.kind) {
    case 'null':
      return 'None';
    case 'bool':
      return scalar.value ? 'True' : 'False';
    case 'int':
      return scalar.value.toString();
    case 'float':
      return pythonFloatRepr(scalar.value);
    case 'str':
      return scalar.value;
  }
}

/** Keys equal in Python (1 == 1.0 == True) share an identity; NaN equals nothing. */
function pythonKeyIdentity(scalar: YamlScalar, position: number): string {
  switch (scalar.kind) {
    case 'null':
      return 'None';
    case 'bool':
      return `n:${scalar.value ? 1 : 0}`;
    case 'int':
      return `n:${scalar.value.toString()}`;
    case 'float':
      if (Number.isNaN(scalar.value)) return `nan:${position}`;
      return Number.isInteger(scalar.value) ? `n:${BigInt(scalar.value).toString()}` : `n:${String(scalar.value)}`;
    case 'str':
      return `s:${scalar.value}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Translation: papermill/translators.py `Translator.codify` with `PythonTranslator` and `RTranslator`.

/** Python's repr() of a float: shortest round-trip digits, exponent form when decpt <= -4 or > 16. */
function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // String() gives the shortest digits that round-trip (closest on ties), as Python's repr does.
  const [mantissa = '', exponent = '0'] = String(Math.abs(value)).split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  let digits = whole + fraction;
  let point = whole.length + Number(exponent); // the decimal point sits after `point` digits
  const leadingZeros = /^0*/.exec(digits)![0].length;
  digits = digits.slice(leadingZeros).replace(/0+$/, '');
  point -= leadingZeros;
  if (point <= -4 || point > 16) {
    const power = point - 1;
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${head}e${power < 0 ? '-' : '+'}${String(Math.abs(power)).padStart(2, '0')}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

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

// ---------------------------------------------------------------------------------------------
// Injection: papermill/parameterize.py `parameterize_notebook`.

function firstTaggedIndex(cells: NotebookCell[], tag: string): number {
  return cells.findIndex((cell) => cellTags(cell).includes(tag));
}

/** nbformat's random_cell_id (uuid4().hex[:8]), made unique within the notebook. */
function freshCellId(cells: NotebookCell[]): string {
  const taken = new Set(cells.map((cell) => cell.id));
  for (;;) {
    const id = randomBytes(4).toString('hex');
    if (!taken.has(id)) return id;
  }
}

/**
 * papermill's parameterize_notebook: a copy of the notebook with an `injected-parameters` code cell. The cell
 * replaces the first cell already tagged `injected-parameters` (at its position), or else goes right after the
 * first cell tagged `parameters`, or else at the top. metadata.papermill.parameters records the parameters.
 * Like papermill's parameterize_notebook it injects even an empty mapping (papermill's execute_notebook only
 * calls it when there are parameters).
 */
export function injectParameters(notebook: Notebook, parameters: Parameters, language: ParameterLanguage): Notebook {
  const source = translateParameters(language, parameters);
  const result = structuredClone(notebook);
  const cell: NotebookCell = {
    ...(result.nbformat_minor >= 5 ? { id: freshCellId(result.cells) } : {}),
    cell_type: 'code',
    execution_count: null,
    metadata: { tags: [INJECTED_TAG] },
    outputs: [],
    source,
  };
  const injected = firstTaggedIndex(result.cells, INJECTED_TAG);
  const declared = firstTaggedIndex(result.cells, PARAMETERS_TAG);
  if (injected >= 0) result.cells.splice(injected, 1, cell);
  else if (declared >= 0) result.cells.splice(declared + 1, 0, cell);
  else result.cells.unshift(cell);

  const existing = result.metadata['papermill'];
  const papermill =
    typeof existing === 'object' && existing !== null && !Array.isArray(existing)
      ? (existing as Record<string, unknown>)
      : // papermill's load_notebook_node creates this when the notebook has none (plus papermill's version).
        { default_parameters: {}, parameters: {}, environment_variables: {} };
  papermill['parameters'] = structuredClone(parameters);
  result.metadata['papermill'] = papermill;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Language: papermill's find_translator(kernel_name, language) with language = language_info.name
// or kernelspec.language (papermill/utils.py nb_language).

const KERNEL_TRANSLATORS: Record<string, ParameterLanguage> = {
  python: 'python',
  r: 'r',
  pysparkkernel: 'python',
  sparkrkernel: 'r',
};

function stringField(record: unknown, key: string): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Which language translator a notebook needs, from its kernelspec and language_info metadata. */
export function parameterLanguage(notebook: Notebook): ParameterLanguage {
  const kernelspec = notebook.metadata['kernelspec'];
  const kernelName = stringField(kernelspec, 'name');
  const language = stringField(notebook.metadata['language_info'], 'name') ?? stringField(kernelspec, 'language');
  // papermill looks the kernel name up first, then the language (matched here without regard to case).
  const byKernel = kernelName === undefined ? undefined : KERNEL_TRANSLATORS[kernelName.toLowerCase()];
  if (byKernel) return byKernel;
  if (language !== undefined) {
    const lower = language.toLowerCase();
    if (lower === 'python' || lower === 'r') return lower;
    throw new InvalidInputError(
      `This notebook's language is ${JSON.stringify(language)}; Berth injects parameters into Python and R notebooks only. ` +
        'Run it without -p/-y/-f, or use a Python or R kernel.',
    );
  }
  // No language recorded: fall back on the usual kernel names (papermill would stop here).
  if (kernelName !== undefined && /^python\d*$/i.test(kernelName)) return 'python';
  if (kernelName !== undefined && kernelName.toLowerCase() === 'ir') return 'r';
  throw new InvalidInputError(
    kernelName === undefined
      ? 'This notebook records no language (metadata.language_info.name or metadata.kernelspec); open and save it in Jupyter, or set the kernel, before passing parameters.'
      : `This notebook's kernel ${JSON.stringify(kernelName)} records no language, and Berth injects parameters into Python and R notebooks only; ` +
          'set metadata.kernelspec.language, or run it without -p/-y/-f.',
  );
}

// ---------------------------------------------------------------------------------------------
// Declared defaults: the assignments in the `parameters` cell (in the spirit of papermill's
// PythonTranslator.inspect), for a UI to prefill.

interface Statement {
  /** The statement's code, comments removed (newlines inside brackets and strings kept). */
  text: string;
  /** Columns of indentation of its first line. */
  indent: number;
}

/** Splits Python or R source into logical statements: by newline outside brackets and strings, and by `;`. */
function splitStatements(source: string, language: ParameterLanguage): Statement[] {
  const statements: Statement[] = [];
  let text = '';
  let indent = 0;
  let depth = 0;
  let quote = ''; // the open string's delimiter (', ", ''' or """; ` for R names)
  let atLineStart = true;
  const flush = (): void => {
    if (text.trim() !== '') statements.push({ text: text.trim(), indent });
    text = '';
  };
  const continues = (): boolean => {
    if (depth > 0) return true;
    if (language === 'python') return false;
    // R reads on when a line ends with an operator or a comma.
    return /(?:<-|=|\+|-|\*|\/|\^|,|&|\||~|%|>)\s*$/.test(text);
  };
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i]!;
    if (atLineStart) {
      atLineStart = false;
      if (!continues()) {
        flush();
        const leading = /^[ \t]*/.exec(source.slice(i))![0];
        indent = leading.replace(/\t/g, '        ').length;
      }
    }
    if (quote !== '') {
      text += char;
      if (char === '\\') {
        // Even in a raw string a backslash keeps the next character from closing the string.
        text += source[i + 1] ?? '';
        i += 1;
      } else if (source.startsWith(quote, i)) {
        text += quote.slice(1);
        i += quote.length - 1;
        quote = '';
      }
      continue;
    }
    if (char === '#') {
      const end = source.indexOf('\n', i);
      i = (end < 0 ? source.length : end) - 1;
      continue;
    }
    if (char === '\n') {
      text += char;
      atLineStart = true;
      continue;
    }
    if (char === '\\' && language === 'python' && source[i + 1] === '\n') {
      text += '\\\n';
      i += 1;
      continue;
    }
    if (char === ';' && depth === 0) {
      flush();
      continue;
    }
    if ('([{'.includes(char)) depth += 1;
    if (')]}'.includes(char)) depth = Math.max(0, depth - 1);
    if (char === '"' || char === "'" || (char === '`' && language === 'r')) {
      const triple = language === 'python' && source.startsWith(char.repeat(3), i);
      quote = triple ? char.repeat(3) : char;
      text += quote;
      i += quote.length - 1;
      continue;
    }
    text += char;
  }
  flush();
  return statements;
}

/**
 * The position of the first top-level assignment operator in a statement: `=` (not ==, <=, >=, !=, :=, +=, …)
 * for Python; `<-`, `<<-` or `=` for R. Returns [start, end) of the operator, or undefined.
 */
function assignmentOperator(text: string, language: ParameterLanguage): [number, number] | undefined {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (quote !== '') {
      if (char === '\\') i += 1;
      else if (text.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = '';
      }
      continue;
    }
    if (char === '"' || char === "'" || (char === '`' && language === 'r')) {
      quote = language === 'python' && text.startsWith(char.repeat(3), i) ? char.repeat(3) : char;
      i += quote.length - 1;
      continue;
    }
    if ('([{'.includes(char)) depth += 1;
    else if (')]}'.includes(char)) depth = Math.max(0, depth - 1);
    if (depth > 0) continue;
    if (language === 'r') {
      if (text.startsWith('<<-', i)) return [i, i + 3];
      if (text.startsWith('<-', i)) return [i, i + 2];
    }
    if (char === '=' && text[i + 1] !== '=' && !/[=!<>+\-*/%&|^@:~]/.test(text[i - 1] ?? '')) return [i, i + 1];
    if (char === '=' && text[i + 1] === '=') i += 1;
  }
  return undefined;
}

const PYTHON_NAME = /^([\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*)\s*(?::[\s\S]+)?$/u;
const R_NAME = /^(?:([A-Za-z][\w.]*|\.(?![0-9])[\w.]*)|`((?:[^`\\]|\\.)+)`)$/;
/** Python keywords that can open a line with `name: ...` (as in `else: x = 1`), so are never targets. */
const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);

/** The assigned name when `target` is a single plain name (Python: optionally annotated). */
function assignmentTarget(target: string, language: ParameterLanguage): string | undefined {
  const match = (language === 'python' ? PYTHON_NAME : R_NAME).exec(target.trim());
  const name = match?.[1] ?? match?.[2];
  if (name === undefined || (language === 'python' && PYTHON_KEYWORDS.has(name))) return undefined;
  return name;
}

function declaredAssignment(statement: string, language: ParameterLanguage): DeclaredParameter | undefined {
  const operator = assignmentOperator(statement, language);
  if (!operator) return undefined;
  const name = assignmentTarget(statement.slice(0, operator[0]), language);
  const literal = statement.slice(operator[1]).trim();
  if (name === undefined || literal === '') return undefined;
  const chained = assignmentOperator(literal, language);
  if (chained && assignmentTarget(literal.slice(0, chained[0]), language) !== undefined) return undefined; // a = b = 1
  const value = language === 'python' ? pythonLiteralValue(literal) : rLiteralValue(literal);
  return value === undefined ? { name, literal } : { name, literal, value };
}

/**
 * The defaults declared in the first cell tagged `parameters`: each top-level `name = literal` (Python, type
 * annotations allowed) or `name <- literal` / `name = literal` (R), in order. `value` is set when the literal is
 * a simple number, string, bool or None/NULL. No parameters cell: an empty list.
 */
export function declaredParameters(notebook: Notebook, language: ParameterLanguage): DeclaredParameter[] {
  const index = firstTaggedIndex(notebook.cells, PARAMETERS_TAG);
  if (index < 0) return [];
  const statements = splitStatements(cellSource(notebook.cells[index]!), language);
  // Top level: Python lines at the cell's base indentation (R blocks are already inside brackets).
  const base = statements.length > 0 ? Math.min(...statements.map((statement) => statement.indent)) : 0;
  const found: DeclaredParameter[] = [];
  for (const statement of statements) {
    if (language === 'python' && (statement.indent > base || /^[%!]/.test(statement.text))) continue;
    const declared = declaredAssignment(statement.text, language);
    if (declared) found.push(declared);
  }
  return found;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/** Decodes the backslash escapes of a Python or R string literal; undefined when one is not supported. */
function decodeEscapes(body: string, language: ParameterLanguage): string | undefined {
  let out = '';
  for (let i = 0; i < body.length; i += 1) {
    const char = body[i]!;
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = body[i + 1];
    if (next === undefined) return undefined;
    i += 1;
    if (next in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[next];
    else if (next === '\n' && language === 'python') continue;
    else if (next === '`' && language === 'r') out += '`';
    else if (next === 'x' || next === 'u' || next === 'U') {
      const braced = language === 'r' && next !== 'x' && body[i + 1] === '{';
      const max = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = braced ? /^\{([0-9a-fA-F]{1,8})\}/.exec(body.slice(i + 1)) : /^[0-9a-fA-F]+/.exec(body.slice(i + 1, i + 1 + max));
      if (!hex) return undefined;
      const digits = braced ? hex[1]! : hex[0];
      if (language === 'python' && digits.length !== max) return undefined;
      const code = parseInt(digits, 16);
      if (code > 0x10ffff || (language === 'r' && next === 'x' && code >= 0x80)) return undefined; // R's \x is a byte
      out += String.fromCodePoint(code);
      i += hex[0].length;
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCodePoint(parseInt(octal, 8));
      i += octal.length - 1;
    } else if (language === 'python' && next !== 'N')
      out += `\\${next}`; // Python keeps unknown escapes (\N{…} aside)
    else return undefined; // R refuses them
  }
  return out;
}

function pythonLiteralValue(literal: string): ParameterValue | undefined {
  if (literal === 'True') return true;
  if (literal === 'False') return false;
  if (literal === 'None') return null;
  const number = /^([+-]?)\s*(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|\d+(?:_\d+)*)$/.exec(literal);
  if (number) {
    const body = number[2]!.replace(/_/g, '');
    const value = BigInt(/^0\d/.test(body) ? body.replace(/^0+(?=\d)/, '') : body);
    const exact = Number(number[1] === '-' ? -value : value);
    return Number.isSafeInteger(exact) ? exact + 0 : undefined;
  }
  const float = /^([+-]?)\s*([\d.][\w.+-]*)$/.exec(literal);
  if (float && PYTHON_FLOAT_TEXT.test(float[2]!)) {
    const value = Number(float[2]!.replace(/_/g, ''));
    return float[1] === '-' ? -value : value;
  }
  const string = /^([rRuU]?)('''|"""|'|")([\s\S]*)\2$/.exec(literal);
  if (string) {
    const [, prefix = '', delimiter = '', body = ''] = string;
    if (delimiter.length === 1 && (body.includes('\n') || unescapedQuote(body, delimiter))) return undefined;
    if (delimiter.length === 3 && body.includes(delimiter)) return undefined;
    return /[rR]/.test(prefix) ? body : decodeEscapes(body, 'python');
  }
  return undefined;
}

/** Whether a quote character appears unescaped in a string body (so the literal is really two strings). */
function unescapedQuote(body: string, quote: string): boolean {
  for (let i = 0; i < body.length; i += 1) {
    if (body[i] === '\\') i += 1;
    else if (body[i] === quote) return true;
  }
  return false;
}

function rLiteralValue(literal: string): ParameterValue | undefined {
  if (literal === 'TRUE') return true;
  if (literal === 'FALSE') return false;
  if (literal === 'NULL') return null;
  const hex = /^([+-]?)\s*0[xX]([0-9a-fA-F]+)L?$/.exec(literal);
  if (hex) {
    const value = parseInt(hex[2]!, 16);
    if (!Number.isSafeInteger(value)) return undefined;
    return hex[1] === '-' ? -value + 0 : value;
  }
  const number = /^([+-]?)\s*((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(L?)$/.exec(literal);
  if (number) {
    const value = Number(number[2]);
    if (number[3] === 'L' && !Number.isSafeInteger(value)) return undefined;
    return number[1] === '-' ? -value : value;
  }
  const string = /^(['"])([\s\S]*)\1$/.exec(literal);
  if (string) {
    const [, quote = '', body = ''] = string;
    if (unescapedQuote(body, quote)) return undefined;
    return decodeEscapes(body, 'r');
  }
  return undefined;
}
