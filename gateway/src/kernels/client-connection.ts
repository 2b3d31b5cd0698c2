import type { Channel, RawMessage } from '../protocol/messages';

/**
 * One client's transport (a WebSocket), as the kernel side sees it. Implemented by
 * `http/ws/channels-socket.ts`; kept transport-free so kernels never import `ws`.
 */
export interface ClientConnection {
  /** Encodes and sends; resolves when the transport can take more (backpressure). */
  deliver(channel: Channel, message: RawMessage): Promise<void>;
  /** Closes the transport (kernel shut down). */
  close(code: number, reason: string): void;
}
