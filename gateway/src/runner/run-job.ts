import type { KernelFiles } from './kernel-files';
import type { KernelLink } from './kernel-link';
import type { Notebook } from './notebook';
import type { RunFailure, RunRecord, RunRequest } from './run';
import type { RunFiles } from './run-files';
import type { RunLogEntry } from './run-log';
import type { RunStop } from './run-stop';

/** What a kind of run (notebook, recipe, ML) gets to do its work, once its kernel is ready. */
export interface RunJobContext {
  readonly run: RunRecord;
  readonly request: RunRequest;
  readonly link: KernelLink;
  readonly files: KernelFiles;
  readonly runFiles: RunFiles;
  /** Aborted with a RunStop: cancel, whole-run timeout, kernel death. */
  readonly signal: AbortSignal;
  readonly interrupt: () => Promise<void>;
  readonly output: (stream: 'stdout' | 'stderr' | 'system', text: string) => void;
  readonly progress: (progress: Omit<Extract<RunLogEntry, { type: 'progress' }>, 'type' | 'at'>) => void;
  /** Called with the output notebook as the run goes (an in-process caller writes it out too). */
  readonly onNotebook?: (notebook: Notebook) => void;
}

export interface RunJobOutcome {
  readonly failure?: RunFailure;
  readonly stop?: RunStop;
}

/** Each kind's work: runs in the kernel's working directory, after the inputs are staged. */
export type RunJob = (context: RunJobContext) => Promise<RunJobOutcome>;
