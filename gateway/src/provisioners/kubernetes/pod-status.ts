import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { KernelExit } from '../types';
import { KERNEL_CONTAINER } from './pod-spec';

/**
 * What a kernel pod's status means for the gateway, as pure functions of the V1Pod a watch
 * delivers: how far its start has come, why it cannot start, and how the kernel ended. The
 * reasons and messages are the cluster's own (the scheduler's, the kubelet's, the runtime's).
 */

/** Waiting reasons that do not go away by waiting: the start fails at once with the kubelet's message. */
const HOPELESS_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

const IMAGE_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);

/** Why a pod cannot start. */
export type PodFailure =
  | { readonly kind: 'image'; readonly reason: string; readonly message: string; readonly image: string }
  | { readonly kind: 'unschedulable'; readonly reason: string; readonly message: string }
  | { readonly kind: 'container-config'; readonly reason: string; readonly message: string }
  | {
      readonly kind: 'terminated';
      readonly reason: string;
      /** The termination message: with FallbackToLogsOnError, the tail of the container's log. */
      readonly message: string;
      readonly exit: KernelExit;
    };

/** Where a start is, in LaunchStage words where it is still under way. */
export type PodProgress =
  | { readonly state: 'pending'; readonly stage: 'scheduling' | 'starting-container' }
  | { readonly state: 'running'; readonly podIP: string }
  | { readonly state: 'failed'; readonly failure: PodFailure };

export function kernelContainerStatus(pod: V1Pod): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((status) => status.name === KERNEL_CONTAINER);
}

function scheduledCondition(pod: V1Pod): { status: string; reason?: string; message?: string } | undefined {
  return pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
}

function describeQuantity(pod: V1Pod, resource: string): string | undefined {
  const container = pod.spec?.containers.find((c) => c.name === KERNEL_CONTAINER);
  const limit = container?.resources?.limits?.[resource];
  return limit === undefined ? undefined : String(limit);
}

/** How the kernel ended, when its pod says it did; undefined while it runs or has yet to start. */
export function podExit(pod: V1Pod): KernelExit | undefined {
  const terminated = kernelContainerStatus(pod)?.state?.terminated;
  if (terminated !== undefined) {
    const code = terminated.exitCode ?? null;
    const signal = terminated.signal === undefined ? null : `signal ${terminated.signal}`;
    if (terminated.reason === 'OOMKilled') {
      const limit = describeQuantity(pod, 'memory');
      return {
        code,
        signal: 'SIGKILL',
        reason: `was OOMKilled: it used more memory than its limit${limit === undefined ? '' : ` (${limit})`}`,
        restartable: false,
      };
    }
    if (terminated.reason === 'StartError' || terminated.reason === 'ContainerCannotRun') {
      return { code, signal, reason: `could not start (${terminated.reason}: ${terminated.message ?? 'no message'})` };
    }
    return { code, signal, reason: code === 137 ? 'was killed (exit code 137)' : `exited with code ${code}` };
  }
  const phase = pod.status?.phase;
  if (phase === 'Failed') {
    // Evicted, DeadlineExceeded, NodeLost …: the pod ended without its container saying how.
    const why = [pod.status?.reason, pod.status?.message].filter(Boolean).join(': ');
    return { code: null, signal: null, reason: `pod failed${why === '' ? '' : ` (${why})`}` };
  }
  if (phase === 'Succeeded') return { code: 0, signal: null, reason: 'exited with code 0' };
  return undefined;
}

/** How far the start of `pod` has come, or why it cannot finish. */
export function launchProgress(pod: V1Pod): PodProgress {
  const exit = podExit(pod);
  if (exit !== undefined) {
    const terminated = kernelContainerStatus(pod)?.state?.terminated;
    return {
      state: 'failed',
      failure: {
        kind: 'terminated',
        reason: terminated?.reason ?? pod.status?.reason ?? pod.status?.phase ?? 'Failed',
        message: terminated?.message ?? pod.status?.message ?? '',
        exit,
      },
    };
  }
  const scheduled = scheduledCondition(pod);
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { state: 'failed', failure: { kind: 'unschedulable', reason: 'Unschedulable', message: scheduled.message ?? '' } };
  }
  const container = kernelContainerStatus(pod);
  const waiting = container?.state?.waiting;
  if (waiting?.reason !== undefined && HOPELESS_WAITING.has(waiting.reason)) {
    const message = waiting.message ?? '';
    if (IMAGE_REASONS.has(waiting.reason)) {
      return { state: 'failed', failure: { kind: 'image', reason: waiting.reason, message, image: podImageOf(pod) } };
    }
    return { state: 'failed', failure: { kind: 'container-config', reason: waiting.reason, message } };
  }
  const podIP = pod.status?.podIP;
  if (container?.state?.running !== undefined && podIP !== undefined && podIP !== '') return { state: 'running', podIP };
  const bound = (pod.spec?.nodeName ?? '') !== '' || scheduled?.status === 'True';
  return { state: 'pending', stage: bound ? 'starting-container' : 'scheduling' };
}

/**
 * Where a pod is, in a few words, for a start that took too long: "Pending: not scheduled yet",
 * "Pending: its container is waiting (ContainerCreating)".
 */
export function describePodState(pod: V1Pod): string {
  const phase = pod.status?.phase ?? 'Pending';
  const container = kernelContainerStatus(pod);
  const waiting = container?.state?.waiting;
  if (waiting !== undefined) {
    return `${phase}: its container is waiting (${waiting.reason ?? 'no reason'}${waiting.message ? `: ${clause(waiting.message)}` : ''})`;
  }
  if (container?.state?.running !== undefined) return `${phase}: its container runs`;
  const scheduled = scheduledCondition(pod);
  if ((pod.spec?.nodeName ?? '') === '' && scheduled?.status !== 'True') {
    return `${phase}: not scheduled yet${scheduled?.message ? ` (${clause(scheduled.message)})` : ''}`;
  }
  return `${phase}: on node ${pod.spec?.nodeName ?? '?'}, its container not created yet`;
}

/** A message of the cluster's as a clause that a sentence of ours can follow: without its final period. */
export function clause(message: string): string {
  return message.trim().replace(/\.+$/, '');
}

/** The image a pull error is about: the container's image (its status names it as the kubelet resolved it). */
export function podImageOf(pod: V1Pod): string {
  return pod.spec?.containers.find((c) => c.name === KERNEL_CONTAINER)?.image ?? kernelContainerStatus(pod)?.image ?? '';
}
