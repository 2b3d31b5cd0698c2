import type Dockerode from 'dockerode';
import { createLogger } from '../../gateway/src/common/logger';
import { KernelClient } from '../../gateway/src/kernels/kernel-client';
import { MessageSigner } from '../../gateway/src/protocol/wire';
import { newConnection } from '../../gateway/src/provisioners/local/connection-file';
import type { PortAllocator } from '../../gateway/src/provisioners/local/port-allocator';

/** A kernel container on the host network and Berth's own client connected to it (ready). */
export interface KernelContainer {
  readonly container: Dockerode.Container;
  readonly client: KernelClient;
  /** The kernel's kernel_info_reply content. */
  readonly info: { status: string; language_info: { name: string } };
}

/**
 * Starts `image` through its kernel entrypoint with a connection on free loopback ports, waits
 * until the kernel answers, and registers container removal, client close and port release in
 * `cleanups` (run them in reverse order).
 */
export async function startKernelContainer(
  docker: Dockerode,
  image: string,
  ports: PortAllocator,
  labels: Record<string, string>,
  cleanups: (() => Promise<unknown>)[],
): Promise<KernelContainer> {
  const kernelPorts = await ports.allocate(5);
  cleanups.push(async () => ports.release(kernelPorts));
  const connection = newConnection('127.0.0.1', kernelPorts, 'python3');
  const container = await docker.createContainer({
    Image: image,
    Env: [`BERTH_CONNECTION_INFO=${JSON.stringify(connection)}`],
    Labels: { 'berth.io/managed-by': 'berth', ...labels },
    HostConfig: { NetworkMode: 'host' },
  });
  cleanups.push(() => container.remove({ force: true }));
  await container.start();
  const client = new KernelClient(connection, new MessageSigner(connection.key), async () => undefined, createLogger({ level: 'silent' }));
  cleanups.push(async () => client.close());
  await client.waitReady(AbortSignal.timeout(60_000));
  const reply = await client.request('shell', 'kernel_info_request', {}, 10_000);
  return { container, client, info: JSON.parse(reply.content.toString('utf8')) };
}
