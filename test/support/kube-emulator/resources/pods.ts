// Pods through the API: decoding (a bad quantity is a 400, as in the real decoder), defaulting (the
// values a real API server adds: restartPolicy, imagePullPolicy, requests from limits, default
// tolerations, qosClass, ...), validation with the real field errors (422), quota admission, and
// graceful deletion (deletionTimestamp + grace period; immediate for unscheduled or finished pods
// and for gracePeriodSeconds=0). What the emulator cannot run is refused with a Forbidden field
// error saying so, never ignored.
import { errors, FieldError } from '../status';
import type { DeleteOptions, ResourceHandler } from '../rest';
import type { Store } from '../store';
import { isRecord, rfc3339 } from '../meta';
import { parseQuantity, quantityProblem, type Quantity } from '../quantity';
import { check, dns1123Label, dns1123Subdomain, envVarName, labelValue, qualifiedName, validateObjectMeta } from '../validation';
import type { Container, KubeObject, Pod, PodSpec, Volume } from '../types';

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const FIELD_REFS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const UNSUPPORTED_CONTAINER_FIELDS = ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resizePolicy', 'restartPolicy'];
const UNSUPPORTED_POD_FIELDS = ['initContainers', 'ephemeralContainers', 'affinity', 'overhead', 'resourceClaims', 'os', 'hostUsers'];
const MAX_MODE = 0o777;

export const POD_FIELDS: Record<string, (o: KubeObject) => string> = {
  'spec.nodeName': (o) => (o as Pod).spec?.nodeName ?? '',
  'spec.restartPolicy': (o) => (o as Pod).spec?.restartPolicy ?? '',
  'spec.schedulerName': (o) => (o as Pod).spec?.schedulerName ?? '',
  'spec.serviceAccountName': (o) => (o as Pod).spec?.serviceAccountName ?? '',
  'spec.hostNetwork': (o) => String((o as Pod).spec?.hostNetwork ?? false),
  'status.phase': (o) => (o as Pod).status?.phase ?? '',
  'status.podIP': (o) => (o as Pod).status?.podIP ?? '',
  'status.nominatedNodeName': () => '',
};

/** The parsed requests and limits of a container (after decoding succeeded). */
export function containerResources(c: Container): { requests: Map<string, Quantity>; limits: Map<string, Quantity> } {
  const parse = (list: Record<string, string | number> | undefined): Map<string, Quantity> =>
    new Map(Object.entries(list ?? {}).map(([k, v]) => [k, parseQuantity(v)!]));
  return { requests: parse(c.resources?.requests), limits: parse(c.resources?.limits) };
}

function imageHasOnlyLatestTag(image: string): boolean {
  if (image.includes('@')) return false;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon === -1 || last.slice(colon + 1) === 'latest';
}

/** Refuses what the decoder would: non-object spec, non-array containers, unparseable quantities. */
function decode(pod: Pod): void {
  if (pod.spec !== undefined && !isRecord(pod.spec))
    throw errors.undecodable('Pod', 'json: cannot unmarshal into Go struct field Pod.spec of type v1.PodSpec');
  const spec = (pod.spec ?? {}) as PodSpec;
  for (const field of ['containers', 'volumes', 'initContainers'] as const) {
    if (spec[field] !== undefined && spec[field] !== null && !Array.isArray(spec[field])) {
      throw errors.undecodable('Pod', `json: cannot unmarshal object into Go struct field PodSpec.spec.${field} of type []v1.Container`);
    }
  }
  for (const c of spec.containers ?? []) {
    if (!isRecord(c))
      throw errors.undecodable(
        'Pod',
        `json: cannot unmarshal ${typeof c} into Go struct field PodSpec.spec.containers of type v1.Container`,
      );
    for (const list of [c.resources?.limits, c.resources?.requests]) {
      for (const value of Object.values(list ?? {})) {
        const problem = quantityProblem(value);
        if (problem !== undefined) throw errors.undecodable('Pod', problem);
      }
    }
  }
}

function applyDefaults(pod: Pod): void {
  const spec = (pod.spec = (pod.spec ?? {}) as PodSpec);
  spec.containers = spec.containers ?? [];
  spec.restartPolicy = spec.restartPolicy ?? 'Always';
  spec.dnsPolicy = spec.dnsPolicy ?? 'ClusterFirst';
  spec.schedulerName = spec.schedulerName ?? 'default-scheduler';
  spec.terminationGracePeriodSeconds = spec.terminationGracePeriodSeconds ?? 30;
  spec.securityContext = spec.securityContext ?? {};
  spec.enableServiceLinks = spec.enableServiceLinks ?? true;
  spec.preemptionPolicy = spec.preemptionPolicy ?? 'PreemptLowerPriority';
  spec.priority = spec.priority ?? 0;
  spec.serviceAccountName = spec.serviceAccountName ?? (spec.serviceAccount as string | undefined) ?? 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const tolerations = (spec.tolerations ?? []) as { key?: string; effect?: string }[];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => t.key === key && (t.effect === 'NoExecute' || t.effect === undefined))) {
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 } as { key: string });
    }
  }
  spec.tolerations = tolerations;
  for (const c of spec.containers) {
    if (!isRecord(c)) continue;
    if (c.imagePullPolicy === undefined && typeof c.image === 'string')
      c.imagePullPolicy = imageHasOnlyLatestTag(c.image) ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath = c.terminationMessagePath ?? '/dev/termination-log';
    c.terminationMessagePolicy = c.terminationMessagePolicy ?? 'File';
    c.resources = c.resources ?? {};
    if (c.resources.limits !== undefined) {
      const requests = { ...c.resources.requests };
      for (const [name, value] of Object.entries(c.resources.limits)) if (requests[name] === undefined) requests[name] = value;
      c.resources.requests = requests;
    }
  }
  for (const v of spec.volumes ?? []) {
    if (isRecord(v) && isRecord(v.secret) && v.secret.defaultMode === undefined) v.secret.defaultMode = 0o644;
  }
  pod.status = { phase: 'Pending', qosClass: qosClass(spec.containers) };
}

function qosClass(containers: Container[]): string {
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (requests[r] !== undefined || limits[r] !== undefined) any = true;
      const limit = limits[r] === undefined ? undefined : parseQuantity(limits[r]);
      const request = requests[r] === undefined ? undefined : parseQuantity(requests[r]);
      if (limit === undefined || request === undefined || limit.nanos !== request.nanos) guaranteed = false;
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}

function validateResources(c: Container, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const { requests, limits } = containerResources(c);
  for (const [kind, list] of [
    ['limits', limits],
    ['requests', requests],
  ] as const) {
    for (const [name, q] of list) {
      const f = `${field}.resources.${kind}[${name}]`;
      const raw = String((kind === 'limits' ? c.resources?.limits : c.resources?.requests)?.[name]);
      if (!STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-')) {
        if (!name.includes('/') || qualifiedName(name).length > 0)
          errs.push(FieldError.invalid(f, name, 'must be a standard resource type or fully qualified'));
        else if (q.nanos % 1_000_000_000n !== 0n) errs.push(FieldError.invalid(f, raw, 'must be an integer'));
      }
      if (q.nanos < 0n) errs.push(FieldError.invalid(f, raw, 'must be greater than or equal to 0'));
    }
  }
  for (const [name, request] of requests) {
    const limit = limits.get(name);
    const raw = String(c.resources?.requests?.[name]);
    if (name.includes('/')) {
      if (limit === undefined)
        errs.push(FieldError.required(`${field}.resources.limits`, 'Limit must be set for non overcommitable resources'));
      else if (limit.nanos !== request.nanos) {
        errs.push(
          FieldError.invalid(
            `${field}.resources.requests[${name}]`,
            raw,
            `must be equal to ${name} limit of ${c.resources?.limits?.[name]}`,
          ),
        );
      }
    } else if (limit !== undefined && request.nanos > limit.nanos) {
      errs.push(
        FieldError.invalid(
          `${field}.resources.requests`,
          raw,
          `must be less than or equal to ${name} limit of ${c.resources?.limits?.[name]}`,
        ),
      );
    }
  }
  return errs;
}

function validateContainer(c: Container, field: string, volumes: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(FieldError.required(`${field}.name`));
  else errs.push(...check(`${field}.name`, c.name, dns1123Label));
  if (!c.image || String(c.image).trim() === '') errs.push(FieldError.required(`${field}.image`));
  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(c.imagePullPolicy)) {
    errs.push(FieldError.notSupported(`${field}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  }
  for (const f of UNSUPPORTED_CONTAINER_FIELDS) if (c[f] !== undefined) errs.push(FieldError.unsupportedByEmulator(`${field}.${f}`));
  (c.env ?? []).forEach((env, j) => {
    const ef = `${field}.env[${j}]`;
    if (!env.name) errs.push(FieldError.required(`${ef}.name`));
    else errs.push(...check(`${ef}.name`, env.name, envVarName));
    const from = env.valueFrom;
    if (from === undefined) return;
    if (env.value !== undefined && env.value !== '') {
      errs.push(FieldError.invalid(`${ef}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    }
    if (from.configMapKeyRef !== undefined) errs.push(FieldError.unsupportedByEmulator(`${ef}.valueFrom.configMapKeyRef`));
    if (from.resourceFieldRef !== undefined) errs.push(FieldError.unsupportedByEmulator(`${ef}.valueFrom.resourceFieldRef`));
    if (from.secretKeyRef !== undefined) {
      if (!from.secretKeyRef.name) errs.push(FieldError.required(`${ef}.valueFrom.secretKeyRef.name`));
      if (!from.secretKeyRef.key) errs.push(FieldError.required(`${ef}.valueFrom.secretKeyRef.key`));
    }
    if (from.fieldRef !== undefined) {
      const path = from.fieldRef.fieldPath ?? '';
      const base = path.replace(/\[.*\]$/, '');
      if (!FIELD_REFS.includes(base)) errs.push(FieldError.notSupported(`${ef}.valueFrom.fieldRef.fieldPath`, path, FIELD_REFS));
    }
    const sources = ['secretKeyRef', 'fieldRef', 'configMapKeyRef', 'resourceFieldRef'].filter(
      (s) => from[s as keyof typeof from] !== undefined,
    );
    if (sources.length !== 1)
      errs.push(
        FieldError.invalid(
          `${ef}.valueFrom`,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
  });
  (c.envFrom ?? []).forEach((src, j) => {
    if (src.configMapRef !== undefined) errs.push(FieldError.unsupportedByEmulator(`${field}.envFrom[${j}].configMapRef`));
    if (src.secretRef !== undefined && !src.secretRef.name) errs.push(FieldError.required(`${field}.envFrom[${j}].secretRef.name`));
  });
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, j) => {
    const mf = `${field}.volumeMounts[${j}]`;
    if (!m.name) errs.push(FieldError.required(`${mf}.name`));
    else if (!volumes.has(m.name)) errs.push(FieldError.notFound(`${mf}.name`, m.name));
    if (!m.mountPath) errs.push(FieldError.required(`${mf}.mountPath`));
    else if (mountPaths.has(m.mountPath)) errs.push(FieldError.invalid(`${mf}.mountPath`, m.mountPath, 'must be unique'));
    else mountPaths.add(m.mountPath);
    if (m.subPath !== undefined && (m.subPath.startsWith('/') || m.subPath.split('/').includes('..'))) {
      errs.push(FieldError.invalid(`${mf}.subPath`, m.subPath, "must be a relative path without '..'"));
    }
  });
  errs.push(...validateResources(c, field));
  const sc = c.securityContext;
  errs.push(...validateSeccomp(sc?.seccompProfile, `${field}.securityContext.seccompProfile`));
  for (const id of ['runAsUser', 'runAsGroup'] as const) {
    const v = sc?.[id];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 2147483647)) {
      errs.push(FieldError.invalid(`${field}.securityContext.${id}`, v, 'must be between 0 and 2147483647, inclusive'));
    }
  }
  return errs;
}

const SECCOMP_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];

/** RuntimeDefault is Docker's default profile and Unconfined turns it off; Localhost profiles are not emulated. */
function validateSeccomp(profile: { type: string } | undefined, field: string): FieldError[] {
  if (profile === undefined) return [];
  if (!SECCOMP_TYPES.includes(profile.type)) return [FieldError.notSupported(`${field}.type`, profile.type, SECCOMP_TYPES)];
  return profile.type === 'Localhost' ? [FieldError.unsupportedByEmulator(`${field}.type`)] : [];
}

function validateMode(field: string, mode: number | undefined): FieldError[] {
  if (mode === undefined || (Number.isInteger(mode) && mode >= 0 && mode <= MAX_MODE)) return [];
  return [FieldError.invalid(field, mode, 'must be a number between 0 and 0777 (octal), both inclusive')];
}

function validateVolume(v: Volume, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!v.name) errs.push(FieldError.required(`${field}.name`));
  else errs.push(...check(`${field}.name`, v.name, dns1123Label));
  const sources = Object.keys(v).filter((k) => k !== 'name');
  for (const s of sources) if (s !== 'secret' && s !== 'emptyDir') errs.push(FieldError.unsupportedByEmulator(`${field}.${s}`));
  if (sources.length === 0) errs.push(FieldError.required(field, 'must specify a volume type'));
  else if (sources.length > 1) errs.push(FieldError.forbidden(`${field}.${sources[1]}`, 'may not specify more than 1 volume type'));
  if (v.secret !== undefined) {
    const sf = `${field}.secret`;
    if (!v.secret.secretName) errs.push(FieldError.required(`${sf}.secretName`));
    else errs.push(...check(`${sf}.secretName`, v.secret.secretName, dns1123Subdomain));
    errs.push(...validateMode(`${sf}.defaultMode`, v.secret.defaultMode));
    (v.secret.items ?? []).forEach((item, k) => {
      const itf = `${sf}.items[${k}]`;
      if (!item.key) errs.push(FieldError.required(`${itf}.key`));
      if (!item.path) errs.push(FieldError.required(`${itf}.path`));
      else if (item.path.startsWith('/')) errs.push(FieldError.invalid(`${itf}.path`, item.path, 'must be a relative path'));
      else if (item.path.split('/').includes('..')) errs.push(FieldError.invalid(`${itf}.path`, item.path, "must not contain '..'"));
      errs.push(...validateMode(`${itf}.mode`, item.mode));
    });
  }
  return errs;
}

function validate(pod: Pod): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, dns1123Subdomain);
  const spec = pod.spec;
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    if (v.name && volumes.has(v.name)) errs.push(FieldError.duplicate(`spec.volumes[${i}].name`, v.name));
    volumes.add(v.name);
    errs.push(...validateVolume(v, `spec.volumes[${i}]`));
  });
  if (spec.containers.length === 0) errs.push(FieldError.required('spec.containers'));
  const names = new Set<string>();
  spec.containers.forEach((c, i) => {
    if (c.name && names.has(c.name)) errs.push(FieldError.duplicate(`spec.containers[${i}].name`, c.name));
    names.add(c.name);
    errs.push(...validateContainer(c, `spec.containers[${i}]`, volumes));
  });
  for (const f of UNSUPPORTED_POD_FIELDS) {
    const v = spec[f];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) errs.push(FieldError.unsupportedByEmulator(`spec.${f}`));
  }
  if (!RESTART_POLICIES.includes(spec.restartPolicy ?? ''))
    errs.push(FieldError.notSupported('spec.restartPolicy', spec.restartPolicy, RESTART_POLICIES));
  if (!DNS_POLICIES.includes(String(spec.dnsPolicy))) errs.push(FieldError.notSupported('spec.dnsPolicy', spec.dnsPolicy, DNS_POLICIES));
  const grace = spec.terminationGracePeriodSeconds ?? 0;
  if (grace < 0) errs.push(FieldError.invalid('spec.terminationGracePeriodSeconds', grace, 'must be greater than or equal to 0'));
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) {
    errs.push(...check('spec.nodeSelector', key, qualifiedName), ...check('spec.nodeSelector', value, labelValue));
  }
  if (spec.serviceAccountName) errs.push(...check('spec.serviceAccountName', spec.serviceAccountName, dns1123Subdomain));
  for (const id of ['runAsUser', 'runAsGroup'] as const) {
    const v = spec.securityContext?.[id];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 2147483647)) {
      errs.push(FieldError.invalid(`spec.securityContext.${id}`, v, 'must be between 0 and 2147483647, inclusive'));
    }
  }
  errs.push(...validateSeccomp(spec.securityContext?.seccompProfile, 'spec.securityContext.seccompProfile'));
  const fsGroup = spec.securityContext?.fsGroup;
  if (fsGroup !== undefined && (!Number.isInteger(fsGroup) || fsGroup < 0 || fsGroup > 2147483647)) {
    errs.push(FieldError.invalid('spec.securityContext.fsGroup', fsGroup, 'must be between 0 and 2147483647, inclusive'));
  }
  return errs;
}

export function podsHandler(store: Store, admit: (pod: Pod) => void): ResourceHandler {
  return {
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    verbs: new Set(['create', 'get', 'list', 'watch', 'delete']),
    fields: POD_FIELDS,
    prepare(object: KubeObject): KubeObject {
      const pod = object as Pod;
      decode(pod);
      applyDefaults(pod);
      const errs = validate(pod);
      if (errs.length > 0) throw errors.invalid('Pod', pod.metadata.name ?? '', errs);
      return pod;
    },
    admit: (object) => admit(object as Pod),
    delete(object: KubeObject, options: DeleteOptions): KubeObject {
      const pod = object as Pod;
      const { namespace, name = '' } = pod.metadata;
      let grace = options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
      if (grace < 0) grace = 1;
      const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      if (grace === 0 || !pod.spec.nodeName || finished) return store.remove('pods', namespace, name) ?? pod;
      const current = pod.metadata.deletionGracePeriodSeconds;
      if (current !== undefined && current <= grace) return pod;
      return (
        store.mutate<Pod>('pods', namespace, name, (p) => {
          p.metadata.deletionTimestamp = rfc3339(new Date(Date.now() + grace * 1000));
          p.metadata.deletionGracePeriodSeconds = grace;
        }) ?? pod
      );
    },
  };
}
