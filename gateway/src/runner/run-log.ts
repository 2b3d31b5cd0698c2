import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunStatus } from './run';

/** What a run's log holds: output lines, progress, status changes; each line of log.ndjson is one. */
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

type Listener = (entry: RunLogEntry) => void;

/**
 * The logs of all runs: appended to each run's log.ndjson as they come (kept after the run) and
 * handed to live followers (SSE, the CLI in process).
 */
export class RunLogs {
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Runs whose folder exists already: one mkdir per run, not per line (a line per cell start and end). */
  private readonly folders = new Set<string>();

  constructor(private readonly pathOf: (runId: string) => string) {}

  append(runId: string, entry: RunLogEntry): void {
    const path = this.pathOf(runId);
    if (!this.folders.has(runId)) {
      mkdirSync(dirname(path), { recursive: true });
      this.folders.add(runId);
    }
    appendFileSync(path, `${JSON.stringify(entry)}\n`);
    for (const listener of this.listeners.get(runId) ?? []) listener(entry);
  }

  /** The run has ended: nothing more is appended (its folder need not be remembered). */
  ended(runId: string): void {
    this.folders.delete(runId);
  }

  /** What the run logged so far. */
  history(runId: string): RunLogEntry[] {
    let text: string;
    try {
      text = readFileSync(this.pathOf(runId), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as RunLogEntry);
  }

  /** Entries from now on; returns the unsubscribe function. */
  follow(runId: string, listener: Listener): () => void {
    const set = this.listeners.get(runId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(runId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(runId);
    };
  }
}
