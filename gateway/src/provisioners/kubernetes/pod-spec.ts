import { createHash } from 'node:crypto';
import type {
  V1Container,
  V1EnvVar,
  V1Pod,
  V1ResourceRequirements,
  V1Secret,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { MANAGED_BY_VALUE } from '../../common/labels';
import type { ExecConfig } from '../../execution/execution-config';
import { PORT_NAMES, type KernelPorts } from '../../protocol/connection-info';
import { CONNECTION_DIR, CONNECTION_FILE, CONTAINER_LABELS, entrypointLanguage } from '../docker/container-spec';
import type { KernelContainerPlan } from '../container-plan';

/**
 * The pod of one kernel and the Secret holding its connection file, as pure functions of its
 * launch plan: namespace, labels, scheduling, hardening, resources and the environment the kernel
 * entrypoint reads. Kept free of I/O so every field and default is checked by unit tests, and the
 * result against the Kubernetes OpenAPI schema, before anything reaches a cluster.
 */

export type KubernetesExecConfig = Extract<ExecConfig, { backend: 'kubernetes' }>;

/** Berth's labels on pods and secrets: the Docker backend's, so one selector language fits both. */
export const POD_LABELS = CONTAINER_LABELS;

/** Annotations carrying what a label value may not hold exactly (an owner like "alice@example.com"). */
export const POD_ANNOTATIONS = {
  owner: 'berth.io/owner',
  kernelId: 'berth.io/kernel-id',
} as const;

/** The kernel's container in the pod. */
export const KERNEL_CONTAINER = 'kernel';

/** The key of the connection file in the Secret, and its file name in CONNECTION_DIR. */
export const CONNECTION_KEY = 'connection.json';

/** The user and group of Berth's images (`USER 1000:1000`), as the Docker backend runs them by default. */
export const DEFAULT_UID = 1000;
export const DEFAULT_GID = 1000;

/**
 * Ports the kernel listens on inside its pod. Every pod has its own address, so every kernel can
 * use the same ones (the Docker backend's bridge ports); the gateway connects to status.podIP.
 */
export const POD_KERNEL_PORTS: KernelPorts = {
  shell_port: 50001,
  iopub_port: 50002,
  stdin_port: 50003,
  control_port: 50004,
  hb_port: 50005,
};

/** Container port names (IANA service names: at most 15 characters). */
const PORT_LABELS: Record<keyof KernelPorts, string> = {
  shell_port: 'shell',
  iopub_port: 'iopub',
  stdin_port: 'stdin',
  control_port: 'control',
  hb_port: 'hb',
};

const RESOURCE_NVIDIA_GPU = 'nvidia.com/gpu';

export interface PodPlan extends KernelContainerPlan {
  /** `name` is the pod's: a DNS label unique per launch, see kernelPodName. */
  readonly execConfig: KubernetesExecConfig;
  /** Name of the Secret holding the connection file, see connectionSecretName. */
  readonly secretName: string;
  /** The ports the kernel listens on in the pod (those of its connection file). */
  readonly ports: KernelPorts;
}

/** The pod a connection Secret belongs to, as the API server returned it (the uid exists only then). */
export interface PodRef {
  readonly name: string;
  readonly uid: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A DNS-1123 label (pod names are used as hostnames, so a kernel pod's name is one). */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

/** A label value as the API server accepts it: empty, or ≤ 63 alphanumerics with "-", "_", "." inside. */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** A label or annotation key: an optional DNS-subdomain prefix and "/", then a name of ≤ 63 characters. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/**
 * `value` as a valid label value: unchanged when it already is one; else its characters outside
 * [A-Za-z0-9-_.] become "_", the ends are trimmed to alphanumerics, and 8 hex digits of its
 * SHA-256 are appended, so two different values never share a label ("alice@x.org" and
 * "alice_x.org" stay apart). The exact value goes in an annotation where it matters.
 */
export function labelValue(value: string): string {
  if (isLabelValue(value)) return value;
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 8);
  const readable = value
    .replace(/[^-A-Za-z0-9_.]+/g, '_')
    .slice(0, 63 - hash.length - 1)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return readable === '' ? hash : `${readable}-${hash}`;
}

/** The name of a kernel's pod: `berth-kernel-<first 8 of its id>-<generation>` (each launch and restart a new one). */
export function kernelPodName(kernelId: string, generation: number | string): string {
  const id = kernelId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 8);
  const suffix = String(generation)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '');
  return ['berth-kernel', id, suffix]
    .filter((part) => part !== '')
    .join('-')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/** The name of the Secret holding a pod's connection file. */
export function connectionSecretName(podName: string): string {
  return `${podName}-connection`;
}

/** Selector for `list`/`watch` of this gateway's kernel pods and secrets, or of one kernel's. */
export function podLabelSelector(gatewayId: string, kernelId?: string): string {
  return [
    `${POD_LABELS.managedBy}=${MANAGED_BY_VALUE}`,
    `${POD_LABELS.gatewayId}=${labelValue(gatewayId)}`,
    ...(kernelId === undefined ? [] : [`${POD_LABELS.kernelId}=${labelValue(kernelId)}`]),
  ].join(',');
}

/** Berth's own labels for the plan; they win over the exec config's. */
function berthLabels(plan: PodPlan): Record<string, string> {
  return {
    [POD_LABELS.managedBy]: MANAGED_BY_VALUE,
    [POD_LABELS.gatewayId]: labelValue(plan.gatewayId),
    [POD_LABELS.kernelId]: labelValue(plan.kernelId),
    [POD_LABELS.execConfig]: labelValue(plan.execConfig.id),
    [POD_LABELS.owner]: labelValue(plan.owner),
    ...(plan.codeEnvId === undefined ? {} : { [POD_LABELS.codeEnv]: labelValue(plan.codeEnvId) }),
  };
}

/** The exec config's labels, then Berth's; an invalid key or value is an error naming the exec config, not a 422 later. */
function podLabels(plan: PodPlan): Record<string, string> {
  const extra = plan.execConfig.kubernetes.labels;
  for (const [key, value] of Object.entries(extra)) {
    if (!isLabelKey(key)) throw new Error(`exec config "${plan.execConfig.id}": kubernetes.labels has an invalid label key "${key}"`);
    if (!isLabelValue(value)) {
      throw new Error(`exec config "${plan.execConfig.id}": kubernetes.labels["${key}"] = "${value}" is not a valid label value`);
    }
  }
  return { ...extra, ...berthLabels(plan) };
}

function podAnnotations(plan: PodPlan): Record<string, string> {
  const extra = plan.execConfig.kubernetes.annotations;
  for (const key of Object.keys(extra)) {
    if (!isLabelKey(key)) throw new Error(`exec config "${plan.execConfig.id}": kubernetes.annotations has an invalid key "${key}"`);
  }
  return { ...extra, [POD_ANNOTATIONS.owner]: plan.owner, [POD_ANNOTATIONS.kernelId]: plan.kernelId };
}

/** A CPU count as a Kubernetes quantity: "2", or millicores for fractions ("1500m"). */
export function cpuQuantity(cpus: number): string {
  return Number.isInteger(cpus) ? String(cpus) : `${Math.max(1, Math.round(cpus * 1000))}m`;
}

/** Bytes as a Kubernetes quantity, in the largest binary unit that divides them ("4Gi", "1536Mi", "1000"). */
export function memoryQuantity(bytes: number): string {
  for (const [suffix, size] of [
    ['Ti', 1024 ** 4],
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}

/**
 * Requests and limits. Limits: resources.cpus/memory/gpus (GPUs as `nvidia.com/gpu`), each
 * overridden by the same resource in kubernetes.limits, which also adds extended resources.
 * Requests: the limits (as Kubernetes itself defaults them), each overridden by kubernetes.requests.
 */
export function podResources(config: KubernetesExecConfig): V1ResourceRequirements {
  const { resources, kubernetes } = config;
  const limits: Record<string, string> = {
    ...(resources.cpus === undefined ? {} : { cpu: cpuQuantity(resources.cpus) }),
    ...(resources.memory === undefined ? {} : { memory: memoryQuantity(resources.memory) }),
    ...(resources.gpus > 0 ? { [RESOURCE_NVIDIA_GPU]: String(resources.gpus) } : {}),
    ...kubernetes.limits,
  };
  const requests: Record<string, string> = { ...limits, ...kubernetes.requests };
  return {
    ...(Object.keys(limits).length === 0 ? {} : { limits }),
    ...(Object.keys(requests).length === 0 ? {} : { requests }),
  };
}

/** The variable through which the kernel learns its pod's address (the downward API's status.podIP). */
export const KERNEL_IP_ENV = 'BERTH_KERNEL_IP';

/**
 * The kernel's environment: the plan's, then what the entrypoint reads; never the connection
 * itself. The entrypoint binds the kernel to the pod's address (BERTH_KERNEL_IP), not to every
 * interface, which matters where pods share the node's network.
 */
function kernelEnv(plan: PodPlan): V1EnvVar[] {
  const env: Record<string, string> = { ...plan.env };
  // The entrypoint would take a connection from the environment: only the mounted file is used.
  delete env.BERTH_CONNECTION_INFO;
  delete env[KERNEL_IP_ENV];
  env.BERTH_KERNEL_LANGUAGE = entrypointLanguage(plan.language);
  env.BERTH_CONNECTION_FILE = CONNECTION_FILE;
  // A pod cannot be signalled: interrupts come as interrupt_request (for R through the image's bridge).
  env.BERTH_KERNEL_INTERRUPT = 'message';
  return [
    ...Object.keys(env)
      .sort()
      .map((name) => ({ name, value: env[name] })),
    { name: KERNEL_IP_ENV, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
  ];
}

function toleration(input: KubernetesExecConfig['kubernetes']['tolerations'][number]): V1Toleration {
  return {
    ...(input.key === undefined ? {} : { key: input.key }),
    operator: input.operator,
    ...(input.value === undefined ? {} : { value: input.value }),
    ...(input.effect === undefined ? {} : { effect: input.effect }),
    ...(input.tolerationSeconds === undefined ? {} : { tolerationSeconds: input.tolerationSeconds }),
  };
}

function checkPlan(plan: PodPlan): void {
  if (!isDnsLabel(plan.name)) throw new Error(`kernel pod name "${plan.name}" is not a DNS label (a-z, 0-9, "-", at most 63)`);
  if (plan.secretName.length > 253 || !DNS_SUBDOMAIN.test(plan.secretName)) {
    throw new Error(`connection secret name "${plan.secretName}" is not a DNS subdomain`);
  }
  for (const port of PORT_NAMES) {
    const value = plan.ports[port];
    if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`kernel ${port} ${value} is not a TCP port`);
  }
}

/** The kernel's pod for the plan (the body of POST /api/v1/namespaces/{namespace}/pods). */
export function kernelPod(plan: PodPlan): V1Pod {
  checkPlan(plan);
  const { kubernetes } = plan.execConfig;
  const security = kubernetes.securityContext;
  const runAsUser = security.runAsUser ?? DEFAULT_UID;
  const runAsGroup = security.runAsGroup ?? DEFAULT_GID;
  const readOnlyRoot = security.readOnlyRootFilesystem;

  const volumes: V1Volume[] = [
    {
      name: 'connection',
      // 0400, group-owned by fsGroup (kubelet adds group read to Secret files): readable by the kernel only.
      secret: { secretName: plan.secretName, items: [{ key: CONNECTION_KEY, path: CONNECTION_KEY }], defaultMode: 0o400, optional: false },
    },
    ...(readOnlyRoot ? [{ name: 'tmp', emptyDir: {} }] : []),
  ];
  const volumeMounts: V1VolumeMount[] = [
    // /tmp first: the connection dir sits inside it, and the entrypoint copies the file to a private one there.
    ...(readOnlyRoot ? [{ name: 'tmp', mountPath: '/tmp' }] : []),
    { name: 'connection', mountPath: CONNECTION_DIR, readOnly: true },
  ];

  const container: V1Container = {
    name: KERNEL_CONTAINER,
    image: plan.image,
    imagePullPolicy: kubernetes.pullPolicy,
    env: kernelEnv(plan),
    ports: PORT_NAMES.map((port) => ({ name: PORT_LABELS[port], containerPort: plan.ports[port], protocol: 'TCP' })),
    resources: podResources(plan.execConfig),
    volumeMounts,
    securityContext: {
      allowPrivilegeEscalation: security.allowPrivilegeEscalation,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: readOnlyRoot,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // A crash during start shows its log tail in the pod status, which the provisioner reports.
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };

  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: plan.name,
      namespace: kubernetes.namespace,
      labels: podLabels(plan),
      annotations: podAnnotations(plan),
    },
    spec: {
      // The gateway restarts kernels itself (a new pod each time), so a dead kernel stays dead.
      restartPolicy: 'Never',
      ...(kubernetes.serviceAccount === undefined ? {} : { serviceAccountName: kubernetes.serviceAccount }),
      // Kernels run users' code: no API credentials, no service variables of the namespace.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(Object.keys(kubernetes.nodeSelector).length === 0 ? {} : { nodeSelector: { ...kubernetes.nodeSelector } }),
      ...(kubernetes.tolerations.length === 0 ? {} : { tolerations: kubernetes.tolerations.map(toleration) }),
      ...(kubernetes.imagePullSecrets.length === 0 ? {} : { imagePullSecrets: kubernetes.imagePullSecrets.map((name) => ({ name })) }),
      securityContext: {
        runAsNonRoot: security.runAsNonRoot,
        runAsUser,
        runAsGroup,
        // Secret files belong to root: fsGroup makes the connection file readable by the kernel's group.
        fsGroup: security.fsGroup ?? runAsGroup,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [container],
      volumes,
    },
  };
}

/**
 * The Secret holding the kernel's connection file (with its HMAC key), labelled like the pod.
 * Created before the pod, so that the kubelet finds it at its first mount (a missing Secret is
 * tried again only 500 ms later); secretOwner then makes the pod its owner, and Kubernetes deletes
 * it with the pod. Immutable: its data never changes, and kubelets need not watch it.
 */
export function connectionSecret(plan: PodPlan, connectionJson: string): V1Secret {
  checkPlan(plan);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: plan.secretName,
      namespace: plan.execConfig.kubernetes.namespace,
      labels: podLabels(plan),
    },
    type: 'Opaque',
    immutable: true,
    data: { [CONNECTION_KEY]: Buffer.from(connectionJson, 'utf8').toString('base64') },
  };
}

/** The merge patch that makes the plan's pod the owner of its connection Secret (metadata may change on an immutable Secret). */
export function secretOwner(plan: PodPlan, pod: PodRef): V1Secret {
  if (pod.name !== plan.name) throw new Error(`connection secret of pod "${plan.name}" cannot be owned by pod "${pod.name}"`);
  if (pod.uid === '') throw new Error(`pod "${pod.name}" has no uid yet: create it before it owns its connection secret`);
  // Not blockOwnerDeletion: that needs rights on pods/finalizers the gateway has no use for.
  return { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid }] } };
}
