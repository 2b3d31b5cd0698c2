import { randomBytes } from 'node:crypto';
import type { Notebook, NotebookCell } from '../notebook';
import type { ParameterLanguage, Parameters } from './parameter-value';
import { firstTaggedIndex, INJECTED_TAG, PARAMETERS_TAG } from './tagged-cells';
import { translateParameters } from './translate';

/** Injection: where papermill 2.x puts the injected cell (papermill/parameterize.py `parameterize_notebook`). */

/** nbformat's random_cell_id (uuid4().hex[:8]), made unique within the notebook. */
function freshCellId(cells: NotebookCell[]): string {
  const taken = new Set(cells.map((cell) => cell.id));
  for (;;) {
    const id = randomBytes(4).toString('hex');
    if (!taken.has(id)) return id;
  }
}

/**
 * papermill's parameterize_notebook: a copy of the notebook with an `injected-parameters` code cell. The cell
 * replaces the first cell already tagged `injected-parameters` (at its position), or else goes right after the
 * first cell tagged `parameters`, or else at the top. metadata.papermill.parameters records the parameters.
 * Like papermill's parameterize_notebook it injects even an empty mapping (papermill's execute_notebook only
 * calls it when there are parameters).
 */
export function injectParameters(notebook: Notebook, parameters: Parameters, language: ParameterLanguage): Notebook {
  const source = translateParameters(language, parameters);
  const result = structuredClone(notebook);
  const cell: NotebookCell = {
    ...(result.nbformat_minor >= 5 ? { id: freshCellId(result.cells) } : {}),
    cell_type: 'code',
    execution_count: null,
    metadata: { tags: [INJECTED_TAG] },
    outputs: [],
    source,
  };
  const injected = firstTaggedIndex(result.cells, INJECTED_TAG);
  const declared = firstTaggedIndex(result.cells, PARAMETERS_TAG);
  if (injected >= 0) result.cells.splice(injected, 1, cell);
  else if (declared >= 0) result.cells.splice(declared + 1, 0, cell);
  else result.cells.unshift(cell);

  const existing = result.metadata['papermill'];
  const papermill =
    typeof existing === 'object' && existing !== null && !Array.isArray(existing)
      ? (existing as Record<string, unknown>)
      : // papermill's load_notebook_node creates this when the notebook has none (plus papermill's version).
        { default_parameters: {}, parameters: {}, environment_variables: {} };
  papermill['parameters'] = structuredClone(parameters);
  result.metadata['papermill'] = papermill;
  return result;
}
