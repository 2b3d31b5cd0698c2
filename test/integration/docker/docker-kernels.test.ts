// Kernels in containers through a real gateway and the real Docker Engine (host network): a code
// env's image built by `berth images`, limits and hardening as configured, interrupt, restart,
// shutdown, the OOM killer, and clear errors for a missing image or a daemon that is down.
// scripts/test.mjs starts the daemon and makes the OS image before jest runs. Containers and
// images the test makes are removed afterwards; the shared base stays as a cache.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import { removeCodeEnvArtifacts } from '../../support/docker-code-env';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { crashAndAwaitRestart, KernelSocket } from '../../support/kernel-socket';
import { collectKernelEvents, type KernelEventData } from '../../support/kernel-events';

const BERTH = resolve(__dirname, '..', '..', '..', 'gateway', 'bin', 'berth.js');
const BASE_TAG = 'berth-test/docker-kernels-base:latest';
const CODE_ENV = 'berth-test-dk';
const KERNEL = `${CODE_ENV}--docker-test`;
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
let configDir: string;
let gw: TestGateway;

interface KernelModel {
  id: string;
  name: string;
  execution_state: string;
  reason?: string;
}

/** The read of the memory limit from inside, whichever cgroup version the host has. */
const READ_LIMITS = [
  'import os, six',
  'print("uid", os.getuid())',
  'paths = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]',
  'print("memory", open([p for p in paths if os.path.exists(p)][0]).read().strip())',
  'cpu = ["/sys/fs/cgroup/cpu.max", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"]',
  'print("cpu", open([p for p in cpu if os.path.exists(p)][0]).read().strip())',
].join('\n');

function yaml(name: string, text: string): void {
  writeFileSync(join(configDir, name), text);
}

async function start(name: string): Promise<Response> {
  return gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name }) });
}

async function kernelContainers(kernelId: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`berth.io/kernel-id=${kernelId}`] }) });
}

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'berth-docker-kernels-'));
  mkdirSync(join(configDir, 'execution-configs'));
  mkdirSync(join(configDir, 'code-envs'));
  const daemon = 'docker:\n  network: host\n  daemons:\n    - host: unix:///var/run/docker.sock\n';
  yaml(
    'execution-configs/docker-test.yaml',
    `backend: docker\nbaseImage: ${BASE_TAG}\nresources:\n  cpus: 1\n  memory: 256m\n${daemon}  pidsLimit: 256\n`,
  );
  yaml(
    'execution-configs/docker-tiny.yaml',
    `backend: docker\nbaseImage: ${BASE_TAG}\nresources:\n  memory: 160m\n${daemon}  memorySwap: 160m\n`,
  );
  yaml(
    'execution-configs/docker-down.yaml',
    `backend: docker\nbaseImage: ${BASE_TAG}\ndocker:\n  network: host\n  daemons:\n    - host: unix:///tmp/berth-test-no-daemon.sock\n`,
  );
  yaml(`code-envs/${CODE_ENV}.yaml`, 'language: python\npackages:\n  apt: [python3-six]\navailableFor: [docker-test, docker-tiny]\n');
  // An R code env on a base without R: its container exits at once, with a message in its log.
  yaml('code-envs/berth-test-no-r.yaml', 'language: r\navailableFor: [docker-test]\n');
  yaml('code-envs/berth-test-unbuilt.yaml', 'language: python\nenv:\n  NEVER: built\navailableFor: [docker-test]\n');
  await new ImageBuilder(docker).buildBase({ extraTags: [BASE_TAG] });
  for (const codeEnv of [CODE_ENV, 'berth-test-no-r']) {
    await promisify(execFile)(process.execPath, [
      BERTH,
      'images',
      'build-code-env',
      codeEnv,
      '--exec-config',
      'docker-test',
      '--config-dir',
      configDir,
    ]);
  }
  gw = await startTestGateway({ configDir } as never);
}, 300_000);

afterAll(async () => {
  await gw?.stop();
  // Only this file's code envs: other test files run their own containers at the same time.
  for (const codeEnv of [CODE_ENV, 'berth-test-no-r', 'berth-test-unbuilt']) await removeCodeEnvArtifacts(docker, codeEnv);
  await docker
    .getImage(BASE_TAG)
    .remove()
    .catch(() => undefined);
  rmSync(configDir, { recursive: true, force: true });
});

test('a code-env kernel runs in a hardened container with its limits, interrupts, restarts, and leaves nothing on shutdown', async () => {
  const started = await start(KERNEL);
  expect(started.status).toBe(201);
  const kernel = (await started.json()) as KernelModel;
  expect(kernel.execution_state).toBe('idle');

  const [listed] = await kernelContainers(kernel.id);
  expect(listed?.Labels).toEqual(
    expect.objectContaining({
      'berth.io/managed-by': 'berth',
      'berth.io/exec-config': 'docker-test',
      'berth.io/code-env': CODE_ENV,
      'berth.io/owner': 'default',
    }),
  );
  const info = await docker.getContainer(listed!.Id).inspect();
  expect(info.Config.User).toBe('1000:1000');
  expect(info.HostConfig).toEqual(
    expect.objectContaining({
      Memory: 256 * 1024 * 1024,
      NanoCpus: 1e9,
      PidsLimit: 256,
      NetworkMode: 'host',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
    }),
  );
  expect(info.Config.Image).toMatch(new RegExp(`^berth/codeenv-${CODE_ENV}:[0-9a-f]{12}$`));
  // The HMAC key is copied in as a file, never put in the container's config.
  expect(info.Config.Env.join('\n')).not.toMatch(/"key"|BERTH_CONNECTION_INFO/);

  const metrics = await (await gw.api('metrics')).text();
  expect(metrics).toContain('berth_kernels{state="idle",exec_config="docker-test",backend="docker"} 1');

  const socket = await KernelSocket.open(gw.wsUrl, gw.token, kernel.id);
  try {
    const limits = await socket.execute(READ_LIMITS);
    expect(limits.reply.content.status).toBe('ok');
    expect(limits.stdout).toContain('uid 1000');
    expect(limits.stdout).toContain(`memory ${256 * 1024 * 1024}`);
    expect(limits.stdout).toMatch(/cpu (100000( 100000)?|max 100000)/);

    const sleeping = socket.sendExecute('import time; time.sleep(120)', { stopOnError: false });
    await socket.waitFor(
      (m) => m.header.msg_type === 'status' && m.parent_header.msg_id === sleeping && m.content.execution_state === 'busy',
      'busy',
    );
    expect((await gw.api(`api/kernels/${kernel.id}/interrupt`, { method: 'POST' })).status).toBe(204);
    const interrupted = await socket.outcome(sleeping);
    expect(interrupted.reply.content.ename).toBe('KeyboardInterrupt');
  } finally {
    await socket.close();
  }

  const restarted = await gw.api(`api/kernels/${kernel.id}/restart`, { method: 'POST' });
  expect(restarted.status).toBe(200);
  const after = await kernelContainers(kernel.id);
  expect(after).toHaveLength(1);
  expect(after[0]!.Id).not.toBe(listed!.Id);
  expect(after[0]!.State).toBe('running');

  expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  expect(await kernelContainers(kernel.id)).toHaveLength(0);
}, 180_000);

test('a cell past the memory limit leaves the kernel dead with reason OOMKilled, and the gateway serves on', async () => {
  await promisify(execFile)(process.execPath, [
    BERTH,
    'images',
    'build-code-env',
    CODE_ENV,
    '--exec-config',
    'docker-tiny',
    '--config-dir',
    configDir,
  ]);
  const kernel = (await (await start(`${CODE_ENV}--docker-tiny`)).json()) as KernelModel;
  const socket = await KernelSocket.open(gw.wsUrl, gw.token, kernel.id);
  try {
    socket.sendExecute('block = bytearray(1024 * 1024 * 1024)', { stopOnError: false });
    await socket.waitFor((m) => m.header.msg_type === 'status' && m.content.execution_state === 'dead', 'dead status');
  } finally {
    await socket.close();
  }
  const model = (await (await gw.api(`api/kernels/${kernel.id}`)).json()) as KernelModel;
  expect(model.execution_state).toBe('dead');
  expect(model.reason).toMatch(/OOMKilled/);
  expect((await gw.api('api/status')).status).toBe(200);
  expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  expect(await kernelContainers(kernel.id)).toHaveLength(0);
}, 180_000);

test('a code env without an image names the command that builds it; a container that exits says why; a daemon that is down is a 503 naming it', async () => {
  const unbuilt = await start('berth-test-unbuilt--docker-test');
  expect(unbuilt.status).toBe(404);
  expect(((await unbuilt.json()) as { message: string }).message).toContain(
    'berth images build-code-env berth-test-unbuilt --exec-config docker-test',
  );

  const exits = await start('berth-test-no-r--docker-test');
  expect(exits.status).toBe(500);
  const exited = (await exits.json()) as { message: string; traceback?: string };
  expect(exited.message).toMatch(/exited with code 64 while starting/);
  expect(exited.traceback).toContain('R is not installed in this image');
  const noR = await docker.listContainers({ all: true, filters: JSON.stringify({ label: ['berth.io/code-env=berth-test-no-r'] }) });
  expect(noR).toHaveLength(0);

  const down = await gw.api('api/kernels', {
    method: 'POST',
    body: JSON.stringify({ name: 'python3', env: { KERNEL_EXECUTION_CONFIG: 'docker-down' } }),
  });
  expect(down.status).toBe(503);
  expect(((await down.json()) as { message: string }).message).toContain('unix:///tmp/berth-test-no-daemon.sock');
  expect((await gw.api('api/status')).status).toBe(200);
}, 60_000);

/** Reads Server-Sent Events from `path` until `until` holds or the stream ends. */
async function readEvents(path: string, until: (events: KernelEventData[]) => boolean, opened?: () => void) {
  const controller = new AbortController();
  const response = await gw.api(path, { signal: controller.signal });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  opened?.();
  return collectKernelEvents(response, controller, until);
}

test('start stages stream as events, a late subscriber gets the history, and restarts show their stages on iopub (status starting, berth_stage)', async () => {
  let kernelId = '';
  let opened!: () => void;
  const subscribed = new Promise<void>((resolve) => (opened = resolve));
  const live = readEvents(
    'api/berth/kernels/events',
    (events) => events.some((e) => e.type === 'ready' && e.kernelId === kernelId),
    opened,
  );
  await subscribed;
  const kernel = (await (await start(KERNEL)).json()) as KernelModel;
  kernelId = kernel.id;
  const stages = (await live).filter((e) => e.kernelId === kernel.id).map((e) => e.stage ?? e.type);
  expect(stages).toEqual(['launching', 'allocating-ports', 'creating-container', 'starting-container', 'waiting-for-kernel', 'ready']);

  const socket = await KernelSocket.open(gw.wsUrl, gw.token, kernel.id);
  try {
    expect((await gw.api(`api/kernels/${kernel.id}/restart`, { method: 'POST' })).status).toBe(200);
    await socket.waitFor((m) => m.header.msg_type === 'status' && m.content.berth_stage === 'waiting-for-kernel', 'the last restart stage');
    const restartStages = socket.received
      .filter((m) => m.channel === 'iopub' && m.header.msg_type === 'status' && m.content.execution_state === 'starting')
      .map((m) => m.content.berth_stage);
    expect(restartStages).toEqual(expect.arrayContaining(['creating-container', 'starting-container', 'waiting-for-kernel']));
  } finally {
    await socket.close();
  }

  const history = readEvents(`api/berth/kernels/${kernel.id}/events`, () => false);
  expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  const replayed = (await history).map((e) => e.stage ?? e.type);
  expect(replayed.slice(0, 6)).toEqual([
    'launching',
    'allocating-ports',
    'creating-container',
    'starting-container',
    'waiting-for-kernel',
    'ready',
  ]);
  expect(replayed).toContain('restarting');
  expect(replayed.at(-1)).toBe('shutdown');
}, 120_000);

test('a container kernel that dies is restarted automatically in a new container, like a local one', async () => {
  const kernel = (await (await start(KERNEL)).json()) as KernelModel;
  const [before] = await kernelContainers(kernel.id);
  const socket = await KernelSocket.open(gw.wsUrl, gw.token, kernel.id);
  try {
    await crashAndAwaitRestart(socket);
    expect((await socket.execute('1 + 1')).result).toBe('2');
  } finally {
    await socket.close();
  }
  const after = await kernelContainers(kernel.id);
  expect(after.map((c) => c.Id)).not.toContain(before!.Id);
  expect(after).toHaveLength(1);
  expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
}, 120_000);
