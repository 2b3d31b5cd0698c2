// Builds the CUDA base image (images/cuda.Dockerfile) through the CLI
// (`berth images build-base --with-cuda`) on the real Docker Engine and runs a kernel from it on the
// host network. No NVIDIA image can be pulled here, so the default CUDA image name is tagged onto
// the local OS image as a stand-in (when the daemon has no image of that name), and removed again
// afterwards.
//
// GPU execution itself is untested: these machines have no GPU (and no NVIDIA runtime), so this
// checks the build, the image's labels and NVIDIA environment, and that its kernel answers — not
// that CUDA code runs.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { CUDA_BASE_IMAGES, DEFAULT_CUDA_VERSION, DEFAULT_OS_IMAGE } from '../../../gateway/src/images/dockerfile';
import { PortAllocator } from '../../../gateway/src/provisioners/local/port-allocator';
import { executeAndCollect, startKernelContainer } from '../../support/kernel-container';
import { leftoverImageNames, removeImageNames } from '../../support/test-images';

const run = promisify(execFile);
const BERTH = resolve(__dirname, '..', '..', '..', 'gateway', 'bin', 'berth.js');
const TEST_LABEL = { 'berth.io/test': 'images-cuda-image' };
const TEST_TAG = 'berth-test/cuda:cuda-image-test';
const CUDA_IMAGE = CUDA_BASE_IMAGES[DEFAULT_CUDA_VERSION]!;
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
// Below the gateway's default kernel port range and apart from the other image tests' ranges.
const ports = new PortAllocator('127.0.0.1', { min: 18600, max: 18899 });
const cleanups: (() => Promise<unknown>)[] = [];
/** Set when this test tagged the stand-in (or found its own stand-in left by a crashed run). */
let standIn = false;
/** The CUDA image when this test built it (not when an identical one already existed). */
let builtRef: string | undefined;

function berth(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [BERTH, ...args], { maxBuffer: 64 * 1024 * 1024 });
}

async function imageId(ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

function splitRef(ref: string): { repo: string; tag: string } {
  const at = ref.lastIndexOf(':');
  return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
}

beforeAll(async () => {
  // A run that crashed before its cleanup leaves its CUDA image under the test tag: start from none.
  await removeImageNames(docker, ...(await leftoverImageNames(docker, TEST_TAG, /^berth\/cuda:[0-9a-f]{12}$/)));
  const osId = await imageId(DEFAULT_OS_IMAGE);
  expect(osId).toBeDefined();
  const existing = await imageId(CUDA_IMAGE);
  if (existing === undefined) {
    await docker.getImage(DEFAULT_OS_IMAGE).tag(splitRef(CUDA_IMAGE));
    standIn = true;
  } else {
    // Only a stand-in (the OS image under the CUDA name) is ours to remove; a real CUDA image stays.
    standIn = existing === osId;
  }
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await removeImageNames(docker, TEST_TAG, ...(builtRef === undefined ? [] : [builtRef]));
  // Untags only: the OS image keeps its own name.
  if (standIn) await removeImageNames(docker, CUDA_IMAGE);
});

test('build-base --with-cuda builds on the CUDA image (a local stand-in) with NVIDIA env and its kernel answers', async () => {
  const built = await berth('images', 'build-base', '--with-cuda', '--tag', TEST_TAG);
  const header = /^\[image 1\/1\] .* on (\S+) \(daemon unix:\/\/\/var\/run\/docker\.sock\)$/m.exec(built.stderr);
  expect(header?.[1]).toBe(CUDA_IMAGE);
  const line = /^cuda: (berth\/cuda:[0-9a-f]{12}) (built in [\d.]+ s|skipped \(up to date\))$/m.exec(built.stdout);
  expect(line).not.toBeNull();
  const ref = line![1]!;
  if (line![2] !== 'skipped (up to date)') {
    builtRef = ref;
    const steps = [...built.stderr.matchAll(/^\[cuda\] step (\d+)\/(\d+): /gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(steps.length).toBeGreaterThan(5);
    expect(steps[steps.length - 1]![0]).toBe(steps[0]![1]);
  }
  expect(built.stdout).toContain(`tagged ${TEST_TAG}`);

  const image = await docker.getImage(TEST_TAG).inspect();
  expect(await imageId(ref)).toBe(image.Id);
  expect(image.Config.Labels).toEqual(
    expect.objectContaining({
      'berth.io/managed-by': 'berth',
      'berth.io/image-kind': 'cuda',
      'berth.io/parent-image': CUDA_IMAGE,
      'berth.io/parent-image-id': await imageId(CUDA_IMAGE),
    }),
  );
  expect(image.Config.Env).toEqual(
    expect.arrayContaining(['NVIDIA_VISIBLE_DEVICES=all', 'NVIDIA_DRIVER_CAPABILITIES=compute,utility', 'BERTH_KERNEL_LANGUAGE=python']),
  );
  expect(image.Config.User).toBe('1000:1000');
  expect(image.Config.Entrypoint).toEqual(['/usr/bin/tini', '--', '/usr/local/bin/berth-kernel-entrypoint']);

  const kernel = await startKernelContainer(docker, TEST_TAG, ports, TEST_LABEL, cleanups);
  expect(kernel.info.status).toBe('ok');
  expect(kernel.info.language_info.name).toBe('python');
  const env = await executeAndCollect(kernel, "import os\nprint(os.environ['NVIDIA_VISIBLE_DEVICES'], os.getuid())");
  expect(env).toEqual({ status: 'ok', stdout: 'all 1000\n', stderr: '' });
}, 600_000);
