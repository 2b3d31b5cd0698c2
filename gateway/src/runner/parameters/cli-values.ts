import { safeInteger, type ParameterValue } from './parameter-value';
import { pythonFloat } from './python-numbers';

/**
 * Typing of `-p NAME VALUE` values, as papermill 2.x does it: papermill/cli.py `_resolve_type`
 * ("True"/"False"/"None", then int(), then float()).
 */

/** The characters Python's str.strip(), int() and float() treat as whitespace. */
const PYTHON_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PYTHON_STRIP = new RegExp(`^[${PYTHON_SPACE}]+|[${PYTHON_SPACE}]+$`, 'g');
/** What Python's int(text) accepts (base 10, PEP 515 underscores; ASCII digits only here). */
const PYTHON_INT_TEXT = /^[+-]?\d+(?:_\d+)*$/;

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
