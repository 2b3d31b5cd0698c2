import { formatDuration } from './duration';

/**
 * Batch runs as Berth's runs API shows them (gateway/src/runner/run.ts: RunRecord, RunLogEntry),
 * and the rows the runs panel draws from them.
 */

export const RUN_STATUSES = ['queued', 'starting', 'running', 'succeeded', 'failed', 'cancelled', 'timed-out'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const FINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled', 'timed-out']);

export interface RunFailure {
  readonly message: string;
  readonly cellIndex?: number;
  readonly ename?: string;
  readonly evalue?: string;
}

export interface RunRecord {
  readonly id: string;
  readonly kind: 'notebook' | 'recipe' | 'ml';
  readonly name: string;
  readonly status: RunStatus;
  readonly owner: string;
  readonly kernelName: string;
  readonly execConfig: string;
  readonly codeEnv?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly failure?: RunFailure;
}

export type RunLogEntry =
  | { readonly type: 'output'; readonly at: string; readonly stream: 'stdout' | 'stderr' | 'system'; readonly text: string }
  | {
      readonly type: 'progress';
      readonly at: string;
      readonly done: number;
      readonly total: number;
      readonly cellIndex?: number;
      readonly phase: 'start' | 'end';
      readonly status?: string;
      readonly durationMs?: number;
    }
  | { readonly type: 'status'; readonly at: string; readonly status: RunStatus; readonly message?: string };

export function isFinal(status: string): boolean {
  return FINAL.has(status);
}

/** From start to end (or to `now` while it runs); undefined before it starts. */
export function runDurationMs(run: RunRecord, now: number): number | undefined {
  if (!run.startedAt) return undefined;
  const start = Date.parse(run.startedAt);
  const end = run.endedAt ? Date.parse(run.endedAt) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return undefined;
  return Math.max(0, end - start);
}

export interface RunRow {
  readonly id: string;
  readonly name: string;
  readonly status: RunStatus;
  /** "docker-small" or "docker-small · pandas". */
  readonly where: string;
  readonly duration: string;
  readonly canCancel: boolean;
  /** Notebook runs that ended may have an output notebook. */
  readonly mayHaveOutput: boolean;
  /** Tooltip: when it was submitted and, for failures, why. */
  readonly title: string;
}

/** Newest first (ids break ties so the order is stable between refreshes). */
export function sortRuns(runs: readonly RunRecord[]): RunRecord[] {
  return [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

export function runRow(run: RunRecord, now: number): RunRow {
  const duration = runDurationMs(run, now);
  const title = [`${run.name} (${run.id})`, `submitted ${run.createdAt}`, run.failure ? `why: ${run.failure.message}` : '']
    .filter((line) => line !== '')
    .join('\n');
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    where: run.codeEnv ? `${run.execConfig} · ${run.codeEnv}` : run.execConfig,
    duration: duration === undefined ? '' : formatDuration(duration),
    canCancel: !isFinal(run.status),
    mayHaveOutput: run.kind === 'notebook' && (run.status === 'succeeded' || run.status === 'failed' || run.status === 'timed-out'),
    title,
  };
}

/** One log entry as a line of text in the log view. */
export function logLine(entry: RunLogEntry): string {
  switch (entry.type) {
    case 'output':
      return entry.text;
    case 'progress': {
      const cell = entry.cellIndex === undefined ? '' : ` (cell ${entry.cellIndex})`;
      if (entry.phase === 'start') return `▶ ${entry.done + 1}/${entry.total}${cell}\n`;
      const took = entry.durationMs === undefined ? '' : ` in ${formatDuration(entry.durationMs)}`;
      return `✓ ${entry.done}/${entry.total}${cell}${entry.status && entry.status !== 'ok' ? ` ${entry.status}` : ''}${took}\n`;
    }
    case 'status':
      return `— ${entry.status}${entry.message ? `: ${entry.message}` : ''}\n`;
  }
}
