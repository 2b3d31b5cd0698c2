import { describeError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { KernelManager } from './kernel-manager';
import type { ManagedKernel } from './managed-kernel';

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
    // Exec configs may cull where the gateway does not (timeouts.cullIdleSeconds): the pass always runs.
    const interval = Math.min(this.options.intervalMs, 30_000);
    this.timer = setInterval(() => void this.tick(), interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass; exposed for tests. Returns the ids it shut down. */
  async tick(now = Date.now()): Promise<string[]> {
    this.kernels.persistActivity();
    const culled: string[] = [];
    for (const kernel of this.kernels.list()) {
      if (!shouldCull(kernel, this.options, now)) continue;
      const idleMs = now - kernel.lastActivity;
      this.log.info(
        { kernelId: kernel.id, idleSeconds: Math.round(idleMs / 1000), connections: kernel.connections },
        'culling idle kernel',
      );
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

/** The culling rule, as Jupyter Server applies it. Pure: exposed for unit tests. */
export function shouldCull(
  kernel: Pick<ManagedKernel, 'phase' | 'lastActivity' | 'connections' | 'executionState'> & {
    readonly placement?: { readonly execConfig: { readonly timeouts?: { readonly cullIdleSeconds?: number } } };
  },
  options: CullOptions,
  now: number,
): boolean {
  // The kernel's exec config may set its own idle timeout (0: never), over the gateway's.
  const ownSeconds = kernel.placement?.execConfig.timeouts?.cullIdleSeconds;
  const idleTimeoutMs = ownSeconds === undefined ? options.idleTimeoutMs : ownSeconds * 1000;
  if (idleTimeoutMs <= 0) return false;
  if (kernel.phase !== 'running' && kernel.phase !== 'dead') return false;
  if (now - kernel.lastActivity <= idleTimeoutMs) return false;
  if (kernel.connections > 0 && !options.cullConnected) return false;
  if (kernel.executionState === 'busy' && !options.cullBusy) return false;
  return true;
}
