import { deserialize, serialize } from '@jupyterlab/services/lib/kernel/serialize';
import { validateMessage } from '@jupyterlab/services/lib/kernel/validate';
import type * as KernelMessage from '@jupyterlab/services/lib/kernel/messages';
import { MessageSigner, decodeFrames, encodeFrames } from '../../../gateway/src/protocol/wire';
import { RawMessage, type Channel } from '../../../gateway/src/protocol/messages';
import {
  FramingError,
  V1_SUBPROTOCOL,
  chooseFraming,
  decodeFromClient,
  encodeForClient,
  type Framing,
} from '../../../gateway/src/protocol/ws-framing';
import { loadVectors, toArrayBuffer } from '../../fixtures/wire/load-vectors';

const vectors = loadVectors();
const signer = new MessageSigner(vectors.key);
const framings: readonly Framing[] = ['json', 'v1'];
/** The `protocol` argument @jupyterlab/services takes for each framing ('' = default). */
const jlabProtocol = (framing: Framing): string => (framing === 'v1' ? V1_SUBPROTOCOL : '');

/** What a browser's WebSocket hands to @jupyterlab/services: a string or an ArrayBuffer. */
function asReceived(data: Buffer | string): string | ArrayBuffer {
  return typeof data === 'string' ? data : toArrayBuffer(data);
}

function bytesOf(view: unknown): string {
  if (view instanceof ArrayBuffer) return Buffer.from(view).toString('hex');
  const v = view as ArrayBufferView;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
}

function expectFramingError(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(FramingError);
  expect((thrown as Error).message).toMatch(message);
}

// ----------------------------------------------------------------- kernel → client

describe('encodeForClient, read back by @jupyterlab/services deserialize', () => {
  const kernelCases = vectors.messages.flatMap((m) => framings.map((f) => [f, m.label, m] as const));

  it.each(kernelCases)('%s framing: %s', (framing, _label, m) => {
    const channel: Channel = m.channel;
    const raw = decodeFrames(m.frames, signer);
    const encoded = encodeForClient(framing, channel, raw);
    const msg = deserialize(asReceived(encoded) as ArrayBuffer, jlabProtocol(framing));

    expect(msg.channel).toBe(channel);
    expect(msg.header).toEqual(m.expected.header);
    expect(msg.parent_header).toEqual(m.expected.parent_header);
    expect(msg.metadata).toEqual(m.expected.metadata);
    expect(msg.content).toEqual(m.expected.content);
    const buffers = (msg.buffers ?? []).map(bytesOf);
    const at = m.expected.identities;
    expect(buffers).toEqual(m.frames.slice(at + 6).map((f) => f.toString('hex')));
    expect(buffers).toHaveLength(m.expected.buffer_count);
    expect(() => validateMessage(msg)).not.toThrow();
  });

  it('uses a text frame in the JSON framing when there are no buffers, a binary one otherwise', () => {
    for (const m of vectors.messages) {
      const encoded = encodeForClient('json', m.channel, decodeFrames(m.frames, signer));
      expect(typeof encoded === 'string').toBe(m.expected.buffer_count === 0);
    }
  });

  it('always uses binary frames in the v1 framing', () => {
    for (const m of vectors.messages) expect(Buffer.isBuffer(encodeForClient('v1', m.channel, decodeFrames(m.frames, signer)))).toBe(true);
  });

  it('writes the legacy binary layout of jupyter_server (uint32be count, offsets, JSON, buffers)', () => {
    const raw = new RawMessage(
      Buffer.from('{"msg_id":"1","msg_type":"comm_msg","session":"s","username":"u","date":"","version":"5.3"}'),
      Buffer.from('{}'),
      Buffer.from('{}'),
      Buffer.from('{"comm_id":"c","data":{}}'),
      [Buffer.from([1, 2, 3]), Buffer.alloc(0), Buffer.from([9])],
    );
    const out = encodeForClient('json', 'iopub', raw) as Buffer;
    const count = out.readUInt32BE(0);
    expect(count).toBe(4);
    const offsets = [1, 2, 3, 4].map((i) => out.readUInt32BE(4 * i));
    expect(offsets[0]).toBe(20);
    const json = JSON.parse(out.subarray(offsets[0], offsets[1]).toString('utf8'));
    expect(json).toMatchObject({ channel: 'iopub', content: { comm_id: 'c', data: {} } });
    expect(json).not.toHaveProperty('buffers');
    expect(out.subarray(offsets[1], offsets[2]).toString('hex')).toBe('010203');
    expect(offsets[3]).toBe(offsets[2]);
    expect(out.subarray(offsets[3]).toString('hex')).toBe('09');
    const msg = deserialize(toArrayBuffer(out));
    expect((msg.buffers ?? []).map(bytesOf)).toEqual(['010203', '', '09']);
  });

  it('writes the v1 layout (uint64le count, count offsets ending at the frame length)', () => {
    const m = vectors.messages.find((v) => v.expected.buffer_count === 2)!;
    const out = encodeForClient('v1', 'iopub', decodeFrames(m.frames, signer)) as Buffer;
    const count = Number(out.readBigUInt64LE(0));
    expect(count).toBe(1 + 4 + 2 + 1);
    const offsets = Array.from({ length: count }, (_, i) => Number(out.readBigUInt64LE(8 * (i + 1))));
    expect(offsets[0]).toBe(8 * (count + 1));
    expect(offsets[count - 1]).toBe(out.length);
    expect(out.subarray(offsets[0], offsets[1]).toString()).toBe('iopub');
    // The signed header bytes are spliced in unchanged.
    expect(out.subarray(offsets[1], offsets[2]).equals(m.frames[m.expected.identities + 2]!)).toBe(true);
  });
});

// ----------------------------------------------------------------- client → kernel

function jlabMessage(channel: Channel, msgType: string, content: Record<string, unknown>, buffers?: Uint8Array[]): KernelMessage.IMessage {
  return {
    channel,
    header: {
      msg_id: `id-${msgType}`,
      msg_type: msgType,
      session: 'session-1',
      username: 'tester',
      date: '2025-01-01T00:00:00.000Z',
      version: '5.3',
    },
    parent_header: {},
    metadata: { cellId: 'c-1', ü: 'ß' },
    content,
    ...(buffers ? { buffers: buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer) } : {}),
  } as unknown as KernelMessage.IMessage;
}

const clientMessages: [string, () => KernelMessage.IMessage][] = [
  [
    'shell execute_request',
    () =>
      jlabMessage('shell', 'execute_request', {
        code: 'print("é ✓")',
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: true,
        stop_on_error: true,
      }),
  ],
  ['control interrupt_request', () => jlabMessage('control', 'interrupt_request', {})],
  ['stdin input_reply', () => jlabMessage('stdin', 'input_reply', { value: 'typed', status: 'ok' })],
  [
    'shell comm_msg with 3 buffers',
    () =>
      jlabMessage('shell', 'comm_msg', { comm_id: 'w1', data: { method: 'update' } }, [
        new Uint8Array([0, 1, 255]),
        new Uint8Array(0),
        new Uint8Array(300).fill(7),
      ]),
  ],
];

/** Sends a @jupyterlab/services-serialised message through decodeFromClient. */
function viaClient(framing: Framing, msg: KernelMessage.IMessage) {
  const data = serialize(msg, jlabProtocol(framing));
  return typeof data === 'string'
    ? decodeFromClient(framing, Buffer.from(data, 'utf8'), false)
    : decodeFromClient(framing, Buffer.from(data), true);
}

describe('decodeFromClient, fed by @jupyterlab/services serialize', () => {
  const cases = clientMessages.flatMap(([label, make]) => framings.map((f) => [f, label, make] as const));

  it.each(cases)('%s framing: %s', (framing, _label, make) => {
    const reference = make();
    const expectedBuffers = (reference.buffers ?? []).map(bytesOf);
    const frame = viaClient(framing, make());
    expect(frame.channel).toBe(reference.channel);
    expect(JSON.parse(frame.message.header.toString('utf8'))).toEqual(reference.header);
    expect(JSON.parse(frame.message.parentHeader.toString('utf8'))).toEqual(reference.parent_header);
    expect(JSON.parse(frame.message.metadata.toString('utf8'))).toEqual(reference.metadata);
    expect(JSON.parse(frame.message.content.toString('utf8'))).toEqual(reference.content);
    expect(frame.message.msgType).toBe(reference.header.msg_type);
    expect(frame.message.buffers.map((b) => b.toString('hex'))).toEqual(expectedBuffers);
  });

  it('v1 keeps the client’s JSON bytes as sent', () => {
    const msg = clientMessages[0]![1]();
    const frame = viaClient('v1', clientMessages[0]![1]());
    expect(frame.message.header.toString('utf8')).toBe(JSON.stringify(msg.header));
    expect(frame.message.content.toString('utf8')).toBe(JSON.stringify(msg.content));
  });

  it('re-signs client messages into frames the kernel-side decoder accepts', () => {
    for (const framing of framings) {
      const frame = viaClient(framing, clientMessages[3]![1]());
      const back = decodeFrames(encodeFrames(frame.message, signer), signer);
      expect(back.msgType).toBe('comm_msg');
      expect(back.buffers.map((b) => b.length)).toEqual([3, 0, 300]);
    }
  });

  it('round-trips the captured client requests through both framings', () => {
    for (const m of vectors.messages.filter((v) => v.direction === 'client-to-kernel')) {
      for (const framing of framings) {
        const frame = viaClient(framing, {
          channel: m.channel,
          header: m.expected.header,
          parent_header: m.expected.parent_header,
          metadata: m.expected.metadata,
          content: m.expected.content,
        } as unknown as KernelMessage.IMessage);
        expect(frame.message.msgType).toBe(m.expected.msg_type);
        expect(frame.message.parseContent()).toEqual(m.expected.content);
        expect(frame.message.parsedHeaderFields().msg_id).toBe(m.expected.msg_id);
      }
    }
  });
});

// ----------------------------------------------------------------- bad input

const goodHeader = { msg_id: 'm1', msg_type: 'execute_request', session: 's', username: 'u', date: '', version: '5.3' };
const text = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

/** Builds a v1 frame by hand: parts are written after a table of `offsets`. */
function v1Frame(parts: (string | Buffer)[], tweak?: (offsets: number[]) => number[]): Buffer {
  const bytes = parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
  const count = bytes.length + 1;
  let offsets: number[] = [8 * (count + 1)];
  for (const b of bytes) offsets.push(offsets[offsets.length - 1]! + b.length);
  if (tweak) offsets = tweak(offsets);
  const table = Buffer.alloc(8 * (offsets.length + 1));
  table.writeBigUInt64LE(BigInt(offsets.length), 0);
  offsets.forEach((o, i) => table.writeBigUInt64LE(BigInt(o), 8 * (i + 1)));
  return Buffer.concat([table, ...bytes]);
}

function v1Parts(channel: string, header: unknown): string[] {
  return [channel, JSON.stringify(header), '{}', '{}', '{}'];
}

/** Builds a legacy binary frame (uint32be count, offsets, JSON, buffers…). */
function legacyFrame(parts: Buffer[], tweak?: (offsets: number[]) => number[]): Buffer {
  let offsets: number[] = [4 * (parts.length + 1)];
  for (const p of parts.slice(0, -1)) offsets.push(offsets[offsets.length - 1]! + p.length);
  if (tweak) offsets = tweak(offsets);
  const table = Buffer.alloc(4 * (offsets.length + 1));
  table.writeUInt32BE(offsets.length, 0);
  offsets.forEach((o, i) => table.writeUInt32BE(o, 4 * (i + 1)));
  return Buffer.concat([table, ...parts]);
}

describe('decodeFromClient refuses bad input with a FramingError naming the problem', () => {
  it('sanity: the hand-built frames are valid when not tampered with', () => {
    expect(decodeFromClient('v1', v1Frame(v1Parts('shell', goodHeader)), true).message.msgType).toBe('execute_request');
    const legacy = legacyFrame([text({ header: goodHeader, channel: 'shell', content: {} }), Buffer.from([1])]);
    expect(decodeFromClient('json', legacy, true).message.buffers.map((b) => b.toString('hex'))).toEqual(['01']);
  });

  it('invalid JSON', () => {
    expectFramingError(() => decodeFromClient('json', text('{"header": '), false), /not valid JSON/);
    expectFramingError(() => decodeFromClient('json', text(''), false), /not valid JSON/);
    const legacy = legacyFrame([text('{oops'), Buffer.from([1])]);
    expectFramingError(() => decodeFromClient('json', legacy, true), /not valid JSON/);
  });

  it.each([
    ['array', '[1,2]'],
    ['null', 'null'],
    ['string', '"shell"'],
    ['number', '42'],
  ])('non-object JSON (%s)', (_kind, value) => {
    expectFramingError(() => decodeFromClient('json', text(value), false), /JSON object/);
  });

  it.each(['iopub', 'hb', 'Shell', 'nope', ''])('unknown channel %j (json and v1)', (channel) => {
    expectFramingError(
      () => decodeFromClient('json', text({ header: goodHeader, channel, content: {} }), false),
      new RegExp(`unknown channel ${JSON.stringify(channel)}`),
    );
    expectFramingError(
      () => decodeFromClient('v1', v1Frame(v1Parts(channel, goodHeader)), true),
      new RegExp(`unknown channel ${JSON.stringify(channel)}`),
    );
  });

  it('missing or non-string channel', () => {
    expectFramingError(() => decodeFromClient('json', text({ header: goodHeader, content: {} }), false), /channel/);
    expectFramingError(() => decodeFromClient('json', text({ header: goodHeader, channel: 1 }), false), /channel/);
  });

  it('iopub from a client, even when serialised by @jupyterlab/services', () => {
    const msg = jlabMessage('iopub', 'stream', { name: 'stdout', text: 'x' });
    expectFramingError(() => viaClient('v1', msg), /unknown channel "iopub"/);
    expectFramingError(() => viaClient('json', jlabMessage('iopub', 'stream', { name: 'stdout', text: 'x' })), /unknown channel "iopub"/);
  });

  it('missing header', () => {
    expectFramingError(() => decodeFromClient('json', text({ channel: 'shell', content: {} }), false), /no header/);
    expectFramingError(() => decodeFromClient('json', text({ header: 'x', channel: 'shell' }), false), /no header/);
    expectFramingError(() => decodeFromClient('v1', v1Frame(v1Parts('shell', null)), true), /no header/);
    expectFramingError(
      () => decodeFromClient('v1', v1Frame(['shell', '{not json', '{}', '{}', '{}']), true),
      /header part is not valid JSON/,
    );
  });

  it.each(['msg_id', 'msg_type'])('missing, empty or non-string header.%s', (field) => {
    for (const value of [undefined, '', 7]) {
      const header = { ...goodHeader, [field]: value };
      expectFramingError(() => decodeFromClient('json', text({ header, channel: 'shell' }), false), new RegExp(field));
      expectFramingError(() => decodeFromClient('v1', v1Frame(v1Parts('shell', header)), true), new RegExp(field));
    }
  });

  it('text frame on v1', () => {
    expectFramingError(() => decodeFromClient('v1', text({ header: goodHeader, channel: 'shell' }), false), /text frame/);
  });

  it('truncated v1 offset tables', () => {
    const good = v1Frame(v1Parts('shell', goodHeader));
    expectFramingError(() => decodeFromClient('v1', Buffer.alloc(0), true), /shorter than its offset count/);
    expectFramingError(() => decodeFromClient('v1', good.subarray(0, 7), true), /shorter than its offset count/);
    // The count is intact but the table is cut short.
    expectFramingError(() => decodeFromClient('v1', good.subarray(0, 8 * 3), true), /declares 6 offsets/);
    // Too few offsets for channel + four JSON parts.
    expectFramingError(
      () => decodeFromClient('v1', v1Frame(['shell', JSON.stringify(goodHeader), '{}', '{}']), true),
      /declares 5 offsets/,
    );
    // A count too large to fit.
    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(2n ** 40n, 0);
    expectFramingError(() => decodeFromClient('v1', huge, true), /must fit/);
  });

  it('v1 offsets past the end or out of order', () => {
    const parts = v1Parts('shell', goodHeader);
    expectFramingError(
      () =>
        decodeFromClient(
          'v1',
          v1Frame(parts, (o) => [...o.slice(0, -1), o[o.length - 1]! + 1]),
          true,
        ),
      /past its end/,
    );
    expectFramingError(
      () =>
        decodeFromClient(
          'v1',
          v1Frame(parts, (o) => o.map((x, i) => (i === 2 ? x + 10_000 : x))),
          true,
        ),
      /out of order|past its end/,
    );
    expectFramingError(
      () =>
        decodeFromClient(
          'v1',
          v1Frame(parts, (o) => o.map((x, i) => (i === 3 ? o[1]! - 1 : x))),
          true,
        ),
      /out of order/,
    );
    const good = v1Frame(parts);
    expectFramingError(() => decodeFromClient('v1', good.subarray(0, good.length - 1), true), /past its end/);
  });

  it('truncated legacy binary tables', () => {
    expectFramingError(() => decodeFromClient('json', Buffer.from([0, 0]), true), /shorter than its buffer count/);
    const good = legacyFrame([text({ header: goodHeader, channel: 'shell' }), Buffer.from([1, 2])]);
    expectFramingError(() => decodeFromClient('json', good.subarray(0, 8), true), /declares 2 parts/);
    expectFramingError(() => decodeFromClient('json', Buffer.from([0, 0, 0, 0, 1, 2, 3, 4]), true), /declares 0 parts/);
  });

  it('legacy binary offsets out of order', () => {
    const parts = [text({ header: goodHeader, channel: 'shell' }), Buffer.from([1, 2]), Buffer.from([3])];
    expectFramingError(
      () =>
        decodeFromClient(
          'json',
          legacyFrame(parts, (o) => [o[0]!, o[2]!, o[1]!]),
          true,
        ),
      /out of order/,
    );
  });

  it('legacy binary offsets past the end', () => {
    const parts = [text({ header: goodHeader, channel: 'shell' }), Buffer.from([1, 2])];
    const frame = legacyFrame(parts, (o) => [o[0]!, o[1]! + 100]);
    expectFramingError(() => decodeFromClient('json', frame, true), /past (its|the) end/);
  });
});

describe('chooseFraming', () => {
  it('picks v1 only when the client offers it', () => {
    expect(chooseFraming(new Set([V1_SUBPROTOCOL]))).toBe('v1');
    expect(chooseFraming(new Set(['other', V1_SUBPROTOCOL]))).toBe('v1');
    expect(chooseFraming(new Set())).toBe('json');
    expect(chooseFraming(new Set(['v1.kernel.websocket.jupyter.org.extra']))).toBe('json');
    expect(V1_SUBPROTOCOL).toBe('v1.kernel.websocket.jupyter.org');
  });
});
