import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { killKernelProcesses, waitUntil } from '../support/kernel-processes';
import { isStatus, KernelSocket } from '../support/kernel-socket';

// What a client misses while its WebSocket is away is kept for its session and replayed when it
// comes back with the same session id, as Jupyter Server does; any other client gets only its
// own replies, and everybody gets iopub.

jest.setTimeout(120_000);

interface KernelModel {
  id: string;
  execution_state: string;
  connections: number;
}

const COUNTING = 'import time\nfor i in range(5): print(i); time.sleep(0.3)';

describe('message buffering and multiple clients', () => {
  let gw: TestGateway;
  let dataDir: string;
  const scratch = mkdtempSync(join(tmpdir(), 'berth-buffering-'));
  const sockets: KernelSocket[] = [];

  beforeAll(async () => {
    gw = await startTestGateway();
    dataDir = gw.dataDir;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.ws.terminate();
    await gw.stop();
    killKernelProcesses(dataDir);
    rmSync(scratch, { recursive: true, force: true });
  });

  async function startKernel(): Promise<KernelModel> {
    const response = await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3' }) });
    expect(response.status).toBe(201);
    return (await response.json()) as KernelModel;
  }

  async function open(kernelId: string, sessionId?: string): Promise<KernelSocket> {
    const socket = await KernelSocket.open(gw.wsUrl, gw.token, kernelId, { sessionId });
    sockets.push(socket);
    return socket;
  }

  async function model(kernelId: string): Promise<KernelModel> {
    return (await (await gw.api(`api/kernels/${kernelId}`)).json()) as KernelModel;
  }

  /** Sends the counting code, closes the socket at once, and waits until the kernel has run it all. */
  async function runWhileAway(kernelId: string, sessionId: string): Promise<string> {
    const done = join(scratch, randomUUID());
    const client = await open(kernelId, sessionId);
    const msgId = client.sendExecute(`${COUNTING}\nopen(${JSON.stringify(done)}, 'w').close()`);
    await client.close();
    await waitUntil(
      async () => existsSync(done) && (await model(kernelId)).execution_state === 'idle',
      'the code to finish with no client attached',
    );
    return msgId;
  }

  it('replays what a session missed when it reconnects with the same session id', async () => {
    const kernel = await startKernel();
    const sessionId = randomUUID();
    const msgId = await runWhileAway(kernel.id, sessionId);
    expect((await model(kernel.id)).connections).toBe(0);

    const back = await open(kernel.id, sessionId);
    const replayed = await back.outcome(msgId);
    expect(replayed.reply.content.status).toBe('ok');
    expect(replayed.stdout).toBe('0\n1\n2\n3\n4\n');
    // Everything the request caused, in the order the kernel sent it.
    const types = replayed.iopub.map((m) => (m.header.msg_type === 'status' ? `status:${m.content.execution_state}` : m.header.msg_type));
    expect(types[0]).toBe('status:busy');
    expect(types[1]).toBe('execute_input');
    expect(types.at(-1)).toBe('status:idle');
    expect((await model(kernel.id)).connections).toBe(1);

    // A replayed session is an ordinary live session again.
    expect((await back.execute('6 * 7')).result).toBe('42');
    expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('gives nothing of it to a client with another session id, and drops the buffer then', async () => {
    const kernel = await startKernel();
    const away = randomUUID();
    const msgId = await runWhileAway(kernel.id, away);

    const other = await open(kernel.id, randomUUID());
    // Its own request's reply comes after any replay would have: the attach replays before relaying.
    expect((await other.execute('1')).result).toBe('1');
    expect(other.childrenOf(msgId)).toEqual([]);

    // Jupyter keeps one buffer per kernel, for the session that left: it is gone now.
    const late = await open(kernel.id, away);
    expect((await late.execute('2')).result).toBe('2');
    expect(late.childrenOf(msgId)).toEqual([]);
    expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('broadcasts iopub to every socket and sends replies only to the one that asked', async () => {
    const kernel = await startKernel();
    const first = await open(kernel.id);
    const second = await open(kernel.id);
    expect(first.sessionId).not.toBe(second.sessionId);

    const fromFirst = await first.execute("print('hello from first')");
    expect(fromFirst.stdout).toBe('hello from first\n');
    await second.waitFor(
      (m) => isStatus(m, 'idle') && m.parent_header.msg_id === fromFirst.msgId,
      'idle status of the first client’s request on the second socket',
    );
    const fromSecond = await second.execute("print('hello from second')");
    await first.waitFor(
      (m) => isStatus(m, 'idle') && m.parent_header.msg_id === fromSecond.msgId,
      'idle status of the second client’s request on the first socket',
    );

    // iopub reached both sockets …
    const streamsOn = (socket: KernelSocket, msgId: string): string[] =>
      socket
        .childrenOf(msgId)
        .filter((m) => m.header.msg_type === 'stream')
        .map((m) => m.content.text as string);
    expect(streamsOn(second, fromFirst.msgId)).toEqual(['hello from first\n']);
    expect(streamsOn(first, fromSecond.msgId)).toEqual(['hello from second\n']);
    // … shell replies only the sender's.
    expect(first.childrenOf(fromSecond.msgId).filter((m) => m.channel === 'shell')).toEqual([]);
    expect(second.childrenOf(fromFirst.msgId).filter((m) => m.channel === 'shell')).toEqual([]);
    expect(
      first
        .childrenOf(fromFirst.msgId)
        .filter((m) => m.channel === 'shell')
        .map((m) => m.header.msg_type),
    ).toEqual(['execute_reply']);

    expect((await model(kernel.id)).connections).toBe(2);
    await first.close();
    await second.close();
    await waitUntil(async () => (await model(kernel.id)).connections === 0, 'the gateway to count no connection');
    expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  });
});
