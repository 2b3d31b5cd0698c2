// A gateway process killed with SIGKILL while two container kernels run: their containers keep
// running, and the next gateway on the same data dir reattaches to both (same ids, variables kept)
// and removes a kernel container of its own that no record knows.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import { startCliGateway, stopCliGateway, type CliGateway } from '../../support/cli-gateway';
import { codeEnvContainers, makeDockerCodeEnv, removeCodeEnvArtifacts } from '../../support/docker-code-env';
import { executeOnce } from '../../support/kernel-socket';

const BASE_TAG = 'berth-test/docker-reattach-base:latest';
const CODE_ENV = 'berth-test-reattach';
const KERNEL = `${CODE_ENV}--berth-test-reattach-docker`;
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
const dataDir = mkdtempSync(join(tmpdir(), 'berth-docker-reattach-'));
const token = `reattach-${randomUUID()}`;
const gateways: CliGateway[] = [];
let configDir: string | undefined;

async function startGateway(): Promise<CliGateway> {
  const gateway = await startCliGateway({ dataDir, token, args: ['--config-dir', configDir!] });
  gateways.push(gateway);
  return gateway;
}

async function execute(gateway: CliGateway, kernelId: string, code: string): Promise<string | undefined> {
  return (await executeOnce(gateway.wsUrl, token, kernelId, code)).result;
}

beforeAll(async () => {
  await new ImageBuilder(docker).buildBase({ extraTags: [BASE_TAG] });
  configDir = await makeDockerCodeEnv({
    codeEnv: CODE_ENV,
    language: 'python',
    execConfig: 'berth-test-reattach-docker',
    baseImage: BASE_TAG,
  });
}, 300_000);

afterAll(async () => {
  for (const gateway of gateways) await stopCliGateway(gateway, 'SIGKILL');
  await removeCodeEnvArtifacts(docker, CODE_ENV);
  await docker
    .getImage(BASE_TAG)
    .remove()
    .catch(() => undefined);
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

test('after SIGKILL the next gateway reattaches to both container kernels with their state and reaps an unknown container', async () => {
  const first = await startGateway();
  const ids: string[] = [];
  for (const value of [41, 99]) {
    const response = await first.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: KERNEL }) });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    ids.push(id);
    await execute(first, id, `kept = ${value} + 1`);
  }
  await stopCliGateway(first, 'SIGKILL');
  expect((await codeEnvContainers(docker, CODE_ENV)).map((c) => c.State)).toEqual(['running', 'running']);

  // A container of this gateway whose record is gone (as if it died between starting it and saving the record).
  const gatewayId = readFileSync(join(dataDir, 'gateway-id'), 'utf8').trim();
  const orphan = await docker.createContainer({
    Image: BASE_TAG,
    Cmd: ['sleep', '300'],
    Labels: { 'berth.io/managed-by': 'berth', 'berth.io/gateway-id': gatewayId, 'berth.io/kernel-id': 'no-such-kernel' },
    HostConfig: { NetworkMode: 'host' },
  });
  await orphan.start();

  const second = await startGateway();
  const listed = (await (await second.api('api/kernels')).json()) as { id: string }[];
  expect(listed.map((k) => k.id).sort()).toEqual([...ids].sort());
  expect(await execute(second, ids[0]!, 'kept')).toBe('42');
  expect(await execute(second, ids[1]!, 'kept')).toBe('100');
  await expect(orphan.inspect()).rejects.toMatchObject({ statusCode: 404 });

  for (const id of ids) expect((await second.api(`api/kernels/${id}`, { method: 'DELETE' })).status).toBe(204);
  expect(await codeEnvContainers(docker, CODE_ENV)).toHaveLength(0);
}, 180_000);
