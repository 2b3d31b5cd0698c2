/**
 * The events of a stream read in the background (Server-Sent Events, a Kubernetes watch), kept in
 * order, and promises for what they will show: a test waits for the event that says something
 * happened (a kernel shut down, a pod was deleted) instead of polling for its effect.
 */
export class EventLog<T> {
  readonly events: T[] = [];
  private waiters: { check: (events: readonly T[]) => boolean; resolve: () => void; reject: (error: Error) => void }[] = [];
  private ended: Error | undefined;

  push(event: T): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.check(this.events)) return true;
      waiter.resolve();
      return false;
    });
  }

  /** The stream is over: what is still awaited, and will be, never comes (rejects with `why`). */
  end(why: Error): void {
    this.ended ??= why;
    for (const waiter of this.waiters) waiter.reject(new Error(`${why.message} (${this.events.length} events seen)`));
    this.waiters = [];
  }

  /** Resolves once the events seen so far satisfy `check`; rejects if the stream ends first. */
  until(check: (events: readonly T[]) => boolean, what: string): Promise<void> {
    if (check(this.events)) return Promise.resolve();
    if (this.ended !== undefined) return Promise.reject(new Error(`${what}: the stream ended first (${this.ended.message})`));
    return new Promise((resolve, reject) =>
      this.waiters.push({ check, resolve, reject: (error) => reject(new Error(`${what}: ${error.message}`)) }),
    );
  }
}
