import type { KernelPlacement } from '../store/kernel-records';
import { randomUUID } from 'node:crypto';
import { jupyterTimestamp } from '../common/ids';
import type { Logger } from '../common/logger';
import type { ResolvedKernelSpec } from '../kernelspecs/kernelspec';
import { createMessage, RawMessage, type Channel, type ExecutionState } from '../protocol/messages';
import type { ProvisionedKernel } from '../provisioners/types';
import type { ClientConnection } from './client-connection';
import { ClientSession, type BufferLimits } from './client-session';
import type { KernelClient } from './kernel-client';

/** The kernel model of Jupyter Server's REST API (snake_case, as clients expect). */
export interface KernelModel {
  readonly id: string;
  readonly name: string;
  readonly last_activity: string;
  readonly execution_state: ExecutionState;
  readonly connections: number;
  readonly reason?: string;
}

/** Where a kernel is in its lifecycle; `execution_state` is what the kernel last said. */
export type KernelPhase = 'starting' | 'running' | 'restarting' | 'terminating' | 'dead';

export interface ManagedKernelInit {
  readonly id: string;
  readonly spec: ResolvedKernelSpec;
  readonly owner: string;
  readonly env: Readonly<Record<string, string>>;
  /** Where it runs: exec config and code env as at start. */
  readonly placement: KernelPlacement;
  readonly createdAt: string;
  readonly bufferLimits: BufferLimits;
  readonly log: Logger;
}

const GATEWAY_SESSION = randomUUID();

/**
 * One kernel as the gateway holds it: its state, the provisioned backend handle, the
 * gateway's own client, and the client sessions (WebSockets) attached to it.
 * Lifecycle decisions (start, restart, shutdown) are KernelManager's.
 */
export class ManagedKernel {
  readonly id: string;
  readonly spec: ResolvedKernelSpec;
  readonly owner: string;
  readonly env: Readonly<Record<string, string>>;
  readonly placement: KernelPlacement;
  readonly createdAt: string;
  readonly log: Logger;
  phase: KernelPhase = 'starting';
  executionState: ExecutionState = 'starting';
  reason: string | undefined;
  lastActivity = Date.now();
  provisioned: ProvisionedKernel | undefined;
  client: KernelClient | undefined;
  private readonly sessions = new Map<string, ClientSession>();
  private readonly bufferLimits: BufferLimits;

  constructor(init: ManagedKernelInit) {
    this.id = init.id;
    this.spec = init.spec;
    this.owner = init.owner;
    this.env = init.env;
    this.placement = init.placement;
    this.createdAt = init.createdAt;
    this.bufferLimits = init.bufferLimits;
    this.log = init.log;
  }

  get name(): string {
    return this.spec.name;
  }

  /** Number of WebSockets attached now (buffering sessions do not count). */
  get connections(): number {
    let count = 0;
    for (const session of this.sessions.values()) if (session.attached) count++;
    return count;
  }

  model(): KernelModel {
    return {
      id: this.id,
      name: this.name,
      last_activity: jupyterTimestamp(new Date(this.lastActivity)),
      execution_state: this.executionState,
      connections: this.connections,
      ...(this.reason ? { reason: this.reason } : {}),
    };
  }

  /** Called by the gateway's KernelClient for every iopub message: track state, then broadcast. */
  readonly onIopub = async (message: RawMessage): Promise<void> => {
    this.lastActivity = Date.now();
    if (message.msgType === 'status' && this.phase === 'running') {
      const state = message.parseContent<{ execution_state?: ExecutionState }>().execution_state;
      if (state) this.executionState = state;
    }
    await this.broadcast('iopub', message);
  };

  /**
   * Attaches a WebSocket. A session id that matches a buffering session takes it over and
   * gets the buffered messages replayed; one that matches a live session replaces its stale
   * socket (as Jupyter Server does); any other buffering session is dropped (one per kernel).
   */
  async attach(sessionId: string | undefined, connection: ClientConnection): Promise<ClientSession> {
    const id = sessionId || randomUUID();
    const existing = this.sessions.get(id);
    if (existing && !existing.attached) {
      this.dropBufferingSessions(id);
      await existing.reattach(connection);
      return existing;
    }
    if (existing) {
      this.log.warn({ session: id }, 'replacing stale connection: a client came back with the session id of a socket still open');
      this.dropBufferingSessions(id);
      existing.replace(connection);
      return existing;
    }
    this.dropBufferingSessions(undefined);
    if (!this.provisioned) throw new Error('kernel has no running process to connect to');
    const session = new ClientSession(id, connection, this.provisioned.connection, this.client!.signer, this.bufferLimits, this.log);
    this.sessions.set(id, session);
    return session;
  }

  /**
   * The WebSocket closed: the session starts buffering until it reconnects. Nothing happens if
   * `connection` is given and a newer socket already took the session over.
   */
  detach(session: ClientSession, connection?: ClientConnection): void {
    if (!session.detach(connection)) return;
    this.dropBufferingSessions(session.sessionId); // Jupyter keeps one buffering session per kernel
  }

  /** A message from a client for the kernel. */
  async fromClient(session: ClientSession, channel: Exclude<Channel, 'iopub'>, message: RawMessage): Promise<void> {
    this.lastActivity = Date.now();
    await session.send(channel, message);
  }

  /** Sends a status message on behalf of the gateway ('restarting', 'dead', …), as Jupyter Server does. */
  async broadcastStatus(state: ExecutionState): Promise<void> {
    this.executionState = state;
    await this.broadcastRawStatus({ execution_state: state });
  }

  /**
   * A restart's progress ("creating-container" …) as an iopub status `starting` with `berth_stage`:
   * clients can show it. Not `restarting`: @jupyterlab/services reconnects on every one of those.
   */
  async broadcastStage(stage: string): Promise<void> {
    await this.broadcastRawStatus({ execution_state: 'starting', berth_stage: stage });
  }

  private async broadcastRawStatus(content: Record<string, unknown>): Promise<void> {
    const status = createMessage('status', content, { session: GATEWAY_SESSION, msgId: randomUUID(), username: 'berth' });
    await this.broadcast('iopub', RawMessage.fromMessage(status));
  }

  /** Closes every client session and its sockets (kernel shut down or gateway stopping). */
  closeClients(code: number, reason: string): void {
    for (const session of this.sessions.values()) session.close(code, reason);
    this.sessions.clear();
  }

  touch(): void {
    this.lastActivity = Date.now();
  }

  private async broadcast(channel: Channel, message: RawMessage): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const session of this.sessions.values()) {
      const delivered = session.deliver(channel, message);
      if (delivered) pending.push(delivered);
    }
    if (pending.length === 1) await pending[0];
    else if (pending.length > 1) await Promise.all(pending);
  }

  private dropBufferingSessions(keep: string | undefined): void {
    for (const [id, session] of this.sessions) {
      if (id !== keep && !session.attached) {
        session.close();
        this.sessions.delete(id);
      }
    }
  }
}
