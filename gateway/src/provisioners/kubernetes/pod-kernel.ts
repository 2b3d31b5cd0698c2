import { ConflictError } from '../../common/errors';
import type { ConnectionInfo } from '../../protocol/connection-info';
import type { KernelExit, KernelLiveness, ProvisionedKernel, ProvisionerRecord } from '../types';
import type { ClusterRef, KubeApi } from './kube-api';
import type { PodFollower } from './pod-follower';
import { KERNEL_CONTAINER } from './pod-spec';
import { kernelContainerStatus, podExit } from './pod-status';

/** What a record keeps of a pod kernel, to find it again after a gateway restart. */
export interface PodState {
  /** The cluster, as the exec config named it when the kernel started (kubeconfig absolute). */
  readonly cluster: ClusterRef;
  readonly namespace: string;
  readonly podName: string;
  /** Tells this pod from a later one of the same name. */
  readonly podUid: string;
  readonly secretName: string;
  /** The image the pod runs (records from before it was kept have none). */
  readonly image?: string;
}

/** Lines of the kernel's log read for diagnostics (then cut to the bytes asked for). */
const LOG_TAIL_LINES = 200;

/**
 * One kernel pod. Its end comes from the pod's watch (the container terminated, the pod failed or
 * was deleted); stopping it is deleting the pod, with the pod's grace period or none. Interrupts
 * go by message on the control channel (pair kernelspecs on Kubernetes say interrupt_mode
 * message): a pod cannot be signalled through the API.
 */
export class PodKernel implements ProvisionedKernel {
  readonly record: ProvisionerRecord;
  readonly exited: Promise<KernelExit>;
  private settleExit!: (exit: KernelExit) => void;
  private ended = false;
  /** The container's termination message (its log tail, with FallbackToLogsOnError), or the log read before a kill: kept once the pod is gone. */
  private terminationMessage = '';

  constructor(
    readonly connection: ConnectionInfo,
    private readonly api: KubeApi,
    private readonly follower: PodFollower,
    private readonly state: PodState,
    kernelId: string,
    /** Gives back what the launch took (the kernel's ports) once the kernel is gone for good. */
    private readonly release: () => void,
  ) {
    this.record = { provisioner: 'kubernetes', kernelId, connection, state: { ...state } };
    this.exited = new Promise((resolve) => {
      this.settleExit = (exit) => {
        if (this.ended) return;
        this.ended = true;
        resolve(exit);
      };
    });
    follower.listen((pod, gone) => {
      const message = kernelContainerStatus(pod)?.state?.terminated?.message;
      if (message !== undefined && message !== '') this.terminationMessage = message;
      const exit = podExit(pod);
      if (exit !== undefined) this.settleExit(exit);
      else if (gone) this.settleExit({ code: null, signal: null, reason: 'pod was deleted' });
    });
  }

  async status(): Promise<KernelLiveness> {
    if (this.ended) return 'dead';
    const pod = await this.api.readPod(this.state.namespace, this.state.podName).catch(() => this.follower.pod);
    if (pod === undefined || pod.metadata?.uid !== this.state.podUid || podExit(pod) !== undefined) return 'dead';
    return kernelContainerStatus(pod)?.state?.running !== undefined ? 'alive' : 'dead';
  }

  interrupt(): Promise<void> {
    return Promise.reject(
      new ConflictError(
        `Kernel ${this.record.kernelId} runs in a Kubernetes pod, which cannot be sent a signal: its kernelspec must say interrupt_mode "message".`,
      ),
    );
  }

  /** Deletes the pod with its grace period: the kubelet sends SIGTERM, then SIGKILL when the period is over. */
  terminate(): Promise<void> {
    return this.api.deletePod(this.state.namespace, this.state.podName);
  }

  /** Deletes the pod at once. Its log goes with it, so its tail is kept first for logTail (a launch that timed out reports it). */
  async kill(): Promise<void> {
    const tail = await this.readLog();
    if (tail !== '') this.terminationMessage = tail;
    await this.api.deletePod(this.state.namespace, this.state.podName, 0);
  }

  private readLog(): Promise<string> {
    return this.api
      .readPodLog(this.state.namespace, this.state.podName, { container: KERNEL_CONTAINER, tailLines: LOG_TAIL_LINES })
      .catch(() => '');
  }

  /**
   * Deletes the pod and its connection Secret (which Kubernetes would also collect with the pod).
   * With keepForRestart only a pod whose kernel ended: the manager stops the kernel before a
   * restart, and a gateway that stops keeping its kernels leaves them running (it only stops
   * following them).
   */
  async cleanup(options: { keepForRestart: boolean }): Promise<void> {
    if (options.keepForRestart && !this.ended) {
      this.follower.stop();
      return;
    }
    await this.api.deletePod(this.state.namespace, this.state.podName, 0);
    await this.api.deleteSecret(this.state.namespace, this.state.secretName).catch(() => undefined);
    this.follower.stop();
    this.settleExit({ code: null, signal: null, reason: 'pod was deleted' });
    if (!options.keepForRestart) this.release();
  }

  async logTail(maxBytes = 8192): Promise<string> {
    const log = await this.readLog();
    const text = log === '' ? this.terminationMessage : log;
    return text.length > maxBytes ? text.slice(-maxBytes) : text;
  }
}
