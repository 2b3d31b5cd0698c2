// Builds a code env's image through the CLI (`berth images build-code-env`) on a base the CLI
// builds for this test (`build-base --from <test OS image>`), runs a kernel from it on the host
// network, and follows staleness in dependency order: when the OS image under the base changes,
// `images list` reports the base stale, and `build-code-env --all` rebuilds the base and then the
// code env. scripts/test.mjs starts the daemon and makes the OS image before jest runs. The test's
// own images are removed afterwards; the shared caches are kept.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { contextTar } from '../../../gateway/src/images/image-builder';
import { PortAllocator } from '../../../gateway/src/provisioners/local/port-allocator';
import { startKernelContainer } from '../../support/kernel-container';

const run = promisify(execFile);
const BERTH = resolve(__dirname, '..', '..', '..', 'gateway', 'bin', 'berth.js');
const TEST_LABEL = { 'berth.io/test': 'images-code-env' };
const OS_IMAGE = 'berth-test/codeenv-os:latest';
const BASE_TAG = 'berth-test/codeenv-base:latest';
const CODE_ENV = 'berth-test-six';
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
// Below the gateway's default kernel port range and apart from the other image tests' ranges.
const ports = new PortAllocator('127.0.0.1', { min: 19500, max: 19999 });
const cleanups: (() => Promise<unknown>)[] = [];
let configDir: string;

function berth(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [BERTH, ...args], { maxBuffer: 64 * 1024 * 1024 });
}

const escape = (text: string): string => text.replace(/[/.()]/g, '\\$&');

/** A new image id under OS_IMAGE with the same files as the shared OS image (only a label differs). */
async function newOsGeneration(generation: string): Promise<void> {
  const dockerfile = Buffer.from(`FROM berth/os-bookworm:latest\nLABEL berth.io/test-generation=${generation}\n`);
  const stream = await docker.buildImage(contextTar([{ type: 'file', path: 'Dockerfile', content: dockerfile, mode: 0o644 }]), {
    t: OS_IMAGE,
    labels: TEST_LABEL,
  });
  await new Promise((done, fail) => docker.modem.followProgress(stream, (err: Error | null) => (err ? fail(err) : done(undefined))));
}

async function removeImages(label: string): Promise<void> {
  // Children first (newest first), several passes for layered leftovers.
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

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'berth-code-env-image-'));
  mkdirSync(join(configDir, 'execution-configs'));
  mkdirSync(join(configDir, 'code-envs'));
  writeFileSync(
    join(configDir, 'execution-configs', 'docker-test.yaml'),
    `backend: docker\nbaseImage: ${BASE_TAG}\ndocker:\n  daemons:\n    - host: unix:///var/run/docker.sock\n  network: host\n`,
  );
  writeFileSync(join(configDir, 'code-envs', `${CODE_ENV}.yaml`), 'language: python\npackages:\n  apt: [python3-six]\n');
  await docker.getImage('berth/os-bookworm:latest').tag({ repo: 'berth-test/codeenv-os', tag: 'latest' });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await removeImages(`berth.io/code-env=${CODE_ENV}`);
  await removeImages(`berth.io/parent-image=${OS_IMAGE}`);
  await docker
    .getImage(BASE_TAG)
    .remove()
    .catch(() => undefined);
  await removeImages('berth.io/test=images-code-env');
  await docker
    .getImage(OS_IMAGE)
    .remove()
    .catch(() => undefined);
  rmSync(configDir, { recursive: true, force: true });
});

test('a code env image builds through the CLI, runs a kernel, and --all rebuilds a stale base and then the code env', async () => {
  const base = await berth('images', 'build-base', '--from', OS_IMAGE, '--tag', BASE_TAG);
  expect(base.stdout).toMatch(/^base: berth\/base:[0-9a-f]{12} /m);
  expect(base.stdout).toContain(`tagged ${BASE_TAG}`);

  const first = await berth('images', 'build-code-env', CODE_ENV, '--config-dir', configDir);
  expect(first.stdout).toMatch(new RegExp(`${CODE_ENV}@docker-test: berth/codeenv-${CODE_ENV}:[0-9a-f]{12} `));
  const ref = /(berth\/codeenv-[a-z0-9-]+:[0-9a-f]{12})/.exec(first.stdout)![1]!;
  if (!/skipped/.test(first.stdout)) expect(first.stderr).toMatch(/\[berth-test-six@docker-test\] step \d+\/\d+: /);

  const listed = await berth('images', 'list', '--config-dir', configDir);
  expect(listed.stdout).toMatch(new RegExp(`^${escape(BASE_TAG)}\\s+docker-test\\s+up to date$`, 'm'));
  expect(listed.stdout).toMatch(new RegExp(`${CODE_ENV}\\s+docker-test\\s+${escape(ref)}\\s+up to date`));

  const second = await berth('images', 'build-code-env', '--all', '--config-dir', configDir);
  expect(second.stdout).toContain(`${CODE_ENV}@docker-test: ${ref} skipped (up to date)`);
  expect(second.stdout).toContain('0 built, 2 skipped'); // the base, then the code env

  const image = await docker.getImage(ref).inspect();
  expect(image.Config.Labels).toEqual(expect.objectContaining({ 'berth.io/code-env': CODE_ENV, 'berth.io/parent-image': BASE_TAG }));

  const { client, info } = await startKernelContainer(docker, ref, ports, TEST_LABEL, cleanups);
  expect(info.status).toBe('ok');
  expect(info.language_info.name).toBe('python');
  const executed = await client.request('shell', 'execute_request', { code: 'import six', silent: false, store_history: false }, 20_000);
  expect(JSON.parse(executed.content.toString('utf8')).status).toBe('ok');

  // The OS image under the base changes: the base is stale; the code env still matches the base it is on.
  await newOsGeneration('2');
  const stale = await berth('images', 'list', '--config-dir', configDir);
  expect(stale.stdout).toMatch(new RegExp(`^${escape(BASE_TAG)}\\s+docker-test\\s+stale: its parent image changed$`, 'm'));
  expect(stale.stdout).toMatch(new RegExp(`${CODE_ENV}\\s+docker-test\\s+${escape(ref)}\\s+up to date`));

  const fixed = await berth('images', 'build-code-env', '--all', '--config-dir', configDir);
  const lines = fixed.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^base: berth\/base:[0-9a-f]{12} built in /);
  expect(lines[1]).toMatch(new RegExp(`^${CODE_ENV}@docker-test: berth/codeenv-${CODE_ENV}:[0-9a-f]{12} built in `));
  expect(lines[1]).not.toContain(ref);
  expect(lines[2]).toBe('2 built, 0 skipped (up to date)');

  const after = await berth('images', 'list', '--config-dir', configDir);
  expect(after.stdout).toMatch(new RegExp(`^${escape(BASE_TAG)}\\s+docker-test\\s+up to date$`, 'm'));
  expect(after.stdout).toMatch(new RegExp(`${CODE_ENV}\\s+docker-test\\s+berth/codeenv-${CODE_ENV}:[0-9a-f]{12}\\s+up to date`));
}, 420_000);
