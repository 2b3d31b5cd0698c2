import { resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { BackendUnavailableError } from '../../common/errors';
import type { DockerExecConfig } from '../../execution/execution-config';
import { dockerFor } from '../../images/docker-client';
import type { DockerApi } from './docker-api';

/**
 * The Docker daemons of the Docker exec configs: one client each, whether each answers, and how
 * many of this gateway's kernels (and how much of their memory limits) each holds. A new kernel
 * goes to the reachable daemon with the fewest kernels, ties to the one with the most memory left;
 * a daemon that does not answer is skipped and reported.
 */

export interface DaemonAddress {
  /** As configured: unix:///… or tcp://host:port. */
  readonly host: string;
  /** Client certificates of a TLS daemon (absolute). */
  readonly tlsCertDir?: string;
}

export interface DaemonStatus {
  readonly host: string;
  readonly reachable: boolean;
  /** Why it is unreachable. */
  readonly error?: string;
  readonly checkedAt: string;
  /** Kernels of this gateway on it now. */
  readonly kernels: number;
  /** Its total memory (bytes), when it answered. */
  readonly memTotal?: number;
  /** Sum of the memory limits of this gateway's kernels on it (bytes). */
  readonly reservedMemory: number;
}

const PROBE_TIMEOUT_MS = 3000;

export class DaemonPool {
  private readonly clients = new Map<string, Dockerode>();
  private readonly placed = new Map<string, { host: string; memory: number }>();
  private readonly memTotals = new Map<string, number>();

  constructor(private readonly configDir: string) {}

  /** The daemons of an exec config, in the order it lists them. */
  addresses(execConfig: DockerExecConfig): DaemonAddress[] {
    return execConfig.docker.daemons.map((daemon) =>
      daemon.tls === undefined ? { host: daemon.host } : { host: daemon.host, tlsCertDir: resolve(this.configDir, daemon.tls.certDir) },
    );
  }

  /** The daemon's client for images (the image builder's calls). */
  client(address: DaemonAddress): Dockerode {
    let docker = this.clients.get(address.host);
    if (docker === undefined) {
      docker = dockerFor(address.host, address.tlsCertDir);
      this.clients.set(address.host, docker);
    }
    return docker;
  }

  /** The daemon's kernel-container calls. */
  containers(address: DaemonAddress): DockerApi {
    return this.client(address);
  }

  /** Records that a kernel runs on `host` (launch, reattach); `memory` is its limit in bytes (0: none). */
  place(kernelId: string, host: string, memory: number): void {
    this.placed.set(kernelId, { host, memory });
  }

  release(kernelId: string): void {
    this.placed.delete(kernelId);
  }

  private load(host: string): { kernels: number; reservedMemory: number } {
    let kernels = 0;
    let reservedMemory = 0;
    for (const placement of this.placed.values()) {
      if (placement.host !== host) continue;
      kernels += 1;
      reservedMemory += placement.memory;
    }
    return { kernels, reservedMemory };
  }

  /** Asks the daemon for `docker info` within a few seconds. */
  async probe(address: DaemonAddress): Promise<DaemonStatus> {
    const checkedAt = new Date().toISOString();
    let timer: NodeJS.Timeout | undefined;
    try {
      const info = (await Promise.race([
        this.containers(address).info(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS);
        }),
      ])) as { MemTotal?: number };
      if (typeof info.MemTotal === 'number') this.memTotals.set(address.host, info.MemTotal);
      return {
        host: address.host,
        reachable: true,
        checkedAt,
        ...this.load(address.host),
        ...(info.MemTotal === undefined ? {} : { memTotal: info.MemTotal }),
      };
    } catch (error) {
      const code = (error as { code?: string }).code;
      const message = (error as Error).message ?? String(error);
      return {
        host: address.host,
        reachable: false,
        error: code === undefined ? message : `${code}: ${message}`,
        checkedAt,
        ...this.load(address.host),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every daemon of the exec config, probed now. */
  status(execConfig: DockerExecConfig): Promise<DaemonStatus[]> {
    return Promise.all(this.addresses(execConfig).map((address) => this.probe(address)));
  }

  /** The daemon a new kernel of the exec config goes to; 503 naming each daemon and why when none answers. */
  async choose(execConfig: DockerExecConfig): Promise<{ address: DaemonAddress; skipped: DaemonStatus[] }> {
    const addresses = this.addresses(execConfig);
    // One daemon: nothing to choose, and a daemon that is down fails the create with its address.
    if (addresses.length === 1) return { address: addresses[0]!, skipped: [] };
    const statuses = await Promise.all(addresses.map((address) => this.probe(address)));
    const reachable = statuses
      .map((status, index) => ({ status, address: addresses[index]! }))
      .filter(({ status }) => status.reachable)
      .sort((a, b) => a.status.kernels - b.status.kernels || free(b.status) - free(a.status));
    const skipped = statuses.filter((status) => !status.reachable);
    const best = reachable[0];
    if (best === undefined) {
      const which = skipped.map((status) => `${status.host} (${status.error})`).join('; ');
      throw new BackendUnavailableError(
        `No Docker daemon of exec config "${execConfig.id}" is reachable: ${which}. Start one, or ask an admin to fix the exec config's docker.daemons.`,
        { details: { executionConfig: execConfig.id, daemons: skipped.map(({ host, error }) => ({ host, error })) } },
      );
    }
    return { address: best.address, skipped };
  }
}

function free(status: DaemonStatus): number {
  return (status.memTotal ?? 0) - status.reservedMemory;
}
