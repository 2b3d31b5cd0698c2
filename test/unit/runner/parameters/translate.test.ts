/**
 * Golden tests for papermill-compatible parameters. Each expectation follows papermill 2.x (nteract/papermill):
 * - translateParameters: papermill/translators.py (Translator.codify / translate_escaped_str, PythonTranslator,
 *   RTranslator) and its cases in papermill/tests/test_translators.py (test_translate_type_python,
 *   test_translate_codify_python, test_translate_type_r, test_translate_codify_r incl. "___foo" → "foo").
 * Python-side values (repr of floats, str.encode('unicode_escape')) were checked against CPython 3.11.
 */
import { InvalidInputError } from '../../../../gateway/src/common/errors';
import type { Parameters } from '../../../../gateway/src/runner/parameters/parameter-value';
import { translateParameters } from '../../../../gateway/src/runner/parameters/translate';

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
