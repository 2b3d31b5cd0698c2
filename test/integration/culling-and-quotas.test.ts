import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { killKernelProcesses, waitUntil } from '../support/kernel-processes';
import { KernelSocket } from '../support/kernel-socket';

// Policies that stop kernels from piling up: the idle culler (which spares connected kernels
// unless told otherwise) and the global and per-user kernel quotas.

jest.setTimeout(120_000);

type KernelSettings = NonNullable<Parameters<typeof startTestGateway>[0]>['kernels'];

interface KernelModel {
  id: string;
  execution_state: string;
  connections: number;
}

interface ErrorBody {
  message: string;
  reason: string;
  code: string;
}

function post(gw: TestGateway, env?: Record<string, string>): Promise<Response> {
  return gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3', ...(env ? { env } : {}) }) });
}

async function start(gw: TestGateway, env?: Record<string, string>): Promise<KernelModel> {
  const response = await post(gw, env);
  const body = (await response.json()) as KernelModel & ErrorBody;
  if (response.status !== 201) throw new Error(`kernel start failed: ${response.status} ${body.message}`);
  return body;
}

async function listedIds(gw: TestGateway): Promise<string[]> {
  return ((await (await gw.api('api/kernels')).json()) as KernelModel[]).map((kernel) => kernel.id);
}

/**
 * Runs a gateway with these kernel settings for the enclosing describe block, and returns a getter
 * for it. Afterwards `beforeStop` runs, the gateway stops and any kernel process it left is killed.
 */
function gatewayForBlock(kernels: KernelSettings, beforeStop: () => void = () => undefined): () => TestGateway {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ kernels });
  });
  afterAll(async () => {
    beforeStop();
    await gw.stop();
    killKernelProcesses(gw.dataDir);
  });
  return () => gw;
}

function culledIds(gw: TestGateway): string[] {
  return gw.logLines
    .map((line) => JSON.parse(line) as { msg: string; kernelId?: string })
    .filter((line) => line.msg === 'culling idle kernel')
    .map((line) => line.kernelId!);
}

describe('idle culling', () => {
  const sockets: KernelSocket[] = [];
  const gateway = gatewayForBlock({ cullIdleTimeoutSeconds: 1, cullIntervalSeconds: 1 }, () => {
    for (const socket of sockets) socket.ws.terminate();
  });

  it('culls an idle kernel without connections but spares an idle connected one until it disconnects', async () => {
    const gw = gateway();
    // The connected kernel goes first, so it has been idle longer than the other whenever the culler looks.
    const connected = await start(gw);
    const socket = await KernelSocket.open(gw.wsUrl, gw.token, connected.id);
    sockets.push(socket);
    expect((await socket.execute('1 + 1')).result).toBe('2');
    const unconnected = await start(gw);

    await waitUntil(async () => !(await listedIds(gw)).includes(unconnected.id), 'the unconnected idle kernel to be culled');
    expect((await gw.api(`api/kernels/${unconnected.id}`)).status).toBe(404);
    const survivor = (await (await gw.api(`api/kernels/${connected.id}`)).json()) as KernelModel;
    expect(survivor).toMatchObject({ id: connected.id, execution_state: 'idle', connections: 1 });
    expect(culledIds(gw)).toEqual([unconnected.id]);

    // Once its client leaves, the other kernel is just idle, and goes too.
    await socket.close();
    await waitUntil(async () => (await listedIds(gw)).length === 0, 'the kernel to be culled after its client disconnected');
    expect(culledIds(gw)).toEqual([unconnected.id, connected.id]);
  });
});

describe('maxKernels', () => {
  const gateway = gatewayForBlock({ maxKernels: 2 });

  it('refuses the third kernel with 429 quota-exceeded, even when the starts race', async () => {
    const gw = gateway();
    const responses = await Promise.all([post(gw), post(gw), post(gw)]);
    expect(responses.map((response) => response.status).sort()).toEqual([201, 201, 429]);
    const refused = (await responses.find((response) => response.status === 429)!.json()) as ErrorBody;
    expect(refused.code).toBe('quota-exceeded');
    expect(refused.reason).toBe('Too Many Requests');
    expect(refused.message).toMatch(/maximum of 2 kernels/);
    expect(refused.message).toMatch(/[Ss]hut down/);

    const ids = await listedIds(gw);
    expect(ids).toHaveLength(2);
    expect((await post(gw)).status).toBe(429);

    // Room again after a shutdown.
    expect((await gw.api(`api/kernels/${ids[0]}`, { method: 'DELETE' })).status).toBe(204);
    const replacement = await start(gw);
    expect((await listedIds(gw)).sort()).toEqual([ids[1]!, replacement.id].sort());
  });
});

describe('maxKernelsPerUser', () => {
  const gateway = gatewayForBlock({ maxKernelsPerUser: 1 });

  it('counts kernels per KERNEL_USERNAME', async () => {
    const gw = gateway();
    const ada = await start(gw, { KERNEL_USERNAME: 'ada' });

    const refused = await post(gw, { KERNEL_USERNAME: 'ada' });
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as ErrorBody;
    expect(body.code).toBe('quota-exceeded');
    expect(body.message).toMatch(/"ada"/);
    expect(body.message).toMatch(/maximum of 1 kernel/);

    // Other users (and clients that name none) have quotas of their own.
    const grace = await start(gw, { KERNEL_USERNAME: 'grace' });
    const anonymous = await start(gw);
    expect((await listedIds(gw)).sort()).toEqual([ada.id, grace.id, anonymous.id].sort());

    expect((await gw.api(`api/kernels/${ada.id}`, { method: 'DELETE' })).status).toBe(204);
    await start(gw, { KERNEL_USERNAME: 'ada' });
  });
});
