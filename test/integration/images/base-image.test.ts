// Builds the real base image (images/base.Dockerfile) on the real Docker Engine and runs a kernel
// from it on the host network. scripts/test.mjs starts the daemon and makes the OS base image
// (scripts/ensure-docker.mjs) before jest runs. The built image is content-addressed and kept as a
// cache (labelled berth.io/managed-by=berth); the container is removed afterwards.
import Dockerode from 'dockerode';
import { ImageBuilder, type BuildProgress } from '../../../gateway/src/images/image-builder';
import { PortAllocator } from '../../../gateway/src/provisioners/local/port-allocator';
import { startKernelContainer } from '../../support/kernel-container';

const TEST_LABEL = { 'berth.io/test': 'images-base-image' };
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
const builder = new ImageBuilder(docker);
// Below the gateway's default kernel port range, so kernels of tests running in parallel never race for a port.
const ports = new PortAllocator('127.0.0.1', { min: 19000, max: 19499 });
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

test('the base image builds with progress, is skipped when nothing changed, and runs a kernel on the host network', async () => {
  const progress: BuildProgress[] = [];
  // No test label on the image: it is the shared cache, and images built on it inherit its labels.
  const first = await builder.buildBase({ onProgress: (p) => progress.push(p) });
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
      'berth.io/base-recipe': '{"type":"container-exec","r":false,"cuda":false}',
    }),
  );
  expect(image.Config.User).toBe('1000:1000');
  expect(image.Config.Entrypoint).toEqual(['/usr/bin/tini', '--', '/usr/local/bin/berth-kernel-entrypoint']);

  const second = await builder.buildBase();
  expect(second).toEqual(expect.objectContaining({ ref: first.ref, id: first.id, skipped: true }));

  const { container, info } = await startKernelContainer(docker, first.ref, ports, TEST_LABEL, cleanups);
  expect(info.status).toBe('ok');
  expect(info.language_info.name).toBe('python');

  const top = await container.top({ ps_args: '-o pid,user,comm' });
  const commands = top.Processes.map((row: string[]) => row[2]);
  expect(commands[0]).toBe('tini');
  expect(commands).toContain('python3');
}, 240_000);
