import { parseLiteral, type LiteralValue, type ParameterLanguage } from './literals';

/**
 * A notebook's parameters, papermill style: the assignments in the first code cell tagged
 * `parameters`. Only top-level `name = literal` statements (Python; annotations allowed) and
 * `name <- literal` / `name = literal` (R) count; anything else in the cell is left alone.
 */

export const PARAMETERS_TAG = 'parameters';

export interface NotebookParameter {
  readonly name: string;
  /** The assigned expression as written, comments removed. */
  readonly literal: string;
  /** Its value when the expression is a literal (see literals.ts). */
  readonly value?: LiteralValue;
}

/** The fields of an nbformat 4 notebook these functions read. */
export interface NotebookLike {
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly cells?: readonly {
    readonly cell_type?: string;
    readonly source?: string | readonly string[];
    readonly metadata?: Readonly<Record<string, unknown>>;
  }[];
}

/** The notebook's language for parameters: from its kernelspec, else from language_info. */
export function notebookLanguage(notebook: NotebookLike): ParameterLanguage | undefined {
  const kernelspec = notebook.metadata?.['kernelspec'] as { language?: unknown } | undefined;
  const info = notebook.metadata?.['language_info'] as { name?: unknown } | undefined;
  for (const candidate of [kernelspec?.language, info?.name]) {
    if (typeof candidate !== 'string') continue;
    const name = candidate.toLowerCase();
    if (name === 'python' || name === 'python3') return 'python';
    if (name === 'r') return 'r';
  }
  return undefined;
}

/** The source of the first code cell tagged `parameters`, or undefined when there is none. */
export function parametersSource(notebook: NotebookLike): string | undefined {
  for (const cell of notebook.cells ?? []) {
    const tags = cell.metadata?.['tags'];
    if (cell.cell_type !== 'code' || !Array.isArray(tags) || !tags.includes(PARAMETERS_TAG)) continue;
    return Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '');
  }
  return undefined;
}

interface Statement {
  readonly text: string;
  readonly indent: number;
}

/**
 * Splits source into statements: at newlines outside brackets and strings, and at `;`. Comments
 * are dropped. Each statement remembers the indentation of its first line (Python blocks).
 */
export function splitStatements(source: string, language: ParameterLanguage): Statement[] {
  const statements: Statement[] = [];
  let text = '';
  let indent = 0;
  let depth = 0;
  let quote = '';
  let lineStart = true;
  const end = (): void => {
    if (text.trim() !== '') statements.push({ text: text.trim(), indent });
    text = '';
  };
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i]!;
    if (lineStart && quote === '' && depth === 0) {
      end();
      indent = /^[ \t]*/.exec(source.slice(i))![0].replace(/\t/g, '    ').length;
    }
    lineStart = false;
    if (quote !== '') {
      text += char;
      if (char === '\\') {
        text += source[i + 1] ?? '';
        i += 1;
      } else if (source.startsWith(quote, i)) {
        text += quote.slice(1);
        i += quote.length - 1;
        quote = '';
      } else if (char === '\n') lineStart = true;
      continue;
    }
    if (char === '#') {
      const newline = source.indexOf('\n', i);
      i = (newline < 0 ? source.length : newline) - 1;
      continue;
    }
    if (char === '\n') {
      text += char;
      lineStart = true;
      continue;
    }
    if (char === ';' && depth === 0) {
      end();
      continue;
    }
    if ('([{'.includes(char)) depth += 1;
    else if (')]}'.includes(char)) depth = Math.max(0, depth - 1);
    if (char === '"' || char === "'") {
      quote = language === 'python' && source.startsWith(char.repeat(3), i) ? char.repeat(3) : char;
      text += quote;
      i += quote.length - 1;
      continue;
    }
    text += char;
  }
  end();
  return statements;
}

const PYTHON_ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]+)?=(?!=)([\s\S]+)$/;
const R_ASSIGNMENT = /^([A-Za-z][A-Za-z0-9._]*|\.[A-Za-z_.][A-Za-z0-9._]*)\s*(?:<-|=(?!=))([\s\S]+)$/;
const PYTHON_KEYWORDS = new Set([
  'if',
  'elif',
  'else',
  'for',
  'while',
  'with',
  'try',
  'except',
  'finally',
  'def',
  'class',
  'lambda',
  'return',
]);

/** The parameters declared in `source` (a parameters cell), in order. */
export function parseParameters(source: string, language: ParameterLanguage): NotebookParameter[] {
  const statements = splitStatements(source, language);
  if (statements.length === 0) return [];
  const base = Math.min(...statements.map((statement) => statement.indent));
  const found: NotebookParameter[] = [];
  for (const statement of statements) {
    if (statement.indent > base) continue; // inside a block (Python)
    const match = (language === 'python' ? PYTHON_ASSIGNMENT : R_ASSIGNMENT).exec(statement.text);
    if (!match) continue;
    const name = match[1]!;
    const literal = match[2]!.trim();
    if (literal === '' || (language === 'python' && PYTHON_KEYWORDS.has(name))) continue;
    // `a = b = 1` assigns two names: not a simple parameter.
    if ((language === 'python' ? PYTHON_ASSIGNMENT : R_ASSIGNMENT).test(literal) && !parseLiteral(literal, language).ok) continue;
    const parsed = parseLiteral(literal, language);
    found.push(parsed.ok ? { name, literal, value: parsed.value } : { name, literal });
  }
  return found;
}

/** The declared parameters of a notebook (none when it has no parameters cell or no known language). */
export function notebookParameters(notebook: NotebookLike): { language: ParameterLanguage | undefined; parameters: NotebookParameter[] } {
  const language = notebookLanguage(notebook);
  const source = parametersSource(notebook);
  if (!language || source === undefined) return { language, parameters: [] };
  return { language, parameters: parseParameters(source, language) };
}
