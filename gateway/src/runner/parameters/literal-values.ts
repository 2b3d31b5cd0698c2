import type { ParameterLanguage, ParameterValue } from './parameter-value';
import { PYTHON_FLOAT_TEXT } from './python-numbers';

/** The value of a simple Python or R literal (number, string, bool, None/NULL), as declared-parameters.ts reads it. */

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

export function pythonLiteralValue(literal: string): ParameterValue | undefined {
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

export function rLiteralValue(literal: string): ParameterValue | undefined {
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
