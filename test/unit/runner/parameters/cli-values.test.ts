/**
 * Golden tests for papermill-compatible parameters. Each expectation follows papermill 2.x (nteract/papermill):
 * - parseCliValue: papermill/cli.py (_resolve_type, _is_int, _is_float) and papermill/tests/test_cli.py
 *   (test_resolve_type).
 * Python-side values (int()/float()) were checked against CPython 3.11.
 */
import { InvalidInputError } from '../../../../gateway/src/common/errors';
import { parseCliValue } from '../../../../gateway/src/runner/parameters/cli-values';
import { translateParameters } from '../../../../gateway/src/runner/parameters/translate';

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
