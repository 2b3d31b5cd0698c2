import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Logger } from '../../common/logger';
import { LARGE_MESSAGE_BYTES, releaseLargeBuffersSoon } from '../../common/memory-release';
import type { ClientConnection } from '../../kernels/client-connection';
import type { ClientSession } from '../../kernels/client-session';
import type { ManagedKernel } from '../../kernels/managed-kernel';
import type { GatewayMetrics } from '../../metrics/gateway-metrics';
import { createMessage, RawMessage, type Channel } from '../../protocol/messages';
import { decodeFromClient, encodeForClientFragments, FramingError, type Framing } from '../../protocol/ws-framing';

/** Above this many unsent bytes the kernel's reader waits: backpressure instead of unbounded memory. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/**
 * One client WebSocket on `/api/kernels/:id/channels`, bridged to a ClientSession.
 * Kernel messages are spliced into the client's framing without parsing; client frames
 * that cannot be relayed get a Jupyter `error` message back (to this client only) and
 * never reach the kernel.
 */
export class ChannelsSocket implements ClientConnection {
  private session: ClientSession | undefined;
  private unsentBytes = 0;
  private drainWaiters: (() => void)[] = [];
  private pendingFromClient: Promise<void> = Promise.resolve();
  private detached = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly kernel: ManagedKernel,
    private readonly framing: Framing,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
  ) {}

  /** Attaches to the kernel and starts relaying. */
  async open(sessionId: string | undefined): Promise<void> {
    this.metrics.websockets.inc();
    this.socket.on('close', () => this.onClose());
    this.socket.on('error', (error) => this.log.warn({ kernelId: this.kernel.id, err: error.message }, 'kernel websocket error'));
    // Frames that arrive while attaching are queued behind the attach, in order.
    const attached = this.kernel.attach(sessionId, this).then((session) => {
      this.session = session;
      if (this.socket.readyState !== this.socket.OPEN) this.detachSession(); // it closed while attaching
    });
    // The queue must never reject: a rejected link would skip every later frame and, unhandled,
    // stop the whole gateway process (e.g. frames sent to a dead kernel, whose attach fails).
    this.pendingFromClient = attached.catch(() => undefined);
    this.socket.on('message', (data, isBinary) => {
      this.pendingFromClient = this.pendingFromClient
        .then(() => this.fromClient(toBuffer(data), isBinary))
        .catch((error: unknown) =>
          this.log.error({ kernelId: this.kernel.id, err: (error as Error)?.message ?? String(error) }, 'could not handle a client frame'),
        );
    });
    await attached;
  }

  deliver(channel: Channel, message: RawMessage): Promise<void> {
    if (this.socket.readyState !== this.socket.OPEN) {
      // The client is leaving (close handshake under way): from now on the session buffers what
      // arrives, for a replay if it reconnects, instead of this socket dropping it.
      const session = this.session;
      if (session && this.detachSession()) return session.deliver(channel, message) ?? Promise.resolve();
      return Promise.resolve();
    }
    // Big parts go out as fragments of one WebSocket message, never copied (see encodeForClientFragments).
    const { fragments, binary, byteLength: size } = encodeForClientFragments(this.framing, channel, message);
    this.unsentBytes += size;
    this.metrics.countMessage(channel, 'out');
    const sent = (): void => {
      this.unsentBytes -= size;
      if (size >= LARGE_MESSAGE_BYTES) releaseLargeBuffersSoon();
      if (this.unsentBytes <= HIGH_WATER_BYTES / 2 && this.drainWaiters.length > 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const wake of waiters) wake();
      }
    };
    const last = fragments.length - 1;
    fragments.forEach((fragment, index) => this.socket.send(fragment, { binary, fin: index === last }, index === last ? sent : undefined));
    if (this.unsentBytes <= HIGH_WATER_BYTES) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  private async fromClient(data: Buffer, isBinary: boolean): Promise<void> {
    if (!this.session) return;
    let frame;
    try {
      frame = decodeFromClient(this.framing, data, isBinary);
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      this.log.warn({ kernelId: this.kernel.id, err: error.message }, 'rejected a malformed client frame');
      await this.deliver('iopub', invalidMessageError(error.message));
      return;
    }
    this.metrics.countMessage(frame.channel, 'in');
    try {
      await this.kernel.fromClient(this.session, frame.channel as Exclude<Channel, 'iopub'>, frame.message);
    } catch (error) {
      this.log.warn({ kernelId: this.kernel.id, err: (error as Error).message }, 'could not forward a client message');
    }
  }

  private onClose(): void {
    this.metrics.websockets.dec();
    for (const wake of this.drainWaiters) wake();
    this.drainWaiters = [];
    this.detachSession();
  }

  /** Hands the session back to the kernel to buffer, once; false if there is none or it was done. */
  private detachSession(): boolean {
    if (!this.session || this.detached) return false;
    this.detached = true;
    this.kernel.detach(this.session, this);
    return true;
  }
}

/** A Jupyter `error` message telling the client why its frame was not relayed. */
function invalidMessageError(reason: string): RawMessage {
  return RawMessage.fromMessage(
    createMessage(
      'error',
      { ename: 'InvalidMessage', evalue: `Berth did not relay a frame: ${reason}`, traceback: [] },
      { session: 'berth-gateway', msgId: randomUUID() },
    ),
  );
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
