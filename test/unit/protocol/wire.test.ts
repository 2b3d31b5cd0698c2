import { createHmac } from 'node:crypto';
import { DELIMITER, MessageSigner, WireError, decodeFrames, encodeFrames } from '../../../gateway/src/protocol/wire';
import { RawMessage, createMessage } from '../../../gateway/src/protocol/messages';
import { loadVectors, type CapturedMessage } from '../../fixtures/wire/load-vectors';

const vectors = loadVectors();
const signer = new MessageSigner(vectors.key);
const cases = vectors.messages.map((m) => [m.label, m] as const);

/** Index of the first frame after the identities, i.e. the delimiter. */
const delimiterAt = (m: CapturedMessage): number => m.expected.identities;

/** A copy of the frames with frame `index` (counted from the delimiter) replaced. */
function withFrame(m: CapturedMessage, index: number, replace: (frame: Buffer) => Buffer): Buffer[] {
  const frames: Buffer[] = m.frames.map((f) => Buffer.from(f));
  const at = delimiterAt(m) + index;
  frames[at] = replace(frames[at]!);
  return frames;
}

/** Flips one bit in the middle of a frame, keeping its length. */
function flipBit(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  const middle = Math.floor(copy.length / 2);
  copy[middle] = copy[middle]! ^ 0x01;
  return copy;
}

function expectWireError(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(WireError);
  expect((thrown as Error).message).toMatch(message);
}

describe('captured ipykernel vectors', () => {
  it('cover requests, replies and iopub messages with and without buffers', () => {
    const types = vectors.messages.map((m) => m.expected.msg_type);
    for (const type of [
      'kernel_info_request',
      'kernel_info_reply',
      'execute_request',
      'execute_reply',
      'stream',
      'execute_result',
      'display_data',
      'comm_open',
      'comm_msg',
    ]) {
      expect(types).toContain(type);
    }
    expect(vectors.messages.some((m) => m.expected.buffer_count > 0)).toBe(true);
    expect(vectors.messages.some((m) => m.expected.identities > 0)).toBe(true);
  });
});

describe('decodeFrames', () => {
  it.each(cases)('accepts %s with the right key', (_label, m) => {
    const raw = decodeFrames(m.frames, signer);
    expect(raw.msgType).toBe(m.expected.msg_type);
    expect(raw.parsedHeaderFields().msg_id).toBe(m.expected.msg_id);
    expect(raw.parseParentHeader().msg_id ?? null).toBe(m.expected.parent_msg_id);
    expect(raw.parseContent()).toEqual(m.expected.content);
    expect(JSON.parse(raw.metadata.toString('utf8'))).toEqual(m.expected.metadata);
    // The JSON parts are the exact signed bytes, not a re-serialisation.
    const at = delimiterAt(m);
    expect(raw.header.equals(m.frames[at + 2]!)).toBe(true);
    expect(raw.parentHeader.equals(m.frames[at + 3]!)).toBe(true);
    expect(raw.metadata.equals(m.frames[at + 4]!)).toBe(true);
    expect(raw.content.equals(m.frames[at + 5]!)).toBe(true);
    expect(raw.buffers).toHaveLength(m.expected.buffer_count);
    raw.buffers.forEach((buffer, i) => expect(buffer.equals(m.frames[at + 6 + i]!)).toBe(true));
  });

  it('parents every execute output on the execute_request', () => {
    const request = vectors.messages.find((m) => m.expected.msg_type === 'execute_request')!;
    const requestId = decodeFrames(request.frames, signer).parsedHeaderFields().msg_id;
    const outputs = vectors.messages.filter((m) => m.channel === 'iopub' || m.expected.msg_type === 'execute_reply');
    expect(outputs.length).toBeGreaterThan(3);
    for (const m of outputs) expect(decodeFrames(m.frames, signer).parseParentHeader().msg_id).toBe(requestId);
  });

  it('keeps UTF-8 stream text intact', () => {
    const stream = vectors.messages.find((m) => m.expected.msg_type === 'stream')!;
    expect(decodeFrames(stream.frames, signer).parseContent<{ text: string }>().text).toBe('héllo from berth ✓\n');
  });

  it.each(cases)('rejects %s with a wrong key', (_label, m) => {
    expectWireError(() => decodeFrames(m.frames, new MessageSigner(`${vectors.key}x`)), /signature/);
    expectWireError(() => decodeFrames(m.frames, new MessageSigner('another-key')), /signature/);
  });

  it.each(cases)('rejects %s when any signed part is tampered with', (_label, m) => {
    // Frames after the delimiter: 2 header, 3 parent_header, 4 metadata, 5 content.
    for (const index of [2, 3, 4, 5]) {
      const frame = m.frames[delimiterAt(m) + index]!;
      if (frame.length === 0) continue;
      expectWireError(() => decodeFrames(withFrame(m, index, flipBit), signer), /signature/);
      // Appending bytes (same prefix) must fail too.
      expectWireError(
        () =>
          decodeFrames(
            withFrame(m, index, (f) => Buffer.concat([f, Buffer.from(' ')])),
            signer,
          ),
        /signature/,
      );
    }
  });

  it.each(cases)('rejects %s with a forged, truncated or missing signature', (_label, m) => {
    const flipHex = (sig: Buffer): Buffer => {
      const copy = Buffer.from(sig);
      copy[0] = copy[0] === 0x30 ? 0x31 : 0x30; // '0' <-> '1'
      return copy;
    };
    expectWireError(() => decodeFrames(withFrame(m, 1, flipHex), signer), /signature/);
    expectWireError(
      () =>
        decodeFrames(
          withFrame(m, 1, (s) => s.subarray(0, s.length - 2)),
          signer,
        ),
      /signature/,
    );
    expectWireError(
      () =>
        decodeFrames(
          withFrame(m, 1, () => Buffer.alloc(0)),
          signer,
        ),
      /signature/,
    );
    expectWireError(
      () =>
        decodeFrames(
          withFrame(m, 1, (s) => Buffer.from(s.toString('ascii').toUpperCase())),
          signer,
        ),
      /signature/,
    );
  });

  it('does not sign buffers (as in Jupyter): a changed buffer still decodes', () => {
    const m = vectors.messages.find((v) => v.expected.buffer_count > 0)!;
    const raw = decodeFrames(withFrame(m, 6, flipBit), signer);
    expect(raw.buffers[0]!.equals(m.frames[delimiterAt(m) + 6]!)).toBe(false);
  });

  it('rejects frames without a delimiter', () => {
    const m = vectors.messages.find((v) => v.channel === 'iopub')!;
    const noDelimiter = m.frames.filter((f) => !f.equals(DELIMITER));
    expect(noDelimiter).toHaveLength(m.frames.length - 1);
    expectWireError(() => decodeFrames(noDelimiter, signer), /delimiter/);
    expectWireError(() => decodeFrames([], signer), /delimiter/);
    // A frame that merely starts with the delimiter is not one.
    const padded = m.frames.map((f) => (f.equals(DELIMITER) ? Buffer.concat([DELIMITER, Buffer.from('x')]) : f));
    expectWireError(() => decodeFrames(padded, signer), /delimiter/);
  });

  it('rejects a message with fewer than five frames after the delimiter', () => {
    const m = vectors.messages.find((v) => v.channel === 'shell')!;
    const at = delimiterAt(m);
    expectWireError(() => decodeFrames(m.frames.slice(0, at + 5), signer), /at least 5/);
    expectWireError(() => decodeFrames([DELIMITER], signer), /0 frames/);
  });

  it('accepts any number of identity frames before the delimiter', () => {
    const m = vectors.messages.find((v) => v.channel === 'shell' && v.direction === 'kernel-to-client')!;
    const routed = [Buffer.from('client-a'), Buffer.from([0, 1, 2]), ...m.frames];
    expect(decodeFrames(routed, signer).msgType).toBe(m.expected.msg_type);
  });
});

describe('encodeFrames', () => {
  it.each(cases)('reproduces %s byte-for-byte from the delimiter on', (_label, m) => {
    const encoded = encodeFrames(decodeFrames(m.frames, signer), signer);
    const original = m.frames.slice(delimiterAt(m));
    expect(encoded).toHaveLength(original.length);
    encoded.forEach((frame, i) => expect(frame.toString('hex')).toBe(original[i]!.toString('hex')));
  });

  it('signs like Python hmac.new(key, digestmod=sha256).hexdigest() over the four JSON parts', () => {
    const raw = RawMessage.fromMessage(createMessage('kernel_info_request', {}, { session: 's1', msgId: 'm1' }));
    const [delimiter, signature, ...rest] = encodeFrames(raw, signer);
    expect(delimiter!.equals(DELIMITER)).toBe(true);
    const expected = createHmac('sha256', vectors.key)
      .update(raw.header)
      .update(raw.parentHeader)
      .update(raw.metadata)
      .update(raw.content)
      .digest('hex');
    expect(signature!.toString('ascii')).toBe(expected);
    expect(rest).toHaveLength(4);
    expect(decodeFrames(encodeFrames(raw, signer), signer).msgType).toBe('kernel_info_request');
  });

  it('appends buffers after the content frame, unsigned', () => {
    const raw = new RawMessage(
      Buffer.from('{"msg_id":"a","msg_type":"comm_msg"}'),
      Buffer.from('{}'),
      Buffer.from('{}'),
      Buffer.from('{}'),
      [Buffer.from([0, 255]), Buffer.alloc(0)],
    );
    const frames = encodeFrames(raw, signer);
    expect(frames).toHaveLength(8);
    expect(frames[6]!.equals(Buffer.from([0, 255]))).toBe(true);
    expect(frames[7]!.length).toBe(0);
    expect(frames[1]!.equals(signer.sign([raw.header, raw.parentHeader, raw.metadata, raw.content]))).toBe(true);
    const back = decodeFrames(frames, signer);
    expect(back.buffers.map((b) => b.toString('hex'))).toEqual(['00ff', '']);
  });
});

describe('empty key', () => {
  const unsigned = new MessageSigner('');

  it('disables signing', () => {
    expect(unsigned.enabled).toBe(false);
    expect(signer.enabled).toBe(true);
    const m = vectors.messages[0]!;
    const frames = encodeFrames(decodeFrames(m.frames, unsigned), unsigned);
    expect(frames[1]!.length).toBe(0);
    expect(frames.slice(2).map((f) => f.toString('hex'))).toEqual(m.frames.slice(delimiterAt(m) + 2).map((f) => f.toString('hex')));
  });

  it.each(cases)('accepts %s whatever its signature', (_label, m) => {
    expect(decodeFrames(m.frames, unsigned).msgType).toBe(m.expected.msg_type);
    expect(
      decodeFrames(
        withFrame(m, 1, () => Buffer.alloc(0)),
        unsigned,
      ).msgType,
    ).toBe(m.expected.msg_type);
  });

  it('still refuses malformed frame sequences', () => {
    expectWireError(() => decodeFrames([Buffer.from('x')], unsigned), /delimiter/);
  });

  it('makes a keyed signer reject unsigned messages', () => {
    const raw = RawMessage.fromMessage(createMessage('status', { execution_state: 'idle' }, { session: 's', msgId: 'm' }));
    expectWireError(() => decodeFrames(encodeFrames(raw, unsigned), signer), /signature/);
  });
});
