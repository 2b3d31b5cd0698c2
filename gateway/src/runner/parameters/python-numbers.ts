/**
 * Python's float(text) and repr(float) in JavaScript: papermill's `-p` typing, PyYAML's float constructor, the
 * translators and the literals of a `parameters` cell all come down to them.
 */

/** What Python's float(text) accepts, apart from inf/infinity/nan. */
export const PYTHON_FLOAT_TEXT = /^[+-]?(?:(?:\d+(?:_\d+)*)?\.\d+(?:_\d+)*|\d+(?:_\d+)*\.?)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const PYTHON_FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** Python's float(text) on stripped text, or undefined where float() raises ValueError. */
export function pythonFloat(text: string): number | undefined {
  const special = PYTHON_FLOAT_SPECIAL.exec(text);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  return PYTHON_FLOAT_TEXT.test(text) ? Number(text.replace(/_/g, '')) : undefined;
}

/** Python's repr() of a float: shortest round-trip digits, exponent form when decpt <= -4 or > 16. */
export function pythonFloatRepr(value: number): string {
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
