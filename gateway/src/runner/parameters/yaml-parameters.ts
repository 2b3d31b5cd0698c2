import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { InvalidInputError } from '../../common/errors';
import { safeInteger, type Parameters, type ParameterValue } from './parameter-value';
import { pythonFloat, pythonFloatRepr } from './python-numbers';

/**
 * `-y YAML` / `-f FILE`, as papermill 2.x reads them: yaml.load(text, Loader=NoDatesSafeLoader)
 * (papermill/iorw.py `NoDatesSafeLoader`), i.e. PyYAML's YAML 1.1 SafeLoader resolvers except timestamps
 * (dates stay strings). The `yaml` package parses the syntax with the failsafe schema (every scalar a string);
 * the scalars are then typed here with PyYAML's rules.
 */

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
