import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';

/**
 * A Jupyter message as a WebSocket client sees it, plus a small recorder for one channels
 * socket in either framing: the default JSON framing (with jupyter_server's legacy binary form
 * for messages with buffers) or `v1.kernel.websocket.jupyter.org`.
 */
export interface WsMessage {
  channel: string;
  header: {
    msg_id: string;
    msg_type: string;
    session?: string;
    username?: string;
    date?: string;
    version?: string;
    [key: string]: unknown;
  };
  parent_header: { msg_id?: string; msg_type?: string; [key: string]: unknown };
  metadata: Record<string, unknown>;
  content: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  buffers?: Buffer[];
}

export type WsFraming = 'json' | 'v1';

/** A client request with a fresh msg_id. */
export function clientMessage(msgType: string, content: Record<string, unknown>, session: string, channel = 'shell'): WsMessage {
  return {
    channel,
    header: { msg_id: randomUUID(), msg_type: msgType, session, username: 'berth-test', date: new Date().toISOString(), version: '5.3' },
    parent_header: {},
    metadata: {},
    content,
  };
}

/** Encodes a message in the v1 framing: uint64le count, count uint64le offsets, then the parts. */
export function encodeV1(message: WsMessage): Buffer {
  const parts = [
    Buffer.from(message.channel),
    Buffer.from(JSON.stringify(message.header)),
    Buffer.from(JSON.stringify(message.parent_header)),
    Buffer.from(JSON.stringify(message.metadata)),
    Buffer.from(JSON.stringify(message.content)),
    ...(message.buffers ?? []),
  ];
  return encodeV1Parts(parts);
}

/** Builds a v1 frame from raw parts (channel, header, parent_header, metadata, content, buffers…). */
export function encodeV1Parts(parts: Buffer[]): Buffer {
  const count = parts.length + 1;
  const table = Buffer.alloc(8 * (count + 1));
  table.writeBigUInt64LE(BigInt(count), 0);
  let offset = table.length;
  parts.forEach((part, index) => {
    table.writeBigUInt64LE(BigInt(offset), 8 * (index + 1));
    offset += part.length;
  });
  table.writeBigUInt64LE(BigInt(offset), 8 * count);
  return Buffer.concat([table, ...parts]);
}

function decodeV1(data: Buffer): WsMessage {
  const count = Number(data.readBigUInt64LE(0));
  const offsets: number[] = [];
  for (let i = 1; i <= count; i++) offsets.push(Number(data.readBigUInt64LE(8 * i)));
  const part = (i: number): Buffer => data.subarray(offsets[i]!, offsets[i + 1]!);
  const json = (i: number): any => JSON.parse(part(i).toString('utf8')); // eslint-disable-line @typescript-eslint/no-explicit-any
  const buffers: Buffer[] = [];
  for (let i = 5; i < offsets.length - 1; i++) buffers.push(part(i));
  return { channel: part(0).toString('utf8'), header: json(1), parent_header: json(2), metadata: json(3), content: json(4), buffers };
}

/** jupyter_server's legacy binary form: uint32be n, n uint32be offsets, JSON, buffers. */
function decodeLegacyBinary(data: Buffer): WsMessage {
  const count = data.readUInt32BE(0);
  const offsets: number[] = [];
  for (let i = 1; i <= count; i++) offsets.push(data.readUInt32BE(4 * i));
  offsets.push(data.length);
  const message = JSON.parse(data.subarray(offsets[0]!, offsets[1]!).toString('utf8')) as WsMessage;
  message.buffers = [];
  for (let i = 1; i < count; i++) message.buffers.push(data.subarray(offsets[i]!, offsets[i + 1]!));
  return message;
}

export interface ExecuteOutcome {
  readonly reply: WsMessage;
  /** Concatenated stdout/stderr stream text parented on the request. */
  readonly stream: string;
  /** text/plain of the execute_result, if any. */
  readonly result: string | undefined;
  /** text/plain of every execute_result and display_data, in order (IRkernel shows values with display_data). */
  readonly displayed: string[];
  readonly error: WsMessage | undefined;
}

/**
 * Records every message a channels socket receives (in order) and waits for messages by
 * predicate. Waiting looks at what already arrived first, so nothing is missed by a race.
 */
export class ChannelRecorder {
  readonly messages: WsMessage[] = [];
  readonly session = randomUUID();
  closed: { code: number; reason: string } | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly ws: WebSocket,
    readonly framing: WsFraming,
  ) {
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const message =
        framing === 'v1' ? decodeV1(buffer) : isBinary ? decodeLegacyBinary(buffer) : (JSON.parse(buffer.toString('utf8')) as WsMessage);
      this.messages.push(message);
      for (const wake of [...this.waiters]) wake();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString('utf8') };
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Sends a message in this socket's framing. */
  send(message: WsMessage): void {
    if (this.framing === 'v1') this.ws.send(encodeV1(message), { binary: true });
    else this.ws.send(JSON.stringify(message));
  }

  /** Resolves with the first recorded message matching, or rejects after timeoutMs naming `what`. */
  waitFor(predicate: (message: WsMessage) => boolean, what: string, timeoutMs = 30_000): Promise<WsMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.messages.find(predicate);
        if (found) {
          done();
          resolve(found);
          return true;
        }
        if (this.closed) {
          done();
          reject(new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting for ${what}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        const seen = this.messages.map((m) => `${m.channel}:${m.header.msg_type}`).join(', ');
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: [${seen}]`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = (): void => void check();
      this.waiters.add(wake);
      check();
    });
  }

  /** Replies and iopub messages parented on a request. */
  childrenOf(request: WsMessage): WsMessage[] {
    return this.messages.filter((m) => m.parent_header?.msg_id === request.header.msg_id);
  }

  /** Runs code and waits for both its execute_reply and its iopub idle status. */
  async execute(code: string, timeoutMs = 30_000): Promise<ExecuteOutcome> {
    const request = clientMessage(
      'execute_request',
      { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
      this.session,
    );
    this.send(request);
    return this.outcomeOf(request, timeoutMs);
  }

  /** Waits for the reply and the idle status of an already sent execute_request. */
  async outcomeOf(request: WsMessage, timeoutMs = 30_000): Promise<ExecuteOutcome> {
    const id = request.header.msg_id;
    const reply = await this.waitFor(
      (m) => m.channel === 'shell' && m.header.msg_type === 'execute_reply' && m.parent_header?.msg_id === id,
      `execute_reply to ${id}`,
      timeoutMs,
    );
    await this.waitFor(
      (m) =>
        m.channel === 'iopub' &&
        m.header.msg_type === 'status' &&
        m.content['execution_state'] === 'idle' &&
        m.parent_header?.msg_id === id,
      `idle status after ${id}`,
      timeoutMs,
    );
    const children = this.childrenOf(request).filter((m) => m.channel === 'iopub');
    const stream = children
      .filter((m) => m.header.msg_type === 'stream')
      .map((m) => String(m.content['text']))
      .join('');
    const result = children.find((m) => m.header.msg_type === 'execute_result');
    return {
      reply,
      stream,
      result: result ? String(result.content['data']?.['text/plain']) : undefined,
      displayed: children
        .filter((m) => m.header.msg_type === 'execute_result' || m.header.msg_type === 'display_data')
        .map((m) => String(m.content['data']?.['text/plain'])),
      error: children.find((m) => m.header.msg_type === 'error'),
    };
  }
}
