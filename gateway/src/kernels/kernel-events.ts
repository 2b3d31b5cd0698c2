/**
 * What happens to kernels, as events a client can follow: the stages of a start (launching, the
 * backend's own stages such as creating-container, ready or failed) and later changes of state
 * (restarting, dead, shut down). Each kernel keeps a short history, so a client that subscribes
 * late still sees how its kernel got where it is.
 */

export type KernelEventType = 'stage' | 'ready' | 'failed' | 'restarting' | 'dead' | 'shutdown';

export interface KernelEvent {
  readonly kernelId: string;
  /** Whose kernel: subscribers see only the events of kernels they may see. */
  readonly owner: string;
  /** The kernelspec it runs (`<code-env>--<exec-config>` for a pair): a client that asked for a start knows it by this before it knows the id. */
  readonly name: string;
  readonly type: KernelEventType;
  /** For "stage": launching, pulling-image, allocating-ports, creating-container, starting-container, waiting-for-kernel … */
  readonly stage?: string;
  /** For failed, dead, restarting: why, for people. */
  readonly message?: string;
  /** For dead and restarting after an unexpected exit: the end of the kernel's log (stderr, container log). */
  readonly logTail?: string;
  readonly at: string;
}

/** Events after which a kernel is gone: its history is dropped and its streams end. */
export const FINAL_EVENTS: ReadonlySet<KernelEventType> = new Set(['failed', 'shutdown']);

const HISTORY = 50;

export class KernelEventLog {
  private readonly histories = new Map<string, KernelEvent[]>();
  private readonly listeners = new Set<(event: KernelEvent) => void>();

  emit(event: Omit<KernelEvent, 'at'>): void {
    const full: KernelEvent = { ...event, at: new Date().toISOString() };
    const history = this.histories.get(event.kernelId) ?? [];
    history.push(full);
    if (history.length > HISTORY) history.shift();
    this.histories.set(event.kernelId, history);
    for (const listener of this.listeners) listener(full);
    if (FINAL_EVENTS.has(event.type)) this.histories.delete(event.kernelId);
  }

  history(kernelId: string): readonly KernelEvent[] {
    return this.histories.get(kernelId) ?? [];
  }

  /** Every event from now on; returns the unsubscribe function. */
  subscribe(listener: (event: KernelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
