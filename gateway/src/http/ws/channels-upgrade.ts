import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ForbiddenError, NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { IdentityResolver } from '../../execution/identity';
import type { KernelManager } from '../../kernels/kernel-manager';
import type { GatewayMetrics } from '../../metrics/gateway-metrics';
import { chooseFraming, V1_SUBPROTOCOL } from '../../protocol/ws-framing';
import { errorBody } from '../middleware/error-handler';
import type { OriginPolicy } from '../middleware/origin-policy';
import { ChannelsSocket } from './channels-socket';

export interface ChannelsUpgradeDeps {
  readonly kernels: KernelManager;
  readonly identities: IdentityResolver;
  readonly origins: OriginPolicy;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  readonly baseUrl: string;
  readonly maxMessageBytes: number;
}

/**
 * Handles HTTP upgrades to `/api/kernels/:id/channels`: identity, origin and kernel checks
 * happen before the handshake, so a refused client gets a proper HTTP status and body.
 */
export class ChannelsUpgrade {
  private readonly server: WebSocketServer;
  private readonly pattern: RegExp;

  constructor(private readonly deps: ChannelsUpgradeDeps) {
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: deps.maxMessageBytes,
      perMessageDeflate: false, // compression costs more CPU than loopback bandwidth saves
      handleProtocols: (offered) => (offered.has(V1_SUBPROTOCOL) ? V1_SUBPROTOCOL : false),
    });
    const base = deps.baseUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.pattern = new RegExp(`^${base}api/kernels/([^/]+)/channels/?$`);
  }

  /** Returns false if the URL is not ours (the caller then refuses the upgrade). */
  handle(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(request.url ?? '/', 'http://gateway');
    const match = this.pattern.exec(url.pathname);
    if (!match) return false;
    try {
      const identity = this.deps.identities.resolve(request);
      if (!this.deps.origins.allows(request))
        throw new ForbiddenError(
          `WebSocket origin ${request.headers.origin} is not allowed; start the gateway with --allow-origin to permit it.`,
        );
      const kernel = this.deps.kernels.getFor(identity, decodeURIComponent(match[1]!)); // another user's kernel: 404
      if (kernel.phase === 'terminating') throw new NotFoundError(`Kernel ${kernel.id} is shutting down.`);
      const offered = new Set(
        (request.headers['sec-websocket-protocol'] ?? '')
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean),
      );
      const framing = chooseFraming(offered);
      this.server.handleUpgrade(request, socket, head, (ws) => {
        if ('setNoDelay' in socket) (socket as unknown as { setNoDelay(v: boolean): void }).setNoDelay(true);
        const channels = new ChannelsSocket(ws, kernel, framing, this.deps.metrics, this.deps.log);
        channels.open(url.searchParams.get('session_id') ?? undefined).catch((error: Error) => {
          this.deps.log.warn({ kernelId: kernel.id, err: error.message }, 'could not attach websocket');
          ws.close(1011, `kernel unavailable: ${error.message}`.slice(0, 120));
        });
      });
    } catch (error) {
      const { status, body } = errorBody(error);
      const payload = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${status} ${body.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
      );
    }
    return true;
  }

  close(): void {
    for (const client of this.server.clients) client.terminate();
    this.server.close();
  }
}
