import { createHmac, timingSafeEqual } from 'node:crypto';
import { RawMessage } from './messages';

/**
 * The ZeroMQ wire format: `[identities…, "<IDS|MSG>", hmac, header, parent_header,
 * metadata, content, buffers…]`. The HMAC-SHA256 is computed over the exact bytes of the
 * four JSON frames, so it is made and checked without parsing them.
 */

export const DELIMITER = Buffer.from('<IDS|MSG>');

/** A frame sequence that is not a valid Jupyter message (missing delimiter, bad signature). */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

/** Signs and verifies with the kernel's key. An empty key means "no signing", as in Jupyter. */
export class MessageSigner {
  private readonly key: Buffer;

  constructor(key: string) {
    this.key = Buffer.from(key, 'utf8');
  }

  get enabled(): boolean {
    return this.key.length > 0;
  }

  sign(parts: readonly Buffer[]): Buffer {
    if (!this.enabled) return Buffer.alloc(0);
    const hmac = createHmac('sha256', this.key);
    for (const part of parts) hmac.update(part);
    return Buffer.from(hmac.digest('hex'), 'ascii');
  }

  verify(signature: Buffer, parts: readonly Buffer[]): boolean {
    if (!this.enabled) return true;
    const expected = this.sign(parts);
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
}

/** Decodes a multipart ZMQ message; throws WireError when it is malformed or its HMAC is wrong. */
export function decodeFrames(frames: readonly Buffer[], signer: MessageSigner): RawMessage {
  const delimiterIndex = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (delimiterIndex < 0) throw new WireError('message has no <IDS|MSG> delimiter');
  const body = frames.slice(delimiterIndex + 1);
  if (body.length < 5) throw new WireError(`message has ${body.length} frames after the delimiter; at least 5 are required`);
  const [signature, header, parentHeader, metadata, content, ...buffers] = body as [Buffer, Buffer, Buffer, Buffer, Buffer, ...Buffer[]];
  if (!signer.verify(signature, [header, parentHeader, metadata, content])) {
    throw new WireError('message signature does not match (wrong key or tampered message)');
  }
  return new RawMessage(header, parentHeader, metadata, content, buffers);
}

/** Encodes a message for a DEALER socket (no identities), signing the four JSON frames. */
export function encodeFrames(message: RawMessage, signer: MessageSigner): Buffer[] {
  const parts = [message.header, message.parentHeader, message.metadata, message.content];
  return [DELIMITER, signer.sign(parts), ...parts, ...message.buffers];
}
