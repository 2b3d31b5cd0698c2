import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { SerialQueue } from '../../common/async';
import { BackendUnavailableError } from '../../common/errors';

/**
 * Hands out kernel ports without races.
 *
 * Why kernels elsewhere lose "Address already in use": ports are found by binding port 0 and
 * closing, so (1) two launches in flight can get the same port, and (2) a port picked from the
 * ephemeral range can be taken, before the kernel binds it, by an *outgoing* connection (the
 * gateway's own ZMQ sockets to other kernels). Here allocation is serialised, every port stays
 * reserved until its kernel is cleaned up, and ports come from below the ephemeral range.
 */
export class PortAllocator {
  private readonly queue = new SerialQueue();
  private readonly reserved = new Set<number>();
  private next: number;

  constructor(
    private readonly host: string,
    private readonly range: { readonly min: number; readonly max: number } = defaultKernelPortRange(),
  ) {
    // Start at a random point so two gateways on one machine rarely probe the same ports first.
    this.next = range.min + Math.floor(Math.random() * (range.max - range.min));
  }

  /** Reserves `count` free ports; they stay reserved until `release`. */
  allocate(count: number): Promise<number[]> {
    return this.queue.run(async () => {
      const ports: number[] = [];
      const span = this.range.max - this.range.min + 1;
      for (let tried = 0; ports.length < count; tried++) {
        if (tried >= span) {
          this.releaseNow(ports);
          throw new BackendUnavailableError(
            `No free kernel port left in ${this.range.min}-${this.range.max}; shut down kernels or widen the kernel port range.`,
          );
        }
        const port = this.advance();
        if (this.reserved.has(port)) continue;
        if (await isBindable(this.host, port)) {
          this.reserved.add(port);
          ports.push(port);
        }
      }
      return ports;
    });
  }

  /** Marks ports as taken (kernels reattached after a gateway restart). */
  claim(ports: readonly number[]): void {
    for (const port of ports) this.reserved.add(port);
  }

  release(ports: readonly number[]): void {
    this.releaseNow(ports);
  }

  get reservedCount(): number {
    return this.reserved.size;
  }

  private releaseNow(ports: readonly number[]): void {
    for (const port of ports) this.reserved.delete(port);
  }

  private advance(): number {
    const port = this.next;
    this.next = port >= this.range.max ? this.range.min : port + 1;
    return port;
  }
}

function isBindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Ports below the kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range). */
export function defaultKernelPortRange(): { min: number; max: number } {
  let ephemeralLow = 32768;
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    if (low && Number(low) > 2048) ephemeralLow = Number(low);
  } catch {
    // not Linux: keep the IANA default
  }
  return { min: Math.max(1025, ephemeralLow - 12000), max: ephemeralLow - 1 };
}
