// What both benchmark clients (raw ZMQ floor and Berth over WebSocket) share: message headers
// and the bookkeeping that decides when a request is complete.
import { randomUUID } from 'node:crypto';

export const PROTOCOL_VERSION = '5.3';

/** A Jupyter message header for a request the benchmark sends. */
export function newHeader(msgType, session) {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username: 'berth-bench',
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}

/** execute_request content the same way for both clients. */
export function executeContent(code) {
  return { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true };
}

/**
 * Tracks requests in flight by msg_id. A request is complete when its reply arrived and, if
 * asked, the iopub `status: idle` whose parent is that request. Stream text bytes and errors
 * with that parent are counted on the way.
 */
export class RequestTracker {
  #pending = new Map();

  /** Registers a request before it is sent; returns the promise of its outcome. */
  expect(msgId, { idle = true, timeoutMs = 120_000, label = 'request' } = {}) {
    let entry;
    const promise = new Promise((resolve, reject) => {
      entry = { idle, replied: false, sawIdle: false, reply: undefined, streamBytes: 0, streamMessages: 0, errors: [], resolve, reject };
    });
    entry.timer = setTimeout(() => {
      this.#pending.delete(msgId);
      entry.reject(new Error(`${label} ${msgId} not complete after ${timeoutMs} ms (reply: ${entry.replied}, idle: ${entry.sawIdle})`));
    }, timeoutMs);
    this.#pending.set(msgId, entry);
    return promise;
  }

  /** Fails every request in flight (connection lost, kernel died). */
  failAll(error) {
    for (const [msgId, entry] of this.#pending) {
      clearTimeout(entry.timer);
      entry.reject(error);
      this.#pending.delete(msgId);
    }
  }

  /**
   * One received message. `content()` parses the content lazily: it is only called for the
   * messages whose content decides something (replies, status, stream, error).
   */
  handle(channel, msgType, parentId, content) {
    if (parentId === undefined) return;
    const entry = this.#pending.get(parentId);
    if (!entry) return;
    if (channel === 'iopub') {
      if (msgType === 'status') {
        if (content().execution_state === 'idle') entry.sawIdle = true;
      } else if (msgType === 'stream') {
        entry.streamBytes += Buffer.byteLength(content().text, 'utf8');
        entry.streamMessages++;
      } else if (msgType === 'error') {
        const { ename, evalue } = content();
        entry.errors.push(`${ename}: ${evalue}`);
      }
    } else if (msgType.endsWith('_reply')) {
      entry.replied = true;
      entry.reply = content();
    } else {
      return;
    }
    if (entry.replied && (entry.sawIdle || !entry.idle)) {
      clearTimeout(entry.timer);
      this.#pending.delete(parentId);
      entry.resolve({ reply: entry.reply, streamBytes: entry.streamBytes, streamMessages: entry.streamMessages, errors: entry.errors });
    }
  }
}
