// One exec config over two Docker daemons, and one on a remote daemon over TCP + TLS: code-env
// images are built on every daemon of an exec config, kernels spread over the daemons (fewest
// kernels first), a stopped daemon is skipped and shown as unreachable in the exec config's
// status, and a TLS daemon runs kernels with the client certificates of the exec config. The extra
// daemons (scripts/extra-daemons.mjs) run beside the main one with their own sockets and data.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import { removeCodeEnvArtifacts } from '../../support/docker-code-env';
import { dockerodeOptions, loadImageInto, startExtraDaemon, stopExtraDaemon, type ExtraDaemon } from '../../support/extra-daemon';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { KernelSocket } from '../../support/kernel-socket';

const BERTH = resolve(__dirname, '..', '..', '..', 'gateway', 'bin', 'berth.js');
const BASE_TAG = 'berth-test/several-daemons-base:latest';
const CODE_ENV = 'berth-test-sd';
const MAIN = 'unix:///var/run/docker.sock';
const main = new Dockerode({ socketPath: '/var/run/docker.sock' });
let plain: ExtraDaemon;
let tls: ExtraDaemon;
let configDir: string;
let gw: TestGateway;

interface KernelModel {
  id: string;
}

async function startKernel(name: string): Promise<KernelModel> {
  const response = await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name }) });
  const body = (await response.json()) as KernelModel & { message?: string };
  if (response.status !== 201) throw new Error(`start ${name}: ${response.status} ${body.message}`);
  return body;
}

/** Which of the daemons runs the kernel's container. */
async function daemonOf(kernelId: string, daemons: Record<string, Dockerode>): Promise<string[]> {
  const found: string[] = [];
  for (const [host, docker] of Object.entries(daemons)) {
    const containers = await docker.listContainers({ filters: JSON.stringify({ label: [`berth.io/kernel-id=${kernelId}`] }) });
    if (containers.length > 0) found.push(host);
  }
  return found;
}

beforeAll(async () => {
  [plain, tls] = await Promise.all([startExtraDaemon('sd1'), startExtraDaemon('sd2', { tls: true })]);
  await new ImageBuilder(main).buildBase({ extraTags: [BASE_TAG] });
  await Promise.all([loadImageInto('sd1', BASE_TAG), loadImageInto('sd2', BASE_TAG)]);

  configDir = mkdtempSync(join(tmpdir(), 'berth-several-daemons-'));
  mkdirSync(join(configDir, 'execution-configs'));
  mkdirSync(join(configDir, 'code-envs'));
  const common = `backend: docker\nbaseImage: ${BASE_TAG}\ndocker:\n  network: host\n`;
  writeFileSync(
    join(configDir, 'execution-configs', 'docker-two.yaml'),
    `${common}  daemons:\n    - host: ${MAIN}\n    - host: ${plain.socketHost}\n`,
  );
  writeFileSync(
    join(configDir, 'execution-configs', 'docker-tls.yaml'),
    `${common}  daemons:\n    - host: ${tls.tcpHost}\n      tls:\n        certDir: ${tls.certDir}\n`,
  );
  writeFileSync(join(configDir, 'code-envs', `${CODE_ENV}.yaml`), 'language: python\nenv:\n  BERTH_TEST_MARK: several\n');
  const built = await promisify(execFile)(process.execPath, [BERTH, 'images', 'build-code-env', CODE_ENV, '--config-dir', configDir]);
  // One image per daemon: two for docker-two, one on the TLS daemon.
  expect(built.stdout).toContain(`${CODE_ENV}@docker-two on ${MAIN}: `);
  expect(built.stdout).toContain(`${CODE_ENV}@docker-two on ${plain.socketHost}: `);
  expect(built.stdout).toMatch(new RegExp(`^${CODE_ENV}@docker-tls: `, 'm'));
  gw = await startTestGateway({ configDir } as never);
}, 600_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([stopExtraDaemon('sd1'), stopExtraDaemon('sd2')]);
  await removeCodeEnvArtifacts(main, CODE_ENV);
  await main
    .getImage(BASE_TAG)
    .remove()
    .catch(() => undefined);
  rmSync(configDir, { recursive: true, force: true });
}, 120_000);

test('kernels spread over the two daemons; with one stopped, new kernels go to the other and the status shows it down', async () => {
  const daemons = { [MAIN]: main, [plain.socketHost]: new Dockerode(dockerodeOptions(plain)) };
  const first = await startKernel(`${CODE_ENV}--docker-two`);
  const second = await startKernel(`${CODE_ENV}--docker-two`);
  const placed = [...(await daemonOf(first.id, daemons)), ...(await daemonOf(second.id, daemons))];
  expect(placed.sort()).toEqual([MAIN, plain.socketHost].sort());

  const up = (await (await gw.api('api/berth/execution-configs/docker-two')).json()) as {
    status: { daemons: { host: string; reachable: boolean; kernels: number; error?: string }[] };
  };
  expect(up.status.daemons).toEqual([
    expect.objectContaining({ host: MAIN, reachable: true, kernels: 1 }),
    expect.objectContaining({ host: plain.socketHost, reachable: true, kernels: 1 }),
  ]);

  // Free the extra daemon's kernel first, then stop that daemon.
  const onPlain = placed.indexOf(plain.socketHost) === 0 ? first : second;
  expect((await gw.api(`api/kernels/${onPlain.id}`, { method: 'DELETE' })).status).toBe(204);
  await stopExtraDaemon('sd1');
  const third = await startKernel(`${CODE_ENV}--docker-two`);
  expect(await daemonOf(third.id, { [MAIN]: main })).toEqual([MAIN]);
  const down = (await (await gw.api('api/berth/execution-configs/docker-two')).json()) as typeof up;
  expect(down.status.daemons[1]).toEqual(
    expect.objectContaining({ host: plain.socketHost, reachable: false, error: expect.stringMatching(/ENOENT|ECONNREFUSED/) }),
  );

  for (const kernel of [first, second, third].filter((k) => k.id !== onPlain.id)) {
    expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  }
}, 180_000);

test('a kernel runs on a remote daemon over TCP + TLS with the exec config client certificates', async () => {
  const kernel = await startKernel(`${CODE_ENV}--docker-tls`);
  const remote = new Dockerode(dockerodeOptions(tls, { tcp: true }));
  const containers = await remote.listContainers({ filters: JSON.stringify({ label: [`berth.io/kernel-id=${kernel.id}`] }) });
  expect(containers).toHaveLength(1);
  expect(await daemonOf(kernel.id, { [MAIN]: main })).toEqual([]);
  const socket = await KernelSocket.open(gw.wsUrl, gw.token, kernel.id);
  try {
    const outcome = await socket.execute('import os; print(os.environ["BERTH_TEST_MARK"])');
    expect(outcome.stdout.trim()).toBe('several');
  } finally {
    await socket.close();
  }
  expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  expect(await remote.listContainers({ all: true, filters: JSON.stringify({ label: [`berth.io/kernel-id=${kernel.id}`] }) })).toHaveLength(
    0,
  );
}, 120_000);
