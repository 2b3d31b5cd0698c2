/**
 * Berth's kernel events (GET /api/berth/kernels/events, gateway/src/kernels/kernel-events.ts)
 * and what the status bar makes of them. The browser learns a kernel's id only when its start
 * request returns, which is after the kernel is ready; so while a start is pending, the stages of
 * a kernel it does not know yet that began launching after the request are taken as its own.
 */

export type KernelEventType = 'stage' | 'ready' | 'failed' | 'restarting' | 'dead' | 'shutdown';

export interface KernelEvent {
  readonly kernelId: string;
  /** The kernelspec the kernel runs (gateways before it was sent leave it out). */
  readonly name?: string;
  readonly type: KernelEventType;
  readonly stage?: string;
  readonly message?: string;
  readonly at: string;
}

export interface KernelProgress {
  readonly kernelId: string;
  readonly name?: string;
  /** When its first event of this start ("launching") arrived here (this browser's clock, ms). */
  readonly since: number;
  readonly stage?: string;
  /** Set once it failed or died, with Berth's reason. */
  readonly failure?: string;
  readonly done: boolean;
}

const STAGE_LABELS: Record<string, string> = {
  launching: 'launching',
  'pulling-image': 'pulling image',
  'allocating-ports': 'allocating ports',
  'creating-container': 'creating container',
  'starting-container': 'starting container',
  'starting-process': 'starting process',
  scheduling: 'scheduling pod',
  'waiting-for-kernel': 'waiting for kernel',
};

/** "creating-container" → "creating container"; stages it does not know read with spaces. */
export function stageLabel(stage: string): string {
  return STAGE_LABELS[stage] ?? stage.replace(/-/g, ' ');
}

/** The latest progress of each kernel, from the events stream. */
export class KernelEventLedger {
  private readonly kernels = new Map<string, KernelProgress>();

  /**
   * `receivedAt` is when the event arrived: compared with when this browser asked for a start,
   * so the gateway's clock (event.at) never has to agree with the browser's.
   */
  apply(event: KernelEvent, receivedAt: number = Date.now()): void {
    const previous = this.kernels.get(event.kernelId);
    const fresh = event.type === 'stage' && event.stage === 'launching';
    const since = fresh || !previous ? receivedAt : previous.since;
    const base = { kernelId: event.kernelId, since, ...(event.name ? { name: event.name } : {}) };
    switch (event.type) {
      case 'stage':
        this.kernels.set(event.kernelId, { ...base, ...(event.stage ? { stage: event.stage } : {}), done: false });
        break;
      case 'restarting':
        this.kernels.set(event.kernelId, { ...base, stage: 'restarting', done: false });
        break;
      case 'ready':
        this.kernels.set(event.kernelId, { ...base, done: true });
        break;
      case 'failed':
      case 'dead':
        this.kernels.set(event.kernelId, { ...base, failure: event.message ?? `kernel ${event.type}`, done: true });
        break;
      case 'shutdown':
        this.kernels.delete(event.kernelId);
        break;
    }
  }

  forKernel(kernelId: string | undefined): KernelProgress | undefined {
    return kernelId ? this.kernels.get(kernelId) : undefined;
  }

  /**
   * The start a pending request is waiting for: the newest kernel that began launching at or
   * after `since` (ms), is none of `known` (kernels already shown elsewhere) and, when both are
   * known, runs the kernelspec `name` the request asked for.
   */
  pendingStart(since: number, known: ReadonlySet<string>, name?: string): KernelProgress | undefined {
    let newest: KernelProgress | undefined;
    for (const progress of this.kernels.values()) {
      if (known.has(progress.kernelId) || progress.since < since) continue;
      if (name !== undefined && progress.name !== undefined && progress.name !== name) continue;
      if (!newest || progress.since >= newest.since) newest = progress;
    }
    return newest;
  }
}
