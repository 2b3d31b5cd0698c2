// From a pod's container to a Docker container, as the kubelet + runtime would run it: the
// environment (service variables, envFrom, env with value / secretKeyRef / fieldRef and $(VAR)
// expansion), command/args over the image's entrypoint/cmd, workingDir, user and group, the
// security context, cpu/memory limits and shares, volume binds, host networking and labels.
import type Dockerode from 'dockerode';
import { parseQuantity, quantityNumber } from './quantity';
import type { Store } from './store';
import type { Container, Pod, Secret } from './types';
import type { VolumeDirs } from './secret-volumes';

/** A container the kubelet cannot configure: CreateContainerConfigError with this message. */
export class ConfigError extends Error {}

export const LABEL_POD = 'kube-emulator.test/pod';
export const LABEL_INSTANCE = 'kube-emulator.test/instance';
export const LABEL_OWNER_PID = 'kube-emulator.test/owner-pid';

/** Expands $(VAR) from `vars`; $$ escapes, unknown references stay as written (expansion.MappingFuncFor). */
export function expand(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([^)]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && vars.has(name) ? vars.get(name)! : whole;
  });
}

function fieldValue(pod: Pod, path: string): string {
  const indexed = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (indexed !== null) return pod.metadata[indexed[1] as 'labels' | 'annotations']?.[indexed[2]] ?? '';
  const values: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': pod.spec.nodeName,
    'spec.serviceAccountName': pod.spec.serviceAccountName,
    'status.hostIP': pod.status.hostIP,
    'status.hostIPs': pod.status.hostIPs?.map((i) => i.ip).join(','),
    'status.podIP': pod.status.podIP,
    'status.podIPs': pod.status.podIPs?.map((i) => i.ip).join(','),
  };
  if (path === 'metadata.labels' || path === 'metadata.annotations') {
    const map = pod.metadata[path === 'metadata.labels' ? 'labels' : 'annotations'] ?? {};
    return Object.entries(map)
      .sort()
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n');
  }
  return values[path] ?? '';
}

/** The container's environment, in the kubelet's order: service variables, envFrom, then env. */
export function resolveEnv(store: Store, pod: Pod, c: Container, serviceEnv: Record<string, string>): Map<string, string> {
  const ns = pod.metadata.namespace;
  const vars = new Map(Object.entries(serviceEnv));
  const secret = (name: string): Secret | undefined => store.get('secrets', ns, name) as Secret | undefined;
  for (const src of c.envFrom ?? []) {
    if (src.secretRef === undefined) continue;
    const s = secret(src.secretRef.name ?? '');
    if (s === undefined) {
      if (src.secretRef.optional) continue;
      throw new ConfigError(`secret "${src.secretRef.name}" not found`);
    }
    for (const [key, value] of Object.entries(s.data ?? {}))
      vars.set(`${src.prefix ?? ''}${key}`, Buffer.from(value, 'base64').toString('utf8'));
  }
  for (const env of c.env ?? []) {
    const ref = env.valueFrom?.secretKeyRef;
    const field = env.valueFrom?.fieldRef;
    if (ref !== undefined) {
      const s = secret(ref.name ?? '');
      const value = s?.data?.[ref.key];
      if (s === undefined && !ref.optional) throw new ConfigError(`secret "${ref.name}" not found`);
      if (s !== undefined && value === undefined && !ref.optional)
        throw new ConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
      if (value !== undefined) vars.set(env.name, Buffer.from(value, 'base64').toString('utf8'));
    } else if (field !== undefined) vars.set(env.name, fieldValue(pod, field.fieldPath));
    else vars.set(env.name, expand(env.value ?? '', vars));
  }
  return vars;
}

function isRootUser(user: string): boolean {
  const name = user.split(':')[0];
  return name === '' || name === '0' || name === 'root';
}

/** The kubelet's runAsNonRoot check (verifyRunAsNonRoot). */
export function checkRunAsNonRoot(pod: Pod, c: Container, imageUser: string): void {
  const nonRoot = c.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
  if (!nonRoot) return;
  const uid = c.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
  const who = `(pod: "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})", container: ${c.name})`;
  if (uid !== undefined) {
    if (uid === 0) throw new ConfigError(`container's runAsUser breaks non-root policy ${who}`);
    return;
  }
  const name = imageUser.split(':')[0];
  if (isRootUser(imageUser)) throw new ConfigError(`container has runAsNonRoot and image will run as root ${who}`);
  if (!/^\d+$/.test(name))
    throw new ConfigError(`container has runAsNonRoot and image has non-numeric user (${name}), cannot verify user is non-root ${who}`);
}

export interface DockerContainerInput {
  pod: Pod;
  container: Container;
  env: Map<string, string>;
  volumes: VolumeDirs;
  imageUser: string;
  name: string;
  labels: Record<string, string>;
}

export function dockerCreateOptions(input: DockerContainerInput): Dockerode.ContainerCreateOptions {
  const { pod, container: c, env } = input;
  const sc = c.securityContext ?? {};
  const podSc = pod.spec.securityContext ?? {};
  const uid = sc.runAsUser ?? podSc.runAsUser;
  const gid = sc.runAsGroup ?? podSc.runAsGroup;
  let user: string | undefined;
  if (uid !== undefined) user = gid !== undefined ? `${uid}:${gid}` : String(uid);
  else if (gid !== undefined) user = `${input.imageUser.split(':')[0] || '0'}:${gid}`;
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const memory = limits.memory !== undefined ? quantityNumber(parseQuantity(limits.memory)!) : undefined;
  const cpuLimit = limits.cpu !== undefined ? quantityNumber(parseQuantity(limits.cpu)!) : undefined;
  const cpuRequest = requests.cpu !== undefined ? quantityNumber(parseQuantity(requests.cpu)!) : 0;
  const binds = (c.volumeMounts ?? []).map((m) => {
    const volume = pod.spec.volumes?.find((v) => v.name === m.name);
    const host = input.volumes.get(m.name) ?? '';
    const source = m.subPath ? `${host}/${m.subPath}` : host;
    const readOnly = volume?.secret !== undefined || m.readOnly === true;
    return `${source}:${m.mountPath}${readOnly ? ':ro' : ''}`;
  });
  const hostConfig: Dockerode.HostConfig = {
    NetworkMode: 'host',
    Binds: binds,
    CpuShares: Math.max(2, Math.floor(cpuRequest * 1024)),
    ReadonlyRootfs: sc.readOnlyRootFilesystem === true,
    Privileged: sc.privileged === true,
    CapAdd: sc.capabilities?.add,
    CapDrop: sc.capabilities?.drop,
    SecurityOpt: [
      ...(sc.allowPrivilegeEscalation === false ? ['no-new-privileges'] : []),
      ...((sc.seccompProfile ?? podSc.seccompProfile)?.type === 'Unconfined' ? ['seccomp=unconfined'] : []),
    ],
    GroupAdd: [...(podSc.fsGroup === undefined ? [] : [podSc.fsGroup]), ...(podSc.supplementalGroups ?? [])].map(String),
  };
  if (memory !== undefined) {
    hostConfig.Memory = Math.ceil(memory);
    hostConfig.MemorySwap = Math.ceil(memory);
  }
  if (cpuLimit !== undefined) hostConfig.NanoCpus = Math.round(cpuLimit * 1e9);
  const options: Dockerode.ContainerCreateOptions = {
    name: input.name,
    Image: c.image,
    Env: [...env].map(([k, v]) => `${k}=${v}`),
    Labels: input.labels,
    Tty: c.tty === true,
    OpenStdin: c.stdin === true,
    HostConfig: hostConfig,
  };
  if (c.command !== undefined && c.command.length > 0) options.Entrypoint = c.command.map((a) => expand(a, env));
  if (c.args !== undefined && c.args.length > 0) options.Cmd = c.args.map((a) => expand(a, env));
  if (c.workingDir) options.WorkingDir = c.workingDir;
  if (user !== undefined) options.User = user;
  return options;
}
