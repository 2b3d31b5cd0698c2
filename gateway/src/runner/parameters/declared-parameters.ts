import { cellSource, type Notebook } from '../notebook';
import { pythonLiteralValue, rLiteralValue } from './literal-values';
import type { ParameterLanguage, ParameterValue } from './parameter-value';
import { firstTaggedIndex, PARAMETERS_TAG } from './tagged-cells';

/**
 * Declared defaults: the assignments in the `parameters` cell (in the spirit of papermill's
 * PythonTranslator.inspect), for a UI to prefill.
 */

/** One assignment in a notebook's `parameters` cell. */
export interface DeclaredParameter {
  name: string;
  /** The assigned expression's source text, comments removed. */
  literal: string;
  /** The literal's value when it is a simple number, string, bool or None/NULL. */
  value?: ParameterValue;
}

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
