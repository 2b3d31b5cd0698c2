import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { kernelProcesses, killKernelProcesses } from '../support/kernel-processes';
import { KernelSocket } from '../support/kernel-socket';

// Many clients start kernels at the same moment (a class opening notebooks): every start must
// succeed with its own ports and id, and every kernel must answer. This machine has 2 cores,
// so 32 ipykernels take a while to import: the timeouts are generous on purpose.

jest.setTimeout(300_000);

const COUNT = 32;

describe('concurrent kernel starts', () => {
  let gw: TestGateway;
  let dataDir: string;
  const sockets: KernelSocket[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ kernels: { startupTimeoutSeconds: 240 } });
    dataDir = gw.dataDir;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.ws.terminate();
    await gw.stop();
    killKernelProcesses(dataDir);
  });

  it(`starts ${COUNT} python kernels at once, each answers, all shut down`, async () => {
    const responses = await Promise.all(
      Array.from({ length: COUNT }, () => gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3' }) })),
    );
    const bodies = await Promise.all(
      responses.map((response) => response.json() as Promise<{ id: string; execution_state: string; message?: string }>),
    );
    const failures = responses.flatMap((response, index) =>
      response.status === 201 ? [] : [`${response.status}: ${bodies[index]!.message}`],
    );
    expect(failures).toEqual([]);
    const ids = bodies.map((body) => body.id);
    expect(new Set(ids).size).toBe(COUNT);
    expect(bodies.every((body) => body.execution_state === 'idle')).toBe(true);

    const listed = (await (await gw.api('api/kernels')).json()) as { id: string }[];
    expect(listed.map((kernel) => kernel.id).sort()).toEqual([...ids].sort());
    expect(kernelProcesses(dataDir)).toHaveLength(COUNT);

    // Each kernel runs code of its own over its own WebSocket, all at once.
    sockets.push(...(await Promise.all(ids.map((id) => KernelSocket.open(gw.wsUrl, gw.token, id)))));
    const outcomes = await Promise.all(sockets.map((socket, index) => socket.execute(`print("kernel-${index}"); ${index} * 2`)));
    outcomes.forEach((outcome, index) => {
      expect(outcome.reply.content.status).toBe('ok');
      expect(outcome.stdout).toBe(`kernel-${index}\n`);
      expect(outcome.result).toBe(String(index * 2));
    });

    const deletions = await Promise.all(ids.map((id) => gw.api(`api/kernels/${id}`, { method: 'DELETE' })));
    expect(deletions.map((response) => response.status)).toEqual(Array(COUNT).fill(204));
    expect(await (await gw.api('api/kernels')).json()).toEqual([]);
    expect(kernelProcesses(dataDir)).toEqual([]);
    expect(readdirSync(join(dataDir, 'runtime'))).toEqual([]);
  });
});
