import { Signal, type ISignal } from '@lumino/signaling';

/**
 * Why the last kernel switch of a session context failed, as the picker saw it (the rejection of
 * changeKernel), for the status bar item, which has no other way to learn it.
 */
export class StartFailures {
  private readonly reasons = new WeakMap<object, string>();
  private readonly signal = new Signal<this, object>(this);

  /** Emits the session context whose failure changed. */
  get changed(): ISignal<this, object> {
    return this.signal;
  }

  report(context: object, reason: string): void {
    this.reasons.set(context, reason);
    this.signal.emit(context);
  }

  clear(context: object): void {
    if (!this.reasons.has(context)) return;
    this.reasons.delete(context);
    this.signal.emit(context);
  }

  get(context: object): string | undefined {
    return this.reasons.get(context);
  }
}
