import type { Logger } from '../common/logger';
import type { ConnectionInfo } from '../protocol/connection-info';
import { KernelChannels } from '../protocol/kernel-channels';
import type { Channel, RawMessage } from '../protocol/messages';
import type { MessageSigner } from '../protocol/wire';
import type { ClientConnection } from './client-connection';

export interface BufferLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

/**
 * A client's session on a kernel: its own shell/control/stdin sockets (so replies and stdin
 * requests reach only it) and its view of the broadcast iopub. While its WebSocket is away
 * the session buffers what arrives (bounded) and replays it when a socket with the same
 * session id reconnects, as Jupyter Server does.
 */
export class ClientSession {
  private readonly channels: KernelChannels;
  private connection: ClientConnection | undefined;
  private buffer: { channel: Channel; message: RawMessage }[] = [];
  private bufferedBytes = 0;
  private droppedWhileAway = 0;

  constructor(
    readonly sessionId: string,
    connection: ClientConnection,
    kernelConnection: ConnectionInfo,
    signer: MessageSigner,
    private readonly limits: BufferLimits,
    private readonly log: Logger,
  ) {
    this.connection = connection;
    this.channels = new KernelChannels(
      kernelConnection,
      signer,
      ['shell', 'control', 'stdin'],
      (channel, message) => this.deliver(channel, message),
      log,
    );
  }

  get attached(): boolean {
    return this.connection !== undefined;
  }

  /** A message from the client, for the kernel. */
  send(channel: Exclude<Channel, 'iopub'>, message: RawMessage): Promise<void> {
    return this.channels.send(channel, message);
  }

  /** A message from the kernel (a reply on this session's sockets, or broadcast iopub). */
  deliver(channel: Channel, message: RawMessage): Promise<void> | void {
    if (this.connection) return this.connection.deliver(channel, message);
    this.bufferMessage(channel, message);
  }

  /**
   * The WebSocket went away: keep the sockets and buffer until it comes back. Returns false,
   * changing nothing, when `connection` is given and no longer the session's (it was replaced).
   */
  detach(connection?: ClientConnection): boolean {
    if (connection && connection !== this.connection) return false;
    this.connection = undefined;
    return true;
  }

  /**
   * A new WebSocket came with this session id while the old one still looks open: the client
   * reconnected before the old socket's close reached us (e.g. a dropped network). As Jupyter
   * Server does, the new socket takes the session over, so the replies and input requests of
   * requests already sent reach it, and the stale socket is closed.
   */
  replace(connection: ClientConnection): void {
    const stale = this.connection;
    this.connection = connection;
    stale?.close(1000, 'replaced by a newer connection with the same session id');
  }

  /** A WebSocket with this session id came back: replay what was buffered, in order. */
  async reattach(connection: ClientConnection): Promise<void> {
    const replay = this.buffer;
    if (this.droppedWhileAway > 0) {
      this.log.warn(
        { session: this.sessionId, dropped: this.droppedWhileAway },
        'buffer limit reached while the client was away; oldest messages were dropped',
      );
    }
    this.buffer = [];
    this.bufferedBytes = 0;
    this.droppedWhileAway = 0;
    this.connection = connection;
    for (const { channel, message } of replay) await connection.deliver(channel, message);
  }

  close(code = 1000, reason = ''): void {
    this.connection?.close(code, reason);
    this.connection = undefined;
    this.channels.close();
    this.buffer = [];
  }

  private bufferMessage(channel: Channel, message: RawMessage): void {
    this.buffer.push({ channel, message });
    this.bufferedBytes += message.byteLength;
    while (this.buffer.length > this.limits.maxMessages || (this.bufferedBytes > this.limits.maxBytes && this.buffer.length > 1)) {
      const dropped = this.buffer.shift()!;
      this.bufferedBytes -= dropped.message.byteLength;
      this.droppedWhileAway++;
    }
  }
}
