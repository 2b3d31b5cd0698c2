// The JSON shapes the emulator stores and serves: the fields of the real core/v1 objects that it
// reads or writes, as plain JSON (timestamps are RFC 3339 strings, as on the wire).

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type QuantityValue = string | number;
export type ResourceList = Record<string, QuantityValue>;

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name?: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string; apiVersion?: string };
    configMapKeyRef?: unknown;
    resourceFieldRef?: unknown;
  };
}

export interface EnvFromSource {
  prefix?: string;
  secretRef?: { name?: string; optional?: boolean };
  configMapRef?: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string; localhostProfile?: string };
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  resources?: { limits?: ResourceList; requests?: ResourceList };
  volumeMounts?: VolumeMount[];
  imagePullPolicy?: string;
  securityContext?: SecurityContext;
  ports?: unknown[];
  stdin?: boolean;
  tty?: boolean;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  [field: string]: unknown;
}

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface Volume {
  name: string;
  secret?: { secretName?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  emptyDir?: { medium?: string; sizeLimit?: QuantityValue };
  [source: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  restartPolicy?: string;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  schedulerName?: string;
  securityContext?: SecurityContext & { supplementalGroups?: number[]; fsGroup?: number };
  imagePullSecrets?: { name?: string }[];
  terminationGracePeriodSeconds?: number;
  serviceAccountName?: string;
  tolerations?: unknown[];
  hostNetwork?: boolean;
  [field: string]: unknown;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime: string | null;
  lastTransitionTime: string;
}

export interface ContainerStateTerminated {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt: string | null;
  finishedAt: string;
  containerID?: string;
}

export interface ContainerState {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
}

export interface PodStatus {
  phase?: string;
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatus[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  qosClass?: string;
  message?: string;
  reason?: string;
}

export interface Pod extends KubeObject {
  spec: PodSpec;
  status: PodStatus;
}

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

export interface ResourceQuota extends KubeObject {
  spec: { hard?: ResourceList; scopes?: string[]; scopeSelector?: unknown };
  status: { hard?: Record<string, string>; used?: Record<string, string> };
}

export interface KubeEvent extends KubeObject {
  involvedObject: {
    apiVersion: string;
    kind: string;
    name: string;
    namespace: string;
    uid: string;
    resourceVersion?: string;
    fieldPath?: string;
  };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  count?: number;
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  eventTime: string | null;
  source: { component?: string; host?: string };
  reportingComponent: string;
  reportingInstance: string;
  action?: string;
}

/** The knobs of the kubelet and the API server, in milliseconds (defaults are the real ones). */
export interface Timings {
  /** First CrashLoopBackOff delay (kubelet: 10 s), doubled per restart up to restartBackoffMaxMs (5 min). */
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  /** First ImagePullBackOff delay (10 s), doubled per failed pull up to imagePullBackoffMaxMs (5 min). */
  imagePullBackoffMs: number;
  imagePullBackoffMaxMs: number;
  /** Delay of the kubelet's next pod sync: ErrImagePull → ImagePullBackOff, config/create error retries. */
  podSyncMs: number;
  /** First retry of a failed volume mount (500 ms), doubled up to 2 min. */
  mountRetryMs: number;
  /** Interval of watch BOOKMARK events (the API server sends one about every minute). */
  bookmarkIntervalMs: number;
}

export const REAL_TIMINGS: Timings = {
  restartBackoffMs: 10_000,
  restartBackoffMaxMs: 300_000,
  imagePullBackoffMs: 10_000,
  imagePullBackoffMaxMs: 300_000,
  podSyncMs: 1_000,
  mountRetryMs: 500,
  bookmarkIntervalMs: 60_000,
};
