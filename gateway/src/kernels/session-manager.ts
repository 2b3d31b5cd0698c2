import { NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
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
  readonly owner: string;
}

export interface UpdateSessionRequest {
  readonly path?: string;
  readonly name?: string;
  readonly type?: string;
  readonly kernel?: { readonly id?: string; readonly name?: string };
  readonly env: Readonly<Record<string, string>>;
  readonly owner: string;
}

/** Sessions bind a document path to a kernel (Jupyter Server's SessionManager semantics). */
export class SessionManager {
  constructor(
    private readonly records: SessionRecords,
    private readonly kernels: KernelManager,
  ) {}

  list(): SessionModel[] {
    return this.records.list().flatMap((record) => {
      const model = this.tryModel(record);
      return model ? [model] : [];
    });
  }

  get(id: string): SessionModel {
    const record = this.records.get(id);
    const model = record && this.tryModel(record);
    if (!model) throw new NotFoundError(`Session not found: ${id}. GET /api/sessions lists the sessions.`);
    return model;
  }

  /** Creates a session; an existing session for the same path is returned as is (Jupyter does the same). */
  async create(request: CreateSessionRequest): Promise<SessionModel> {
    const existing = this.records.findByPath(request.path);
    if (existing && this.tryModel(existing)) return this.get(existing.id);
    const kernelId = await this.kernelFor(request.kernel, request.env, request.owner);
    const record: SessionRecord = { id: newId(), path: request.path, name: request.name, type: request.type, kernelId };
    this.records.save(record);
    return this.get(record.id);
  }

  /** Renames or moves a session, or switches its kernel (the old one is shut down if no other session uses it). */
  async update(id: string, request: UpdateSessionRequest): Promise<SessionModel> {
    const current = this.records.get(id);
    if (!current) throw new NotFoundError(`Session not found: ${id}.`);
    let kernelId = current.kernelId;
    if (request.kernel && (request.kernel.id ? request.kernel.id !== current.kernelId : request.kernel.name !== undefined)) {
      kernelId = await this.kernelFor(request.kernel, request.env, request.owner);
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
    return this.get(id);
  }

  /** Deletes the session and shuts its kernel down. */
  async remove(id: string): Promise<void> {
    const record = this.records.get(id);
    if (!record) throw new NotFoundError(`Session not found: ${id}.`);
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

  private async kernelFor(kernel: { id?: string; name?: string }, env: Readonly<Record<string, string>>, owner: string): Promise<string> {
    if (kernel.id) return this.kernels.get(kernel.id).id;
    return (await this.kernels.start({ name: kernel.name, env, owner })).id;
  }

  private tryModel(record: SessionRecord): SessionModel | undefined {
    let kernel: KernelModel;
    try {
      kernel = this.kernels.get(record.kernelId).model();
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
