import type { RunRecord } from '../../runner/run';
import type { RunLogEntry } from '../../runner/run-log';

/**
 * Draws a run's log as it comes. On a terminal: one status line redrawn in place (cells done /
 * total, the current cell and how long it has run), with the run's own output printed above it
 * when asked (`--log-output`; always for recipes and ML). Elsewhere: plain lines, one per cell.
 */
export class RunProgress {
  private readonly live: boolean;
  private drawn = false;
  private current: { cellIndex: number; since: number; done: number; total: number } | undefined;
  private readonly ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: { showOutput: boolean },
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.live = stderr.isTTY === true;
    if (this.live) this.ticker = setInterval(() => this.redraw(), 250).unref();
  }

  onEntry(entry: RunLogEntry): void {
    if (entry.type === 'output') {
      if (entry.stream === 'system') return this.above(this.stderr, `[berth] ${entry.text}`);
      if (this.options.showOutput) this.above(entry.stream === 'stderr' ? this.stderr : this.stdout, entry.text);
      return;
    }
    if (entry.type === 'status') {
      if (entry.status === 'queued' || entry.status === 'starting' || entry.status === 'running')
        this.above(this.stderr, `[berth] ${entry.status}${entry.message ? `: ${entry.message}` : ''}\n`);
      return;
    }
    if (entry.cellIndex === undefined) return;
    if (entry.phase === 'start') {
      this.current = { cellIndex: entry.cellIndex, since: Date.now(), done: entry.done, total: entry.total };
      this.redraw();
    } else {
      this.current = undefined;
      if (!this.live)
        this.stderr.write(
          `[berth] cell ${entry.cellIndex} ${entry.status ?? 'done'} in ${((entry.durationMs ?? 0) / 1000).toFixed(2)} s (${entry.done}/${entry.total} code cells)\n`,
        );
      else this.redraw(entry.done, entry.total);
    }
  }

  /** Clears the status line and prints how the run ended. */
  finish(record: RunRecord): void {
    if (this.ticker) clearInterval(this.ticker);
    this.clear();
    const took =
      record.startedAt && record.endedAt ? ` in ${((Date.parse(record.endedAt) - Date.parse(record.startedAt)) / 1000).toFixed(1)} s` : '';
    this.stderr.write(`[berth] run ${record.id} ${record.status}${took}${record.failure ? `: ${record.failure.message}` : ''}\n`);
  }

  private above(stream: NodeJS.WriteStream, text: string): void {
    this.clear();
    stream.write(text);
    this.redraw();
  }

  private redraw(done?: number, total?: number): void {
    if (!this.live) return;
    const line = this.current
      ? `[${this.current.done}/${this.current.total}] cell ${this.current.cellIndex} running ${((Date.now() - this.current.since) / 1000).toFixed(1)} s`
      : done !== undefined
        ? `[${done}/${total}]`
        : undefined;
    if (!line) return;
    this.stderr.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) this.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }
}
