import { type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, fstatSync, rmSync } from 'node:fs';
import { deferred, type Deferred } from '../../common/async';
import type { ConnectionInfo } from '../../protocol/connection-info';
import type { KernelExit, KernelLiveness, ProvisionedKernel, ProvisionerRecord } from '../types';
import type { PortAllocator } from './port-allocator';
import { connectionPorts } from './connection-file';

/** Facts about a local kernel process, persisted in its record. */
export interface ProcessState {
  readonly pid: number;
  readonly connectionFile: string;
  readonly logFile: string;
}

const EXIT_POLL_MS = 500;

/**
 * A kernel running as a local process in its own process group. Either our child (exit
 * observed directly) or a process found again after a gateway restart (exit polled).
 */
export class ProcessKernel implements ProvisionedKernel {
  readonly record: ProvisionerRecord;
  private readonly exit: Deferred<KernelExit> = deferred<KernelExit>();
  private poller: NodeJS.Timeout | undefined;
  private gone = false;

  constructor(
    readonly connection: ConnectionInfo,
    private readonly state: ProcessState,
    private readonly ports: PortAllocator,
    kernelId: string,
    child?: ChildProcess,
  ) {
    this.record = { provisioner: 'local', kernelId, connection, state: { ...state } };
    if (child) {
      child.once('exit', (code, signal) => this.settle({ code, signal, reason: describeExit(code, signal) }));
    } else {
      this.poller = setInterval(() => {
        if (!isProcessAlive(state.pid))
          this.settle({ code: null, signal: null, reason: 'exited while the gateway was away or after reattach' });
      }, EXIT_POLL_MS);
      this.poller.unref();
    }
  }

  get exited(): Promise<KernelExit> {
    return this.exit.promise;
  }

  get pid(): number {
    return this.state.pid;
  }

  async status(): Promise<KernelLiveness> {
    return !this.gone && isProcessAlive(this.state.pid) ? 'alive' : 'dead';
  }

  async interrupt(): Promise<void> {
    this.signalGroup('SIGINT');
  }

  async terminate(): Promise<void> {
    this.signalGroup('SIGTERM');
  }

  async kill(): Promise<void> {
    this.signalGroup('SIGKILL');
  }

  async cleanup(options: { keepForRestart: boolean }): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    if (options.keepForRestart) return;
    rmSync(this.state.connectionFile, { force: true });
    rmSync(this.state.logFile, { force: true });
    this.ports.release(connectionPorts(this.connection));
  }

  async logTail(maxBytes = 8192): Promise<string> {
    return readTail(this.state.logFile, maxBytes);
  }

  private settle(exit: KernelExit): void {
    if (this.gone) return;
    this.gone = true;
    if (this.poller) clearInterval(this.poller);
    this.exit.resolve(exit);
  }

  /** Signals the whole process group: kernels may have children (R, subprocess shells). */
  private signalGroup(signal: NodeJS.Signals): void {
    if (this.gone) return;
    try {
      process.kill(-this.state.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

/**
 * Whether `pid` runs. A zombie does not: a kernel found again after a gateway restart is no
 * longer our child, and its new parent may reap it late or never (some container entrypoints).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux: the state after the command name in /proc/<pid>/stat; elsewhere no zombie is seen. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

/** Reads the last `maxBytes` of a file ('' if it does not exist). */
export function readTail(file: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
