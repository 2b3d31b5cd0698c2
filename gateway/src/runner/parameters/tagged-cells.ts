import { cellTags, type NotebookCell } from '../notebook';

/** The cell tags papermill 2.x reads and writes, and its find_first_tagged_cell_index (papermill/utils.py). */

export const INJECTED_TAG = 'injected-parameters';
export const PARAMETERS_TAG = 'parameters';

export function firstTaggedIndex(cells: NotebookCell[], tag: string): number {
  return cells.findIndex((cell) => cellTags(cell).includes(tag));
}
