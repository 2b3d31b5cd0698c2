import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCliGateway, stopCliGateway, type CliGateway } from '../support/cli-gateway';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { killKernelProcesses, waitUntil } from '../support/kernel-processes';
import { KernelSocket } from '../support/kernel-socket';

// What an operator relies on: Prometheus metrics, logs that never hold a secret, a data dir only
// its owner can read, and kernels that see none of the gateway's secrets nor a client's stray env.

jest.setTimeout(120_000);

interface KernelModel {
  id: string;
  execution_state: string;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** The value of one sample in Prometheus text format, e.g. sample(text, 'berth_websockets_open') or with its labels as printed. */
function sample(text: string, name: string, labels?: string): number | undefined {
  const prefix = labels === undefined ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((candidate) => candidate.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

describe('operations', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-operations-'));
  const specsDir = join(scratch, 'specs');
  // A data dir the gateway has to create itself.
  const dataDir = join(scratch, 'nested', 'data');
  let gw: TestGateway;
  const sockets: KernelSocket[] = [];

  beforeAll(async () => {
    mkdirSync(join(specsDir, 'boom'), { recursive: true });
    writeFileSync(
      join(specsDir, 'boom', 'kernel.json'),
      JSON.stringify({
        argv: ['/usr/bin/python3', '-c', 'import sys; sys.exit(3)', '{connection_file}'],
        display_name: 'boom',
        language: 'python',
      }),
    );
    gw = await startTestGateway({ dataDir, kernelspecDirs: [specsDir] });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.ws.terminate();
    await gw.stop();
    killKernelProcesses(dataDir);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('exposes kernel, start, message and WebSocket metrics, and keeps secrets out of the logs', async () => {
    const keys: string[] = [];
    const started: KernelModel[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3' }) });
      expect(response.status).toBe(201);
      started.push((await response.json()) as KernelModel);
    }

    // Secrets at rest: the data dir is the owner's alone, and so is each connection file.
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'runtime'))).toBe(0o700);
    for (const kernel of started) {
      const file = join(dataDir, 'runtime', `kernel-${kernel.id}.json`);
      expect(mode(file)).toBe(0o600);
      expect(mode(join(dataDir, 'runtime', `kernel-${kernel.id}.log`))).toBe(0o600);
      const key = (JSON.parse(readFileSync(file, 'utf8')) as { key: string }).key;
      expect(key.length).toBeGreaterThanOrEqual(16);
      keys.push(key);
    }

    // A session with some of everything: executes, a failing cell, a restart, an interrupt,
    // refused and failed requests, and the token sent in a query string.
    const socket = await KernelSocket.open(gw.wsUrl, gw.token, started[0]!.id);
    sockets.push(socket);
    expect((await socket.execute('print("hi")')).stdout).toBe('hi\n');
    expect((await socket.execute('1 / 0')).reply.content.ename).toBe('ZeroDivisionError');
    expect((await gw.api(`api/kernels/${started[1]!.id}/restart`, { method: 'POST' })).status).toBe(200);
    expect((await gw.api(`api/kernels/${started[1]!.id}/interrupt`, { method: 'POST' })).status).toBe(204);
    expect((await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'boom' }) })).status).toBe(500);
    expect((await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'no-such-spec' }) })).status).toBe(404);
    expect((await gw.api('api/kernels', { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await fetch(`${gw.url}api/kernels`)).status).toBe(401);
    expect((await fetch(`${gw.url}api/kernels`, { headers: { Authorization: 'token wrong' } })).status).toBe(403);
    expect((await fetch(`${gw.url}api/kernels?token=${gw.token}`)).status).toBe(200);
    expect((await fetch(`${gw.url}api/kernels/${randomUUID()}?token=${gw.token}`)).status).toBe(404);
    // The gateway tracks states from its own iopub subscription: wait until it has seen both idle.
    for (const kernel of started) {
      await waitUntil(
        async () => ((await (await gw.api(`api/kernels/${kernel.id}`)).json()) as KernelModel).execution_state === 'idle',
        `kernel ${kernel.id} to be idle`,
      );
    }

    const metrics = await gw.api('metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(sample(text, 'berth_kernels', 'state="idle",exec_config="local",backend="local"')).toBe(2);
    expect(sample(text, 'berth_kernel_start_seconds_count', 'exec_config="local",backend="local"')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'berth_messages_total', 'channel="shell",direction="in"')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'berth_messages_total', 'channel="shell",direction="out"')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'berth_messages_total', 'channel="iopub",direction="out"')).toBeGreaterThanOrEqual(6);
    expect(sample(text, 'berth_websockets_open')).toBe(1);
    expect(sample(text, 'berth_kernel_restarts_total', 'kind="requested",exec_config="local",backend="local"')).toBe(1);
    expect((await fetch(`${gw.url}metrics`)).status).toBe(401);

    await socket.close();
    await waitUntil(
      async () => sample(await (await gw.api('metrics')).text(), 'berth_websockets_open') === 0,
      'berth_websockets_open to drop to 0',
    );

    for (const kernel of started) expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
    const afterShutdown = await (await gw.api('metrics')).text();
    expect(sample(afterShutdown, 'berth_kernels', 'state="idle",exec_config="local",backend="local"')).toBeUndefined();

    // The logs saw all of that (at debug level) and hold neither the token nor a kernel key.
    const log = gw.logLines.join('\n');
    expect(log).toContain('kernel started');
    expect(log).toContain('restarting kernel');
    expect(log).toContain('request failed');
    expect(log).not.toContain(gw.token);
    for (const key of keys) expect(log).not.toContain(key);
  });

  it('tightens an existing data dir to 0700', async () => {
    const loose = join(scratch, 'loose');
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o755);
    const other = await startTestGateway({ dataDir: loose });
    try {
      expect(mode(loose)).toBe(0o700);
    } finally {
      await other.stop();
    }
  });
});

describe('kernel environment (berth serve)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-kernel-env-'));
  const token = `env-${randomUUID()}`;
  let cli: CliGateway | undefined;
  let socket: KernelSocket | undefined;

  afterAll(async () => {
    socket?.ws.terminate();
    if (cli) await stopCliGateway(cli, 'SIGKILL');
    killKernelProcesses(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('passes only KERNEL_* variables from the request, and never the gateway token', async () => {
    cli = await startCliGateway({ dataDir, token, env: { BERTH_LOG_LEVEL: 'debug', BERTH_MAX_KERNELS: '4' } });
    const response = await cli.api('api/kernels', {
      method: 'POST',
      body: JSON.stringify({
        name: 'python3',
        env: {
          KERNEL_USERNAME: 'ada',
          KERNEL_CUSTOM_SETTING: 'on',
          SECRET_API_KEY: 'must-not-arrive',
          PATH: '/must/not/arrive',
          LD_PRELOAD: '/must/not/arrive.so',
          BERTH_TOKEN: 'must-not-arrive',
          JUPYTER_GATEWAY_AUTH_TOKEN: 'must-not-arrive',
        },
      }),
    });
    expect(response.status).toBe(201);
    const kernel = (await response.json()) as KernelModel;

    socket = await KernelSocket.open(cli.wsUrl, token, kernel.id);
    const seen = await socket.execute(
      [
        'import json, os',
        `token = ${JSON.stringify(token)}`,
        'print(json.dumps({',
        "  'kernel': {k: v for k, v in os.environ.items() if k.startswith('KERNEL_')},",
        "  'berth': sorted(k for k in os.environ if k.startswith(('BERTH_', 'JUPYTER_GATEWAY_'))),",
        "  'secret': os.environ.get('SECRET_API_KEY'),",
        "  'path': os.environ.get('PATH'),",
        "  'ld_preload': os.environ.get('LD_PRELOAD'),",
        "  'token_anywhere': any(token in v for v in os.environ.values()),",
        "  'must_not_arrive': sorted(k for k, v in os.environ.items() if 'must' in v and 'not' in v and 'arrive' in v),",
        '}))',
      ].join('\n'),
    );
    expect(seen.reply.content.status).toBe('ok');
    const env = JSON.parse(seen.stdout) as Record<string, unknown>;
    expect(env['kernel']).toEqual({ KERNEL_USERNAME: 'ada', KERNEL_CUSTOM_SETTING: 'on' });
    expect(env['berth']).toEqual([]);
    expect(env['secret']).toBeNull();
    expect(env['path']).toBe(process.env['PATH']);
    expect(env['ld_preload']).toBe(process.env['LD_PRELOAD'] ?? null);
    expect(env['token_anywhere']).toBe(false);
    expect(env['must_not_arrive']).toEqual([]);

    expect((await cli.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await stopCliGateway(cli, 'SIGTERM')).toEqual({ code: 0, signal: null });
    // The CLI's own output (JSON logs and its banner) never shows the token either.
    expect([...cli.stdout, ...cli.stderr].join('\n')).not.toContain(token);
    expect(cli.stdout.some((line) => line.includes('kernel started'))).toBe(true);
  });
});
