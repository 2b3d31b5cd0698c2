import { KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { EventLog } from './event-log';

/** One event of a pod watch: ADDED, MODIFIED or DELETED, with the pod as the cluster had it then. */
export interface PodEvent {
  readonly type: string;
  readonly pod: V1Pod;
}

export interface PodWatch {
  readonly log: EventLog<PodEvent>;
  stop(): void;
}

/**
 * Watches the pods of `namespace` matching `labelSelector` through the cluster's API (as a
 * Kubernetes client does: @kubernetes/client-node's Watch), from now on. Resolves once the API
 * server has the watch: no later change is missed.
 */
export async function watchPods(kubeconfigPath: string, namespace: string, labelSelector: string): Promise<PodWatch> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const log = new EventLog<PodEvent>();
  const controller = await new Watch(config).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    { labelSelector },
    (type: string, pod: V1Pod) => log.push({ type, pod }),
    (error: unknown) => log.end(error instanceof Error ? error : new Error('the pod watch ended')),
  );
  return { log, stop: () => controller.abort() };
}
