import type { Notebook, NotebookCell } from '../../gateway/src/runner/notebook';

/** A code cell, tagged and with an id when given. */
export function code(source: string, tags: string[] = [], id?: string): NotebookCell {
  return { ...(id ? { id } : {}), cell_type: 'code', source, metadata: tags.length ? { tags } : {}, outputs: [], execution_count: null };
}

/** An nbformat 4 notebook (4.5 unless told) with the cells and metadata given. */
export function notebook(cells: NotebookCell[], minor = 5, metadata: Record<string, unknown> = {}): Notebook {
  return { nbformat: 4, nbformat_minor: minor, metadata, cells };
}
