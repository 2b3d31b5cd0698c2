import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCliGateway, stopCliGateway, type CliGateway } from '../support/cli-gateway';
import { isAlive, kernelPid, kernelProcesses, killKernelProcesses, processesWith, waitUntil } from '../support/kernel-processes';
import { isStatus, KernelSocket } from '../support/kernel-socket';

// A gateway process killed with SIGKILL leaves its kernels running; the next gateway on the same
// data dir must find them again (same id, same process, same state) and clean up the ones that
// died in between.

jest.setTimeout(240_000);

/**
 * The first gateway runs under a parent that adopts orphans (a child subreaper) and never reaps
 * them, as some container entrypoints do. Its kernels outlive it as that parent's children, so a
 * kernel that dies later stays a zombie: the next gateway must still see it as dead.
 */
const NON_REAPING_PARENT = [
  '/usr/bin/python3',
  '-c',
  [
    'import ctypes, subprocess, sys, time',
    'ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER',
    'subprocess.Popen(sys.argv[1:]).wait()',
    'while True: time.sleep(3600)',
  ].join('\n'),
];

interface KernelModel {
  id: string;
  name: string;
  execution_state: string;
  connections: number;
}

async function startKernel(gateway: CliGateway): Promise<KernelModel> {
  const response = await gateway.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3' }) });
  expect(response.status).toBe(201);
  return (await response.json()) as KernelModel;
}

describe('reattach after the gateway process is killed', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-reattach-'));
  const token = `reattach-${randomUUID()}`;
  const gateways: CliGateway[] = [];
  const sockets: KernelSocket[] = [];

  afterAll(async () => {
    for (const socket of sockets) socket.ws.terminate();
    for (const gateway of gateways) await stopCliGateway(gateway, 'SIGKILL');
    killKernelProcesses(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds a live kernel again with its state and discards one that died while no gateway ran', async () => {
    const first = await startCliGateway({ dataDir, token, wrapper: NON_REAPING_PARENT });
    gateways.push(first);
    const firstGateway = processesWith(dataDir).filter((p) => p.args[0] === process.execPath && p.args.includes('serve'));
    expect(firstGateway).toHaveLength(1);
    const survivor = await startKernel(first);
    const casualty = await startKernel(first);

    const before = await KernelSocket.open(first.wsUrl, token, survivor.id);
    sockets.push(before);
    const assigned = await before.execute('x = 41');
    expect(assigned.reply.content.status).toBe('ok');

    const survivorPid = kernelPid(dataDir, survivor.id);
    const casualtyPid = kernelPid(dataDir, casualty.id);
    const casualtyFiles = [join(dataDir, 'runtime', `kernel-${casualty.id}.json`), join(dataDir, 'runtime', `kernel-${casualty.id}.log`)];
    expect(casualtyFiles.map((file) => existsSync(file))).toEqual([true, true]);

    // The gateway dies without a chance to clean up; its kernels do not.
    process.kill(firstGateway[0]!.pid, 'SIGKILL');
    await before.closed;
    await waitUntil(() => !isAlive(firstGateway[0]!.pid), 'the first gateway process to end');
    expect(isAlive(survivorPid)).toBe(true);
    expect(isAlive(casualtyPid)).toBe(true);

    // One kernel dies while no gateway watches it.
    process.kill(casualtyPid, 'SIGKILL');
    await waitUntil(() => !isAlive(casualtyPid), `kernel process ${casualtyPid} to end`);

    const second = await startCliGateway({ dataDir, token });
    gateways.push(second);
    expect(second.stderr).toEqual([]);

    const listed = (await (await second.api('api/kernels')).json()) as KernelModel[];
    expect(listed.map((kernel) => kernel.id)).toEqual([survivor.id]);
    expect(listed[0]).toMatchObject({ id: survivor.id, name: 'python3', connections: 0 });
    // Its execution state is known again once the kernel has said something (it was idle).
    await waitUntil(
      async () => ((await (await second.api(`api/kernels/${survivor.id}`)).json()) as KernelModel).execution_state === 'idle',
      'the reattached kernel to report idle',
    );
    expect((await second.api(`api/kernels/${casualty.id}`)).status).toBe(404);
    expect(casualtyFiles.map((file) => existsSync(file))).toEqual([false, false]);
    // Reattached, not relaunched: the very same process holds x.
    expect(kernelPid(dataDir, survivor.id)).toBe(survivorPid);

    const after = await KernelSocket.open(second.wsUrl, token, survivor.id);
    sockets.push(after);
    const sum = await after.execute('x + 1');
    expect(sum.reply.content.status).toBe('ok');
    expect(sum.result).toBe('42');

    // The new gateway watches the reattached process: its death is noticed and the kernel restarted.
    process.kill(survivorPid, 'SIGKILL');
    await after.waitFor((m) => isStatus(m, 'restarting'), "'restarting' status after the reattached kernel was killed");
    await waitUntil(async () => {
      const model = (await (await second.api(`api/kernels/${survivor.id}`)).json()) as KernelModel;
      return model.execution_state === 'idle' && kernelProcesses(dataDir).length === 1;
    }, 'the restarted kernel to be idle');
    expect(kernelPid(dataDir, survivor.id)).not.toBe(survivorPid);
    const lost = await after.execute('x');
    expect(lost.reply.content.status).toBe('error');
    expect(lost.reply.content.ename).toBe('NameError');

    // Shut everything down: the kernel, then the gateway (SIGTERM is a clean stop).
    expect((await second.api(`api/kernels/${survivor.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await after.closed).toMatchObject({ code: 1000 });
    expect(kernelProcesses(dataDir)).toEqual([]);
    expect(readdirSync(join(dataDir, 'runtime'))).toEqual([]);
    expect(await stopCliGateway(second, 'SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
