/**
 * Jupyter messaging protocol shapes (snake_case, as the spec defines them).
 * Spec: https://jupyter-client.readthedocs.io/en/stable/messaging.html
 */

/** The five kernel channels; `hb` is never relayed to clients. */
export type Channel = 'shell' | 'control' | 'stdin' | 'iopub';

/** Channels a client may send on. */
export const CLIENT_CHANNELS: ReadonlySet<string> = new Set(['shell', 'control', 'stdin']);

export const PROTOCOL_VERSION = '5.3';

export interface MessageHeader {
  readonly msg_id: string;
  readonly msg_type: string;
  readonly session: string;
  readonly username: string;
  readonly date: string;
  readonly version: string;
  readonly subshell_id?: string;
}

/** A fully parsed message: used for the gateway's own requests, never on the relay path. */
export interface JupyterMessage<C = Record<string, unknown>> {
  readonly header: MessageHeader;
  readonly parent_header: Partial<MessageHeader>;
  readonly metadata: Record<string, unknown>;
  readonly content: C;
  readonly buffers?: readonly Buffer[];
  readonly channel?: Channel;
}

/**
 * A message as it travels: the four JSON parts kept as the exact bytes that were signed,
 * so relaying never parses and re-serialises bodies. `header` is parsed lazily and cached.
 */
export class RawMessage {
  private parsedHeader: MessageHeader | undefined;

  constructor(
    readonly header: Buffer,
    readonly parentHeader: Buffer,
    readonly metadata: Buffer,
    readonly content: Buffer,
    readonly buffers: readonly Buffer[] = [],
  ) {}

  /** The header, parsed on first use (it is small; content is never parsed here). */
  parsedHeaderFields(): MessageHeader {
    this.parsedHeader ??= JSON.parse(this.header.toString('utf8')) as MessageHeader;
    return this.parsedHeader;
  }

  /** Total bytes of all parts (for buffer limits and metrics). */
  get byteLength(): number {
    let total = this.header.length + this.parentHeader.length + this.metadata.length + this.content.length;
    for (const buffer of this.buffers) total += buffer.length;
    return total;
  }

  get msgType(): string {
    return this.parsedHeaderFields().msg_type;
  }

  /** Parse the content; only for the few small messages the gateway itself must read. */
  parseContent<C = Record<string, unknown>>(): C {
    return JSON.parse(this.content.toString('utf8')) as C;
  }

  parseParentHeader(): Partial<MessageHeader> {
    return JSON.parse(this.parentHeader.toString('utf8')) as Partial<MessageHeader>;
  }

  static fromMessage(message: JupyterMessage<unknown>): RawMessage {
    return new RawMessage(
      Buffer.from(JSON.stringify(message.header)),
      Buffer.from(JSON.stringify(message.parent_header)),
      Buffer.from(JSON.stringify(message.metadata)),
      Buffer.from(JSON.stringify(message.content)),
      message.buffers ?? [],
    );
  }
}

/** Builds a message the gateway sends on its own behalf (kernel_info, shutdown, status). */
export function createMessage<C>(
  msgType: string,
  content: C,
  options: { session: string; msgId: string; parent?: Partial<MessageHeader>; username?: string },
): JupyterMessage<C> {
  return {
    header: {
      msg_id: options.msgId,
      msg_type: msgType,
      session: options.session,
      username: options.username ?? 'berth',
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent_header: options.parent ?? {},
    metadata: {},
    content,
  };
}

export type ExecutionState = 'unknown' | 'starting' | 'idle' | 'busy' | 'restarting' | 'dead' | 'autorestarting';
