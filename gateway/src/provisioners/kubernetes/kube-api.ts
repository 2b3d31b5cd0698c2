import { resolve } from 'node:path';
import type { CoreV1Event, V1Pod, V1Secret } from '@kubernetes/client-node';

/**
 * The Kubernetes API calls the Kubernetes backend makes, narrowed from @kubernetes/client-node
 * (kube-client.ts implements them over one cluster): everything the backend may do to a cluster is
 * listed here, so the gateway's RBAC role (pods, pods/log, secrets, events in the kernel
 * namespaces) follows from this file.
 */

/** Where a cluster's credentials come from, as an exec config names them. */
export interface ClusterRef {
  /** A kubeconfig file (absolute); unset: the pod's service account in a cluster, else ~/.kube/config. */
  readonly kubeconfig?: string;
  /** A context of that kubeconfig; unset: its current context. */
  readonly context?: string;
}

/** `ref` with a relative kubeconfig resolved against `configDir`. */
export function resolveClusterRef(ref: ClusterRef, configDir: string): ClusterRef {
  return {
    ...(ref.kubeconfig === undefined ? {} : { kubeconfig: resolve(configDir, ref.kubeconfig) }),
    ...(ref.context === undefined ? {} : { context: ref.context }),
  };
}

/**
 * A watch event as the API server sends it; BOOKMARK objects carry only metadata.resourceVersion.
 * (ERROR events end the watch: see WatchHandle.ended.)
 */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Start after this version (events since then are replayed); unset: the current state first, as ADDED. */
  readonly resourceVersion?: string;
}

/**
 * One open watch. `ended` settles once, when the server or the network closes it (with the error,
 * if any: a KubeApiError for an ERROR event or a refused request) or after `stop()` (with
 * undefined); it never rejects.
 */
export interface WatchHandle {
  stop(): void;
  readonly ended: Promise<unknown>;
}

/** A list and the resourceVersion to watch from after it. */
export interface Listed<T> {
  readonly items: T[];
  readonly resourceVersion: string;
}

export interface PodLogOptions {
  readonly container?: string;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  /** The previous (terminated) instance of the container. */
  readonly previous?: boolean;
}

/**
 * A refusal of the API server, from its Status object: `status` is the HTTP code, `reason` the
 * machine-readable one (NotFound, Forbidden, AlreadyExists, Invalid, Expired, …) and `message`
 * the server's own words.
 */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KubeApiError';
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 404;
}

export interface KubeApi {
  /** The cluster as people know it, for messages: "context <name> (https://host:port)". */
  readonly cluster: string;

  createPod(namespace: string, pod: V1Pod): Promise<V1Pod>;
  /** Undefined when the pod does not exist. */
  readPod(namespace: string, name: string): Promise<V1Pod | undefined>;
  /** Deletes the pod (404 is success); gracePeriodSeconds 0 kills it at once. */
  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void>;
  listPods(namespace: string, labelSelector: string): Promise<Listed<V1Pod>>;
  watchPods(namespace: string, options: WatchOptions, onEvent: (type: WatchEventType, pod: V1Pod) => void): Promise<WatchHandle>;
  /** The container's log (the last `tailLines` lines, at most `limitBytes`). */
  readPodLog(namespace: string, name: string, options?: PodLogOptions): Promise<string>;

  createSecret(namespace: string, secret: V1Secret): Promise<V1Secret>;
  /** Applies a JSON merge patch (RFC 7386) to the secret, e.g. to add an owner. */
  patchSecret(namespace: string, name: string, patch: V1Secret): Promise<void>;
  listSecrets(namespace: string, labelSelector: string): Promise<Listed<V1Secret>>;
  /** Deletes the secret (404 is success). */
  deleteSecret(namespace: string, name: string): Promise<void>;

  /** Events about one object, e.g. fieldSelector `involvedObject.name=<pod>`. */
  listEvents(namespace: string, fieldSelector: string): Promise<Listed<CoreV1Event>>;
  watchEvents(namespace: string, options: WatchOptions, onEvent: (type: WatchEventType, event: CoreV1Event) => void): Promise<WatchHandle>;
}
