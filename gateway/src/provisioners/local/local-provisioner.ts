import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BackendUnavailableError, KernelLaunchError } from '../../common/errors';
import { renderArgv } from '../../kernelspecs/kernelspec';
import type { KernelProvisioner, LaunchRequest, LaunchStage, ProvisionedKernel, ProvisionerRecord } from '../types';
import { connectionPorts, newConnection, writeConnectionFile } from './connection-file';
import { PortAllocator } from './port-allocator';
import { isProcessAlive, ProcessKernel, type ProcessState } from './process-kernel';

export interface LocalProvisionerOptions {
  /** Where connection files (0600) and kernel logs go, inside the 0700 data directory. */
  readonly runtimeDir: string;
  /** Address kernels bind and the gateway connects to. */
  readonly ip: string;
  readonly ports: PortAllocator;
  /** Working directory of kernel processes. */
  readonly cwd: string;
  /** Base environment of kernels (the gateway's own, minus its configuration). */
  readonly baseEnv: Readonly<Record<string, string>>;
}

/**
 * The `local` backend: runs the kernelspec's argv as a process in its own process group, with
 * a connection file the gateway writes. Output goes to a log file rather than a pipe so the
 * kernel outlives a gateway that is killed, and the gateway can reattach to it.
 */
export class LocalProvisioner implements KernelProvisioner {
  readonly name = 'local' as const;

  constructor(private readonly options: LocalProvisionerOptions) {
    mkdirSync(options.runtimeDir, { recursive: true, mode: 0o700 });
  }

  async launch(request: LaunchRequest, signal: AbortSignal, onProgress: (stage: LaunchStage) => void): Promise<ProvisionedKernel> {
    onProgress('allocating-ports');
    const connection = request.reuseConnection ?? newConnection(this.options.ip, await this.options.ports.allocate(5), request.spec.name);
    const connectionFile = join(this.options.runtimeDir, `kernel-${request.kernelId}.json`);
    const logFile = join(this.options.runtimeDir, `kernel-${request.kernelId}.log`);
    const releaseAll = (): void => {
      rmSync(connectionFile, { force: true });
      rmSync(logFile, { force: true });
      if (!request.reuseConnection) this.options.ports.release(connectionPorts(connection));
    };
    if (signal.aborted) {
      releaseAll();
      throw signal.reason;
    }
    writeConnectionFile(connectionFile, connection);

    onProgress('starting-process');
    const argv = renderArgv(request.spec.spec.argv, { connection_file: connectionFile, resource_dir: request.spec.resourceDir });
    const logFd = openSync(logFile, 'a', 0o600);
    try {
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd: this.options.cwd,
        env: { ...this.options.baseEnv, ...request.spec.spec.env, ...request.env },
        stdio: ['ignore', logFd, logFd],
        detached: true, // own process group: group signals, and it survives a killed gateway
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      onProgress('waiting-for-kernel');
      const state: ProcessState = { pid: child.pid!, connectionFile, logFile };
      return new ProcessKernel(connection, state, this.options.ports, request.kernelId, child);
    } catch (error) {
      releaseAll();
      const code = (error as NodeJS.ErrnoException).code;
      throw new KernelLaunchError(
        `Could not start kernel "${request.spec.name}": ${argv[0]} ${code === 'ENOENT' ? 'was not found' : `failed (${(error as Error).message})`}. ` +
          `Check the argv in ${join(request.spec.resourceDir, 'kernel.json')} and that the kernel is installed.`,
        { cause: error, details: { kernelName: request.spec.name } },
      );
    } finally {
      closeSync(logFd);
    }
  }

  async reattach(record: ProvisionerRecord): Promise<ProvisionedKernel | undefined> {
    const state = record.state as unknown as ProcessState;
    if (!isProcessAlive(state.pid) || !processUsesFile(state.pid, state.connectionFile)) return undefined;
    this.options.ports.claim(connectionPorts(record.connection));
    return new ProcessKernel(record.connection, state, this.options.ports, record.kernelId);
  }

  async discard(record: ProvisionerRecord): Promise<void> {
    const state = record.state as unknown as ProcessState;
    rmSync(state.connectionFile, { force: true });
    rmSync(state.logFile, { force: true });
  }
}

/** Guards reattach against pid reuse: the process must be the one started with our connection file. */
function processUsesFile(pid: number, connectionFile: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(connectionFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new BackendUnavailableError(`Cannot inspect process ${pid}: ${(error as Error).message}`);
  }
}

/** The gateway's environment as kernels should see it: Berth's own settings (and token) removed. */
export function kernelBaseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !name.startsWith('BERTH_') && !name.startsWith('JUPYTER_GATEWAY_')) result[name] = value;
  }
  return result;
}
