// The kernel container as a pure function of its launch plan: the limits, user, hardening,
// labels and environment Docker receives, and the defaults when an exec config leaves them out.
import { execConfigSchema, type DockerExecConfig } from '../../../gateway/src/execution/execution-config';
import {
  CONNECTION_FILE,
  containerSpec,
  entrypointLanguage,
  type ContainerPlan,
} from '../../../gateway/src/provisioners/docker/container-spec';

function execConfig(input: Record<string, unknown>): DockerExecConfig {
  return execConfigSchema.parse({ id: 'docker-x', backend: 'docker', baseImage: 'berth/base:latest', ...input }) as DockerExecConfig;
}

function plan(config: DockerExecConfig, more: Partial<ContainerPlan> = {}): ContainerPlan {
  return {
    kernelId: 'k-1',
    image: 'berth/codeenv-ml:0123456789ab',
    execConfig: config,
    codeEnvId: 'ml',
    owner: 'alice',
    gatewayId: 'g-1',
    language: 'python',
    env: { KERNEL_USERNAME: 'alice', OMP_NUM_THREADS: '4' },
    name: 'berth-kernel-k-1',
    ...more,
  };
}

test('limits, runtime and mounts are passed as Docker names them; the kernel runs hardened as the configured user', () => {
  const spec = containerSpec(
    plan(
      execConfig({
        resources: { cpus: 1.5, memory: '2g', gpus: 0 },
        docker: {
          network: 'host',
          memorySwap: '3g',
          shmSize: '1g',
          pidsLimit: 512,
          runtime: 'runsc',
          mounts: [{ source: '/srv/data', target: '/data', readOnly: true }],
        },
      }),
    ),
  );
  expect(spec.Image).toBe('berth/codeenv-ml:0123456789ab');
  expect(spec.User).toBe('1000:1000');
  expect(spec.HostConfig).toEqual({
    NetworkMode: 'host',
    NanoCpus: 1_500_000_000,
    Memory: 2 * 1024 ** 3,
    MemorySwap: 3 * 1024 ** 3,
    ShmSize: 1024 ** 3,
    PidsLimit: 512,
    Runtime: 'runsc',
    Mounts: [{ Type: 'bind', Source: '/srv/data', Target: '/data', ReadOnly: true }],
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    RestartPolicy: { Name: 'no' },
  });
  expect(spec.Labels).toEqual({
    'berth.io/managed-by': 'berth',
    'berth.io/kernel-id': 'k-1',
    'berth.io/gateway-id': 'g-1',
    'berth.io/exec-config': 'docker-x',
    'berth.io/owner': 'alice',
    'berth.io/code-env': 'ml',
  });
});

test('the environment names the connection file and the kernel language, never the connection itself', () => {
  const spec = containerSpec(plan(execConfig({}), { language: 'R' }));
  expect(spec.Env).toEqual([
    `BERTH_CONNECTION_FILE=${CONNECTION_FILE}`,
    'BERTH_KERNEL_LANGUAGE=r',
    'KERNEL_USERNAME=alice',
    'OMP_NUM_THREADS=4',
  ]);
  expect(entrypointLanguage('python')).toBe('python');
  expect(entrypointLanguage('ir')).toBe('r');
});

test('unset limits are left to Docker; GPUs become NVIDIA device requests unless given explicitly', () => {
  const plain = containerSpec(plan(execConfig({})));
  expect(plain.HostConfig).toEqual({
    NetworkMode: 'bridge',
    Mounts: [],
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    RestartPolicy: { Name: 'no' },
  });
  const gpus = containerSpec(plan(execConfig({ baseImage: 'berth/cuda:latest', resources: { gpus: 2 } })));
  expect(gpus.HostConfig?.DeviceRequests).toEqual([{ Driver: 'nvidia', Count: 2, Capabilities: [['gpu']] }]);
  const pinned = containerSpec(
    plan(
      execConfig({
        baseImage: 'berth/cuda:latest',
        resources: { gpus: 1 },
        docker: { runtime: 'nvidia', deviceRequests: [{ deviceIds: ['GPU-1'] }] },
      }),
    ),
  );
  expect(pinned.HostConfig?.DeviceRequests).toEqual([{ Driver: 'nvidia', DeviceIDs: ['GPU-1'], Capabilities: [['gpu']] }]);
  const all = containerSpec(
    plan(execConfig({ baseImage: 'berth/cuda:latest', resources: { gpus: 1 }, docker: { deviceRequests: [{ count: 'all' }] } })),
  );
  expect(all.HostConfig?.DeviceRequests).toEqual([{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }]);
});
