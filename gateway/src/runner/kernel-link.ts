import { randomUUID } from 'node:crypto';
import { deferred, type Deferred } from '../common/async';
import type { ClientConnection } from '../kernels/client-connection';
import type { ClientSession } from '../kernels/client-session';
import type { ManagedKernel } from '../kernels/managed-kernel';
import { createMessage, RawMessage, type Channel, type JupyterMessage } from '../protocol/messages';

/** A parsed iopub message (the runner reads every one of its own requests' outputs). */
export type IopubMessage = JupyterMessage<Record<string, unknown>>;

export interface ExecuteReply {
  readonly status: 'ok' | 'error' | 'aborted';
  readonly execution_count?: number;
  readonly ename?: string;
  readonly evalue?: string;
  readonly traceback?: string[];
}

interface PendingExecution {
  readonly reply: Deferred<ExecuteReply>;
  readonly idle: Deferred<void>;
  readonly onIopub: (message: IopubMessage) => void;
}

/**
 * The runner's client session on a kernel, in process: it attaches to the managed kernel exactly
 * as a WebSocket client does (its own shell socket, the broadcast iopub), so runs go through the
 * same path as interactive clients on every backend. An execution is complete when both its
 * execute_reply and its iopub `idle` arrived: only then are all its outputs in.
 */
export class KernelLink implements ClientConnection {
  private session: ClientSession | undefined;
  private readonly executions = new Map<string, PendingExecution>();
  private closedReason: string | undefined;
  readonly sessionId = randomUUID();

  private constructor(private readonly kernel: ManagedKernel) {}

  static async open(kernel: ManagedKernel): Promise<KernelLink> {
    const link = new KernelLink(kernel);
    link.session = await kernel.attach(link.sessionId, link);
    return link;
  }

  /**
   * Executes `code` and resolves with the reply once the kernel is idle again; `onIopub` sees
   * every iopub message the request caused, in order. Never asks for stdin (papermill does not
   * either): `input()` fails in the cell instead of waiting forever.
   */
  async execute(code: string, onIopub: (message: IopubMessage) => void, options: { storeHistory?: boolean } = {}): Promise<ExecuteReply> {
    if (this.closedReason) throw new Error(this.closedReason);
    const msgId = randomUUID();
    const pending: PendingExecution = { reply: deferred(), idle: deferred(), onIopub };
    pending.reply.promise.catch(() => undefined);
    pending.idle.promise.catch(() => undefined);
    this.executions.set(msgId, pending);
    const request = createMessage(
      'execute_request',
      { code, silent: false, store_history: options.storeHistory ?? true, user_expressions: {}, allow_stdin: false, stop_on_error: false },
      { session: this.sessionId, msgId, username: 'berth-runner' },
    );
    try {
      await this.kernel.fromClient(this.session!, 'shell', RawMessage.fromMessage(request));
      const [reply] = await Promise.all([pending.reply.promise, pending.idle.promise]);
      return reply;
    } finally {
      this.executions.delete(msgId);
    }
  }

  /** Ends every execution waiting on this link with `reason` (kernel died, run cancelled, timed out). */
  abort(reason: string): void {
    for (const pending of this.executions.values()) {
      pending.reply.reject(new Error(reason));
      pending.idle.reject(new Error(reason));
    }
  }

  close(_code?: number, reason = 'kernel connection closed'): void {
    this.closedReason ??= reason;
    this.abort(reason);
  }

  /** From the managed kernel: our shell replies and every iopub broadcast. */
  async deliver(channel: Channel, message: RawMessage): Promise<void> {
    if (channel !== 'shell' && channel !== 'iopub') return;
    const parent = parentMsgId(message);
    const pending = parent ? this.executions.get(parent) : undefined;
    if (!pending) return;
    if (channel === 'shell') {
      if (message.msgType === 'execute_reply') pending.reply.resolve(message.parseContent<ExecuteReply>());
      return;
    }
    const parsed: IopubMessage = {
      header: message.parsedHeaderFields(),
      parent_header: message.parseParentHeader(),
      metadata: JSON.parse(message.metadata.toString('utf8')) as Record<string, unknown>,
      content: message.parseContent(),
    };
    pending.onIopub(parsed);
    if (message.msgType === 'status' && parsed.content['execution_state'] === 'idle') pending.idle.resolve();
  }

  /** Detaches from the kernel (the kernel itself is the run's to shut down). */
  detach(): void {
    this.close(1000, 'run finished');
    if (this.session) this.kernel.detach(this.session, this);
  }
}

function parentMsgId(message: RawMessage): string | undefined {
  if (message.parentHeader.length <= 2) return undefined;
  return message.parseParentHeader().msg_id;
}
