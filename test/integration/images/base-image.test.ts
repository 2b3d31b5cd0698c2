// Builds the real base image (images/base.Dockerfile) on the real Docker Engine and runs a kernel
// from it on the host network. scripts/test.mjs starts the daemon and makes the OS base image
// (scripts/ensure-docker.mjs) before jest runs. The built image is content-addressed and kept as a
// cache (labelled berth.io/managed-by=berth); the container is removed afterwards.
import Dockerode from 'dockerode';
import { createLogger } from '../../../gateway/src/common/logger';
import { KernelClient } from '../../../gateway/src/kernels/kernel-client';
import { MessageSigner } from '../../../gateway/src/protocol/wire';
import { ImageBuilder, type BuildProgress } from '../../../gateway/src/images/image-builder';
import { newConnection } from '../../../gateway/src/provisioners/local/connection-file';
import { PortAllocator } from '../../../gateway/src/provisioners/local/port-allocator';

const TEST_LABEL = { 'berth.io/test': 'images-base-image' };
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
const builder = new ImageBuilder(docker);
// Below the gateway's default kernel port range, so kernels of tests running in parallel never race for a port.
const ports = new PortAllocator('127.0.0.1', { min: 19000, max: 19999 });
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

test('the base image builds with progress, is skipped when nothing changed, and runs a kernel on the host network', async () => {
  const progress: BuildProgress[] = [];
  const first = await builder.buildBase({ labels: TEST_LABEL, onProgress: (p) => progress.push(p) });
  expect(first.ref).toMatch(/^berth\/base:[0-9a-f]{12}$/);
  if (!first.skipped) {
    const steps = progress.filter((p) => /^Step \d+\/\d+ :/.test(p.line));
    expect(steps.length).toBeGreaterThan(5);
    expect(steps[steps.length - 1].step).toBe(steps[0].total);
  }

  const image = await docker.getImage(first.ref).inspect();
  expect(image.Config.Labels).toEqual(
    expect.objectContaining({
      'berth.io/managed-by': 'berth',
      'berth.io/spec-hash': first.spec.specHash,
      'berth.io/parent-image': 'berth/os-bookworm:latest',
      'berth.io/version': expect.stringMatching(/^\d+\.\d+\.\d+/),
    }),
  );
  expect(image.Config.User).toBe('1000:1000');
  expect(image.Config.Entrypoint).toEqual(['/usr/bin/tini', '--', '/usr/local/bin/berth-kernel-entrypoint']);

  const second = await builder.buildBase({ labels: TEST_LABEL });
  expect(second).toEqual(expect.objectContaining({ ref: first.ref, id: first.id, skipped: true }));
  expect(second.ms).toBeLessThan(5000);

  const kernelPorts = await ports.allocate(5);
  cleanups.push(async () => ports.release(kernelPorts));
  const connection = newConnection('127.0.0.1', kernelPorts, 'python3');
  const container = await docker.createContainer({
    Image: first.ref,
    Env: [`BERTH_CONNECTION_INFO=${JSON.stringify(connection)}`],
    Labels: { 'berth.io/managed-by': 'berth', ...TEST_LABEL },
    HostConfig: { NetworkMode: 'host' },
  });
  cleanups.push(() => container.remove({ force: true }));
  await container.start();

  const client = new KernelClient(connection, new MessageSigner(connection.key), async () => undefined, createLogger({ level: 'silent' }));
  cleanups.push(async () => client.close());
  await client.waitReady(AbortSignal.timeout(60_000));
  const reply = await client.request('shell', 'kernel_info_request', {}, 10_000);
  const content = JSON.parse(reply.content.toString('utf8'));
  expect(content.status).toBe('ok');
  expect(content.language_info.name).toBe('python');

  const top = await container.top({ ps_args: '-o pid,user,comm' });
  const commands = top.Processes.map((row: string[]) => row[2]);
  expect(commands[0]).toBe('tini');
  expect(commands).toContain('python3');
}, 240_000);
