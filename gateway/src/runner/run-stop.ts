/** Why a run stopped before its work was done: the status it ends with, and why, for people. */
export type StopStatus = 'failed' | 'cancelled' | 'timed-out';

/**
 * The reason a run's abort signal carries. `kernelGone` says the kernel cannot be interrupted
 * any more (it died, or the gateway lost it): the run stops without waiting on it.
 */
export class RunStop {
  constructor(
    readonly status: StopStatus,
    readonly message: string,
    readonly kernelGone = false,
  ) {}

  /** The error name recorded for the cell that was running (papermill-like). */
  get ename(): string {
    if (this.status === 'timed-out') return 'TimeoutError';
    if (this.status === 'cancelled') return 'RunCancelled';
    return this.kernelGone ? 'DeadKernelError' : 'RunFailed';
  }

  /** Any abort reason as a RunStop (an AbortSignal aborted without one gives a DOMException). */
  static from(reason: unknown): RunStop {
    if (reason instanceof RunStop) return reason;
    return new RunStop('failed', reason instanceof Error ? reason.message : String(reason));
  }
}
