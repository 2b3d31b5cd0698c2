import type { CodeEnv } from '../execution/code-env';
import type { ExecConfig } from '../execution/execution-config';
import type { ConnectionInfo } from '../protocol/connection-info';
import type { ResolvedKernelSpec } from '../kernelspecs/kernelspec';

/**
 * The contract between KernelManager (policy: readiness, restarts, shutdown escalation,
 * persistence) and one backend (mechanics: start, signal, stop, clean up).
 * Provisioners never talk the Jupyter protocol and never decide policy.
 */

/** What the manager asks a provisioner to start. */
export interface LaunchRequest {
  readonly kernelId: string;
  readonly spec: ResolvedKernelSpec;
  /** Client variables (already filtered to `KERNEL_*`) merged over the spec's env. */
  readonly env: Readonly<Record<string, string>>;
  /** On restart: reuse these ports and key so connected clients' sockets reconnect by themselves. */
  readonly reuseConnection?: ConnectionInfo;
  /** Where and how it runs; the backend is chosen by `execConfig.backend`. */
  readonly execConfig: ExecConfig;
  /** The code env of a `<code-env>--<exec-config>` kernel; undefined for a plain kernelspec. */
  readonly codeEnv?: CodeEnv;
  /** The identity that started it (container labels, quotas). */
  readonly owner: string;
}

/**
 * Progress a launch reports, shown to clients as kernel events. `scheduling`: a Kubernetes pod is
 * created and waits for a node; `pulling-image` and `starting-container` mean the same for
 * containers and pods.
 */
export type LaunchStage =
  | 'allocating-ports'
  | 'starting-process'
  | 'pulling-image'
  | 'creating-container'
  | 'scheduling'
  | 'starting-container'
  | 'waiting-for-kernel';

/** The serialisable part of a provisioned kernel, persisted so a restarted gateway can reattach. */
export interface ProvisionerRecord {
  readonly provisioner: ProvisionerName;
  readonly kernelId: string;
  /** Holds the HMAC key: stored in the 0700 data directory, never logged. */
  readonly connection: ConnectionInfo;
  /** Backend-specific facts (pid, container id, pod name …). */
  readonly state: Readonly<Record<string, unknown>>;
}

export type ProvisionerName = 'local' | 'docker' | 'kubernetes';

/** How a kernel ended. `reason` is for people ("exited with code 1", "OOMKilled"). */
export interface KernelExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly reason: string;
  /** False when a restart would only fail the same way (e.g. killed for its memory limit): the kernel stays dead. */
  readonly restartable?: boolean;
}

export type KernelLiveness = 'alive' | 'dead';

/** A kernel the backend started (or found again after a gateway restart). */
export interface ProvisionedKernel {
  readonly connection: ConnectionInfo;
  readonly record: ProvisionerRecord;
  /** Settles once, when the kernel is gone; never rejects. */
  readonly exited: Promise<KernelExit>;
  status(): Promise<KernelLiveness>;
  /** Sends an interrupt signal (signal interrupt mode only). */
  interrupt(): Promise<void>;
  /** Asks the kernel to stop (SIGTERM / docker stop); does not wait. */
  terminate(): Promise<void>;
  /** Stops the kernel at once; does not wait. */
  kill(): Promise<void>;
  /** Releases what the launch created; with keepForRestart, keeps ports and key for the relaunch. */
  cleanup(options: { keepForRestart: boolean }): Promise<void>;
  /** The last `maxBytes` of the kernel's output, for launch errors and diagnostics. */
  logTail(maxBytes?: number): Promise<string>;
}

/** One backend. Called only by KernelManager. */
export interface KernelProvisioner {
  readonly name: ProvisionerName;
  /**
   * Starts the kernel and resolves once the backend reports it running (the manager then
   * waits for kernel_info). Leaves nothing behind when it rejects.
   */
  launch(request: LaunchRequest, signal: AbortSignal, onProgress: (stage: LaunchStage) => void): Promise<ProvisionedKernel>;
  /** Rebuilds a handle from a persisted record after a gateway restart; undefined if the kernel is gone. */
  reattach(record: ProvisionerRecord): Promise<ProvisionedKernel | undefined>;
  /** Removes what a record points at when the kernel could not be reattached. */
  discard(record: ProvisionerRecord): Promise<void>;
  /** After reattaching: removes what this gateway started earlier that no record knows (e.g. a container of a kernel whose record was lost). */
  reapOrphans?(knownKernelIds: ReadonlySet<string>): Promise<number>;
}
