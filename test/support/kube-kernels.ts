// What the tests of kernels in pods share: the Kubernetes emulator's delays shortened for tests, a
// client of its API, and Berth's pods and Secrets as one line each, to compare what a gateway
// leaves in a namespace. (Exec configs and code env images for the emulator: kube-code-env.ts.)
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { LABELS, MANAGED_BY_VALUE } from '../../gateway/src/common/labels';
import type { KubeEmulator, Timings } from './kube-emulator';

/** The kubelet's and API server's delays for tests (the emulator's defaults are a real cluster's). */
export const TEST_TIMINGS: Partial<Timings> = {
  restartBackoffMs: 300,
  imagePullBackoffMs: 300,
  podSyncMs: 100,
  mountRetryMs: 100,
  bookmarkIntervalMs: 1000,
};

/** A core/v1 client of the emulator, through the kubeconfig it wrote (as the product connects). */
export function coreApi(kube: KubeEmulator): CoreV1Api {
  const config = new KubeConfig();
  config.loadFromFile(kube.kubeconfigPath);
  return config.makeApiClient(CoreV1Api);
}

/** The label selector of what the gateway with id `gatewayId` made (Berth labels it so, see pod-spec.ts). */
export function gatewaySelector(gatewayId: string): string {
  return `${LABELS.managedBy}=${MANAGED_BY_VALUE},${LABELS.gatewayId}=${gatewayId}`;
}

/** Pods and Secrets in `namespace` matching `labelSelector`, one line each naming its kernel, sorted. */
export async function kernelObjects(core: CoreV1Api, namespace: string, labelSelector: string): Promise<string[]> {
  const pods = (await core.listNamespacedPod({ namespace, labelSelector })).items;
  const secrets = (await core.listNamespacedSecret({ namespace, labelSelector })).items;
  return [
    ...pods.map((pod) => `pod ${pod.metadata?.name} of kernel ${pod.metadata?.labels?.[LABELS.kernelId]}`),
    ...secrets.map((secret) => `secret ${secret.metadata?.name} of kernel ${secret.metadata?.labels?.[LABELS.kernelId]}`),
  ].sort();
}

/** The pods of one kernel (Berth labels them with its id). */
export async function kernelPods(core: CoreV1Api, namespace: string, kernelId: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace, labelSelector: `${LABELS.kernelId}=${kernelId}` })).items;
}
