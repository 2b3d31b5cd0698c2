import { describeError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { KernelManager } from './kernel-manager';

/** Jupyter Server's culling options (MappingKernelManager.cull_*), in milliseconds. */
export interface CullOptions {
  /** Shut down kernels idle longer than this; 0 disables culling. */
  readonly idleTimeoutMs: number;
  /** How often to look. */
  readonly intervalMs: number;
  /** Also cull kernels that have a WebSocket attached. */
  readonly cullConnected: boolean;
  /** Also cull kernels whose last state was busy. */
  readonly cullBusy: boolean;
}

/** Periodically shuts down idle kernels, and saves activity times for reattach. */
export class Culler {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kernels: KernelManager,
    private readonly options: CullOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    const interval = this.options.idleTimeoutMs > 0 ? Math.min(this.options.intervalMs, 30_000) : 30_000;
    this.timer = setInterval(() => void this.tick(), interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass; exposed for tests. Returns the ids it shut down. */
  async tick(now = Date.now()): Promise<string[]> {
    this.kernels.persistActivity();
    if (this.options.idleTimeoutMs <= 0) return [];
    const culled: string[] = [];
    for (const kernel of this.kernels.list()) {
      if (kernel.phase !== 'running' && kernel.phase !== 'dead') continue;
      const idleMs = now - kernel.lastActivity;
      if (idleMs <= this.options.idleTimeoutMs) continue;
      if (kernel.connections > 0 && !this.options.cullConnected) continue;
      if (kernel.executionState === 'busy' && !this.options.cullBusy) continue;
      this.log.info({ kernelId: kernel.id, idleSeconds: Math.round(idleMs / 1000), connections: kernel.connections }, 'culling idle kernel');
      try {
        await this.kernels.shutdown(kernel.id);
        culled.push(kernel.id);
      } catch (error) {
        this.log.warn({ kernelId: kernel.id, err: describeError(error) }, 'culling failed');
      }
    }
    return culled;
  }
}
