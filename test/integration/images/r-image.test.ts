// Builds the base image with the R layer (images/r.Dockerfile) through the CLI
// (`berth images build-base --with-r`) on the real Docker Engine, then runs an R kernel from it on
// the host network and executes R code. scripts/test.mjs starts the daemon and makes the OS base
// image before jest runs. The shared base (berth/base:<hash>) is kept as a cache; the R image this
// test builds and its test tag are removed afterwards (an R image that already existed, built by
// someone else, is only untagged).
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { PortAllocator } from '../../../gateway/src/provisioners/local/port-allocator';
import { executeAndCollect, startKernelContainer } from '../../support/kernel-container';
import { leftoverImageNames, removeImageNames } from '../../support/test-images';

const run = promisify(execFile);
const BERTH = resolve(__dirname, '..', '..', '..', 'gateway', 'bin', 'berth.js');
const TEST_LABEL = { 'berth.io/test': 'images-r-image' };
const TEST_TAG = 'berth-test/base-r:r-image-test';
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
// Below the gateway's default kernel port range and apart from the other image tests' ranges.
const ports = new PortAllocator('127.0.0.1', { min: 18000, max: 18299 });
const cleanups: (() => Promise<unknown>)[] = [];
/** The R image when this test built it (not when an identical one already existed). */
let builtRef: string | undefined;

function berth(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [BERTH, ...args], { maxBuffer: 64 * 1024 * 1024 });
}

beforeAll(async () => {
  // A run that crashed before its cleanup leaves its R image under the test tag: start from none.
  await removeImageNames(docker, ...(await leftoverImageNames(docker, TEST_TAG, /^berth\/base-r:[0-9a-f]{12}$/)));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await removeImageNames(docker, TEST_TAG, ...(builtRef === undefined ? [] : [builtRef]));
});

test('build-base --with-r builds the R layer with progress and its image runs an R kernel', async () => {
  const built = await berth('images', 'build-base', '--with-r', '--tag', TEST_TAG);
  expect(built.stdout).toMatch(/^base: berth\/base:[0-9a-f]{12} (built in [\d.]+ s|skipped \(up to date\))$/m);
  const r = /^r: (berth\/base-r:[0-9a-f]{12}) (built in [\d.]+ s|skipped \(up to date\))$/m.exec(built.stdout);
  expect(r).not.toBeNull();
  const ref = r![1]!;
  expect(built.stdout).toContain(`tagged ${TEST_TAG}`);
  if (r![2] !== 'skipped (up to date)') {
    builtRef = ref;
    const steps = [...built.stderr.matchAll(/^\[r\] step (\d+)\/(\d+): /gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(steps.length).toBeGreaterThan(0);
    expect(steps[steps.length - 1]![0]).toBe(steps[0]![1]);
  }
  expect(built.stderr).toMatch(/^\[image 2\/2\] .* on berth\/base:[0-9a-f]{12} \(daemon unix:\/\/\/var\/run\/docker\.sock\)$/m);

  const image = await docker.getImage(TEST_TAG).inspect();
  expect((await docker.getImage(ref).inspect()).Id).toBe(image.Id);
  expect(image.Config.Labels).toEqual(
    expect.objectContaining({ 'berth.io/image-kind': 'r', 'berth.io/parent-image': expect.stringMatching(/^berth\/base:[0-9a-f]{12}$/) }),
  );
  expect(image.Config.User).toBe('1000:1000');

  // The R layer keeps the base's BERTH_KERNEL_LANGUAGE=python (the same image serves Python code
  // envs; code-env images set the language), so a kernel straight from it needs the variable.
  expect(image.Config.Env).toContain('BERTH_KERNEL_LANGUAGE=python');
  const kernel = await startKernelContainer(docker, TEST_TAG, ports, TEST_LABEL, cleanups, { env: { BERTH_KERNEL_LANGUAGE: 'r' } });
  expect(kernel.info.status).toBe('ok');
  expect(kernel.info.language_info.name).toBe('R');

  const version = await executeAndCollect(kernel, 'cat(R.version.string)');
  expect(version.status).toBe('ok');
  expect(version.stdout).toMatch(/^R version \d+\.\d+\.\d+/);
  expect(version.stderr).toBe('');

  const failed = await executeAndCollect(kernel, 'stop("berth-test failure")');
  expect(failed.status).toBe('error');
  expect(failed.error).toContain('berth-test failure');
}, 600_000);
