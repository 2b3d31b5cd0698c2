import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/** A Jupyter message as a client receives it in the default (JSON) WebSocket framing. */
export interface WireMessage {
  readonly header: { msg_id: string; msg_type: string; session: string; username: string; date: string; version: string };
  readonly parent_header: { msg_id?: string; msg_type?: string; session?: string };
  readonly metadata: Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly content: any;
  readonly channel: string;
}

/** What one execute_request produced, collected once its reply and its idle status arrived. */
export interface ExecuteOutcome {
  readonly msgId: string;
  readonly reply: WireMessage;
  /** iopub messages whose parent is the request, in arrival order. */
  readonly iopub: WireMessage[];
  readonly stdout: string;
  /** text/plain of the execute_result, if any. */
  readonly result: string | undefined;
}

/** How long a wait for a message may last before the test fails with what did arrive. Generous: 2 cores. */
export const MESSAGE_DEADLINE_MS = 60_000;

interface Waiter {
  readonly predicate: (message: WireMessage) => boolean;
  readonly resolve: (message: WireMessage) => void;
}

/**
 * A raw Jupyter client on one `/api/kernels/:id/channels` WebSocket: records every message it
 * receives (in order) and lets a test wait for a message matching a predicate.
 */
export class KernelSocket {
  readonly received: WireMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Waiter[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly sessionId: string,
  ) {
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
  }

  /** Opens a socket; `wsBaseUrl` ends with the gateway's base URL (ws://127.0.0.1:port/). */
  static open(wsBaseUrl: string, token: string, kernelId: string, options: { sessionId?: string } = {}): Promise<KernelSocket> {
    const sessionId = options.sessionId ?? randomUUID();
    const ws = new WebSocket(`${wsBaseUrl}api/kernels/${kernelId}/channels?session_id=${encodeURIComponent(sessionId)}`, {
      headers: { Authorization: `token ${token}` },
    });
    const socket = new KernelSocket(ws, sessionId);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
      ws.once('unexpected-response', (_request, response) => reject(new Error(`WebSocket upgrade refused: HTTP ${response.statusCode}`)));
    });
  }

  /** Sends a request and returns its msg_id. */
  send(channel: 'shell' | 'control' | 'stdin', msgType: string, content: unknown): string {
    const msgId = randomUUID();
    this.ws.send(
      JSON.stringify({
        header: {
          msg_id: msgId,
          msg_type: msgType,
          session: this.sessionId,
          username: 'test',
          date: new Date().toISOString(),
          version: '5.3',
        },
        parent_header: {},
        metadata: {},
        content,
        buffers: [],
        channel,
      }),
    );
    return msgId;
  }

  /**
   * Sends an execute_request. Pass `stopOnError: false` for code that is meant to fail (or to be
   * interrupted): with true, ipykernel 6.17 aborts requests that reach it shortly after the error.
   */
  sendExecute(code: string, options: { stopOnError?: boolean } = {}): string {
    return this.send('shell', 'execute_request', {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: options.stopOnError ?? true,
    });
  }

  /** Resolves with the first message (already received or still to come) that matches. */
  waitFor(predicate: (message: WireMessage) => boolean, what: string, deadlineMs = MESSAGE_DEADLINE_MS): Promise<WireMessage> {
    const seen = this.received.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        const summary = this.received
          .map((m) => `${m.channel}:${m.header.msg_type}${m.header.msg_type === 'status' ? `(${m.content.execution_state})` : ''}`)
          .join(', ');
        reject(new Error(`No ${what} within ${deadlineMs} ms on session ${this.sessionId}; received: [${summary}]`));
      }, deadlineMs);
      const entry: Waiter = {
        predicate,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      };
      this.waiters.push(entry);
    });
  }

  /** Waits for the reply to `msgId` and the kernel's idle status for it, then collects its outputs. */
  async outcome(msgId: string, deadlineMs = MESSAGE_DEADLINE_MS): Promise<ExecuteOutcome> {
    const reply = await this.waitFor(
      (m) => m.channel === 'shell' && m.parent_header.msg_id === msgId && m.header.msg_type === 'execute_reply',
      `execute_reply to ${msgId}`,
      deadlineMs,
    );
    await this.waitFor((m) => isStatus(m, 'idle') && m.parent_header.msg_id === msgId, `idle status for ${msgId}`, deadlineMs);
    const iopub = this.received.filter((m) => m.channel === 'iopub' && m.parent_header.msg_id === msgId);
    const stdout = iopub
      .filter((m) => m.header.msg_type === 'stream' && m.content.name === 'stdout')
      .map((m) => m.content.text as string)
      .join('');
    const result = iopub.find((m) => m.header.msg_type === 'execute_result')?.content.data?.['text/plain'] as string | undefined;
    return { msgId, reply, iopub, stdout, result };
  }

  async execute(code: string, deadlineMs = MESSAGE_DEADLINE_MS): Promise<ExecuteOutcome> {
    return this.outcome(this.sendExecute(code), deadlineMs);
  }

  /** Messages (any channel) whose parent is `msgId`. */
  childrenOf(msgId: string): WireMessage[] {
    return this.received.filter((m) => m.parent_header.msg_id === msgId);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    await this.closed;
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    const message = (isBinary ? parseBinaryJsonFrame(data) : JSON.parse(data.toString('utf8'))) as WireMessage;
    this.received.push(message);
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (waiter.predicate(message)) waiter.resolve(message);
      else this.waiters.push(waiter);
    }
  }
}

/** Opens a socket on the kernel, runs `code` there, closes the socket, and resolves with what the cell produced. */
export async function executeOnce(wsBaseUrl: string, token: string, kernelId: string, code: string): Promise<ExecuteOutcome> {
  const socket = await KernelSocket.open(wsBaseUrl, token, kernelId);
  try {
    return await socket.execute(code);
  } finally {
    await socket.close();
  }
}

export function isStatus(message: WireMessage, state: string): boolean {
  return message.channel === 'iopub' && message.header.msg_type === 'status' && message.content.execution_state === state;
}

/** Jupyter Server's binary framing of a message with buffers: uint32be n, n offsets, JSON, buffers. */
function parseBinaryJsonFrame(data: Buffer): unknown {
  const start = data.readUInt32BE(4);
  const end = data.readUInt32BE(0) > 1 ? data.readUInt32BE(8) : data.length;
  return JSON.parse(data.subarray(start, end).toString('utf8'));
}

/** Makes the kernel's process exit on its own (os._exit(3)) and waits until the gateway has restarted it and it is idle again. */
export async function crashAndAwaitRestart(socket: KernelSocket): Promise<void> {
  socket.sendExecute('import os; os._exit(3)', { stopOnError: false });
  await socket.waitFor((m) => m.header.msg_type === 'status' && m.content.execution_state === 'restarting', 'restarting');
  await socket.waitFor(
    (m) => m.header.msg_type === 'status' && m.content.execution_state === 'idle' && !m.content.berth_stage,
    'idle again',
  );
}
