import { randomUUID } from 'node:crypto';
import { settlesWithin } from '../common/async';
import { BERTH_VERSION } from '../common/version';
import type { ExecuteReply, IopubMessage, KernelLink } from './kernel-link';
import { cellSource, cellTags, type Notebook, type NotebookCell, type NotebookOutput } from './notebook';
import { NotebookOutputs } from './notebook-outputs';
import { RunStop } from './run-stop';

/** The cell failure a run reports, as papermill's PapermillExecutionError carries it. */
export interface CellFailure {
  readonly cellIndex: number;
  readonly executionCount: number | null;
  readonly ename: string;
  readonly evalue: string;
  readonly traceback: readonly string[];
}

export interface NotebookProgress {
  /** Index of the cell in the notebook, and of code cells run so far / in all. */
  readonly cellIndex: number;
  readonly codeCellsDone: number;
  readonly codeCells: number;
  readonly phase: 'start' | 'end';
  readonly status?: 'completed' | 'failed';
  readonly durationMs?: number;
}

export interface NotebookExecution {
  /** Aborted with a RunStop as reason: cancel, whole-run timeout, kernel death. */
  readonly signal: AbortSignal;
  readonly cellTimeoutMs?: number;
  /** Interrupts the kernel (cell timeout, cancel): the running cell stops, the kernel lives. */
  readonly interrupt: () => Promise<void>;
  readonly onProgress?: (progress: NotebookProgress) => void;
  /** Stream text of the cells, as it arrives (the run's log). */
  readonly onStream?: (name: 'stdout' | 'stderr', text: string, cellIndex: number) => void;
  /** After each cell: the notebook as it stands (written out as the run goes). */
  readonly onChange?: (notebook: Notebook) => void;
}

export interface NotebookResult {
  readonly notebook: Notebook;
  readonly stop?: RunStop;
  readonly failure?: CellFailure;
}

/** Tags nbclient and papermill honour: errors expected, cells not run. */
const RAISES_EXCEPTION = 'raises-exception';
const SKIP_EXECUTION = 'skip-execution';
export const ERROR_MARKER_TAG = 'papermill-error-cell-tag';
const ERROR_STYLE = 'color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;';
/** How long an interrupted cell gets to report its KeyboardInterrupt before the run moves on. */
const INTERRUPT_GRACE_MS = 5000;

/** papermill's timestamps: UTC ISO 8601 without a zone suffix (Python's utcnow().isoformat()). */
function papermillTime(date = new Date()): string {
  return `${date.toISOString().slice(0, -1)}000`;
}

/**
 * The notebook as papermill has it before the first cell: every cell `pending`, code cells
 * without outputs or counts. A copy: the input is not changed.
 */
export function pendingNotebook(input: Notebook): Notebook {
  const notebook = structuredClone(input);
  const papermill = ensureObject(notebook.metadata, 'papermill');
  Object.assign(papermill, { start_time: null, end_time: null, duration: null, exception: null });
  papermill['version'] ??= `berth ${BERTH_VERSION}`;
  papermill['parameters'] ??= {};
  papermill['environment_variables'] ??= {};
  for (const cell of notebook.cells) {
    cell.metadata['papermill'] = { exception: null, start_time: null, end_time: null, duration: null, status: 'pending' };
    if (cell.cell_type === 'code') {
      cell.outputs = [];
      cell.execution_count = null;
    }
  }
  return notebook;
}

/**
 * Runs a notebook's cells in order on a kernel, the way papermill does: every cell gets
 * papermill's metadata (status, start and end times, duration, exception), outputs are built as
 * nbclient builds them, the first error stops the run (except in cells tagged `raises-exception`)
 * and is marked at the top of the notebook and before the failing cell. The notebook returned is
 * always complete, whatever stopped the run.
 */
export async function executeNotebook(input: Notebook, link: KernelLink, options: NotebookExecution): Promise<NotebookResult> {
  const notebook = pendingNotebook(input);
  const started = new Date();
  const papermill = notebook.metadata['papermill'] as Record<string, unknown>;
  papermill['start_time'] = papermillTime(started);
  const outputs = new NotebookOutputs((index) => notebook.cells[index]!.outputs as NotebookOutput[]);
  const codeCells = notebook.cells.filter((cell) => cell.cell_type === 'code').length;
  let codeCellsDone = 0;
  let stop: RunStop | undefined;
  let failure: CellFailure | undefined;

  for (let index = 0; index < notebook.cells.length && !stop && !failure; index++) {
    const cell = notebook.cells[index]!;
    const cellStarted = Date.now();
    const meta = cell.metadata['papermill'] as Record<string, unknown>;
    Object.assign(meta, { start_time: papermillTime(new Date(cellStarted)), status: 'running', exception: false });
    options.onProgress?.({ cellIndex: index, codeCellsDone, codeCells, phase: 'start' });
    options.onChange?.(notebook);
    if (options.signal.aborted) {
      stop = RunStop.from(options.signal.reason);
    } else if (cell.cell_type === 'code' && cellSource(cell).trim() !== '' && !cellTags(cell).includes(SKIP_EXECUTION)) {
      const outcome = await runCell(notebook, index, link, outputs, options);
      stop = outcome.stop;
      if (outcome.reply?.status === 'error' && !cellTags(cell).includes(RAISES_EXCEPTION))
        failure = cellFailure(cell, index, outcome.reply);
      if (stop && !failure) failure = stopFailure(cell, index, stop);
    }
    if (cell.cell_type === 'code') codeCellsDone++;
    const ended = Date.now();
    const failed = Boolean(failure);
    Object.assign(meta, {
      end_time: papermillTime(new Date(ended)),
      duration: (ended - cellStarted) / 1000,
      exception: failed,
      status: failed ? 'failed' : 'completed',
    });
    options.onProgress?.({
      cellIndex: index,
      codeCellsDone,
      codeCells,
      phase: 'end',
      status: failed ? 'failed' : 'completed',
      durationMs: ended - cellStarted,
    });
    options.onChange?.(notebook);
  }

  const ended = new Date();
  Object.assign(papermill, {
    end_time: papermillTime(ended),
    duration: (ended.getTime() - started.getTime()) / 1000,
    exception: Boolean(failure),
  });
  if (failure) markFailure(notebook, failure);
  return { notebook, ...(stop ? { stop } : {}), ...(failure ? { failure } : {}) };
}

/** Runs one code cell; a timeout or an abort interrupts the kernel and gives the cell a moment to report. */
async function runCell(
  notebook: Notebook,
  index: number,
  link: KernelLink,
  outputs: NotebookOutputs,
  options: NotebookExecution,
): Promise<{ reply?: ExecuteReply; stop?: RunStop }> {
  const cell = notebook.cells[index]!;
  const timing = ensureObject(cell.metadata, 'execution');
  outputs.beginCell();
  const execution = link.execute(cellSource(cell), (message: IopubMessage) => {
    recordTiming(timing, message);
    const count = outputs.apply(index, message);
    if (count !== undefined) cell.execution_count = count;
    if (message.header.msg_type === 'stream') {
      const name = message.content['name'] === 'stderr' ? 'stderr' : 'stdout';
      options.onStream?.(name, String(message.content['text'] ?? ''), index);
    }
  });
  execution.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<RunStop>((resolve) => {
    if (options.cellTimeoutMs !== undefined) {
      const seconds = options.cellTimeoutMs / 1000;
      timer = setTimeout(
        () =>
          resolve(new RunStop('timed-out', `Cell ${index} did not finish within ${seconds} s (the per-cell timeout); it was interrupted.`)),
        options.cellTimeoutMs,
      );
    }
    onAbort = () => resolve(RunStop.from(options.signal.reason));
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([
      execution.then(
        (reply) => ({ reply }),
        (error: unknown) => ({ stop: lostKernel(options.signal, error) }),
      ),
      stopped.then((stop) => ({ stop })),
    ]);
    if ('reply' in first) {
      timing['shell.execute_reply'] = new Date().toISOString();
      return { reply: first.reply };
    }
    if (!first.stop.kernelGone) {
      await options.interrupt().catch(() => undefined);
      await settlesWithin(execution, INTERRUPT_GRACE_MS);
    }
    return { stop: first.stop };
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal.removeEventListener('abort', onAbort);
  }
}

/** The execution ended without a reply (the kernel's connection closed): the run's own reason if it has one. */
export function lostKernel(signal: AbortSignal, error: unknown): RunStop {
  if (signal.aborted) return RunStop.from(signal.reason);
  return new RunStop('failed', `Lost the kernel while the cell ran: ${error instanceof Error ? error.message : String(error)}`, true);
}

/** nbclient's record_timing: when the kernel went busy, took the input and went idle. */
function recordTiming(timing: Record<string, unknown>, message: IopubMessage): void {
  const type = message.header.msg_type;
  if (type === 'execute_input') timing['iopub.execute_input'] = message.header.date;
  else if (type === 'status') {
    const state = message.content['execution_state'];
    if (state === 'busy') timing['iopub.status.busy'] = message.header.date;
    else if (state === 'idle') timing['iopub.status.idle'] = message.header.date;
  }
}

function cellFailure(cell: NotebookCell, index: number, reply: ExecuteReply): CellFailure {
  const error = (cell.outputs ?? []).find((output) => output.output_type === 'error') as Record<string, unknown> | undefined;
  return {
    cellIndex: index,
    executionCount: cell.execution_count ?? null,
    ename: String(error?.['ename'] ?? reply.ename ?? 'Error'),
    evalue: String(error?.['evalue'] ?? reply.evalue ?? ''),
    traceback: (error?.['traceback'] as string[] | undefined) ?? reply.traceback ?? [],
  };
}

/** A stop inside a cell (timeout, cancel, kernel death) is that cell's failure too. */
function stopFailure(cell: NotebookCell, index: number, stop: RunStop): CellFailure {
  return { cellIndex: index, executionCount: cell.execution_count ?? null, ename: stop.ename, evalue: stop.message, traceback: [] };
}

/** papermill's error cells: a red line at the top naming the cell, and an anchor before the failing cell. */
function markFailure(notebook: Notebook, failure: CellFailure): void {
  const anchor: NotebookCell = markdownCell(
    notebook,
    `<span id="papermill-error-cell" style="${ERROR_STYLE}">Execution using papermill encountered an exception here and stopped:</span>`,
  );
  const header: NotebookCell = markdownCell(
    notebook,
    `<span style="${ERROR_STYLE}">An Exception was encountered at '<a href="#papermill-error-cell">In [${failure.executionCount ?? ' '}]</a>'.</span>`,
  );
  notebook.cells.splice(failure.cellIndex, 0, anchor);
  notebook.cells.unshift(header);
}

/** A markdown cell marked as papermill's; with an id only where the notebook's format has cell ids (4.5+). */
function markdownCell(notebook: Notebook, source: string): NotebookCell {
  const id = notebook.nbformat_minor >= 5 ? { id: randomUUID().slice(0, 8) } : {};
  return { cell_type: 'markdown', ...id, source, metadata: { tags: [ERROR_MARKER_TAG] } };
}

function ensureObject(owner: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = owner[key];
  if (existing && typeof existing === 'object' && !Array.isArray(existing)) return existing as Record<string, unknown>;
  const created: Record<string, unknown> = {};
  owner[key] = created;
  return created;
}
