import { NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import type { Identity } from '../execution/identity';
import type { SessionRecord, SessionRecords } from '../store/session-records';
import type { KernelManager } from './kernel-manager';
import type { KernelModel } from './managed-kernel';

/** Jupyter Server's session model. */
export interface SessionModel {
  readonly id: string;
  readonly path: string;
  readonly name: string;
  readonly type: string;
  readonly kernel: KernelModel;
  /** Kept for clients of the old notebook-only API. */
  readonly notebook: { readonly path: string; readonly name: string };
}

export interface CreateSessionRequest {
  readonly path: string;
  readonly name: string;
  readonly type: string;
  readonly kernel: { readonly id?: string; readonly name?: string };
  readonly env: Readonly<Record<string, string>>;
  /** Owner of a kernel the session starts (see Permissions.kernelOwner). */
  readonly owner: string;
  /** Who asks: a session is visible to whoever may see its kernel. */
  readonly identity: Identity;
}

export interface UpdateSessionRequest {
  readonly path?: string;
  readonly name?: string;
  readonly type?: string;
  readonly kernel?: { readonly id?: string; readonly name?: string };
  readonly env: Readonly<Record<string, string>>;
  readonly owner: string;
  readonly identity: Identity;
}

/**
 * Sessions bind a document path to a kernel (Jupyter Server's SessionManager semantics).
 * A session is visible to whoever may see its kernel; others get 404, as for kernels.
 */
export class SessionManager {
  constructor(
    private readonly records: SessionRecords,
    private readonly kernels: KernelManager,
  ) {}

  list(identity: Identity): SessionModel[] {
    return this.records.list().flatMap((record) => {
      const model = this.tryModel(record, identity);
      return model ? [model] : [];
    });
  }

  get(id: string, identity: Identity): SessionModel {
    const record = this.records.get(id);
    const model = record && this.tryModel(record, identity);
    if (!model) throw new NotFoundError(`Session not found: ${id}. GET /api/sessions lists the sessions.`);
    return model;
  }

  /**
   * Creates a session; an existing session for the same path is returned as is (Jupyter does the
   * same), but only one the caller may see: two users' "Untitled.ipynb" are two sessions.
   */
  async create(request: CreateSessionRequest): Promise<SessionModel> {
    const existing = this.records.list().find((record) => record.path === request.path && this.tryModel(record, request.identity));
    if (existing) return this.get(existing.id, request.identity);
    const kernelId = await this.kernelFor(request.kernel, request);
    const record: SessionRecord = { id: newId(), path: request.path, name: request.name, type: request.type, kernelId };
    this.records.save(record);
    return this.get(record.id, request.identity);
  }

  /** Renames or moves a session, or switches its kernel (the old one is shut down if no other session uses it). */
  async update(id: string, request: UpdateSessionRequest): Promise<SessionModel> {
    const current = this.records.get(id);
    if (!current || !this.tryModel(current, request.identity)) throw new NotFoundError(`Session not found: ${id}.`);
    let kernelId = current.kernelId;
    if (request.kernel && (request.kernel.id ? request.kernel.id !== current.kernelId : request.kernel.name !== undefined)) {
      kernelId = await this.kernelFor(request.kernel, request);
    }
    this.records.save({
      id,
      path: request.path ?? current.path,
      name: request.name ?? current.name,
      type: request.type ?? current.type,
      kernelId,
    });
    if (kernelId !== current.kernelId && !this.records.list().some((s) => s.kernelId === current.kernelId)) {
      await this.kernels.shutdown(current.kernelId).catch(() => undefined);
    }
    return this.get(id, request.identity);
  }

  /** Deletes the session and shuts its kernel down. */
  async remove(id: string, identity: Identity): Promise<void> {
    const record = this.records.get(id);
    if (!record || !this.tryModel(record, identity)) throw new NotFoundError(`Session not found: ${id}.`);
    this.records.remove(id);
    if (!this.records.list().some((s) => s.kernelId === record.kernelId)) {
      await this.kernels.shutdown(record.kernelId).catch((error) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
    }
  }

  /** A kernel went away: its sessions go too. */
  kernelRemoved(kernelId: string): void {
    this.records.removeByKernel(kernelId);
  }

  private async kernelFor(
    kernel: { id?: string; name?: string },
    request: { env: Readonly<Record<string, string>>; owner: string; identity: Identity },
  ): Promise<string> {
    if (kernel.id) return this.kernels.getFor(request.identity, kernel.id).id;
    return (await this.kernels.start({ name: kernel.name, env: request.env, owner: request.owner, identity: request.identity })).id;
  }

  private tryModel(record: SessionRecord, identity: Identity): SessionModel | undefined {
    let kernel: KernelModel;
    try {
      kernel = this.kernels.getFor(identity, record.kernelId).model();
    } catch {
      return undefined;
    }
    return {
      id: record.id,
      path: record.path,
      name: record.name,
      type: record.type,
      kernel,
      notebook: { path: record.path, name: record.name },
    };
  }
}
