import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ChannelRecorder, clientMessage, type WsMessage } from '../support/channel-messages';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

/**
 * Debian's jupyter_server 1.23 (/usr/bin/python3, not the python3 on PATH) as a real client of
 * Berth through `--gateway-url`. Everything below goes through jupyter_server's own REST API and
 * kernel WebSocket; Berth is only asked directly to confirm what it saw.
 *
 * 1.23's sessions handler forwards the server's whole environment to the gateway; Berth must
 * keep only KERNEL_* and never log the rest, nor its own token.
 */

const JUPYTER_PYTHON = '/usr/bin/python3';
const SECRET = `do-not-forward-${randomUUID()}`;
const STARTUP_TIMEOUT_MS = 60_000;
const SHUTDOWN_GRACE_MS = 10_000;

interface JupyterServer {
  readonly child: ChildProcess;
  readonly url: string;
  readonly wsUrl: string;
  readonly token: string;
  readonly output: string[];
  readonly exited: Promise<void>;
  api(path: string, init?: RequestInit): Promise<Response>;
}

interface SessionModel {
  id: string;
  path: string;
  kernel: { id: string; name: string };
}

interface KernelModel {
  id: string;
  name: string;
  execution_state: string;
  connections: number;
  last_activity: string;
}

let gw: TestGateway;
let js: JupyterServer;
let workDir: string;

beforeAll(async () => {
  gw = await startTestGateway();
  workDir = mkdtempSync(join(tmpdir(), 'berth-jupyter-server-'));
  js = await startJupyterServer(gw, workDir);
}, STARTUP_TIMEOUT_MS + 30_000);

afterAll(async () => {
  if (js) await stopJupyterServer(js);
  await gw?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}, SHUTDOWN_GRACE_MS + 30_000);

describe('jupyter_server 1.23 with --gateway-url pointing at Berth', () => {
  it('lists the kernelspecs Berth publishes, with Berth default', async () => {
    const response = await js.api('api/kernelspecs');
    expect(response.status).toBe(200);
    const specs = (await response.json()) as {
      default: string;
      kernelspecs: Record<string, { name: string; spec: { display_name: string; language: string } }>;
    };
    const berth = (await (await gw.api('api/kernelspecs')).json()) as { default: string; kernelspecs: Record<string, unknown> };
    expect(Object.keys(specs.kernelspecs).sort()).toEqual(Object.keys(berth.kernelspecs).sort());
    expect(specs.default).toBe(berth.default);
    expect(specs.kernelspecs['python3']).toMatchObject({ name: 'python3', spec: { language: 'python' } });
    expect(specs.kernelspecs['ir']).toMatchObject({ name: 'ir', spec: { language: 'R' } });

    const one = await js.api('api/kernelspecs/ir');
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ name: 'ir', spec: { display_name: 'R', language: 'R' } });
    expect((await js.api('api/kernelspecs/no-such-spec')).status).toBe(404);
  });

  describe('a notebook session', () => {
    let session: SessionModel;
    let kernelId: string;
    let ws: WebSocket;
    let channels: ChannelRecorder;

    beforeAll(async () => {
      const response = await js.api('api/sessions', {
        method: 'POST',
        body: JSON.stringify({ path: 'conformance.ipynb', type: 'notebook', name: '', kernel: { name: 'python3' } }),
      });
      const text = await response.text();
      expect({ status: response.status, text }).toEqual({ status: 201, text: expect.any(String) });
      session = JSON.parse(text) as SessionModel;
      kernelId = session.kernel.id;
      ws = await openJupyterServerChannels(js, kernelId);
      channels = new ChannelRecorder(ws, 'json');
      await waitForKernelInfo(channels);
    }, 90_000);

    afterAll(async () => {
      if (ws && ws.readyState !== WebSocket.CLOSED) {
        await new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          ws.close();
        });
      }
    });

    it('created the kernel on Berth under the same id', async () => {
      expect(session.kernel.name).toBe('python3');
      const response = await gw.api('api/kernels');
      expect(response.status).toBe(200);
      const kernels = (await response.json()) as KernelModel[];
      const kernel = kernels.find((k) => k.id === kernelId);
      expect(kernel).toMatchObject({ id: kernelId, name: 'python3' });
      // jupyter_server relays our socket through its own socket to Berth.
      expect(kernel!.connections).toBeGreaterThanOrEqual(1);
      // What Berth kept of the env jupyter_server sent (its whole environment, in 1.23): KERNEL_* only.
      const kept = gw.gateway.services.kernels.get(kernelId).env;
      expect(kept['KERNEL_BERTH_TEST']).toBe('hello');
      expect(Object.keys(kept).filter((name) => !name.startsWith('KERNEL_'))).toEqual([]);
      expect(JSON.stringify(kept)).not.toContain(SECRET);
    });

    it('jupyter_server reports the kernel model it got from Berth', async () => {
      const list = await js.api('api/kernels');
      expect(list.status).toBe(200);
      expect((await list.json()) as KernelModel[]).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: kernelId, name: 'python3' })]),
      );
      const one = await js.api(`api/kernels/${kernelId}`);
      expect(one.status).toBe(200);
      const model = (await one.json()) as KernelModel;
      expect(model.id).toBe(kernelId);
      expect(['idle', 'busy']).toContain(model.execution_state);
      const sessions = (await (await js.api('api/sessions')).json()) as SessionModel[];
      expect(sessions.map((s) => s.kernel.id)).toContain(kernelId);
    });

    it('runs 1+1 through jupyter_server kernel WebSocket', async () => {
      const outcome = await channels.execute('1+1');
      expect(outcome.reply.content['status']).toBe('ok');
      expect(outcome.result).toBe('2');
      expect(outcome.error).toBeUndefined();
    });

    it('the kernel got KERNEL_* from jupyter_server and nothing secret', async () => {
      const outcome = await channels.execute(
        "import os; print({k: v for k, v in os.environ.items() if k.startswith('KERNEL_') or 'SECRET' in k})",
      );
      expect(outcome.reply.content['status']).toBe('ok');
      expect(outcome.stream).toContain("'KERNEL_BERTH_TEST': 'hello'");
      expect(outcome.stream).not.toContain('SECRET');
      expect(outcome.stream).not.toContain(SECRET);

      // jupyter_server 1.23 also forwards its whole environment on session starts; none of it arrives.
      const leaked = await channels.execute(
        "import os; print(sorted(k for k, v in os.environ.items() if k.startswith('JUPYTER_') or k == 'JPY_SESSION_NAME' or v in (" +
          `${JSON.stringify(gw.token)}, ${JSON.stringify(js.token)}, ${JSON.stringify(SECRET)})))`,
      );
      expect(leaked.stream.trim()).toBe('[]');
    });

    it('Berth never logged the secret value or its own token', () => {
      const logs = gw.logLines.join('\n');
      expect(gw.logLines.length).toBeGreaterThan(0);
      expect(logs).not.toContain(SECRET);
      expect(logs).not.toContain(gw.token);
    });

    it('interrupts a running cell through jupyter_server REST', async () => {
      const request = clientMessage(
        'execute_request',
        {
          code: 'import time\nfor _ in range(600): time.sleep(0.1)',
          silent: false,
          store_history: true,
          user_expressions: {},
          allow_stdin: false,
          // false: with true, ipykernel 6.17 aborts the `1+1` below if it arrives right after the KeyboardInterrupt.
          stop_on_error: false,
        },
        channels.session,
      );
      channels.send(request);
      await channels.waitFor(
        (m) => m.channel === 'iopub' && m.header.msg_type === 'execute_input' && m.parent_header.msg_id === request.header.msg_id,
        'the sleeping cell to start',
      );
      const response = await js.api(`api/kernels/${kernelId}/interrupt`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(204);
      const outcome = await channels.outcomeOf(request, 20_000);
      expect(outcome.reply.content['status']).toBe('error');
      expect(outcome.reply.content['ename']).toBe('KeyboardInterrupt');
      expect((await channels.execute('1+1')).result).toBe('2');
    });

    it('restarts the kernel through jupyter_server REST, same id, fresh namespace', async () => {
      expect((await channels.execute('berth_marker = 41; berth_marker + 1')).result).toBe('42');
      const berthBefore = (await (await gw.api(`api/kernels/${kernelId}`)).json()) as KernelModel;
      const response = await js.api(`api/kernels/${kernelId}/restart`, { method: 'POST', body: '{}' });
      const text = await response.text();
      expect({ status: response.status, text }).toEqual({ status: 200, text: expect.any(String) });
      expect(JSON.parse(text)).toMatchObject({ id: kernelId, name: 'python3' });

      // The socket through jupyter_server survives the restart; the namespace does not.
      await channels.waitFor(
        (m) => m.channel === 'iopub' && m.header.msg_type === 'status' && m.content['execution_state'] === 'restarting',
        'a restarting status',
      );
      const outcome = await executeWhenReady(channels, "'berth_marker' in globals()");
      expect(outcome.result).toBe('False');
      expect((await channels.execute('1+1')).result).toBe('2');
      const berthAfter = await gw.api(`api/kernels/${kernelId}`);
      expect(berthAfter.status).toBe(200);
      expect(((await berthAfter.json()) as KernelModel).id).toBe(berthBefore.id);
    });

    it('deletes the kernel through jupyter_server REST, and Berth forgets it', async () => {
      const response = await js.api(`api/kernels/${kernelId}`, { method: 'DELETE' });
      expect(response.status).toBe(204);
      expect((await gw.api(`api/kernels/${kernelId}`)).status).toBe(404);
      const berthKernels = (await (await gw.api('api/kernels')).json()) as KernelModel[];
      expect(berthKernels.map((k) => k.id)).not.toContain(kernelId);
      const jsKernels = (await (await js.api('api/kernels')).json()) as KernelModel[];
      expect(jsKernels.map((k) => k.id)).not.toContain(kernelId);
      expect((await js.api(`api/kernels/${kernelId}`)).status).toBe(404);
    });
  });

  it('starts an R kernel through jupyter_server REST and runs 1+1 in it', async () => {
    const started = await js.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'ir' }) });
    const text = await started.text();
    expect({ status: started.status, text }).toEqual({ status: 201, text: expect.any(String) });
    const model = JSON.parse(text) as KernelModel;
    expect(model.name).toBe('ir');
    const ws = await openJupyterServerChannels(js, model.id);
    try {
      const channels = new ChannelRecorder(ws, 'json');
      await waitForKernelInfo(channels);
      const outcome = await channels.execute('1+1');
      expect(outcome.reply.content['status']).toBe('ok');
      expect(outcome.displayed).toEqual(['[1] 2']); // IRkernel 1.3 shows values as display_data
      const env = await channels.execute('cat(Sys.getenv("KERNEL_BERTH_TEST"), Sys.getenv("SUPER_SECRET_VALUE"), sep = "|")');
      expect(env.stream).toBe('hello|');
    } finally {
      ws.close();
    }
    expect((await js.api(`api/kernels/${model.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await gw.api(`api/kernels/${model.id}`)).status).toBe(404);
  }, 90_000);

  it('after everything, neither Berth logs nor its data dir hold the secret or its token, and Berth is up', async () => {
    const logs = gw.logLines.join('\n');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(gw.token);
    // The store (SQLite and its WAL), connection files and kernel logs.
    const files = (readdirSync(gw.dataDir, { recursive: true }) as string[])
      .map((name) => join(gw.dataDir, name))
      .filter((file) => statSync(file).isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = readFileSync(file);
      expect({ file, secret: bytes.includes(SECRET), token: bytes.includes(gw.token) }).toEqual({ file, secret: false, token: false });
    }
    expect((await gw.api('api/status')).status).toBe(200);
  });
});

// ---------------------------------------------------------------- jupyter_server process

async function startJupyterServer(gateway: TestGateway, dir: string): Promise<JupyterServer> {
  const port = await freeLoopbackPort();
  const token = `js-token-${randomUUID()}`;
  const rootDir = join(dir, 'root');
  for (const sub of ['root', 'config', 'data', 'runtime']) mkdirSync(join(dir, sub), { recursive: true });
  const gatewayUrl = gateway.url.replace(/\/$/, '');
  const args = [
    '-m',
    'jupyter_server',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${port}`,
    '--ServerApp.port_retries=0',
    `--ServerApp.token=${token}`,
    '--ServerApp.password=',
    '--ServerApp.open_browser=False',
    '--ServerApp.allow_root=True',
    `--ServerApp.root_dir=${rootDir}`,
    `--gateway-url=${gatewayUrl}`,
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? dir,
    LANG: 'C.UTF-8',
    JUPYTER_GATEWAY_AUTH_TOKEN: gateway.token,
    KERNEL_BERTH_TEST: 'hello',
    SUPER_SECRET_VALUE: SECRET,
    JUPYTER_CONFIG_DIR: join(dir, 'config'),
    JUPYTER_DATA_DIR: join(dir, 'data'),
    JUPYTER_RUNTIME_DIR: join(dir, 'runtime'),
  };
  const child = spawn(JUPYTER_PYTHON, args, { cwd: rootDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  let exitedWith: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedWith = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}/`;
  const server: JupyterServer = {
    child,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    token,
    output,
    exited,
    api: (path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { Authorization: `token ${token}`, ...(init.headers as Record<string, string> | undefined) },
        signal: init.signal ?? AbortSignal.timeout(60_000),
      }),
  };
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (exitedWith) throw new Error(`jupyter_server exited (${exitedWith}) before answering /api/status:\n${output.join('')}`);
    const status = await server.api('api/status', { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (status?.status === 200) return server;
    if (Date.now() > deadline) {
      await stopJupyterServer(server);
      throw new Error(`jupyter_server did not answer /api/status within ${STARTUP_TIMEOUT_MS} ms:\n${output.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** POST /api/shutdown with the token; SIGKILL our own child by PID if it is still alive after 10 s (1.23 can hang). */
async function stopJupyterServer(server: JupyterServer): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  // The handler stops the IOLoop without answering, so the request may fail; the exit is what counts.
  await server.api('api/shutdown', { method: 'POST', signal: AbortSignal.timeout(SHUTDOWN_GRACE_MS) }).catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    server.exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), SHUTDOWN_GRACE_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!stopped && server.child.pid !== undefined) {
    process.kill(server.child.pid, 'SIGKILL');
    await server.exited;
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- kernel WebSocket on jupyter_server

/** Opens jupyter_server's own /api/kernels/:id/channels (token header, no subprotocol, as 1.23 clients do). */
function openJupyterServerChannels(server: JupyterServer, kernelId: string): Promise<WebSocket> {
  const ws = new WebSocket(`${server.wsUrl}api/kernels/${encodeURIComponent(kernelId)}/channels?session_id=${randomUUID()}`, {
    headers: { Authorization: `token ${server.token}` },
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_request, response) =>
      reject(new Error(`jupyter_server refused the kernel WebSocket: HTTP ${response.statusCode}`)),
    );
  });
}

/**
 * jupyter_server 1.23 opens its own socket to the gateway after ours opens and drops what we
 * send before that socket exists, so, like JupyterLab, ask for kernel_info until it answers.
 */
async function waitForKernelInfo(channels: ChannelRecorder, timeoutMs = 60_000): Promise<WsMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const request = clientMessage('kernel_info_request', {}, channels.session);
    channels.send(request);
    try {
      return await channels.waitFor(
        (m) => m.channel === 'shell' && m.header.msg_type === 'kernel_info_reply' && m.parent_header.msg_id === request.header.msg_id,
        'kernel_info_reply',
        1000,
      );
    } catch (error) {
      if (Date.now() > deadline || channels.closed) throw error;
    }
  }
}

/** After a restart: wait until the kernel answers kernel_info again, then execute. */
async function executeWhenReady(channels: ChannelRecorder, code: string): Promise<{ result: string | undefined }> {
  await waitForKernelInfo(channels, 30_000);
  return channels.execute(code);
}
