import { executeNotebook, pendingNotebook } from './notebook-executor';
import { parseNotebook, serializeNotebook, type Notebook } from './notebook';
import { injectParameters } from './parameters/inject';
import { parameterLanguage } from './parameters/notebook-language';
import type { RunRequest } from './run';
import type { RunFiles } from './run-files';
import type { RunJob } from './run-job';

/** The output notebook's artifact name. */
export const OUTPUT_NOTEBOOK = 'output.ipynb';
/** Writes of the output notebook while the run goes: at most one per interval (and always at the end). */
const WRITE_INTERVAL_MS = 1000;

/** The notebook as it will run: parameters injected as papermill does, paths recorded. */
export function prepareNotebook(raw: Record<string, unknown>, name: string, parameters: Record<string, unknown>): Notebook {
  let notebook = parseNotebook(raw, name);
  if (Object.keys(parameters).length > 0) {
    notebook = injectParameters(notebook, parameters as never, parameterLanguage(notebook));
  }
  const papermill = (notebook.metadata['papermill'] ??= {}) as Record<string, unknown>;
  papermill['input_path'] = name;
  papermill['output_path'] = OUTPUT_NOTEBOOK;
  papermill['parameters'] ??= parameters;
  return notebook;
}

/**
 * The output notebook before the kernel starts: every cell pending. A run that ends before its
 * first cell (timeout, cancel, a kernel that never starts) still leaves its output notebook.
 */
export function writePendingNotebook(request: RunRequest, runFiles: RunFiles, onNotebook?: (notebook: Notebook) => void): void {
  if (request.kind !== 'notebook') return;
  const notebook = pendingNotebook(prepareNotebook(request.notebook, request.notebookName, request.parameters));
  runFiles.saveArtifact(OUTPUT_NOTEBOOK, serializeNotebook(notebook));
  onNotebook?.(notebook);
}

/** A notebook run: cells in order, output notebook written as it goes and at the end. */
export const notebookJob: RunJob = async (context) => {
  if (context.request.kind !== 'notebook') throw new Error('notebookJob needs a notebook run');
  const request = context.request;
  const notebook = prepareNotebook(request.notebook, request.notebookName, request.parameters);
  // Throttled, with a trailing write: changes within the interval are written when it ends, so a
  // long cell still leaves the cells before it on disk.
  let lastWrite = 0;
  let pending: NodeJS.Timeout | undefined;
  let latest = notebook;
  const write = (): void => {
    pending = undefined;
    lastWrite = Date.now();
    context.runFiles.saveArtifact(OUTPUT_NOTEBOOK, serializeNotebook(latest));
    context.onNotebook?.(latest);
  };
  const save = (current: Notebook, force: boolean): void => {
    latest = current;
    if (force) {
      clearTimeout(pending);
      write();
    } else if (!pending) {
      const wait = WRITE_INTERVAL_MS - (Date.now() - lastWrite);
      if (wait <= 0) write();
      else pending = setTimeout(write, wait);
    }
  };
  const result = await executeNotebook(notebook, context.link, {
    signal: context.signal,
    ...(request.cellTimeoutSeconds !== undefined ? { cellTimeoutMs: request.cellTimeoutSeconds * 1000 } : {}),
    interrupt: context.interrupt,
    onProgress: (progress) =>
      context.progress({
        done: progress.codeCellsDone,
        total: progress.codeCells,
        cellIndex: progress.cellIndex,
        phase: progress.phase,
        ...(progress.status ? { status: progress.status } : {}),
        ...(progress.durationMs !== undefined ? { durationMs: progress.durationMs } : {}),
      }),
    onStream: (name, text) => context.output(name, text),
    onChange: (current) => save(current, false),
  }).finally(() => clearTimeout(pending));
  save(result.notebook, true);
  const failure = result.failure;
  if (!failure) return result.stop ? { stop: result.stop } : {};
  return {
    ...(result.stop ? { stop: result.stop } : {}),
    failure: {
      message: result.stop
        ? result.stop.message
        : `Cell ${failure.cellIndex} (In [${failure.executionCount ?? ' '}]) raised ${failure.ename}: ${failure.evalue}`,
      cellIndex: failure.cellIndex,
      executionCount: failure.executionCount,
      ename: failure.ename,
      evalue: failure.evalue,
      traceback: failure.traceback,
    },
  };
};
