// Builds a code env's image through the CLI (`berth images build-code-env`) on a base image the
// builder makes for this test, runs a kernel from it on the host network, and checks that
// `berth images list` follows the base: up to date, then stale ("base rebuilt") after the base is
// rebuilt. scripts/test.mjs starts the daemon and makes the OS base image before jest runs. The
// test's own base and code-env images are removed afterwards; the shared caches are kept.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import { PortAllocator } from '../../../gateway/src/provisioners/local/port-allocator';
import { startKernelContainer } from '../../support/kernel-container';

const run = promisify(execFile);
const BERTH = resolve(__dirname, '..', '..', '..', 'gateway', 'bin', 'berth.js');
const TEST_LABEL = { 'berth.io/test': 'images-code-env' };
const BASE_REPOSITORY = 'berth-test/codeenv-base';
const BASE_TAG = `${BASE_REPOSITORY}:latest`;
const CODE_ENV = 'berth-test-six';
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
const builder = new ImageBuilder(docker);
// Below the gateway's default kernel port range and apart from base-image.test.ts's range.
const ports = new PortAllocator('127.0.0.1', { min: 19500, max: 19999 });
const cleanups: (() => Promise<unknown>)[] = [];
let configDir: string;

function berth(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [BERTH, ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/** The base for this test: the shared base's content under its own name, with a generation label. */
function buildTestBase(generation: string, force = false) {
  return builder.buildBase({
    repository: BASE_REPOSITORY,
    extraTags: [BASE_TAG],
    labels: { ...TEST_LABEL, 'berth.io/test-generation': generation },
    force,
  });
}

async function removeImages(label: string): Promise<void> {
  // Children first: code-env images, then the bases (several passes for layered leftovers).
  for (let pass = 0; pass < 3; pass += 1) {
    const images = await docker.listImages({ all: true, filters: JSON.stringify({ label: [label] }) });
    if (images.length === 0) return;
    for (const image of images.sort((a, b) => b.Created - a.Created)) {
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}

beforeAll(() => {
  configDir = mkdtempSync(join(tmpdir(), 'berth-code-env-image-'));
  mkdirSync(join(configDir, 'execution-configs'));
  mkdirSync(join(configDir, 'code-envs'));
  writeFileSync(
    join(configDir, 'execution-configs', 'docker-test.yaml'),
    `backend: docker\nbaseImage: ${BASE_TAG}\ndocker:\n  daemons:\n    - host: unix:///var/run/docker.sock\n  network: host\n`,
  );
  writeFileSync(join(configDir, 'code-envs', `${CODE_ENV}.yaml`), 'language: python\npackages:\n  apt: [python3-six]\n');
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await removeImages(`berth.io/code-env=${CODE_ENV}`);
  await removeImages('berth.io/test=images-code-env');
  rmSync(configDir, { recursive: true, force: true });
});

test('a code env image builds through the CLI, is skipped when unchanged, runs a kernel, and goes stale when its base is rebuilt', async () => {
  await buildTestBase('1');

  const first = await berth('images', 'build-code-env', CODE_ENV, '--config-dir', configDir);
  expect(first.stdout).toMatch(new RegExp(`${CODE_ENV}@docker-test: berth/codeenv-${CODE_ENV}:[0-9a-f]{12} `));
  const ref = /(berth\/codeenv-[a-z0-9-]+:[0-9a-f]{12})/.exec(first.stdout)![1]!;
  if (!/skipped/.test(first.stdout)) expect(first.stderr).toMatch(/\[berth-test-six@docker-test\] step \d+\/\d+: /);

  const listed = await berth('images', 'list', '--config-dir', configDir);
  expect(listed.stdout).toMatch(new RegExp(`${CODE_ENV}\\s+docker-test\\s+${ref.replace(/[/.]/g, '\\$&')}\\s+up to date`));

  const second = await berth('images', 'build-code-env', '--all', '--config-dir', configDir);
  expect(second.stdout).toContain(`${CODE_ENV}@docker-test: ${ref} skipped (up to date)`);
  expect(second.stdout).toContain('0 built, 1 skipped');

  const image = await docker.getImage(ref).inspect();
  expect(image.Config.Labels).toEqual(expect.objectContaining({ 'berth.io/code-env': CODE_ENV, 'berth.io/parent-image': BASE_TAG }));

  const { client, info } = await startKernelContainer(docker, ref, ports, TEST_LABEL, cleanups);
  expect(info.status).toBe('ok');
  expect(info.language_info.name).toBe('python');
  const executed = await client.request('shell', 'execute_request', { code: 'import six', silent: false, store_history: false }, 20_000);
  expect(JSON.parse(executed.content.toString('utf8')).status).toBe('ok');

  const rebuilt = await buildTestBase('2', true);
  expect(rebuilt.skipped).toBe(false);
  const stale = await berth('images', 'list', '--config-dir', configDir);
  expect(stale.stdout).toMatch(new RegExp(`${CODE_ENV}\\s+docker-test\\s+\\S+\\s+stale: the base image was rebuilt`));
  expect(stale.stdout).not.toContain(ref);
}, 300_000);
