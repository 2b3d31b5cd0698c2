import type { ISignal } from '@lumino/signaling';
import type { SpecsLike } from '../model/kernelspec-choices';

/**
 * The parts of JupyterLab's ISessionContext and notebook model the extension uses, as structural
 * types: the real objects satisfy them, and tests drive the same code with small fakes.
 */

export interface KernelLike {
  readonly id: string;
  readonly name: string;
}

export interface SpecsManagerLike {
  readonly specs: SpecsLike | null;
  readonly specsChanged: ISignal<unknown, unknown>;
}

export interface IopubMessageLike {
  readonly header: { readonly msg_type: string };
  readonly content: unknown;
}

export interface SessionContextLike {
  readonly isDisposed: boolean;
  readonly session: { readonly kernel: KernelLike | null } | null;
  readonly specsManager: SpecsManagerLike;
  readonly kernelDisplayName: string;
  readonly kernelDisplayStatus: string;
  /** The kernel asked for (its kernelspec name, while a start is pending). */
  readonly kernelPreference: { readonly name?: string };
  readonly kernelChanged: ISignal<unknown, unknown>;
  readonly statusChanged: ISignal<unknown, unknown>;
  readonly connectionStatusChanged: ISignal<unknown, unknown>;
  readonly iopubMessage: ISignal<unknown, IopubMessageLike>;
  readonly disposed: ISignal<unknown, unknown>;
  changeKernel(options: { name: string }): Promise<unknown>;
}

/** INotebookModel's metadata accessors (JupyterLab 4). */
export interface MetadataLike {
  getMetadata(key: string): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- INotebookModel takes any JSON value
  setMetadata(key: string, value: any): void;
}
