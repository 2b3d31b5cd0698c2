import { z } from 'zod';
import { InvalidInputError } from '../common/errors';

/**
 * nbformat 4 notebooks, as far as the runner reads and writes them. Unknown fields are kept
 * (passthrough): a notebook comes back with everything it went in with, plus outputs.
 */

const multiline = z.union([z.string(), z.array(z.string())]);

export const outputSchema = z.looseObject({
  output_type: z.enum(['stream', 'display_data', 'execute_result', 'error']),
});

export const cellSchema = z.looseObject({
  cell_type: z.enum(['code', 'markdown', 'raw']),
  id: z.string().optional(),
  source: multiline,
  metadata: z.record(z.string(), z.unknown()).default({}),
  outputs: z.array(outputSchema).optional(),
  execution_count: z.number().int().nullable().optional(),
});

export const notebookSchema = z.looseObject({
  nbformat: z.literal(4, { error: 'only nbformat 4 notebooks can run (convert older ones with `jupyter nbconvert --to notebook`)' }),
  nbformat_minor: z.number().int(),
  metadata: z.record(z.string(), z.unknown()).default({}),
  cells: z.array(cellSchema),
});

export type NotebookOutput = z.infer<typeof outputSchema> & Record<string, unknown>;
export type NotebookCell = z.infer<typeof cellSchema> & { metadata: Record<string, unknown> };
export type Notebook = z.infer<typeof notebookSchema>;

/** A cell's source as one string (nbformat allows a list of lines). */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** The cell's tags (metadata.tags), or none. */
export function cellTags(cell: NotebookCell): string[] {
  const tags = cell.metadata['tags'];
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

/** Parses and validates notebook JSON; `source` names it in errors (a path or "request body"). */
export function parseNotebook(text: string | unknown, source: string): Notebook {
  let json: unknown = text;
  if (typeof text === 'string') {
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new InvalidInputError(`${source} is not a notebook: not JSON (${(error as Error).message}).`);
    }
  }
  const parsed = notebookSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`);
    throw new InvalidInputError(`${source} is not a valid nbformat 4 notebook: ${problems.slice(0, 5).join('; ')}.`, {
      details: { problems },
    });
  }
  return parsed.data;
}

/** The kernel language a notebook declares (metadata.kernelspec.language or language_info.name). */
export function notebookLanguage(notebook: Notebook): string | undefined {
  const spec = notebook.metadata['kernelspec'] as { language?: unknown } | undefined;
  const info = notebook.metadata['language_info'] as { name?: unknown } | undefined;
  const language = typeof spec?.language === 'string' ? spec.language : typeof info?.name === 'string' ? info.name : undefined;
  return language?.toLowerCase();
}

/** Serialises as Jupyter does: one-space indent, trailing newline. */
export function serializeNotebook(notebook: Notebook): string {
  return `${JSON.stringify(notebook, null, 1)}\n`;
}
