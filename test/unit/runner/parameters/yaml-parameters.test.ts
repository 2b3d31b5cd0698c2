/**
 * Golden tests for papermill-compatible parameters. Each expectation follows papermill 2.x (nteract/papermill):
 * - parseYamlParameters: papermill/cli.py (`yaml.load(...) or {}` for -y) and papermill/iorw.py (read_yaml_file,
 *   NoDatesSafeLoader: PyYAML's SafeLoader without the timestamp resolver); papermill/tests/parameters/example.yaml
 *   and papermill/tests/test_cli.py (test_parameters_yaml, test_parameters_file).
 * PyYAML results were checked against CPython 3.11 and PyYAML 6.
 */
import { InvalidInputError } from '../../../../gateway/src/common/errors';
import { translateParameters } from '../../../../gateway/src/runner/parameters/translate';
import { parseYamlParameters } from '../../../../gateway/src/runner/parameters/yaml-parameters';

describe('parseYamlParameters', () => {
  it('reads papermill’s example.yaml, keeping dates as strings (NoDatesSafeLoader)', () => {
    const text = '---\nfoo: 12345\nbar: "value"\nbaz:\n    k1: v1\n    k2: v2\na_date: 2019-01-01';
    expect(parseYamlParameters(text, 'example.yaml')).toEqual({
      foo: 12345,
      bar: 'value',
      baz: { k1: 'v1', k2: 'v2' },
      a_date: '2019-01-01',
    });
    expect(parseYamlParameters('{"foo": "bar"}', '-y')).toEqual({ foo: 'bar' });
    expect(parseYamlParameters('{"foo2": ["baz"]}', '-y')).toEqual({ foo2: ['baz'] });
  });

  it('types scalars with YAML 1.1 (PyYAML) rules, not YAML 1.2', () => {
    const text = [
      'a: yes',
      'b: No',
      'c: on',
      'd: OFF',
      'e: y',
      'f: 1e5',
      'g: 1.0e+5',
      'h: 1.5e10',
      'i: 1.',
      'j: .5',
      'k: 1_000',
      'l: 0777',
      'm: 0o17',
      'n: 0x1F',
      'o: 0b101',
      'p: 1:30',
      'q: 1:30.5',
      'r: 09',
      's: +12',
      't: .inf',
      'u: -.inf',
      'v: ~',
      'w:',
      'x: Null',
      'y: "123"',
      'z: 2001-12-14t21:59:43.10-05:00',
    ].join('\n');
    expect(parseYamlParameters(text, 'params.yaml')).toEqual({
      a: true,
      b: false,
      c: true,
      d: false,
      e: 'y',
      f: '1e5',
      g: 100000,
      h: '1.5e10',
      i: 1,
      j: 0.5,
      k: 1000,
      l: 511,
      m: '0o17',
      n: 31,
      o: 5,
      p: 90,
      q: 90.5,
      r: '09',
      s: 12,
      t: Infinity,
      u: -Infinity,
      v: null,
      w: null,
      x: null,
      y: '123',
      z: '2001-12-14t21:59:43.10-05:00',
    });
    const special = parseYamlParameters("nan: .NaN\nzero: -0.0\nblock: |\n  lit\n  two\nq: 'it''s'", '-y');
    expect(special).toEqual({ nan: Number.NaN, zero: -0, block: 'lit\ntwo\n', q: "it's" });
    expect(Object.is(special['zero'], -0)).toBe(true);
  });

  it('turns JSON exponents without a dot or sign into strings, as PyYAML does', () => {
    expect(parseYamlParameters('{"a": 1e5, "b": 1.5e+10, "c": 1.0}', 'params.json')).toEqual({ a: '1e5', b: 15000000000, c: 1 });
  });

  it('honours explicit tags PyYAML’s SafeLoader builds', () => {
    expect(parseYamlParameters('i: !!str 123\nj: !!float 1\nk: !!int "7"\nl: ! 12\nm: !!bool "on"\nn: !!null x', '-y')).toEqual({
      i: '123',
      j: 1,
      k: 7,
      l: '12',
      m: true,
      n: null,
    });
  });

  it('applies anchors, aliases and merge keys in PyYAML’s order', () => {
    const text =
      'base: &b {x: 1, y: 2}\nother: {<<: *b, y: 3, z: 4}\nmulti: {<<: [{a: 1, b: 1}, {b: 2, c: 2}], d: 4}\nlist: &l [1, 2]\ncopy: *l';
    const parsed = parseYamlParameters(text, '-y');
    expect(parsed).toEqual({
      base: { x: 1, y: 2 },
      other: { x: 1, y: 3, z: 4 },
      multi: { b: 1, c: 2, a: 1, d: 4 },
      list: [1, 2],
      copy: [1, 2],
    });
    expect(Object.keys(parsed['multi'] as object)).toEqual(['b', 'c', 'a', 'd']);
    expect(parseYamlParameters('=: a', '-y')).toEqual({ '=': 'a' });
  });

  it('names non-string keys with Python’s str() and merges keys equal in Python (1 == 1.0 == True)', () => {
    expect(parseYamlParameters('1: a\ntrue: b\nnull: c\n1.5: d\n2.0: e\n"s": f', '-y')).toEqual({
      1: 'b',
      None: 'c',
      '1.5': 'd',
      '2.0': 'e',
      s: 'f',
    });
    expect(parseYamlParameters('{1: a, 1.0: b, true: c}', '-y')).toEqual({ 1: 'c' });
    const duplicate = parseYamlParameters('{b: 1, a: 2, b: 3}', '-y');
    expect(duplicate).toEqual({ b: 3, a: 2 });
    expect(Object.keys(duplicate)).toEqual(['b', 'a']);
    expect(translateParameters('python', parseYamlParameters('outer: {1: x, 2.5: y, false: z}', '-y'))).toBe(
      '# Parameters\nouter = {"1": "x", "2.5": "y", "False": "z"}\n',
    );
  });

  it('keeps a __proto__ key as a parameter', () => {
    const parsed = parseYamlParameters('__proto__: 1', '-y');
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(translateParameters('python', parsed)).toBe('# Parameters\n__proto__ = 1\n');
  });

  it('treats an empty or null document as no parameters (papermill’s `or {}`)', () => {
    expect(parseYamlParameters('', '-y')).toEqual({});
    expect(parseYamlParameters('~', '-y')).toEqual({});
    expect(parseYamlParameters('# only a comment\n', 'params.yaml')).toEqual({});
  });

  it('requires a mapping and says which input is wrong', () => {
    expect(() => parseYamlParameters('- 1\n- 2', 'params.yaml')).toThrow(InvalidInputError);
    expect(() => parseYamlParameters('- 1\n- 2', 'params.yaml')).toThrow('params.yaml must be a YAML mapping of parameter names to values');
    expect(() => parseYamlParameters('foo', '-y')).toThrow(/-y must be a YAML mapping .* not the scalar "foo"/);
    expect(() => parseYamlParameters('a: [1, 2', 'params.yaml')).toThrow(/^params\.yaml is not valid YAML: /);
    expect(() => parseYamlParameters('a: b: c', '-y')).toThrow(/-y is not valid YAML/);
    expect(() => parseYamlParameters('a: 1\n---\nb: 2', '-y')).toThrow(/multiple documents/);
  });

  it('refuses what PyYAML’s SafeLoader refuses, and integers it cannot carry exactly', () => {
    expect(() => parseYamlParameters('a: =', '-y')).toThrow(/-y: a is a bare "="/);
    expect(() => parseYamlParameters('x: !foo bar', '-y')).toThrow(/x has the tag !foo/);
    expect(() => parseYamlParameters('{[1]: a}', '-y')).toThrow(/unhashable key/);
    expect(() => parseYamlParameters('a: {b: [1, 99999999999999999999]}', '-y')).toThrow(/-y: a\.b\[1\] is an integer too large/);
    expect(() => parseYamlParameters('a: &x [*x]', '-y')).toThrow(/refers to itself/);
  });
});
