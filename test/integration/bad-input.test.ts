import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { upgradeStatus as upgradeStatusAt } from '../support/upgrade-status';
import { ChannelRecorder, clientMessage, encodeV1, encodeV1Parts, type WsFraming, type WsMessage } from '../support/channel-messages';
import { startCliGateway, stopCliGateway, type CliGateway } from '../support/cli-gateway';
import { openChannels, startTestGateway, type TestGateway } from '../support/gateway-harness';

/**
 * Bad input never takes the gateway or a kernel down: malformed REST bodies, unknown ids,
 * missing or wrong tokens, oversized env values, and malformed or oversized WebSocket frames
 * each get a precise error, and the gateway and the kernel keep working afterwards.
 */

const V1 = 'v1.kernel.websocket.jupyter.org';
const NO_SUCH_KERNEL = randomUUID();

interface ErrorBody {
  message: string;
  reason: string;
  code: string;
}

let gw: TestGateway;
/** One python kernel shared by the suite; every test checks it is still alive afterwards. */
let kernelId: string;

beforeAll(async () => {
  gw = await startTestGateway();
  const started = await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3' }) });
  expect(started.status).toBe(201);
  kernelId = ((await started.json()) as { id: string }).id;
});

afterAll(async () => {
  await gw?.stop();
});

afterEach(async () => {
  await expectGatewayAndKernelUp();
});

/** The gateway answers, and the shared kernel is still listed and not dead. */
async function expectGatewayAndKernelUp(): Promise<void> {
  const status = await gw.api('api/status');
  expect(status.status).toBe(200);
  const kernel = await gw.api(`api/kernels/${kernelId}`);
  expect(kernel.status).toBe(200);
  const model = (await kernel.json()) as { id: string; execution_state: string };
  expect(model.id).toBe(kernelId);
  expect(['idle', 'busy']).toContain(model.execution_state);
}

async function errorOf(response: Response, status: number): Promise<ErrorBody> {
  const text = await response.text();
  expect({ status: response.status, text }).toEqual({ status, text: expect.any(String) });
  const body = JSON.parse(text) as ErrorBody;
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  expect(typeof body.reason).toBe('string');
  expect(body.reason.length).toBeGreaterThan(0);
  return body;
}

function post(path: string, body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }): Promise<Response> {
  return gw.api(path, { method: 'POST', body, headers });
}

describe('REST: malformed bodies', () => {
  it.each([
    ['api/kernels', '{"name": "python3",'],
    ['api/kernels', "{'name': 'python3'}"],
    ['api/sessions', '{"path": "a.ipynb", "type": "notebook", "kernel": {"name": "python3"}'],
    ['api/sessions', 'not json at all'],
  ])('POST %s with body %s is a 400 that says the JSON is invalid', async (path, body) => {
    const error = await errorOf(await post(path, body), 400);
    expect(error.code).toBe('invalid-input');
    expect(error.reason).toBe('Bad Request');
    expect(error.message).toMatch(/not valid JSON/);
  });

  it.each([
    ['api/kernels', '["python3"]'],
    ['api/kernels', '"python3"'],
    ['api/sessions', '42'],
  ])('POST %s with a JSON body %s that is not an object is a 400', async (path, body) => {
    const error = await errorOf(await post(path, body), 400);
    expect(error.code).toBe('invalid-input');
    expect(error.message).toMatch(/must be a JSON object/);
  });

  it('a malformed body without a Content-Type (as Jupyter Server sends) is still a 400', async () => {
    const error = await errorOf(await post('api/kernels', '{name:', {}), 400);
    expect(error.code).toBe('invalid-input');
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('a kernel name that is not a string is a 400 naming the field', async () => {
    const error = await errorOf(await post('api/kernels', JSON.stringify({ name: 42 })), 400);
    expect(error.code).toBe('invalid-input');
    expect(error.message).toMatch(/name/);
  });
});

describe('REST: unknown kernelspec and kernel ids', () => {
  it('POST /api/kernels with an unknown kernelspec is a 404 naming it', async () => {
    const error = await errorOf(await post('api/kernels', JSON.stringify({ name: 'no-such-spec' })), 404);
    expect(error.code).toBe('not-found');
    expect(error.message).toContain('no-such-spec');
  });

  it('POST /api/sessions with an unknown kernelspec is a 404', async () => {
    const body = JSON.stringify({ path: 'bad-input.ipynb', type: 'notebook', kernel: { name: 'no-such-spec' } });
    const error = await errorOf(await post('api/sessions', body), 404);
    expect(error.code).toBe('not-found');
    expect(error.message).toContain('no-such-spec');
  });

  it.each([
    ['GET', `api/kernels/${NO_SUCH_KERNEL}`],
    ['DELETE', `api/kernels/${NO_SUCH_KERNEL}`],
    ['POST', `api/kernels/${NO_SUCH_KERNEL}/interrupt`],
    ['POST', `api/kernels/${NO_SUCH_KERNEL}/restart`],
  ])('%s %s is a 404 naming the id', async (method, path) => {
    const error = await errorOf(await gw.api(path, { method, ...(method === 'POST' ? { body: '{}' } : {}) }), 404);
    expect(error.code).toBe('not-found');
    expect(error.reason).toBe('Not Found');
    expect(error.message).toContain(NO_SUCH_KERNEL);
  });

  it.each([
    ['GET', 'api/kernels/%E0%A4%A'],
    ['DELETE', 'api/kernels/%E0%A4%A'],
    ['POST', 'api/kernels/%FF/restart'],
    ['GET', 'api/kernelspecs/%E0%A4%A'],
    ['GET', 'kernelspecs/python3/%E0%A4%A'],
    ['GET', 'api/sessions/%C0'],
  ])('%s %s (broken %%-encoding) is a 400, not an internal error', async (method, path) => {
    const error = await errorOf(await gw.api(path, { method, ...(method === 'POST' ? { body: '{}' } : {}) }), 400);
    expect(error.code).toBe('invalid-input');
    expect(error.message).toMatch(/URL is not valid/);
  });

  it('a channels WebSocket URL with broken %-encoding is refused with 400', async () => {
    expect(await upgradeStatus('api/kernels/%E0%A4%A/channels', { Authorization: `token ${gw.token}` })).toBe(400);
  });

  it('the channels WebSocket of an unknown kernel is refused with 404', async () => {
    expect(await upgradeStatus(`api/kernels/${NO_SUCH_KERNEL}/channels`, { Authorization: `token ${gw.token}` })).toBe(404);
  });
});

describe('REST: env', () => {
  it.each([
    ['a string', 'KERNEL_USERNAME=ada'],
    ['an array', ['KERNEL_USERNAME', 'ada']],
    ['a number', 7],
  ])('POST /api/kernels with env that is %s is a 400', async (_what, env) => {
    const error = await errorOf(await post('api/kernels', JSON.stringify({ name: 'python3', env })), 400);
    expect(error.code).toBe('invalid-input');
    expect(error.message).toMatch(/"env" must be an object/);
  });

  it('POST /api/sessions with kernel env that is not an object is a 400', async () => {
    const body = JSON.stringify({ path: 'bad-input.ipynb', type: 'notebook', kernel: { name: 'python3', env: 'KERNEL_X=1' } });
    const error = await errorOf(await post('api/sessions', body), 400);
    expect(error.code).toBe('invalid-input');
    expect(error.message).toMatch(/"env" must be an object/);
  });

  it('a KERNEL_ value over 4 KiB is a 400 that names the variable and does not echo the value', async () => {
    const value = `oversized-${randomUUID()}-`.padEnd(4097, 'Q');
    const linesBefore = gw.logLines.length;
    const response = await post('api/kernels', JSON.stringify({ name: 'python3', env: { KERNEL_HUGE: value } }));
    const text = await response.clone().text();
    const error = await errorOf(response, 400);
    expect(error.code).toBe('invalid-input');
    expect(error.message).toContain('KERNEL_HUGE');
    expect(error.message).toMatch(/4096/);
    expect(text).not.toContain(value.slice(0, 40));
    expect(text).not.toContain('QQQQQQQQ');
    const newLines = gw.logLines.slice(linesBefore).join('\n');
    expect(newLines).not.toContain(value.slice(0, 40));
  });

  it('a KERNEL_ value of exactly 4 KiB passes env validation (the unknown spec is what fails)', async () => {
    const error = await errorOf(
      await post('api/kernels', JSON.stringify({ name: 'no-such-spec', env: { KERNEL_EDGE: 'e'.repeat(4096) } })),
      404,
    );
    expect(error.code).toBe('not-found');
  });

  it('a non-string KERNEL_ value is a 400 naming the variable', async () => {
    const error = await errorOf(await post('api/kernels', JSON.stringify({ name: 'python3', env: { KERNEL_COUNT: 3 } })), 400);
    expect(error.code).toBe('invalid-input');
    expect(error.message).toContain('KERNEL_COUNT');
  });
});

describe('auth', () => {
  const rawFetch = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${gw.url}${path}`, { headers });

  it.each([
    ['api/kernels', 'GET'],
    ['api/status', 'GET'],
    ['api/kernelspecs', 'GET'],
    ['api/kernels', 'POST'],
    ['api/sessions', 'GET'],
  ])('%s (%s) without a token is a 401', async (path, method) => {
    const error = await errorOf(
      await fetch(`${gw.url}${path}`, { method, ...(method === 'POST' ? { body: '{"name":"python3"}' } : {}) }),
      401,
    );
    expect(error.code).toBe('unauthenticated');
    expect(error.message).toMatch(/token/);
  });

  it.each([
    ['an empty ?token=', 'api/kernels?token=', {}],
    ['an empty token header (what jupyter_server sends without JUPYTER_GATEWAY_AUTH_TOKEN)', 'api/kernels', { Authorization: 'token ' }],
    ['a Basic Authorization header', 'api/kernels', { Authorization: 'Basic dXNlcjpwdw==' }],
  ])('%s counts as no token: 401', async (_what, path, headers) => {
    const error = await errorOf(await rawFetch(path, headers), 401);
    expect(error.code).toBe('unauthenticated');
  });

  it('a wrong token in the Authorization header is a 403', async () => {
    const error = await errorOf(await rawFetch('api/kernels', { Authorization: 'token not-the-token' }), 403);
    expect(error.code).toBe('forbidden');
  });

  it('a wrong Bearer token is a 403', async () => {
    const error = await errorOf(await rawFetch('api/kernels', { Authorization: 'Bearer not-the-token' }), 403);
    expect(error.code).toBe('forbidden');
  });

  it('a wrong ?token= is a 403 and the right one is accepted', async () => {
    const error = await errorOf(await rawFetch('api/kernels?token=not-the-token'), 403);
    expect(error.code).toBe('forbidden');
    expect((await rawFetch(`api/kernels?token=${encodeURIComponent(gw.token)}`)).status).toBe(200);
  });

  it('a wrong token on a mutating request does nothing', async () => {
    const before = ((await (await gw.api('api/kernels')).json()) as unknown[]).length;
    const error = await errorOf(
      await fetch(`${gw.url}api/kernels/${kernelId}`, { method: 'DELETE', headers: { Authorization: 'token nope' } }),
      403,
    );
    expect(error.code).toBe('forbidden');
    expect(((await (await gw.api('api/kernels')).json()) as unknown[]).length).toBe(before);
  });

  it('the token never appears in an error body or a log line', async () => {
    await rawFetch(`api/kernels?token=${encodeURIComponent(gw.token)}x`);
    await rawFetch(`api/kernels/${NO_SUCH_KERNEL}?token=${encodeURIComponent(gw.token)}`);
    expect(gw.logLines.join('\n')).not.toContain(gw.token);
  });

  describe('WebSocket upgrade', () => {
    const channels = (): string => `api/kernels/${kernelId}/channels`;

    it('without a token is refused with 401', async () => {
      expect(await upgradeStatus(channels(), {})).toBe(401);
    });

    it('with a wrong token header is refused with 403', async () => {
      expect(await upgradeStatus(channels(), { Authorization: 'token not-the-token' })).toBe(403);
    });

    it('with a wrong ?token= is refused with 403', async () => {
      expect(await upgradeStatus(`${channels()}?token=not-the-token`, {})).toBe(403);
    });

    it('with an empty ?token= or an empty token header is refused with 401', async () => {
      expect(await upgradeStatus(`${channels()}?token=`, {})).toBe(401);
      expect(await upgradeStatus(channels(), { Authorization: 'token ' })).toBe(401);
    });

    it('the refusal carries the JSON error body', async () => {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(`${gw.url}${channels()}`, {
          headers: {
            Connection: 'Upgrade',
            Upgrade: 'websocket',
            'Sec-WebSocket-Version': '13',
            'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          },
        });
        request.once('upgrade', () => reject(new Error('the upgrade was accepted without a token')));
        request.once('response', (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        });
        request.once('error', reject);
        request.end();
      });
      expect(status).toBe(401);
      expect(JSON.parse(body)).toEqual(
        expect.objectContaining({ code: 'unauthenticated', reason: 'Unauthorized', message: expect.stringMatching(/token/) }),
      );
    });

    it('with the right ?token= opens, and so does the right header', async () => {
      for (const [suffix, headers] of [
        [`?token=${encodeURIComponent(gw.token)}`, {}],
        ['', { Authorization: `token ${gw.token}` }],
      ] as const) {
        const ws = new WebSocket(`${gw.wsUrl}${channels()}${suffix}`, { headers });
        await new Promise<void>((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        const recorder = new ChannelRecorder(ws, 'json');
        expect((await recorder.execute('1+1')).result).toBe('2');
        await closeSocket(ws);
      }
    });
  });
});

/** The HTTP status a channels upgrade to `path` gets (101 if it opened). */
function upgradeStatus(path: string, headers: Record<string, string>): Promise<number> {
  return upgradeStatusAt(`${gw.wsUrl}${path}`, headers);
}

function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close();
  });
}

/** A malformed frame: what to send, and what the InvalidMessage error must say. */
interface BadFrame {
  readonly name: string;
  readonly data: string | Buffer;
  readonly binary: boolean;
  readonly evalue: RegExp;
}

const aHeader = (): WsMessage['header'] => clientMessage('kernel_info_request', {}, 'bad-frames').header;

function jsonFrames(): BadFrame[] {
  const valid = clientMessage('kernel_info_request', {}, 'bad-frames');
  const { header: _header, ...withoutHeader } = valid;
  const { msg_type: _msgType, ...headerWithoutType } = valid.header;
  const truncatedTable = Buffer.alloc(8);
  truncatedTable.writeUInt32BE(5, 0); // says 5 parts, but the frame cannot even hold their offsets
  truncatedTable.writeUInt32BE(24, 4);
  return [
    { name: 'invalid JSON', data: '{"channel": "shell", "header": {', binary: false, evalue: /not valid JSON/ },
    { name: 'a JSON array', data: JSON.stringify([valid]), binary: false, evalue: /must be a JSON object/ },
    { name: 'an unknown channel', data: JSON.stringify({ ...valid, channel: 'bogus' }), binary: false, evalue: /unknown channel "bogus"/ },
    {
      name: 'iopub as the channel',
      data: JSON.stringify({ ...valid, channel: 'iopub' }),
      binary: false,
      evalue: /unknown channel "iopub"/,
    },
    { name: 'a missing header', data: JSON.stringify(withoutHeader), binary: false, evalue: /no header/ },
    {
      name: 'a header without msg_type',
      data: JSON.stringify({ ...valid, header: headerWithoutType }),
      binary: false,
      evalue: /"msg_type"/,
    },
    { name: 'a truncated binary offset table', data: truncatedTable, binary: true, evalue: /declares 5 parts/ },
  ];
}

function v1Frames(): BadFrame[] {
  const part = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
  const parts = (channel: string, header: Buffer): Buffer[] => [Buffer.from(channel), header, part({}), part({}), part({})];
  const { msg_type: _msgType, ...headerWithoutType } = aHeader();
  const valid = encodeV1(clientMessage('kernel_info_request', {}, 'bad-frames'));
  const truncated = Buffer.alloc(24);
  truncated.writeBigUInt64LE(6n, 0); // six offsets announced, room for only two
  truncated.writeBigUInt64LE(56n, 8);
  return [
    {
      name: 'invalid JSON in the header part',
      data: encodeV1Parts(parts('shell', Buffer.from('{"msg_id": '))),
      binary: true,
      evalue: /header part is not valid JSON/,
    },
    {
      name: 'a JSON array as the header',
      data: encodeV1Parts(parts('shell', part([aHeader()]))),
      binary: true,
      evalue: /no header object/,
    },
    { name: 'an unknown channel', data: encodeV1Parts(parts('bogus', part(aHeader()))), binary: true, evalue: /unknown channel "bogus"/ },
    { name: 'a missing (empty) header part', data: encodeV1Parts(parts('shell', Buffer.alloc(0))), binary: true, evalue: /header part/ },
    { name: 'a header without msg_type', data: encodeV1Parts(parts('shell', part(headerWithoutType))), binary: true, evalue: /"msg_type"/ },
    { name: 'a truncated offset table', data: truncated, binary: true, evalue: /declares 6 offsets/ },
    { name: 'a frame shorter than the offset count', data: Buffer.from([1, 2, 3]), binary: true, evalue: /shorter than its offset count/ },
    { name: 'too few parts', data: encodeV1Parts([Buffer.from('shell'), part(aHeader())]), binary: true, evalue: /at least 6/ },
    { name: 'a text frame', data: valid.toString('latin1'), binary: false, evalue: /binary frames; got a text frame/ },
  ];
}

describe.each([
  ['json', jsonFrames()],
  ['v1', v1Frames()],
] as const)('WebSocket framing %s: malformed frames', (framing: WsFraming, frames: BadFrame[]) => {
  it.each(frames.map((frame) => [frame.name, frame] as const))(
    '%s gets an InvalidMessage error, and the socket keeps working',
    async (_name, frame) => {
      const ws = await openChannels(gw, kernelId, framing === 'v1' ? { protocol: V1 } : {});
      try {
        expect(ws.protocol).toBe(framing === 'v1' ? V1 : '');
        const recorder = new ChannelRecorder(ws, framing);
        ws.send(frame.data, { binary: frame.binary });
        const error = await recorder.waitFor(
          (m) => m.channel === 'iopub' && m.header.msg_type === 'error',
          `the InvalidMessage error for ${frame.name}`,
          10_000,
        );
        expect(error.content['ename']).toBe('InvalidMessage');
        expect(error.content['evalue']).toMatch(frame.evalue);
        expect(Array.isArray(error.content['traceback'])).toBe(true);
        expect(ws.readyState).toBe(WebSocket.OPEN);
        const outcome = await recorder.execute('1+1');
        expect(outcome.reply.content['status']).toBe('ok');
        expect(outcome.result).toBe('2');
        expect(recorder.closed).toBeUndefined();
      } finally {
        await closeSocket(ws);
      }
    },
  );

  it('several bad frames in a row, then a good one, all on one socket', async () => {
    const ws = await openChannels(gw, kernelId, framing === 'v1' ? { protocol: V1 } : {});
    try {
      const recorder = new ChannelRecorder(ws, framing);
      for (const frame of frames) ws.send(frame.data, { binary: frame.binary });
      const outcome = await recorder.execute('6*7');
      expect(outcome.result).toBe('42');
      const errors = recorder.messages.filter((m) => m.header.msg_type === 'error' && m.content['ename'] === 'InvalidMessage');
      expect(errors).toHaveLength(frames.length);
      frames.forEach((frame, index) => expect(errors[index]!.content['evalue']).toMatch(frame.evalue));
    } finally {
      await closeSocket(ws);
    }
  });
});

describe('WebSocket: an oversized frame', () => {
  it('a 100 MB frame closes the socket with 1009; the kernel and gateway stay up', async () => {
    const ws = await openChannels(gw, kernelId);
    const recorder = new ChannelRecorder(ws, 'json');
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error)); // the peer may reset while we still write
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const huge = Buffer.alloc(100 * 1024 * 1024, 0x61);
    Buffer.from('{"channel":"shell","content":"').copy(huge, 0);
    ws.send(huge, { binary: false });
    const { code } = await closed;
    expect({ code, errors: errors.map((e) => e.message) }).toEqual({ code: 1009, errors: expect.any(Array) });
    expect(recorder.closed?.code).toBe(1009);

    // The kernel model is still there and a new socket executes.
    const model = await gw.api(`api/kernels/${kernelId}`);
    expect(model.status).toBe(200);
    const fresh = await openChannels(gw, kernelId);
    try {
      const outcome = await new ChannelRecorder(fresh, 'json').execute('1+1');
      expect(outcome.result).toBe('2');
    } finally {
      await closeSocket(fresh);
    }
    expect((await gw.api('api/status')).status).toBe(200);
  });

  it('a 100 MB frame in the v1 framing is refused the same way', async () => {
    const ws = await openChannels(gw, kernelId, { protocol: V1 });
    ws.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(Buffer.alloc(100 * 1024 * 1024), { binary: true });
    expect(await closed).toBe(1009);
    const fresh = await openChannels(gw, kernelId, { protocol: V1 });
    try {
      expect((await new ChannelRecorder(fresh, 'v1').execute('1+1')).result).toBe('2');
    } finally {
      await closeSocket(fresh);
    }
  });
});

describe('a separate `berth serve` process', () => {
  // In its own process an unhandled rejection ends the gateway, as it would in production.
  let cli: CliGateway;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-bad-input-cli-'));
    const config = join(dir, 'berth.yaml');
    writeFileSync(config, 'kernels:\n  restartLimit: 0\n');
    cli = await startCliGateway({ dataDir: join(dir, 'data'), token: `cli-${randomUUID()}`, args: ['--config', config] });
  });

  afterAll(async () => {
    if (cli) {
      const exit = await stopCliGateway(cli);
      expect(exit).toEqual({ code: 0, signal: null });
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('frames sent to a dead kernel socket do not stop the gateway', async () => {
    const started = await cli.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3' }) });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: string };
    const connect = async (): Promise<WebSocket> => {
      const ws = new WebSocket(`${cli.wsUrl}api/kernels/${id}/channels`, { headers: { Authorization: `token ${cli.token}` } });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      return ws;
    };

    // The kernel exits by itself; with restartLimit 0 it stays dead.
    const first = await connect();
    const recorder = new ChannelRecorder(first, 'json');
    recorder.send(clientMessage('execute_request', { code: 'import os; os._exit(3)', silent: false }, recorder.session));
    await recorder.waitFor((m) => m.header.msg_type === 'status' && m.content['execution_state'] === 'dead', 'the dead status');
    await closeSocket(first);
    const dead = (await (await cli.api(`api/kernels/${id}`)).json()) as { execution_state: string };
    expect(dead.execution_state).toBe('dead');

    // A client that keeps talking to it, with good and bad frames, gets the socket closed.
    const ws = new WebSocket(`${cli.wsUrl}api/kernels/${id}/channels`, { headers: { Authorization: `token ${cli.token}` } });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => undefined);
    ws.once('open', () => {
      ws.send(JSON.stringify(clientMessage('kernel_info_request', {}, 'dead-kernel')));
      ws.send('{"not": "a message"}');
      ws.send(JSON.stringify(clientMessage('execute_request', { code: '1' }, 'dead-kernel')));
    });
    expect(await closed).toBe(1011);

    // The gateway process is still serving, and the dead kernel can be shut down.
    expect(cli.child.exitCode).toBeNull();
    expect((await cli.api('api/status')).status).toBe(200);
    expect((await cli.api(`api/kernels/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(cli.child.exitCode).toBeNull();
    expect(cli.stderr.join('\n')).not.toMatch(/Error/);
  });
});
