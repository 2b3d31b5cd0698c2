import type Dockerode from 'dockerode';
import { LABELS, MANAGED_BY_VALUE } from '../../common/labels';
import type { DockerExecConfig } from '../../execution/execution-config';
import type { KernelContainerPlan } from '../container-plan';

/**
 * The container of one kernel, as a pure function of its launch plan: image, user, limits,
 * network, labels and the environment the kernel entrypoint reads. Kept free of I/O so every
 * limit and default is checked by unit tests against what `docker run` would do.
 */

export const CONTAINER_LABELS = {
  ...LABELS,
  execConfig: 'berth.io/exec-config',
  codeEnv: 'berth.io/code-env',
  owner: 'berth.io/owner',
} as const;

/**
 * Where the kernel finds its connection file: bind-mounted read-only on a local daemon, copied in
 * before start on a remote one (the HMAC key never sits in the container's config).
 */
export const CONNECTION_DIR = '/tmp/berth-kernel';
export const CONNECTION_FILE = `${CONNECTION_DIR}/connection.json`;

export interface ContainerPlan extends KernelContainerPlan {
  readonly execConfig: DockerExecConfig;
  /** Host path of the connection file to bind-mount read-only (local daemons); else it is copied in before start. */
  readonly connectionMount?: string;
}

/** The entrypoint's kernel language for a kernelspec language ("python", "R", "ir" …). */
export function entrypointLanguage(language: string): 'python' | 'r' {
  return /^(r|ir)$/i.test(language) ? 'r' : 'python';
}

function deviceRequests(config: DockerExecConfig): Dockerode.DeviceRequest[] | undefined {
  const gpus = config.resources.gpus;
  const requests = config.docker.deviceRequests ?? (gpus > 0 ? [{ driver: 'nvidia', count: gpus, capabilities: [['gpu']] }] : []);
  if (requests.length === 0) return undefined;
  return requests.map((request) => ({
    Driver: request.driver,
    ...(request.deviceIds === undefined
      ? { Count: request.count === 'all' ? -1 : (request.count ?? Math.max(gpus, 1)) }
      : { DeviceIDs: request.deviceIds }),
    Capabilities: request.capabilities,
  }));
}

/** Docker's create options for the plan (the body of POST /containers/create). */
export function containerSpec(plan: ContainerPlan): Dockerode.ContainerCreateOptions {
  const { docker, resources } = plan.execConfig;
  const env: Record<string, string> = {
    ...plan.env,
    BERTH_KERNEL_LANGUAGE: entrypointLanguage(plan.language),
    BERTH_CONNECTION_FILE: CONNECTION_FILE,
  };
  const devices = deviceRequests(plan.execConfig);
  return {
    name: plan.name,
    Image: plan.image,
    User: docker.user,
    Env: Object.keys(env)
      .sort()
      .map((name) => `${name}=${env[name]}`),
    Labels: {
      [CONTAINER_LABELS.managedBy]: MANAGED_BY_VALUE,
      [CONTAINER_LABELS.kernelId]: plan.kernelId,
      [CONTAINER_LABELS.gatewayId]: plan.gatewayId,
      [CONTAINER_LABELS.execConfig]: plan.execConfig.id,
      [CONTAINER_LABELS.owner]: plan.owner,
      ...(plan.codeEnvId === undefined ? {} : { [CONTAINER_LABELS.codeEnv]: plan.codeEnvId }),
    },
    HostConfig: {
      NetworkMode: docker.network,
      ...(resources.cpus === undefined ? {} : { NanoCpus: Math.round(resources.cpus * 1e9) }),
      ...(resources.memory === undefined ? {} : { Memory: resources.memory }),
      ...(docker.memorySwap === undefined ? {} : { MemorySwap: docker.memorySwap }),
      ...(docker.shmSize === undefined ? {} : { ShmSize: docker.shmSize }),
      ...(docker.pidsLimit === undefined ? {} : { PidsLimit: docker.pidsLimit }),
      ...(docker.runtime === undefined ? {} : { Runtime: docker.runtime }),
      ...(devices === undefined ? {} : { DeviceRequests: devices }),
      Mounts: [
        ...docker.mounts.map((mount) => ({ Type: mount.type, Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly })),
        ...(plan.connectionMount === undefined
          ? []
          : [{ Type: 'bind' as const, Source: plan.connectionMount, Target: CONNECTION_FILE, ReadOnly: true }]),
      ],
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      RestartPolicy: { Name: 'no' },
    },
  };
}
