/**
 * Starts waiting for room under an exec config's quotas, when the exec config lets them wait:
 * bounded per exec config, each with a deadline, woken in arrival order when a kernel of that
 * exec config goes away. Only one waiter is let through per wake: the one let through takes its
 * room before the next is checked (the caller wakes the queue again once its kernel counts).
 */

interface Waiter {
  readonly fits: () => boolean;
  readonly admit: () => void;
}

export type Refusal = 'full' | 'timeout';

export class StartQueue {
  private readonly waiting = new Map<string, Waiter[]>();

  /** How many starts wait for `execConfigId`. */
  size(execConfigId: string): number {
    return this.waiting.get(execConfigId)?.length ?? 0;
  }

  /**
   * Resolves once `fits()` holds; rejects with `refuse('full')` when `maxWaiting` starts already
   * wait, or with `refuse('timeout')` after `timeoutMs`.
   */
  wait(
    execConfigId: string,
    fits: () => boolean,
    limits: { maxWaiting: number; timeoutMs: number },
    refuse: (why: Refusal) => Error,
  ): Promise<void> {
    const queue = this.waiting.get(execConfigId) ?? [];
    if (queue.length >= limits.maxWaiting) return Promise.reject(refuse('full'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.remove(execConfigId, waiter);
        reject(refuse('timeout'));
      }, limits.timeoutMs);
      const waiter: Waiter = {
        fits,
        admit: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      queue.push(waiter);
      this.waiting.set(execConfigId, queue);
    });
  }

  /** Lets the first waiter that fits now through (call when room may have freed, and after an admitted start counts). */
  wake(execConfigId: string): void {
    const queue = this.waiting.get(execConfigId);
    const waiter = queue?.find((candidate) => candidate.fits());
    if (waiter === undefined) return;
    this.remove(execConfigId, waiter);
    waiter.admit();
  }

  /** Wakes every exec config's queue. */
  wakeAll(): void {
    for (const id of [...this.waiting.keys()]) this.wake(id);
  }

  private remove(execConfigId: string, waiter: Waiter): void {
    const queue = (this.waiting.get(execConfigId) ?? []).filter((candidate) => candidate !== waiter);
    if (queue.length === 0) this.waiting.delete(execConfigId);
    else this.waiting.set(execConfigId, queue);
  }
}
