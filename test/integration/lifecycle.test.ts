import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { isAlive, kernelPid, kernelProcesses, killKernelProcesses, processesWith, waitUntil } from '../support/kernel-processes';
import { isStatus, KernelSocket, type WireMessage } from '../support/kernel-socket';

// The kernel lifecycle policy of KernelManager against real processes: automatic restarts and
// their budget, launch failures and timeouts that leave nothing behind, message-mode interrupts,
// and shutdown escalation up to SIGKILL.

jest.setTimeout(120_000);

const PYTHON = '/usr/bin/python3';

interface KernelModel {
  id: string;
  name: string;
  execution_state: string;
  reason?: string;
}

interface ErrorBody {
  message: string;
  code: string;
  traceback?: string;
  details?: { stderrTail?: string; kernelName?: string };
}

/** Writes `<dir>/<name>/kernel.json`. */
function writeSpec(dir: string, name: string, spec: Record<string, unknown>): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'kernel.json'), JSON.stringify({ display_name: name, language: 'python', ...spec }));
}

async function startKernel(gw: TestGateway, name = 'python3'): Promise<KernelModel> {
  const response = await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name }) });
  const body = (await response.json()) as KernelModel & ErrorBody;
  if (response.status !== 201) throw new Error(`start of ${name} failed: ${response.status} ${body.message}`);
  return body;
}

async function model(gw: TestGateway, id: string): Promise<KernelModel> {
  return (await (await gw.api(`api/kernels/${id}`)).json()) as KernelModel;
}

/** The first message after `index` in a socket's log matching `predicate`. */
function after(socket: KernelSocket, index: number, predicate: (m: WireMessage) => boolean): (m: WireMessage) => boolean {
  return (m) => socket.received.indexOf(m) > index && predicate(m);
}

/** Wraps the kernel's interrupt_request handler so that it sets `got_interrupt_request`. */
const RECORD_INTERRUPT_REQUESTS = `_kernel = get_ipython().kernel
_original_interrupt = _kernel.control_handlers['interrupt_request']
got_interrupt_request = False
async def _recording_interrupt(*args):
    global got_interrupt_request
    got_interrupt_request = True
    return await _original_interrupt(*args)
_kernel.control_handlers['interrupt_request'] = _recording_interrupt`;

/** Makes the kernel ignore SIGTERM and shutdown_request on both channels. */
const IGNORE_SHUTDOWN = `import signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
_kernel = get_ipython().kernel
async def _ignore_shutdown(*args):
    pass
_kernel.control_handlers['shutdown_request'] = _ignore_shutdown
_kernel.shell_handlers['shutdown_request'] = _ignore_shutdown`;

const specsDir = mkdtempSync(join(tmpdir(), 'berth-lifecycle-specs-'));
writeSpec(specsDir, 'boom', {
  argv: [PYTHON, '-c', "import sys; sys.stderr.write('boom-marker\\n'); sys.exit(3)", '{connection_file}'],
});
writeSpec(specsDir, 'sleepy', {
  argv: [PYTHON, '-c', "import time; print('sleepy-started', flush=True); time.sleep(600)", '{connection_file}'],
});
writeSpec(specsDir, 'python3-message-interrupt', {
  argv: [PYTHON, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
  interrupt_mode: 'message',
});

afterAll(() => rmSync(specsDir, { recursive: true, force: true }));

describe('kernel lifecycle', () => {
  let gw: TestGateway;
  let dataDir: string;
  const sockets: KernelSocket[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ kernelspecDirs: [specsDir], kernels: { restartLimit: 1, shutdownGraceSeconds: 1 } });
    dataDir = gw.dataDir;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.ws.terminate();
    await gw.stop();
    killKernelProcesses(dataDir);
  });

  async function open(id: string): Promise<KernelSocket> {
    const socket = await KernelSocket.open(gw.wsUrl, gw.token, id);
    sockets.push(socket);
    return socket;
  }

  it('reports a kernel that exits at launch with its stderr, and leaves nothing behind', async () => {
    const response = await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'boom' }) });
    expect(response.status).toBe(500);
    const body = (await response.json()) as ErrorBody;
    expect(body.code).toBe('kernel-launch-failed');
    expect(body.message).toMatch(/exited with code 3/);
    expect(body.traceback).toContain('boom-marker');
    expect(body.details?.stderrTail).toContain('boom-marker');
    expect(body.details?.kernelName).toBe('boom');
    expect(await (await gw.api('api/kernels')).json()).toEqual([]);
    expect(readdirSync(join(dataDir, 'runtime'))).toEqual([]);
    expect(kernelProcesses(dataDir)).toEqual([]);
  });

  it('restarts a kernel that died unexpectedly, in place, with its state lost', async () => {
    const kernel = await startKernel(gw);
    const socket = await open(kernel.id);
    expect((await socket.execute('x = 1')).reply.content.status).toBe('ok');
    const firstPid = kernelPid(dataDir, kernel.id);

    const mark = socket.received.length - 1;
    process.kill(firstPid, 'SIGKILL');
    const restarting = await socket.waitFor(
      after(socket, mark, (m) => isStatus(m, 'restarting')),
      "'restarting' status",
    );
    const restartingAt = socket.received.indexOf(restarting);
    // Then the new kernel's own statuses (they answer a request, so they carry a parent header).
    await socket.waitFor(
      after(socket, restartingAt, (m) => m.channel === 'iopub' && m.header.msg_type === 'status' && m.parent_header.msg_id !== undefined),
      "a status from the restarted kernel after 'restarting'",
    );
    await waitUntil(async () => (await model(gw, kernel.id)).execution_state === 'idle', 'the kernel to be idle again');

    expect(await model(gw, kernel.id)).toMatchObject({ id: kernel.id, name: 'python3', execution_state: 'idle' });
    const secondPid = kernelPid(dataDir, kernel.id);
    expect(secondPid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    // The same WebSocket keeps working: its ZMQ sockets reconnect to the same ports.
    const lost = await socket.execute('x');
    expect(lost.reply.content).toMatchObject({ status: 'error', ename: 'NameError' });

    expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('a kernel shut down during its automatic restart leaves no process behind', async () => {
    const kernel = await startKernel(gw);
    const socket = await open(kernel.id);
    const mark = socket.received.length - 1;
    process.kill(kernelPid(dataDir, kernel.id), 'SIGKILL');
    await socket.waitFor(
      after(socket, mark, (m) => isStatus(m, 'restarting')),
      "'restarting' status",
    );
    // The restart's new process is on its way: the shutdown comes in the middle of its launch.
    expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await gw.api(`api/kernels/${kernel.id}`)).status).toBe(404);
    // A whole launch of another kernel takes longer than what was left of the restart's.
    const other = await startKernel(gw);
    const ownConnectionFile = join(dataDir, 'runtime', `kernel-${kernel.id}.json`);
    await waitUntil(async () => processesWith(ownConnectionFile).length === 0, 'the restarted process to be gone');
    expect((await gw.api(`api/kernels/${other.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(processesWith(ownConnectionFile)).toEqual([]);
  });

  it('marks a kernel dead with a reason once its restart budget is spent', async () => {
    const kernel = await startKernel(gw);
    const socket = await open(kernel.id);
    await socket.execute('1');

    process.kill(kernelPid(dataDir, kernel.id), 'SIGKILL');
    await socket.waitFor((m) => isStatus(m, 'restarting'), "'restarting' status");
    await waitUntil(
      async () => (await model(gw, kernel.id)).execution_state === 'idle' && kernelProcesses(dataDir).length === 1,
      'the first restart',
    );

    const mark = socket.received.length - 1;
    process.kill(kernelPid(dataDir, kernel.id), 'SIGKILL');
    await socket.waitFor(
      after(socket, mark, (m) => isStatus(m, 'dead')),
      "'dead' status",
    );
    expect(socket.received.slice(mark + 1).some((m) => isStatus(m, 'restarting'))).toBe(false);

    const dead = await model(gw, kernel.id);
    expect(dead.execution_state).toBe('dead');
    // The reason says what happened (the kill) and why nothing restarted it.
    expect(dead.reason).toMatch(/SIGKILL/);
    expect(dead.reason).toMatch(/restart/i);
    expect(kernelProcesses(dataDir)).toEqual([]);

    expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(readdirSync(join(dataDir, 'runtime'))).toEqual([]);
  });

  it('interrupts with an interrupt_request when the spec says interrupt_mode message', async () => {
    const kernel = await startKernel(gw, 'python3-message-interrupt');
    const socket = await open(kernel.id);
    // Record, inside the kernel, that the interrupt came as a message (SIGINT alone would not call this).
    const wrapped = await socket.execute(RECORD_INTERRUPT_REQUESTS);
    expect(wrapped.reply.content.status).toBe('ok');

    // stopOnError false: the KeyboardInterrupt must not make ipykernel abort the check that follows.
    const sleeping = socket.sendExecute("import time\nprint('sleeping', flush=True)\ntime.sleep(30)", { stopOnError: false });
    await socket.waitFor((m) => m.parent_header.msg_id === sleeping && m.header.msg_type === 'stream', 'the kernel to start sleeping');
    expect((await gw.api(`api/kernels/${kernel.id}/interrupt`, { method: 'POST' })).status).toBe(204);
    const interrupted = await socket.outcome(sleeping);
    expect(interrupted.reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });

    expect((await socket.execute('got_interrupt_request')).result).toBe('True');
    expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('escalates to SIGKILL when a kernel ignores shutdown_request and SIGTERM', async () => {
    const kernel = await startKernel(gw);
    const socket = await open(kernel.id);
    const stubborn = await socket.execute(IGNORE_SHUTDOWN);
    expect(stubborn.reply.content.status).toBe('ok');
    const pid = kernelPid(dataDir, kernel.id);

    expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(isAlive(pid)).toBe(false);
    expect((await socket.closed).code).toBe(1000);
    expect((await gw.api(`api/kernels/${kernel.id}`)).status).toBe(404);
    const escalation = gw.logLines
      .map((line) => JSON.parse(line) as { kernelId?: string; msg: string })
      .filter((line) => line.kernelId === kernel.id && /^kernel ignored/.test(line.msg))
      .map((line) => line.msg);
    expect(escalation).toEqual(['kernel ignored shutdown_request; sending SIGTERM', 'kernel ignored SIGTERM; sending SIGKILL']);
    expect(readdirSync(join(dataDir, 'runtime'))).toEqual([]);
  });
});

describe('kernel startup timeout', () => {
  let gw: TestGateway;
  let dataDir: string;

  beforeAll(async () => {
    gw = await startTestGateway({ kernelspecDirs: [specsDir], kernels: { startupTimeoutSeconds: 2 } });
    dataDir = gw.dataDir;
  });

  afterAll(async () => {
    await gw.stop();
    killKernelProcesses(dataDir);
  });

  it('answers 504 launch-timeout and kills a kernel that never answers kernel_info', async () => {
    const response = await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'sleepy' }) });
    expect(response.status).toBe(504);
    const body = (await response.json()) as ErrorBody;
    expect(body.code).toBe('launch-timeout');
    expect(body.message).toMatch(/within 2 s/);
    // Its output proves the process did run; now it must be gone, with its files.
    expect(body.traceback).toContain('sleepy-started');
    expect(kernelProcesses(dataDir)).toEqual([]);
    expect(await (await gw.api('api/kernels')).json()).toEqual([]);
    expect(readdirSync(join(dataDir, 'runtime'))).toEqual([]);
  });
});

describe("an exec config's own startup timeout", () => {
  let gw: TestGateway;
  let configDir: string;

  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'berth-lifecycle-config-'));
    mkdirSync(join(configDir, 'execution-configs'));
    writeFileSync(join(configDir, 'execution-configs', 'local.yaml'), 'backend: local\ntimeouts:\n  startupSeconds: 2\n');
    gw = await startTestGateway({ kernelspecDirs: [specsDir], configDir, kernels: { startupTimeoutSeconds: 120 } });
  });

  afterAll(async () => {
    await gw.stop();
    killKernelProcesses(gw.dataDir);
    rmSync(configDir, { recursive: true, force: true });
  });

  it('wins over the gateway setting: timeouts.startupSeconds 2 under a gateway default of 120 s', async () => {
    const response = await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'sleepy' }) });
    expect(response.status).toBe(504);
    const body = (await response.json()) as ErrorBody;
    expect(body.code).toBe('launch-timeout');
    expect(body.message).toMatch(/within 2 s/);
    expect(kernelProcesses(gw.dataDir)).toEqual([]);
  });
});
