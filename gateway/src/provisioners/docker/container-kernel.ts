import type { ConnectionInfo } from '../../protocol/connection-info';
import type { ContainerApi } from './docker-api';
import type { KernelExit, KernelLiveness, ProvisionedKernel, ProvisionerRecord } from '../types';

/** What a record keeps of a container kernel, to find it again after a gateway restart. */
export interface ContainerState {
  readonly containerId: string;
  /** The daemon it runs on, as configured (unix:///… or tcp://…). */
  readonly daemon: string;
  /** Host network: the kernel's ports come from the gateway's allocator and go back to it. */
  readonly hostPorts: boolean;
  /** Client certificates of a TLS daemon (absolute). */
  readonly tlsCertDir?: string;
}

const isGone = (error: unknown): boolean => (error as { statusCode?: number }).statusCode === 404;
/** Signalling a container that already stopped: nothing left to do. */
const notRunning = (error: unknown): boolean => (error as { statusCode?: number }).statusCode === 409 || isGone(error);

/** Docker's multiplexed log stream (8-byte frame headers) as plain text. */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length && buffer[offset + 1] === 0 && buffer[offset + 2] === 0 && buffer[offset + 3] === 0) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/** One kernel container: signals go through the Docker API, and tini (PID 1) passes them to the kernel. */
export class ContainerKernel implements ProvisionedKernel {
  readonly record: ProvisionerRecord;
  readonly exited: Promise<KernelExit>;

  constructor(
    readonly connection: ConnectionInfo,
    private readonly container: ContainerApi,
    state: ContainerState,
    kernelId: string,
    /** Gives back what the launch took (host ports, the daemon's placement) once the kernel is gone for good. */
    private readonly release: () => void,
  ) {
    this.record = { provisioner: 'docker', kernelId, connection, state: { ...state } };
    this.exited = this.waitForExit();
  }

  private async waitForExit(): Promise<KernelExit> {
    try {
      const result = (await this.container.wait()) as { StatusCode?: number };
      const info = await this.container.inspect().catch(() => undefined);
      const code = info?.State?.ExitCode ?? result.StatusCode ?? null;
      if (info?.State?.OOMKilled === true) {
        return { code, signal: 'SIGKILL', reason: 'was OOMKilled: it used more memory than its limit', restartable: false };
      }
      return { code, signal: null, reason: code === 137 ? 'was killed (exit code 137)' : `exited with code ${code}` };
    } catch (error) {
      return {
        code: null,
        signal: null,
        reason: isGone(error) ? 'container was removed' : `container could not be watched (${(error as Error).message})`,
      };
    }
  }

  async status(): Promise<KernelLiveness> {
    const info = await this.container.inspect().catch((error: unknown) => {
      if (isGone(error)) return undefined;
      throw error;
    });
    return info?.State?.Running === true ? 'alive' : 'dead';
  }

  private async signal(signal: string): Promise<void> {
    await this.container.kill({ signal }).catch((error: unknown) => {
      if (!notRunning(error)) throw error;
    });
  }

  interrupt(): Promise<void> {
    return this.signal('SIGINT');
  }

  terminate(): Promise<void> {
    return this.signal('SIGTERM');
  }

  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /**
   * Removes the container. With keepForRestart only a stopped one: the manager stops the kernel
   * before a restart, and a gateway that stops keeping its kernels leaves them running.
   */
  async cleanup(options: { keepForRestart: boolean }): Promise<void> {
    await this.container.remove({ force: !options.keepForRestart }).catch((error: unknown) => {
      if (!notRunning(error)) throw error;
    });
    if (!options.keepForRestart) this.release();
  }

  async logTail(maxBytes = 8192): Promise<string> {
    try {
      const raw = (await this.container.logs({ stdout: true, stderr: true, tail: 200, follow: false })) as unknown as Buffer;
      const text = demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
      return text.length > maxBytes ? text.slice(-maxBytes) : text;
    } catch {
      return '';
    }
  }
}
