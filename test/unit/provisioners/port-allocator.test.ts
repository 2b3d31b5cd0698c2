import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { PortAllocator, defaultKernelPortRange } from '../../../gateway/src/provisioners/local/port-allocator';
import { BackendUnavailableError } from '../../../gateway/src/common/errors';

const HOST = '127.0.0.1';
const servers: Server[] = [];

function listen(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      servers.push(server);
      resolve(server);
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A run of `size` consecutive ports that are free right now, below the ephemeral range so
 * outgoing connections do not take them meanwhile. Keeps parallel test files apart by
 * starting at a random point.
 */
async function freeRange(size: number): Promise<{ min: number; max: number }> {
  const { min, max } = defaultKernelPortRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const start = min + Math.floor(Math.random() * (max - min - size));
    const checks = await Promise.all(Array.from({ length: size }, (_, i) => canBind(start + i)));
    if (checks.every(Boolean)) return { min: start, max: start + size - 1 };
  }
  throw new Error(`no run of ${size} free ports found`);
}

async function expectUnavailable(promise: Promise<unknown>): Promise<BackendUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BackendUnavailableError);
  return error as BackendUnavailableError;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('PortAllocator', () => {
  it('gives 32 concurrent allocate(5) calls 160 distinct ports inside the range', async () => {
    const range = await freeRange(400);
    const allocator = new PortAllocator(HOST, range);
    const results = await Promise.all(Array.from({ length: 32 }, () => allocator.allocate(5)));
    for (const ports of results) expect(ports).toHaveLength(5);
    const all = results.flat();
    expect(new Set(all).size).toBe(160);
    for (const port of all) {
      expect(Number.isInteger(port)).toBe(true);
      expect(port).toBeGreaterThanOrEqual(range.min);
      expect(port).toBeLessThanOrEqual(range.max);
    }
    expect(allocator.reservedCount).toBe(160);
  });

  it.each([
    ['127.0.0.1', HOST],
    ['the wildcard address', '0.0.0.0'],
  ])('skips a port held by a server listening on %s', async (_label, host) => {
    const range = await freeRange(8);
    const held = range.min + 3;
    await listen(held, host);
    const allocator = new PortAllocator(HOST, range);
    const got = await allocator.allocate(7);
    expect(got).not.toContain(held);
    expect(new Set(got).size).toBe(7);
    expect([...got].sort((a, b) => a - b)).toEqual([0, 1, 2, 4, 5, 6, 7].map((i) => range.min + i));
    // Only the held port is left, and it is not free.
    await expectUnavailable(allocator.allocate(1));
  });

  it('hands released ports out again', async () => {
    const range = await freeRange(5);
    const allocator = new PortAllocator(HOST, range);
    const ports = await allocator.allocate(5);
    expect(new Set(ports).size).toBe(5);
    await expectUnavailable(allocator.allocate(1));

    allocator.release([ports[2]!]);
    expect(allocator.reservedCount).toBe(4);
    expect(await allocator.allocate(1)).toEqual([ports[2]]);

    allocator.release(ports);
    expect(allocator.reservedCount).toBe(0);
    expect((await allocator.allocate(5)).sort()).toEqual([...ports].sort());
  });

  it('does not hand out claimed ports', async () => {
    const range = await freeRange(3);
    const allocator = new PortAllocator(HOST, range);
    allocator.claim([range.min + 1]);
    const got = await allocator.allocate(2);
    expect(got.sort()).toEqual([range.min, range.max].sort());
    await expectUnavailable(allocator.allocate(1));
  });

  it('throws BackendUnavailableError when a tiny range is exhausted, keeping nothing reserved', async () => {
    const range = await freeRange(3);
    const allocator = new PortAllocator(HOST, range);
    const error = await expectUnavailable(allocator.allocate(4));
    expect(error.code).toBe('backend-unavailable');
    expect(error.message).toContain(`${range.min}-${range.max}`);
    // The three ports it had taken before failing are given back…
    expect(allocator.reservedCount).toBe(0);
    // …and the queue keeps working after a failure.
    expect((await allocator.allocate(3)).sort()).toEqual([range.min, range.min + 1, range.max].sort());
    await expectUnavailable(allocator.allocate(1));
    expect(allocator.reservedCount).toBe(3);
  });

  it('does not take ports that a later, failing call in the queue was refused', async () => {
    const range = await freeRange(4);
    const allocator = new PortAllocator(HOST, range);
    const [a, b, c] = await Promise.allSettled([allocator.allocate(3), allocator.allocate(3), allocator.allocate(1)]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    expect((b as PromiseRejectedResult).reason).toBeInstanceOf(BackendUnavailableError);
    expect(c.status).toBe('fulfilled');
    const ports = [...(a as PromiseFulfilledResult<number[]>).value, ...(c as PromiseFulfilledResult<number[]>).value];
    expect(new Set(ports).size).toBe(4);
    expect(allocator.reservedCount).toBe(4);
  });
});

describe('defaultKernelPortRange', () => {
  it('stays below the ephemeral port range', () => {
    const { min, max } = defaultKernelPortRange();
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    expect(max).toBe(low - 1);
    expect(min).toBeGreaterThanOrEqual(1025);
    expect(max - min).toBeGreaterThan(1000);
  });
});
