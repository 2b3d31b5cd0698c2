import { Signal } from '@lumino/signaling';
import type { SpecsLike } from '../../src/model/kernelspec-choices';
import type { IopubMessageLike, KernelLike, MetadataLike, SessionContextLike } from '../../src/notebook/session-types';

/**
 * A stand-in for JupyterLab's ISessionContext with the members the extension uses (the real one
 * needs a Jupyter server). changeKernel resolves or rejects as the test says and then behaves as
 * JupyterLab does: the kernel changes and kernelChanged fires.
 */
export class FakeSessionContext implements SessionContextLike {
  isDisposed = false;
  session: { kernel: KernelLike | null } | null = null;
  kernelDisplayName = 'No Kernel';
  kernelDisplayStatus = 'unknown';
  kernelPreference: { name?: string } = {};
  readonly kernelChanged = new Signal<this, unknown>(this);
  readonly statusChanged = new Signal<this, unknown>(this);
  readonly connectionStatusChanged = new Signal<this, unknown>(this);
  readonly iopubMessage = new Signal<this, IopubMessageLike>(this);
  readonly disposed = new Signal<this, unknown>(this);
  readonly specsManager: { specs: SpecsLike | null; specsChanged: Signal<unknown, unknown> };
  readonly requests: string[] = [];
  /** When set, the next changeKernel rejects with this message. */
  failNext: string | undefined;
  private nextId = 1;

  constructor(specs: SpecsLike | null) {
    this.specsManager = { specs, specsChanged: new Signal<unknown, unknown>(this) };
  }

  setSpecs(specs: SpecsLike | null): void {
    this.specsManager.specs = specs;
    this.specsManager.specsChanged.emit(specs);
  }

  /** What JupyterLab does when a kernel (re)connects: the session has it, kernelChanged fires. */
  setKernel(name: string | null, status = 'idle'): KernelLike | null {
    const kernel = name ? { id: `kernel-${this.nextId++}`, name } : null;
    this.session = { kernel };
    this.kernelDisplayStatus = kernel ? status : 'unknown';
    this.kernelChanged.emit(kernel);
    this.statusChanged.emit(this.kernelDisplayStatus);
    return kernel;
  }

  setStatus(status: string): void {
    this.kernelDisplayStatus = status;
    this.statusChanged.emit(status);
  }

  async changeKernel(options: { name: string }): Promise<unknown> {
    this.requests.push(options.name);
    if (this.failNext) {
      const message = this.failNext;
      this.failNext = undefined;
      throw new Error(message);
    }
    return this.setKernel(options.name);
  }
}

/** INotebookModel's metadata accessors over a plain object; counts the writes. */
export class FakeMetadata implements MetadataLike {
  readonly values: Record<string, unknown> = {};
  writes = 0;

  getMetadata(key: string): unknown {
    return this.values[key];
  }

  setMetadata(key: string, value: unknown): void {
    this.values[key] = value;
    this.writes += 1;
  }
}
