/**
 * Golden tests for papermill-compatible parameters. Each expectation follows papermill 2.x (nteract/papermill):
 * - translateParameters: papermill/translators.py (Translator.codify / translate_escaped_str, PythonTranslator,
 *   RTranslator) and its cases in papermill/tests/test_translators.py (test_translate_type_python,
 *   test_translate_codify_python, test_translate_type_r, test_translate_codify_r incl. "___foo" → "foo");
 * - parseCliValue: papermill/cli.py (_resolve_type, _is_int, _is_float) and papermill/tests/test_cli.py
 *   (test_resolve_type);
 * - parseYamlParameters: papermill/cli.py (`yaml.load(...) or {}` for -y) and papermill/iorw.py (read_yaml_file,
 *   NoDatesSafeLoader: PyYAML's SafeLoader without the timestamp resolver); papermill/tests/parameters/example.yaml
 *   and papermill/tests/test_cli.py (test_parameters_yaml, test_parameters_file);
 * - injectParameters: papermill/parameterize.py (parameterize_notebook), papermill/utils.py
 *   (find_first_tagged_cell_index) and papermill/tests/test_parameterize.py; metadata.papermill as
 *   papermill/iorw.py load_notebook_node creates it;
 * - parameterLanguage: papermill/utils.py (nb_language, nb_kernel_name) and translators.py find_translator;
 * - declaredParameters: in the spirit of PythonTranslator.inspect (papermill/tests/test_translators.py
 *   test_inspect_python cases), returning Berth's {name, literal, value}.
 * Python-side values (repr of floats, str.encode('unicode_escape'), int()/float(), PyYAML results) were checked
 * against CPython 3.11 and PyYAML 6.
 */
import { InvalidInputError } from '../../../gateway/src/common/errors';
import type { Notebook, NotebookCell } from '../../../gateway/src/runner/notebook';
import {
  declaredParameters,
  injectParameters,
  parameterLanguage,
  parseCliValue,
  parseYamlParameters,
  translateParameters,
  type Parameters,
} from '../../../gateway/src/runner/parameters';

function code(source: string, tags: string[] = [], id?: string): NotebookCell {
  return { ...(id ? { id } : {}), cell_type: 'code', source, metadata: tags.length ? { tags } : {}, outputs: [], execution_count: null };
}

function notebook(cells: NotebookCell[], minor = 5, metadata: Record<string, unknown> = {}): Notebook {
  return { nbformat: 4, nbformat_minor: minor, metadata, cells };
}

describe('translateParameters', () => {
  // Every JSON/YAML type, with the escaping and float forms of translators.py.
  const everyType: Parameters = {
    text: 'plain',
    quoted: 'say "hi" and \'bye\'',
    backslash: 'C:\\temp\\new',
    escaped_quote: 'a\\"b',
    lines: 'one\ntwo\r\n\tthree',
    unicode: 'caf\u00e9 \u2615 \u{1f60d}',
    control: '\x00\x1b\x7f',
    integer: 42,
    negative: -7,
    zero: 0,
    float: 3.14,
    tiny: 0.00001,
    small: 0.0001,
    huge: 1e16,
    big: 1234567890123456.5,
    precise: 0.1 + 0.2,
    negative_zero: -0,
    nan: Number.NaN,
    inf: Infinity,
    ninf: -Infinity,
    yes: true,
    no: false,
    nothing: null,
    items: [1, 'two', 3.5, null, true],
    empty_list: [],
    empty_dict: {},
    mapping: { 'a key': 'v', 'quote"key': 1, nested: { deep: [1, { x: 'y' }], flag: false } },
  };

  it('writes papermill’s Python source for every type', () => {
    expect(translateParameters('python', everyType)).toBe(
      [
        '# Parameters',
        'text = "plain"',
        `quoted = "say \\"hi\\" and 'bye'"`,
        'backslash = "C:\\\\temp\\\\new"',
        'escaped_quote = "a\\\\\\"b"',
        'lines = "one\\ntwo\\r\\n\\tthree"',
        'unicode = "caf\\xe9 \\u2615 \\U0001f60d"',
        'control = "\\x00\\x1b\\x7f"',
        'integer = 42',
        'negative = -7',
        'zero = 0',
        'float = 3.14',
        'tiny = 1e-05',
        'small = 0.0001',
        'huge = 1e+16',
        'big = 1234567890123456.5',
        'precise = 0.30000000000000004',
        'negative_zero = -0.0',
        "nan = float('nan')",
        "inf = float('inf')",
        "ninf = float('-inf')",
        'yes = True',
        'no = False',
        'nothing = None',
        'items = [1, "two", 3.5, None, True]',
        'empty_list = []',
        'empty_dict = {}',
        'mapping = {"a key": "v", "quote\\"key": 1, "nested": {"deep": [1, {"x": "y"}], "flag": False}}',
        '',
      ].join('\n'),
    );
  });

  it('writes papermill’s R source for every type (nan/inf stay Python’s str(), as RTranslator keeps them)', () => {
    expect(translateParameters('r', everyType)).toBe(
      [
        '# Parameters',
        'text = "plain"',
        `quoted = "say \\"hi\\" and 'bye'"`,
        'backslash = "C:\\\\temp\\\\new"',
        'escaped_quote = "a\\\\\\"b"',
        'lines = "one\\ntwo\\r\\n\\tthree"',
        'unicode = "caf\\xe9 \\u2615 \\U0001f60d"',
        'control = "\\x00\\x1b\\x7f"',
        'integer = 42',
        'negative = -7',
        'zero = 0',
        'float = 3.14',
        'tiny = 1e-05',
        'small = 0.0001',
        'huge = 1e+16',
        'big = 1234567890123456.5',
        'precise = 0.30000000000000004',
        'negative_zero = -0.0',
        'nan = nan',
        'inf = inf',
        'ninf = -inf',
        'yes = TRUE',
        'no = FALSE',
        'nothing = NULL',
        'items = list(1, "two", 3.5, NULL, TRUE)',
        'empty_list = list()',
        'empty_dict = list()',
        'mapping = list("a key" = "v", "quote\\"key" = 1, "nested" = list("deep" = list(1, list("x" = "y")), "flag" = FALSE))',
        '',
      ].join('\n'),
    );
  });

  it('matches papermill’s own translator cases (test_translators.py)', () => {
    const cases: [Parameters, string, string][] = [
      [{ foo: 'bar' }, 'foo = "bar"', 'foo = "bar"'],
      [{ foo: '{"foo": "bar"}' }, 'foo = "{\\"foo\\": \\"bar\\"}"', 'foo = "{\\"foo\\": \\"bar\\"}"'],
      [{ foo: { foo: '"bar"' } }, 'foo = {"foo": "\\"bar\\""}', 'foo = list("foo" = "\\"bar\\"")'],
      [{ foo: [{ foo: 'bar' }] }, 'foo = [{"foo": "bar"}]', 'foo = list(list("foo" = "bar"))'],
      [{ foo: 12345 }, 'foo = 12345', 'foo = 12345'],
      [{ foo: -54321 }, 'foo = -54321', 'foo = -54321'],
      [{ foo: 1.2345 }, 'foo = 1.2345', 'foo = 1.2345'],
      [{ foo: -5432.1 }, 'foo = -5432.1', 'foo = -5432.1'],
      [{ foo: 1.1 }, 'foo = 1.1', 'foo = 1.1'],
      [{ foo: ['bar', 'baz'] }, 'foo = ["bar", "baz"]', 'foo = list("bar", "baz")'],
      [{ foo: 'bar', baz: ['buz'] }, 'foo = "bar"\nbaz = ["buz"]', 'foo = "bar"\nbaz = list("buz")'],
    ];
    for (const [parameters, python, r] of cases) {
      expect(translateParameters('python', parameters)).toBe(`# Parameters\n${python}\n`);
      expect(translateParameters('r', parameters)).toBe(`# Parameters\n${r}\n`);
    }
    expect(translateParameters('python', {})).toBe('# Parameters\n');
  });

  it('drops leading underscores from R names and nothing else (RTranslator.assign)', () => {
    expect(translateParameters('r', { ___foo: 5, _private: 1, 'my.var': 3, a_b: 4, _: 5 })).toBe(
      '# Parameters\nfoo = 5\nprivate = 1\nmy.var = 3\na_b = 4\n = 5\n',
    );
    // Python names are written as given, whatever they are.
    expect(translateParameters('python', { _private: 1, 'my var': 2 })).toBe('# Parameters\n_private = 1\nmy var = 2\n');
  });

  it('uses Python’s float repr: exponent when the decimal point is beyond 16 digits or before 4 zeros', () => {
    const floats: [number, string][] = [
      [0.5, '0.5'],
      [0.001, '0.001'],
      [1e-7, '1e-07'],
      [-1e-7, '-1e-07'],
      [1.5e-7, '1.5e-07'],
      [5e-324, '5e-324'],
      [1e22, '1e+22'],
      [1.2345678901234568e18, '1.2345678901234568e+18'],
      [1.2345678901234568e17, '1.2345678901234568e+17'],
      [9007199254740994, '9007199254740994.0'],
    ];
    for (const [value, text] of floats) expect(translateParameters('python', { x: value })).toBe(`# Parameters\nx = ${text}\n`);
  });

  it('writes a float with an integral value as an int (a JavaScript number cannot say 1.0; papermill writes 1.0)', () => {
    expect(translateParameters('python', { x: 1.0 })).toBe('# Parameters\nx = 1\n');
  });

  it('refuses values that are not parameters, and unknown languages', () => {
    expect(() => translateParameters('python', { x: undefined } as unknown as Parameters)).toThrow(/Parameter x is undefined/);
    expect(() => translateParameters('python', { x: { when: new Date(0) } } as unknown as Parameters)).toThrow(InvalidInputError);
    expect(() => translateParameters('julia' as 'r', { x: 1 })).toThrow(/no parameter translator for "julia"/);
  });
});

describe('parseCliValue', () => {
  it('types values as papermill’s _resolve_type does (test_cli.py cases)', () => {
    expect(parseCliValue('True')).toBe(true);
    expect(parseCliValue('False')).toBe(false);
    expect(parseCliValue('None')).toBeNull();
    expect(parseCliValue('12.51')).toBe(12.51);
    expect(parseCliValue('10')).toBe(10);
    expect(parseCliValue('hello world')).toBe('hello world');
    expect(parseCliValue('😍')).toBe('😍');
    expect(parseCliValue('-23.2')).toBe(-23.2);
  });

  it('follows Python’s int() and float(): exact True/False/None, whitespace, underscores, inf and nan', () => {
    const cases: [string, unknown][] = [
      ['true', 'true'],
      ['none', 'none'],
      [' True', ' True'],
      [' 5 ', 5],
      ['+5', 5],
      ['007', 7],
      ['1_000', 1000],
      ['-0', 0],
      ['.5', 0.5],
      ['5.', 5],
      ['1_0.5', 10.5],
      ['1e3', 1000],
      ['nan', Number.NaN],
      ['-inf', -Infinity],
      ['Infinity', Infinity],
      ['0x10', '0x10'],
      ['1.5.2', '1.5.2'],
      ['1__0', '1__0'],
      ['', ''],
    ];
    for (const [raw, expected] of cases) expect([raw, parseCliValue(raw)]).toEqual([raw, expected]);
    expect(Object.is(parseCliValue('-0'), 0)).toBe(true);
    expect(Object.is(parseCliValue('-0.0'), -0)).toBe(true);
  });

  it('feeds the translators as papermill’s values do', () => {
    const parameters = { a: parseCliValue('True'), b: parseCliValue('None'), c: parseCliValue('12.51'), d: parseCliValue('nan') };
    expect(translateParameters('python', parameters)).toBe("# Parameters\na = True\nb = None\nc = 12.51\nd = float('nan')\n");
  });

  it('refuses integers a number cannot hold exactly instead of rounding them', () => {
    expect(() => parseCliValue('99999999999999999999')).toThrow(InvalidInputError);
    expect(() => parseCliValue('99999999999999999999')).toThrow(/too large to pass exactly/);
    expect(parseCliValue('9007199254740991')).toBe(9007199254740991);
    expect(parseCliValue('1e20')).toBe(1e20); // a float in Python too
  });
});

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

describe('injectParameters', () => {
  const parameters: Parameters = { msg: 'Hello', n: 3 };
  const source = '# Parameters\nmsg = "Hello"\nn = 3\n';

  it('inserts the injected cell right after the first parameters cell', () => {
    const input = notebook([
      code('import os', [], 'c0'),
      code('msg = "x"', ['parameters', 'some tag'], 'c1'),
      code('print(msg)', [], 'c2'),
    ]);
    const output = injectParameters(input, parameters, 'python');
    expect(output.cells.map((cell) => cell.id)).toEqual(['c0', 'c1', output.cells[2]!.id, 'c2']);
    const injected = output.cells[2]!;
    expect(injected).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}$/),
      cell_type: 'code',
      execution_count: null,
      metadata: { tags: ['injected-parameters'] },
      outputs: [],
      source,
    });
    // Tags are not copied from the parameters cell (test_no_tag_copying).
    expect(output.cells[1]!.metadata).toEqual({ tags: ['parameters', 'some tag'] });
  });

  it('injects at the top when no cell is tagged parameters', () => {
    const output = injectParameters(notebook([code('a = 1'), code('b = 2')]), parameters, 'r');
    expect(output.cells).toHaveLength(3);
    expect(output.cells[0]!.metadata).toEqual({ tags: ['injected-parameters'] });
    expect(output.cells[0]!.source).toBe('# Parameters\nmsg = "Hello"\nn = 3\n');
  });

  it('replaces the first injected-parameters cell where it stands (a re-run keeps one injected cell)', () => {
    const first = injectParameters(notebook([code('x = 1', ['parameters']), code('y = 2')]), { x: 5 }, 'python');
    const second = injectParameters(first, { x: 6 }, 'python');
    expect(second.cells.map((cell) => cellTagsOf(cell))).toEqual([['parameters'], ['injected-parameters'], []]);
    expect(second.cells[1]!.source).toBe('# Parameters\nx = 6\n');

    // papermill replaces the first injected cell in place, even when it is not after the parameters cell,
    // and leaves any later injected cells alone.
    const odd = notebook([
      code('old = 1', ['injected-parameters'], 'i0'),
      code('x = 1', ['parameters'], 'p0'),
      code('old = 2', ['injected-parameters'], 'i1'),
    ]);
    const output = injectParameters(odd, { x: 7 }, 'python');
    expect(output.cells.map((cell) => cell.source)).toEqual(['# Parameters\nx = 7\n', 'x = 1', 'old = 2']);
    expect(output.cells[0]!.id).not.toBe('i0');
  });

  it('gives the new cell an id only from nbformat 4.5, never one already used', () => {
    const old = injectParameters(notebook([code('x = 1', ['parameters'])], 4), parameters, 'python');
    expect(old.cells[1]).not.toHaveProperty('id');
    expect(old.nbformat_minor).toBe(4);
    const ids = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      const output = injectParameters(notebook([code('x = 1', ['parameters'], 'p')]), parameters, 'python');
      ids.add(output.cells[1]!.id!);
      expect(output.cells[1]!.id).not.toBe('p');
    }
    expect(ids.size).toBeGreaterThan(1);
  });

  it('records the parameters in metadata.papermill and leaves the input untouched', () => {
    const input = notebook([code('x = 1', ['parameters'])], 5, { kernelspec: { name: 'python3', language: 'python' } });
    const given: Parameters = { x: 2, nested: { list: [1] } };
    const before = structuredClone(input);
    const output = injectParameters(input, given, 'python');
    expect(input).toEqual(before);
    expect(output.metadata).toEqual({
      kernelspec: { name: 'python3', language: 'python' },
      papermill: { default_parameters: {}, parameters: { x: 2, nested: { list: [1] } }, environment_variables: {} },
    });
    (given['nested'] as { list: number[] }).list.push(2);
    expect((output.metadata['papermill'] as { parameters: Parameters }).parameters).toEqual({ x: 2, nested: { list: [1] } });
    output.cells[0]!.metadata['tags'] = [];
    expect(input.cells[0]!.metadata).toEqual({ tags: ['parameters'] });
  });

  it('keeps existing papermill metadata and replaces its parameters', () => {
    const input = notebook([code('x = 1', ['parameters'])], 5, {
      papermill: { parameters: { x: 1 }, version: '2.6.0', input_path: 'in.ipynb' },
    });
    const output = injectParameters(input, { x: 3 }, 'python');
    expect(output.metadata['papermill']).toEqual({ parameters: { x: 3 }, version: '2.6.0', input_path: 'in.ipynb' });
    expect((input.metadata['papermill'] as { parameters: Parameters }).parameters).toEqual({ x: 1 });
  });
});

function cellTagsOf(cell: NotebookCell): unknown {
  return cell.metadata['tags'] ?? [];
}

describe('parameterLanguage', () => {
  const withMetadata = (metadata: Record<string, unknown>): Notebook => notebook([], 5, metadata);

  it('reads language_info.name, then kernelspec.language', () => {
    expect(parameterLanguage(withMetadata({ language_info: { name: 'python' }, kernelspec: { name: 'python3' } }))).toBe('python');
    expect(parameterLanguage(withMetadata({ kernelspec: { name: 'ir', language: 'R' } }))).toBe('r');
    expect(parameterLanguage(withMetadata({ language_info: { name: 'R' } }))).toBe('r');
  });

  it('looks the kernel name up first, as find_translator does', () => {
    expect(parameterLanguage(withMetadata({ kernelspec: { name: 'sparkrkernel', language: 'scala' } }))).toBe('r');
    expect(parameterLanguage(withMetadata({ kernelspec: { name: 'pysparkkernel' } }))).toBe('python');
  });

  it('falls back on kernel names when no language is recorded', () => {
    expect(parameterLanguage(withMetadata({ kernelspec: { name: 'ir' } }))).toBe('r');
    expect(parameterLanguage(withMetadata({ kernelspec: { name: 'python3' } }))).toBe('python');
  });

  it('names the language it cannot translate', () => {
    expect(() => parameterLanguage(withMetadata({ kernelspec: { name: 'julia-1.10', language: 'julia' } }))).toThrow(InvalidInputError);
    expect(() => parameterLanguage(withMetadata({ language_info: { name: 'julia' } }))).toThrow(/language is "julia"/);
    expect(() => parameterLanguage(withMetadata({ kernelspec: { name: 'bash' } }))).toThrow(/kernel "bash" records no language/);
    expect(() => parameterLanguage(withMetadata({}))).toThrow(/records no language/);
  });
});

describe('declaredParameters', () => {
  it('returns nothing without a parameters cell', () => {
    expect(declaredParameters(notebook([code('x = 1')]), 'python')).toEqual([]);
  });

  it('matches papermill’s inspect cases (test_translators.py test_inspect_python)', () => {
    const cases: [string, { name: string; literal: string; value?: unknown }[]][] = [
      ['a = 2', [{ name: 'a', literal: '2', value: 2 }]],
      ['a: int = 2', [{ name: 'a', literal: '2', value: 2 }]],
      ['a = 2 # type:int', [{ name: 'a', literal: '2', value: 2 }]],
      ['a = False # Nice variable a', [{ name: 'a', literal: 'False', value: false }]],
      ['a: float = 2.258 # type: int Nice variable a', [{ name: 'a', literal: '2.258', value: 2.258 }]],
      ["a = 'this is a string' # type: int Nice variable a", [{ name: 'a', literal: "'this is a string'", value: 'this is a string' }]],
      [
        "a: List[str] = ['this', 'is', 'a', 'string', 'list'] # Nice variable a",
        [{ name: 'a', literal: "['this', 'is', 'a', 'string', 'list']" }],
      ],
    ];
    for (const [source, expected] of cases) {
      expect(declaredParameters(notebook([code(source, ['parameters'])]), 'python')).toEqual(expected);
    }
  });

  it('reads the top-level Python assignments of the first parameters cell', () => {
    const source = [
      '# Parameters for the run',
      'alpha = 0.1  # learning rate',
      'epochs: int = 10',
      'name = "world"  # type: str',
      "raw_path = r'C:\\temp'",
      "msg = 'it\\'s # not a comment'",
      'flag = True',
      'nothing = None',
      'neg = -2.5e-3',
      'big = 12345678901234567890',
      'hexed = 0x_ff',
      'items = [',
      "    'a',  # first",
      "    'b',",
      ']',
      'config = dict(x=1)',
      'f = lambda x=1: x',
      'if debug:',
      '    hidden = 1',
      'else: other = 2',
      'a = b = 3',
      'x.y = 4',
      'count += 1',
      'same = a == b',
      '%matplotlib inline',
      'one = 1; two = "2"',
      'text = """multi',
      'line = 5"""',
    ].join('\n');
    const cells = [code('first = 0'), code(source, ['parameters']), code('later = 1', ['parameters'])];
    expect(declaredParameters(notebook(cells), 'python')).toEqual([
      { name: 'alpha', literal: '0.1', value: 0.1 },
      { name: 'epochs', literal: '10', value: 10 },
      { name: 'name', literal: '"world"', value: 'world' },
      { name: 'raw_path', literal: "r'C:\\temp'", value: 'C:\\temp' },
      { name: 'msg', literal: "'it\\'s # not a comment'", value: "it's # not a comment" },
      { name: 'flag', literal: 'True', value: true },
      { name: 'nothing', literal: 'None', value: null },
      { name: 'neg', literal: '-2.5e-3', value: -0.0025 },
      { name: 'big', literal: '12345678901234567890' },
      { name: 'hexed', literal: '0x_ff', value: 255 },
      { name: 'items', literal: "[\n    'a',  \n    'b',\n]" },
      { name: 'config', literal: 'dict(x=1)' },
      { name: 'f', literal: 'lambda x=1: x' },
      { name: 'same', literal: 'a == b' },
      { name: 'one', literal: '1', value: 1 },
      { name: 'two', literal: '"2"', value: '2' },
      { name: 'text', literal: '"""multi\nline = 5"""', value: 'multi\nline = 5' },
    ]);
  });

  it('reads R assignments with <- and =, and skips blocks', () => {
    const source = [
      '# defaults',
      'alpha <- 0.1',
      'epochs = 10L',
      'name <- "world" # comment',
      "quoted <- 'it\\'s'",
      'flag <- TRUE',
      'nothing <- NULL',
      'mask <- 0xFF',
      'neg <- -1.5e3',
      'items <- c(',
      '  "a", # first',
      '  "b"',
      ')',
      'if (debug) {',
      '  hidden <- 1',
      '}',
      "`odd name` <- 'x'",
      'f <- function(x) { x + 1 }',
      'total <-',
      '  5',
      'g <<- 2',
      'a <- b <- 3',
      'missing <- NA',
      'cmp <- a <= b',
    ].join('\n');
    expect(declaredParameters(notebook([code(source, ['parameters'])]), 'r')).toEqual([
      { name: 'alpha', literal: '0.1', value: 0.1 },
      { name: 'epochs', literal: '10L', value: 10 },
      { name: 'name', literal: '"world"', value: 'world' },
      { name: 'quoted', literal: "'it\\'s'", value: "it's" },
      { name: 'flag', literal: 'TRUE', value: true },
      { name: 'nothing', literal: 'NULL', value: null },
      { name: 'mask', literal: '0xFF', value: 255 },
      { name: 'neg', literal: '-1.5e3', value: -1500 },
      { name: 'items', literal: 'c(\n  "a", \n  "b"\n)' },
      { name: 'odd name', literal: "'x'", value: 'x' },
      { name: 'f', literal: 'function(x) { x + 1 }' },
      { name: 'total', literal: '5', value: 5 },
      { name: 'g', literal: '2', value: 2 },
      { name: 'missing', literal: 'NA' },
      { name: 'cmp', literal: 'a <= b' },
    ]);
  });

  it('reads a cell whose source is a list of lines', () => {
    const cell: NotebookCell = { cell_type: 'code', source: ['x = 1\n', 'y = "two"\n'], metadata: { tags: ['parameters'] } };
    expect(declaredParameters(notebook([cell]), 'python')).toEqual([
      { name: 'x', literal: '1', value: 1 },
      { name: 'y', literal: '"two"', value: 'two' },
    ]);
  });
});
