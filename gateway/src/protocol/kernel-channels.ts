import { randomUUID } from 'node:crypto';
import { Dealer, Request, Subscriber, type Socket } from 'zeromq';
import type { Logger } from '../common/logger';
import { channelUrl, type ConnectionInfo } from './connection-info';
import type { Channel, RawMessage } from './messages';
import { decodeFrames, encodeFrames, MessageSigner, WireError } from './wire';

/**
 * ZeroMQ sockets to one kernel, as a Jupyter client opens them: shell, control and stdin
 * DEALERs sharing one routing id (so the kernel's stdin requests reach the client that
 * executed), and optionally the iopub SUB. High-water marks are 0: iopub must never drop.
 *
 * Replies are verified (HMAC on the raw bytes) and handed to `onMessage` without parsing.
 * A message with a bad signature is dropped and logged, never delivered.
 */
export class KernelChannels {
  private readonly sockets = new Map<Channel, Dealer | Subscriber>();
  private readonly sendTails = new Map<Channel, Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly connection: ConnectionInfo,
    private readonly signer: MessageSigner,
    channels: readonly Channel[],
    private readonly onMessage: (channel: Channel, message: RawMessage) => void | Promise<void>,
    private readonly log: Logger,
  ) {
    const routingId = randomUUID();
    for (const channel of channels) {
      const socket =
        channel === 'iopub'
          ? new Subscriber({ linger: 0, receiveHighWaterMark: 0 })
          : new Dealer({ routingId, linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
      if (socket instanceof Subscriber) socket.subscribe();
      socket.connect(channelUrl(connection, `${channel}_port`));
      this.sockets.set(channel, socket);
      void this.readLoop(channel, socket);
    }
  }

  /** Sends a message on a DEALER channel; sends on one socket are serialised (zeromq allows one at a time). */
  send(channel: Exclude<Channel, 'iopub'>, message: RawMessage): Promise<void> {
    const socket = this.sockets.get(channel);
    if (!socket || !(socket instanceof Dealer)) return Promise.reject(new Error(`channel ${channel} is not open`));
    const frames = encodeFrames(message, this.signer);
    const previous = this.sendTails.get(channel) ?? Promise.resolve();
    const sent = previous.then(() => (this.closed ? undefined : socket.send(frames)));
    this.sendTails.set(
      channel,
      sent.catch(() => undefined),
    );
    return sent;
  }

  /**
   * Connects one channel again right now. ZMQ retries a refused connect only every 100-200 ms,
   * so a socket that tried before the kernel bound its port can lag the others by that much.
   */
  reconnect(channel: Channel): void {
    const socket = this.sockets.get(channel);
    if (!socket || this.closed) return;
    const url = channelUrl(this.connection, `${channel}_port`);
    try {
      socket.disconnect(url);
    } catch {
      // not connected (any more): connecting below is all that is needed
    }
    socket.connect(url);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of this.sockets.values()) socket.close();
    this.sockets.clear();
  }

  private async readLoop(channel: Channel, socket: Socket & AsyncIterable<Buffer[]>): Promise<void> {
    try {
      for await (const frames of socket) {
        let message: RawMessage;
        try {
          message = decodeFrames(frames, this.signer);
        } catch (error) {
          if (!(error instanceof WireError)) throw error;
          this.log.warn({ channel, err: error.message }, 'dropped a kernel message that failed verification');
          continue;
        }
        // Awaiting here is the backpressure: a slow client stops reading from ZMQ.
        await this.onMessage(channel, message);
      }
    } catch (error) {
      if (!this.closed) this.log.error({ channel, err: (error as Error).message }, 'kernel socket read failed');
    }
  }
}

/**
 * One heartbeat ping: the kernel's hb socket echoes what it gets. Resolves true if the echo
 * arrives within `timeoutMs`. Used to confirm a reattached kernel is responsive.
 */
export async function pingHeartbeat(connection: ConnectionInfo, timeoutMs: number): Promise<boolean> {
  const socket = new Request({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs });
  try {
    socket.connect(channelUrl(connection, 'hb_port'));
    const ping = Buffer.from(randomUUID());
    await socket.send(ping);
    const [echo] = await socket.receive();
    return echo !== undefined && echo.equals(ping);
  } catch {
    return false;
  } finally {
    socket.close();
  }
}
