import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type { BerthClient } from '../api/berth-client';
import { KernelEventLedger } from '../model/kernel-events';

/**
 * Follows Berth's kernel events stream (GET /api/berth/kernels/events) for as long as it lives,
 * reconnecting with a growing pause when the stream ends or fails. Needs Berth's URL, a token
 * and --allow-origin: it is what shows a container start's stages before the browser knows the
 * kernel, and the reason a start failed.
 */
export class KernelEventsFeed implements IDisposable {
  readonly ledger = new KernelEventLedger();
  private readonly signal = new Signal<this, void>(this);
  private readonly abort = new AbortController();
  private lastError: string | undefined;

  constructor(
    private readonly client: BerthClient,
    private readonly options: { minRetryMs?: number; maxRetryMs?: number } = {},
  ) {}

  get changed(): ISignal<this, void> {
    return this.signal;
  }

  get isDisposed(): boolean {
    return this.abort.signal.aborted;
  }

  /** Why the stream is not connected, when it is not. */
  get error(): string | undefined {
    return this.lastError;
  }

  /** Runs until disposed. */
  async run(): Promise<void> {
    const min = this.options.minRetryMs ?? 1000;
    const max = this.options.maxRetryMs ?? 30000;
    let pause = min;
    while (!this.isDisposed) {
      const started = Date.now();
      try {
        await this.client.followKernelEvents((event) => {
          this.lastError = undefined;
          this.ledger.apply(event);
          this.signal.emit();
        }, this.abort.signal);
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
      }
      if (this.isDisposed) return;
      // A stream that stayed up a while was healthy: start the back-off again from the bottom.
      pause = Date.now() - started > max ? min : Math.min(max, pause * 2);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.abort.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  dispose(): void {
    this.abort.abort();
  }
}
