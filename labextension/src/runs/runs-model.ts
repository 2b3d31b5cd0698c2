import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type { BerthClient } from '../api/berth-client';
import { logLine, sortRuns, type RunLogEntry, type RunRecord } from '../model/runs';

/** The newest runs the panel lists (Berth's default is 1000; the panel polls every few seconds). */
export const LIST_LIMIT = 100;

export type RunsState =
  /** No gateway URL yet (or an unusable one): the panel explains how to configure. */
  | { readonly kind: 'unconfigured'; readonly problem: string }
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready' }
  /** The last refresh failed; the runs shown are from before. */
  | { readonly kind: 'error'; readonly message: string };

/**
 * The runs panel's data: the user's runs (refreshed on demand and by polling while the panel is
 * shown), the selected run and its log (history, then live through SSE until the run ends).
 */
export class RunsModel implements IDisposable {
  private client: BerthClient | null = null;
  private status: RunsState = { kind: 'unconfigured', problem: 'The Berth gateway URL is not set.' };
  private records: RunRecord[] = [];
  private selected: string | undefined;
  private logText = '';
  private logFollow: AbortController | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private refreshing: Promise<void> | undefined;
  private disposed = false;
  private readonly signal = new Signal<this, void>(this);
  /** Set when an action (cancel, open) failed; shown until the next action. */
  private notice: string | undefined;

  get changed(): ISignal<this, void> {
    return this.signal;
  }

  get state(): RunsState {
    return this.status;
  }

  get runs(): readonly RunRecord[] {
    return this.records;
  }

  get selectedId(): string | undefined {
    return this.selected;
  }

  get selectedRun(): RunRecord | undefined {
    return this.records.find((run) => run.id === this.selected);
  }

  get log(): string {
    return this.logText;
  }

  get message(): string | undefined {
    return this.notice;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  get connected(): BerthClient | null {
    return this.client;
  }

  /** A new client (settings changed) or none with the reason; the list reloads. */
  setClient(client: BerthClient | null, problem = 'The Berth gateway URL is not set.'): void {
    this.stopFollowing();
    this.client = client;
    this.records = [];
    this.selected = undefined;
    this.logText = '';
    this.notice = undefined;
    this.status = client ? { kind: 'loading' } : { kind: 'unconfigured', problem };
    this.emit();
    if (client) void this.refresh();
  }

  /** Reloads the list; concurrent calls share one request. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Refreshes every `seconds` until stopPolling (the panel polls only while it is visible). */
  startPolling(seconds: number): void {
    this.stopPolling();
    this.timer = setInterval(() => void this.refresh(), Math.max(1, seconds) * 1000);
  }

  stopPolling(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Selects a run and follows its log; undefined closes the log. Resolves when the log stream ends. */
  async select(id: string | undefined): Promise<void> {
    this.stopFollowing();
    this.selected = id;
    this.logText = '';
    this.notice = undefined;
    this.emit();
    if (!id || !this.client) return;
    const client = this.client;
    const follow = new AbortController();
    this.logFollow = follow;
    try {
      const final = await client.followRunLog(
        id,
        (entry: RunLogEntry) => {
          if (follow.signal.aborted) return;
          this.logText += logLine(entry);
          this.emit();
        },
        follow.signal,
      );
      if (final && !follow.signal.aborted) this.upsert(final);
    } catch (error) {
      if (!follow.signal.aborted) {
        this.notice = `The log of ${id} could not be read: ${errorText(error)}`;
        this.emit();
      }
    }
  }

  async cancel(id: string): Promise<void> {
    if (!this.client) return;
    this.notice = undefined;
    try {
      this.upsert(await this.client.cancelRun(id));
    } catch (error) {
      this.notice = `Run ${id} was not cancelled: ${errorText(error)}`;
      this.emit();
    }
  }

  /** Shows a message about an action the panel took for this model (e.g. opening an output). */
  setMessage(message: string | undefined): void {
    this.notice = message;
    this.emit();
  }

  /** Adds or replaces one run (a submission, a cancel, the end of a followed log). */
  upsert(run: RunRecord): void {
    this.records = sortRuns([run, ...this.records.filter((other) => other.id !== run.id)]);
    this.emit();
  }

  dispose(): void {
    if (this.disposed) return;
    this.stopPolling();
    this.stopFollowing();
    this.disposed = true;
    Signal.clearData(this);
  }

  private async load(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const runs = await client.listRuns({ limit: LIST_LIMIT });
      if (client !== this.client || this.disposed) return;
      this.records = sortRuns(runs);
      this.status = { kind: 'ready' };
    } catch (error) {
      if (client !== this.client || this.disposed) return;
      this.status = { kind: 'error', message: errorText(error) };
    }
    this.emit();
  }

  private stopFollowing(): void {
    this.logFollow?.abort();
    this.logFollow = undefined;
  }

  private emit(): void {
    if (!this.disposed) this.signal.emit();
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
