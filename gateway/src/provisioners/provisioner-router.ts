import { NotImplementedError } from '../common/errors';
import type { KernelProvisioner, LaunchRequest, LaunchStage, ProvisionedKernel, ProvisionerName, ProvisionerRecord } from './types';

/** What the kernel manager needs of its backends. */
export type KernelBackends = Pick<KernelProvisioner, 'launch' | 'reattach' | 'discard' | 'reapOrphans'>;

/**
 * Hands each launch to the backend of its exec config, and each persisted record back to the
 * backend that made it, so the kernel manager stays backend-agnostic.
 */
export class ProvisionerRouter implements KernelBackends {
  private readonly backends: Map<ProvisionerName, KernelProvisioner>;

  constructor(backends: readonly KernelProvisioner[]) {
    this.backends = new Map(backends.map((backend) => [backend.name, backend]));
  }

  private backend(name: ProvisionerName): KernelProvisioner {
    const backend = this.backends.get(name);
    if (backend === undefined) {
      throw new NotImplementedError(
        `This gateway has no ${name} backend; it launches ${[...this.backends.keys()].join(' and ')} kernels.`,
        {
          details: { backend: name },
        },
      );
    }
    return backend;
  }

  launch(request: LaunchRequest, signal: AbortSignal, onProgress: (stage: LaunchStage) => void): Promise<ProvisionedKernel> {
    return this.backend(request.execConfig.backend).launch(request, signal, onProgress);
  }

  reattach(record: ProvisionerRecord): Promise<ProvisionedKernel | undefined> {
    return this.backend(record.provisioner).reattach(record);
  }

  discard(record: ProvisionerRecord): Promise<void> {
    return this.backend(record.provisioner).discard(record);
  }

  async reapOrphans(knownKernelIds: ReadonlySet<string>): Promise<number> {
    let reaped = 0;
    for (const backend of this.backends.values()) reaped += (await backend.reapOrphans?.(knownKernelIds)) ?? 0;
    return reaped;
  }
}
