import { isUtf8 } from 'node:buffer';
import { CLIENT_CHANNELS, RawMessage, type Channel } from './messages';

/**
 * The two WebSocket framings Jupyter Server speaks on `/api/kernels/:id/channels`:
 *
 * - the default ("legacy") framing: a JSON text frame `{header, parent_header, metadata,
 *   content, buffers, channel}`, or, when the message has binary buffers, a binary frame
 *   `uint32be n, n uint32be offsets, JSON, buffer…` (jupyter_server `serialize_binary_message`);
 * - `v1.kernel.websocket.jupyter.org`: a binary frame `uint64le count, count uint64le offsets,
 *   channel, header, parent_header, metadata, content, buffer…`.
 *
 * Kernel-to-client encoding never parses the JSON parts; it splices the signed bytes.
 */

export const V1_SUBPROTOCOL = 'v1.kernel.websocket.jupyter.org';

export type Framing = 'json' | 'v1';

/** A client frame that cannot be relayed. The message says what is wrong. */
export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

export interface ClientFrame {
  readonly channel: Channel;
  readonly message: RawMessage;
}

// ---------------------------------------------------------------- kernel → client

const JSON_HEAD = Buffer.from('{"header":');
const JSON_PARENT = Buffer.from(',"parent_header":');
const JSON_METADATA = Buffer.from(',"metadata":');
const JSON_CONTENT = Buffer.from(',"content":');
const JSON_NO_BUFFERS = Buffer.from(',"buffers":[],"channel":"');
const JSON_CHANNEL = Buffer.from(',"channel":"');
const JSON_TAIL = Buffer.from('"}');

/** Encodes a kernel message for a client as one frame (tests and small messages; the relay uses fragments). */
export function encodeForClient(framing: Framing, channel: Channel, message: RawMessage): Buffer | string {
  const { fragments, binary } = encodeForClientFragments(framing, channel, message);
  const joined = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
  return binary ? joined : joined.toString('utf8');
}

/** Parts at least this big travel as a WebSocket fragment of their own instead of being copied. */
const FRAGMENT_MIN_BYTES = 64 * 1024;

/** One kernel message as the fragments of one WebSocket message (usually a single fragment). */
export interface ClientFrameFragments {
  readonly fragments: readonly Buffer[];
  readonly binary: boolean;
  readonly byteLength: number;
}

/**
 * Encodes a kernel message without copying big parts: small neighbouring pieces are joined and
 * a big part (a stream's content, a buffer) becomes a fragment of its own, so a 50 MB output is
 * never duplicated in memory. JSON text goes out as the kernel's bytes when they are valid
 * UTF-8 (what clients check); otherwise it is decoded with replacement characters.
 */
export function encodeForClientFragments(framing: Framing, channel: Channel, message: RawMessage): ClientFrameFragments {
  if (framing === 'v1') {
    const parts = [Buffer.from(channel), message.header, message.parentHeader, message.metadata, message.content, ...message.buffers];
    return coalesce([v1OffsetTable(parts), ...parts], true);
  }
  const hasBuffers = message.buffers.length > 0;
  const json = [
    JSON_HEAD,
    message.header,
    JSON_PARENT,
    message.parentHeader,
    JSON_METADATA,
    message.metadata,
    JSON_CONTENT,
    message.content,
    hasBuffers ? JSON_CHANNEL : JSON_NO_BUFFERS,
    Buffer.from(channel),
    JSON_TAIL,
  ];
  if (hasBuffers) return coalesce([legacyOffsetTable(json, message.buffers), ...json, ...message.buffers], true);
  const validText = [message.header, message.parentHeader, message.metadata, message.content].every((part) => isUtf8(part));
  return coalesce(validText ? json : [Buffer.from(Buffer.concat(json).toString('utf8'))], false);
}

/** v1: uint64le count, then count uint64le offsets (start of each part, then the end). */
function v1OffsetTable(parts: readonly Buffer[]): Buffer {
  const count = parts.length + 1;
  const table = Buffer.alloc(8 * (count + 1));
  table.writeBigUInt64LE(BigInt(count), 0);
  let offset = table.length;
  parts.forEach((part, index) => {
    table.writeBigUInt64LE(BigInt(offset), 8 * (index + 1));
    offset += part.length;
  });
  table.writeBigUInt64LE(BigInt(offset), 8 * count);
  return table;
}

/** Legacy binary: uint32be number of parts (JSON + buffers), then each part's uint32be start. */
function legacyOffsetTable(json: readonly Buffer[], buffers: readonly Buffer[]): Buffer {
  const table = Buffer.alloc(4 * (buffers.length + 2));
  table.writeUInt32BE(buffers.length + 1, 0);
  let offset = table.length;
  table.writeUInt32BE(offset, 4);
  for (const piece of json) offset += piece.length;
  buffers.forEach((buffer, index) => {
    table.writeUInt32BE(offset, 4 * (index + 2));
    offset += buffer.length;
  });
  return table;
}

function coalesce(pieces: readonly Buffer[], binary: boolean): ClientFrameFragments {
  const fragments: Buffer[] = [];
  let small: Buffer[] = [];
  let byteLength = 0;
  const flush = (): void => {
    if (small.length > 0) fragments.push(small.length === 1 ? small[0]! : Buffer.concat(small));
    small = [];
  };
  for (const piece of pieces) {
    byteLength += piece.length;
    if (piece.length >= FRAGMENT_MIN_BYTES) {
      flush();
      fragments.push(piece);
    } else {
      small.push(piece);
    }
  }
  flush();
  return { fragments, binary, byteLength };
}

// ---------------------------------------------------------------- client → kernel

/** Decodes a client frame; throws FramingError with a precise reason when it is malformed. */
export function decodeFromClient(framing: Framing, data: Buffer, isBinary: boolean): ClientFrame {
  if (framing === 'v1') {
    if (!isBinary) throw new FramingError(`the ${V1_SUBPROTOCOL} protocol takes binary frames; got a text frame`);
    return decodeV1(data);
  }
  return isBinary ? decodeLegacyBinary(data) : decodeJsonText(data.toString('utf8'), []);
}

function decodeV1(data: Buffer): ClientFrame {
  if (data.length < 8) throw new FramingError('binary frame is shorter than its offset count');
  const count = Number(data.readBigUInt64LE(0));
  if (count < 6 || 8 * (count + 1) > data.length) {
    throw new FramingError(`binary frame declares ${count} offsets; a message needs at least 6 and they must fit in the frame`);
  }
  const offsets: number[] = [];
  for (let i = 1; i <= count; i++) offsets.push(Number(data.readBigUInt64LE(8 * i)));
  for (let i = 1; i < offsets.length; i++) {
    if (offsets[i]! < offsets[i - 1]! || offsets[i]! > data.length)
      throw new FramingError('binary frame has offsets out of order or past its end');
  }
  const slice = (i: number): Buffer => data.subarray(offsets[i]!, offsets[i + 1]!);
  const channel = checkChannel(slice(0).toString('utf8'));
  const header = slice(1);
  checkHeader(parseJsonPart(header, 'header'));
  const buffers: Buffer[] = [];
  for (let i = 5; i < offsets.length - 1; i++) buffers.push(slice(i));
  return { channel, message: new RawMessage(header, slice(2), slice(3), slice(4), buffers) };
}

function decodeLegacyBinary(data: Buffer): ClientFrame {
  if (data.length < 4) throw new FramingError('binary frame is shorter than its buffer count');
  const count = data.readUInt32BE(0);
  if (count < 1 || 4 * (count + 1) > data.length) throw new FramingError(`binary frame declares ${count} parts that do not fit in it`);
  const offsets: number[] = [];
  for (let i = 1; i <= count; i++) offsets.push(data.readUInt32BE(4 * i));
  offsets.push(data.length);
  for (let i = 1; i < offsets.length; i++) {
    if (offsets[i]! < offsets[i - 1]! || offsets[i - 1]! > data.length)
      throw new FramingError('binary frame has offsets out of order or past its end');
  }
  const json = data.subarray(offsets[0]!, offsets[1]!).toString('utf8');
  const buffers: Buffer[] = [];
  for (let i = 1; i < count; i++) buffers.push(data.subarray(offsets[i]!, offsets[i + 1]!));
  return decodeJsonText(json, buffers);
}

function decodeJsonText(text: string, buffers: Buffer[]): ClientFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FramingError(
      `frame is not valid JSON (${(error as Error).message}); send {header, parent_header, metadata, content, channel}`,
    );
  }
  if (!isObject(parsed)) throw new FramingError('frame must be a JSON object {header, parent_header, metadata, content, channel}');
  const channel = checkChannel(parsed['channel']);
  checkHeader(parsed['header']);
  const part = (value: unknown): Buffer => Buffer.from(JSON.stringify(value ?? {}));
  return {
    channel,
    message: new RawMessage(
      part(parsed['header']),
      part(parsed['parent_header']),
      part(parsed['metadata']),
      part(parsed['content']),
      buffers,
    ),
  };
}

function parseJsonPart(part: Buffer, name: string): unknown {
  try {
    return JSON.parse(part.toString('utf8'));
  } catch {
    throw new FramingError(`the ${name} part is not valid JSON`);
  }
}

function checkChannel(channel: unknown): Channel {
  if (typeof channel !== 'string' || !CLIENT_CHANNELS.has(channel)) {
    throw new FramingError(`unknown channel ${JSON.stringify(channel)}: clients send on "shell", "control" or "stdin"`);
  }
  return channel as Channel;
}

function checkHeader(header: unknown): void {
  if (!isObject(header)) throw new FramingError('message has no header object');
  for (const field of ['msg_id', 'msg_type'] as const) {
    if (typeof header[field] !== 'string' || header[field] === '') {
      throw new FramingError(`message header lacks "${field}" (a non-empty string)`);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Chooses the framing from the subprotocols a client offered. */
export function chooseFraming(offered: ReadonlySet<string>): Framing {
  return offered.has(V1_SUBPROTOCOL) ? 'v1' : 'json';
}
