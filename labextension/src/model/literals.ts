/**
 * Simple Python and R literals, read the way a notebook author writes parameters:
 * numbers, strings, booleans, None/NULL, and (nested) Python lists, tuples and dicts or R
 * `c(...)` and `list(...)`. Anything else is not a literal here (a function call, a name …).
 */

export type ParameterLanguage = 'python' | 'r';

export type LiteralValue = string | number | boolean | null | LiteralValue[] | { [key: string]: LiteralValue };

export type LiteralResult = { readonly ok: true; readonly value: LiteralValue } | { readonly ok: false };

const NOT_A_LITERAL: LiteralResult = { ok: false };

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };

/** A cursor over the text; each read* method returns undefined when the text there is not what it reads. */
class Reader {
  index = 0;

  constructor(
    readonly text: string,
    readonly language: ParameterLanguage,
  ) {}

  skipSpace(): void {
    while (this.index < this.text.length && /\s/.test(this.text[this.index]!)) this.index += 1;
  }

  take(token: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(token, this.index)) return false;
    this.index += token.length;
    return true;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.index >= this.text.length;
  }

  readValue(): LiteralValue | undefined {
    this.skipSpace();
    const rest = this.text.slice(this.index);
    if (this.language === 'python') {
      if (rest.startsWith('[')) return this.readSequence('[', ']');
      if (rest.startsWith('(')) return this.readSequence('(', ')');
      if (rest.startsWith('{')) return this.readDict();
    } else {
      if (/^c\s*\(/.test(rest)) return this.readRCall('c');
      if (/^list\s*\(/.test(rest)) return this.readRCall('list');
    }
    return this.readString() ?? this.readScalarWord();
  }

  /** A quoted string; Python prefixes r/u (raw strings keep backslashes), triple quotes too. */
  readString(): string | undefined {
    const prefix = this.language === 'python' ? /^([rRuU]?)("""|'''|"|')/ : /^()("|')/;
    const match = prefix.exec(this.text.slice(this.index));
    if (!match) return undefined;
    const raw = match[1]!.toLowerCase() === 'r';
    const quote = match[2]!;
    let i = this.index + match[0].length;
    let value = '';
    while (i < this.text.length) {
      if (this.text.startsWith(quote, i)) {
        this.index = i + quote.length;
        return value;
      }
      const char = this.text[i]!;
      if (char === '\n' && quote.length === 1) return undefined;
      if (char === '\\' && i + 1 < this.text.length) {
        const next = this.text[i + 1]!;
        if (raw) value += char + next;
        else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(i + 2, i + 6))) {
          value += String.fromCharCode(parseInt(this.text.slice(i + 2, i + 6), 16));
          i += 4;
        } else value += ESCAPES[next] ?? next;
        i += 2;
        continue;
      }
      value += char;
      i += 1;
    }
    return undefined;
  }

  /** Numbers and the language's constants. */
  readScalarWord(): LiteralValue | undefined {
    // A number (signed, hex/octal/binary, decimal with exponent, R's 10L) or a bare word (True, NULL …).
    const match = /^(?:[+-]?(?:0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?L?)|[A-Za-z_.][\w.]*)/.exec(
      this.text.slice(this.index),
    );
    if (!match) return undefined;
    const word = match[0];
    const value = this.language === 'python' ? pythonScalar(word) : rScalar(word);
    if (value === undefined) return undefined;
    this.index += word.length;
    return value.value;
  }

  readSequence(open: string, close: string): LiteralValue[] | undefined {
    if (!this.take(open)) return undefined;
    const items: LiteralValue[] = [];
    while (!this.take(close)) {
      const item = this.readValue();
      if (item === undefined) return undefined;
      items.push(item);
      if (!this.take(',') && !this.text.startsWith(close, (this.skipSpace(), this.index))) return undefined;
    }
    return items;
  }

  readDict(): { [key: string]: LiteralValue } | undefined {
    if (!this.take('{')) return undefined;
    const dict: { [key: string]: LiteralValue } = {};
    while (!this.take('}')) {
      this.skipSpace();
      const key = this.readString();
      if (key === undefined || !this.take(':')) return undefined;
      const value = this.readValue();
      if (value === undefined) return undefined;
      dict[key] = value;
      if (!this.take(',') && !this.text.startsWith('}', (this.skipSpace(), this.index))) return undefined;
    }
    return dict;
  }

  /** `c(1, 2)` is a vector (an array); `list(a = 1)` with every element named is an object, else an array. */
  readRCall(name: 'c' | 'list'): LiteralValue | undefined {
    this.skipSpace();
    this.index += name.length;
    if (!this.take('(')) return undefined;
    const names: (string | undefined)[] = [];
    const items: LiteralValue[] = [];
    while (!this.take(')')) {
      this.skipSpace();
      const named = /^([A-Za-z.][\w.]*|`[^`]+`)\s*=(?!=)/.exec(this.text.slice(this.index));
      if (named) this.index += named[0].length;
      const item = this.readValue();
      if (item === undefined) return undefined;
      names.push(named ? named[1]!.replace(/^`|`$/g, '') : undefined);
      items.push(item);
      if (!this.take(',') && !this.text.startsWith(')', (this.skipSpace(), this.index))) return undefined;
    }
    if (items.length > 0 && names.every((key) => key !== undefined)) {
      return Object.fromEntries(items.map((item, i) => [names[i]!, item]));
    }
    return items;
  }
}

function pythonScalar(word: string): { value: LiteralValue } | undefined {
  if (word === 'None') return { value: null };
  if (word === 'True') return { value: true };
  if (word === 'False') return { value: false };
  const text = word.replace(/_/g, '');
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(text) || /^[+-]?0[oO][0-7]+$/.test(text) || /^[+-]?0[bB][01]+$/.test(text)) {
    const negative = text.startsWith('-');
    const digits = text.replace(/^[+-]/, '');
    const base = { x: 16, o: 8, b: 2 }[digits[1]!.toLowerCase() as 'x' | 'o' | 'b'];
    const value = parseInt(digits.slice(2), base);
    return { value: negative ? -value : value };
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return { value: Number(text) };
  return undefined;
}

function rScalar(word: string): { value: LiteralValue } | undefined {
  if (word === 'NULL') return { value: null };
  if (word === 'TRUE' || word === 'T') return { value: true };
  if (word === 'FALSE' || word === 'F') return { value: false };
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?L?$/.test(word)) return { value: Number(word.replace(/L$/, '')) };
  return undefined;
}

/** The value of `text` when the whole text is one literal of the language. */
export function parseLiteral(text: string, language: ParameterLanguage): LiteralResult {
  const reader = new Reader(text, language);
  const value = reader.readValue();
  if (value === undefined || !reader.atEnd()) return NOT_A_LITERAL;
  return { ok: true, value };
}

/**
 * What a value typed into the run dialog means: a literal of the notebook's language when it is
 * one (`0.5`, `"a b"`, `True`), otherwise the text itself as a string (people type `sales` and
 * mean the string).
 */
export function inputValue(text: string, language: ParameterLanguage): LiteralValue {
  const parsed = parseLiteral(text, language);
  return parsed.ok ? parsed.value : text.trim();
}
