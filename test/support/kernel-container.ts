import type Dockerode from 'dockerode';
import { createLogger } from '../../gateway/src/common/logger';
import { KernelClient } from '../../gateway/src/kernels/kernel-client';
import type { RawMessage } from '../../gateway/src/protocol/messages';
import { MessageSigner } from '../../gateway/src/protocol/wire';
import { newConnection } from '../../gateway/src/provisioners/local/connection-file';
import type { PortAllocator } from '../../gateway/src/provisioners/local/port-allocator';

/** Every iopub message a kernel container's client received, with a way to wait for the next ones. */
export class IopubLog {
  readonly messages: RawMessage[] = [];
  private readonly waiters = new Set<() => void>();

  add(message: RawMessage): void {
    this.messages.push(message);
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves with the first message (already received or to come) matching `match`; rejects after `timeoutMs`. */
  waitFor(match: (message: RawMessage) => boolean, timeoutMs: number, what: string): Promise<RawMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.messages.find(match);
        if (found === undefined) return false;
        this.waiters.delete(wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`no ${what} on iopub within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(wake);
      check();
    });
  }
}

/** A kernel container on the host network and Berth's own client connected to it (ready). */
export interface KernelContainer {
  readonly container: Dockerode.Container;
  readonly client: KernelClient;
  /** The kernel's kernel_info_reply content. */
  readonly info: { status: string; language_info: { name: string } };
  /** The iopub messages the client has received since it connected. */
  readonly iopub: IopubLog;
}

export interface KernelContainerOptions {
  /** More environment variables for the container (e.g. BERTH_KERNEL_LANGUAGE). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts `image` through its kernel entrypoint with a connection on free loopback ports, waits
 * until the kernel answers, and registers container removal, client close and port release in
 * `cleanups` (run them in reverse order).
 */
export async function startKernelContainer(
  docker: Dockerode,
  image: string,
  ports: PortAllocator,
  labels: Record<string, string>,
  cleanups: (() => Promise<unknown>)[],
  options: KernelContainerOptions = {},
): Promise<KernelContainer> {
  const kernelPorts = await ports.allocate(5);
  cleanups.push(async () => ports.release(kernelPorts));
  const connection = newConnection('127.0.0.1', kernelPorts, 'python3');
  const extraEnv = Object.entries(options.env ?? {}).map(([name, value]) => `${name}=${value}`);
  const container = await docker.createContainer({
    Image: image,
    Env: [`BERTH_CONNECTION_INFO=${JSON.stringify(connection)}`, ...extraEnv],
    Labels: { 'berth.io/managed-by': 'berth', ...labels },
    HostConfig: { NetworkMode: 'host' },
  });
  cleanups.push(() => container.remove({ force: true }));
  await container.start();
  const iopub = new IopubLog();
  const client = new KernelClient(
    connection,
    new MessageSigner(connection.key),
    async (message) => iopub.add(message),
    createLogger({ level: 'silent' }),
  );
  cleanups.push(async () => client.close());
  await client.waitReady(AbortSignal.timeout(60_000));
  const reply = await client.request('shell', 'kernel_info_request', {}, 10_000);
  return { container, client, info: JSON.parse(reply.content.toString('utf8')), iopub };
}

export interface ExecuteResult {
  /** execute_reply status: ok, error or aborted. */
  readonly status: string;
  /** The kernel's stdout and stderr stream output for this request, concatenated in order. */
  readonly stdout: string;
  readonly stderr: string;
  /** ename: evalue of an error reply. */
  readonly error?: string;
}

/**
 * Runs `code` and collects its stream output: sends execute_request, takes the request's msg_id
 * from the reply's parent header, and waits for iopub's `idle` status of that request (the kernel
 * publishes it after every output of the request), so no output is missed however iopub and shell
 * interleave.
 */
export async function executeAndCollect(kernel: KernelContainer, code: string, timeoutMs = 60_000): Promise<ExecuteResult> {
  const reply = await kernel.client.request(
    'shell',
    'execute_request',
    { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
    timeoutMs,
  );
  const msgId = reply.parseParentHeader().msg_id;
  if (msgId === undefined) throw new Error('execute_reply without a parent msg_id');
  const ofRequest = (message: RawMessage): boolean => message.parseParentHeader().msg_id === msgId;
  await kernel.iopub.waitFor(
    (message) =>
      ofRequest(message) && message.msgType === 'status' && message.parseContent<{ execution_state: string }>().execution_state === 'idle',
    timeoutMs,
    `idle status for execute_request ${msgId}`,
  );
  const streams = { stdout: '', stderr: '' };
  for (const message of kernel.iopub.messages) {
    if (!ofRequest(message) || message.msgType !== 'stream') continue;
    const { name, text } = message.parseContent<{ name: 'stdout' | 'stderr'; text: string }>();
    streams[name] += text;
  }
  const content = reply.parseContent<{ status: string; ename?: string; evalue?: string }>();
  return {
    status: content.status,
    ...streams,
    ...(content.status === 'error' ? { error: `${content.ename ?? ''}: ${content.evalue ?? ''}` } : {}),
  };
}
