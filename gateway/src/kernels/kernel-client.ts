import { randomUUID } from 'node:crypto';
import { deferred, type Deferred } from '../common/async';
import type { Logger } from '../common/logger';
import type { ConnectionInfo } from '../protocol/connection-info';
import { KernelChannels } from '../protocol/kernel-channels';
import { createMessage, RawMessage, type Channel } from '../protocol/messages';
import { MessageSigner } from '../protocol/wire';

/** Nudge interval once the kernel has replied but no iopub message of ours arrived yet. */
const IOPUB_JOIN_NUDGE_MS = 5;

/** Longest wait between kernel_info nudges while the kernel has not answered yet. */
const MAX_NUDGE_MS = 1000;

/**
 * The gateway's own connection to a kernel: shell and control for its requests
 * (kernel_info, interrupt, shutdown) and the kernel's single iopub subscription, whose
 * messages it hands to `onIopub` (the managed kernel broadcasts them to clients).
 */
export class KernelClient {
  readonly session = randomUUID();
  private readonly channels: KernelChannels;
  private readonly pending = new Map<string, Deferred<RawMessage>>();
  private iopubSeen = new Set<string>();
  private iopubWaiter: Deferred<void> | undefined;

  constructor(
    connection: ConnectionInfo,
    readonly signer: MessageSigner,
    private readonly onIopub: (message: RawMessage) => Promise<void>,
    log: Logger,
  ) {
    this.channels = new KernelChannels(
      connection,
      signer,
      ['shell', 'control', 'iopub'],
      (channel, message) => this.receive(channel, message),
      log,
    );
  }

  /** Sends a request and resolves with its reply, or rejects after `timeoutMs`. */
  async request(channel: 'shell' | 'control', msgType: string, content: unknown, timeoutMs: number): Promise<RawMessage> {
    const msgId = randomUUID();
    const reply = deferred<RawMessage>();
    this.pending.set(msgId, reply);
    const timer = setTimeout(
      () => reply.reject(new Error(`no ${msgType.replace('_request', '_reply')} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await this.channels.send(channel, RawMessage.fromMessage(createMessage(msgType, content, { session: this.session, msgId })));
      return await reply.promise;
    } finally {
      clearTimeout(timer);
      this.pending.delete(msgId);
    }
  }

  /** Fire-and-forget request (shutdown_request: the kernel may exit before replying). */
  async send(channel: 'shell' | 'control', msgType: string, content: unknown): Promise<void> {
    await this.channels.send(
      channel,
      RawMessage.fromMessage(createMessage(msgType, content, { session: this.session, msgId: randomUUID() })),
    );
  }

  /**
   * Ready means: a kernel_info_reply on shell *and* an iopub message caused by one of our
   * requests, which proves the iopub subscription is live (ZMQ's slow-joiner problem would
   * otherwise lose the first outputs). Nudges with kernel_info (after `intervalMs`, backing off
   * to 1 s until the kernel first answers, then every few ms until iopub is live) until both
   * are seen, or `signal` aborts (timeout or kernel exit, decided by the caller).
   */
  async waitReady(signal: AbortSignal, intervalMs = 250): Promise<void> {
    let replied = false;
    let iopubReconnected = false;
    const sent: string[] = [];
    this.iopubSeen = new Set();
    // A send can wait forever (a DEALER with no usable peer, e.g. a port taken by another
    // process): the abort (timeout, kernel exit) must still end the wait.
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    // A reply to any of the kernel_info requests counts: the ones sent before the kernel bound
    // its shell port are queued and all answered, in order, once it does.
    const anyReply = deferred<RawMessage>();
    anyReply.promise.catch(() => undefined); // close() after an abort rejects it with nobody waiting
    // Until the first reply, nudges back off: each one queued meanwhile costs the starting kernel a reply.
    let nudgeMs = intervalMs;
    try {
      while (!signal.aborted) {
        const msgId = randomUUID();
        sent.push(msgId);
        this.pending.set(msgId, anyReply);
        this.iopubWaiter = deferred<void>();
        await Promise.race([
          this.channels.send('shell', RawMessage.fromMessage(createMessage('kernel_info_request', {}, { session: this.session, msgId }))),
          aborted,
        ]);
        if (!replied) {
          let timer: NodeJS.Timeout | undefined;
          replied = await Promise.race([
            anyReply.promise.then(() => true),
            new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), nudgeMs))),
            aborted,
          ]).finally(() => clearTimeout(timer));
          nudgeMs = Math.min(nudgeMs * 2, MAX_NUDGE_MS);
        }
        if (replied) {
          if (sent.some((id) => this.iopubSeen.has(id))) return;
          if (!iopubReconnected) {
            // The kernel has bound all its ports by now; the iopub socket may still sit in ZMQ's
            // reconnect wait from an attempt made before: connect it now instead.
            iopubReconnected = true;
            this.channels.reconnect('iopub');
          }
          // The kernel answers; only the iopub subscription may still be joining. Nothing more
          // arrives on iopub unless we ask, so nudge again soon rather than after a full interval.
          await Promise.race([
            this.iopubWaiter.promise,
            new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, IOPUB_JOIN_NUDGE_MS))),
          ]);
          if (sent.some((id) => this.iopubSeen.has(id))) return;
        }
      }
      throw signal.reason;
    } finally {
      for (const id of sent) this.pending.delete(id);
      this.iopubWaiter = undefined; // stop inspecting iopub parents once ready
    }
  }

  close(): void {
    this.channels.close();
    for (const reply of this.pending.values()) reply.reject(new Error('kernel client closed'));
    this.pending.clear();
  }

  private async receive(channel: Channel, message: RawMessage): Promise<void> {
    if (channel === 'iopub') {
      if (this.iopubWaiter) {
        const parentId = parentMsgId(message);
        if (parentId) {
          this.iopubSeen.add(parentId);
          this.iopubWaiter.resolve();
        }
      }
      await this.onIopub(message);
      return;
    }
    const parentId = parentMsgId(message);
    if (parentId) this.pending.get(parentId)?.resolve(message);
  }
}

/** The parent msg_id of a message, read from its raw parent header without parsing the content. */
function parentMsgId(message: RawMessage): string | undefined {
  if (message.parentHeader.length <= 2) return undefined;
  return message.parseParentHeader().msg_id;
}
