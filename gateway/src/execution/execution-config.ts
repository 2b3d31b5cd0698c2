import { z } from 'zod';
import { byteSizeSchema } from './byte-size';
import { configIdSchema } from './config-id';

/**
 * Execution configurations ("exec configs"): how and where a kernel runs. One schema is the source
 * of the YAML files, the TypeScript types and (later) the REST payloads. Objects are strict, so a
 * misspelt field is an error rather than a silently ignored setting.
 *
 * Backend-specific settings sit in a block named after the backend (`docker:`, `kubernetes:`);
 * the union on `backend` makes a block for another backend an error.
 */

/** Environment variable names as POSIX shells accept them. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Environment variables set in the kernel (exec config) or image (code env). */
export const envVarsSchema = z
  .record(
    z.string().regex(ENV_NAME, { message: 'must be an environment variable name: letters, digits and "_", not starting with a digit' }),
    z.string(),
  )
  .default({})
  .describe('Environment variables, name → value');

const resourcesSchema = z
  .object({
    cpus: z.number().positive().optional().describe('CPUs the kernel may use; fractions allowed (Docker --cpus, Kubernetes cpu limit)'),
    memory: byteSizeSchema.optional().describe('Memory limit, e.g. "512m" or "4g" (binary units, as Docker reads them); parsed to bytes'),
    gpus: z.number().int().nonnegative().default(0).describe('NVIDIA GPUs given to the kernel (needs a CUDA base image)'),
  })
  .strict()
  .describe('Resource limits; not enforced for the local backend (kernels are plain processes)');

const permissionsSchema = z
  .object({
    groups: z
      .array(z.string().min(1))
      .default(['*'])
      .describe('Groups whose members may use this exec config; "*" is every authenticated user'),
    users: z.array(z.string().min(1)).default([]).describe('Users allowed in addition to the groups'),
  })
  .strict()
  .describe('Who may see and use this exec config (default: everyone)');

const timeoutsSchema = z
  .object({
    startupSeconds: z
      .number()
      .positive()
      .optional()
      .describe('How long a kernel may take to start here, image pull included (default: the gateway kernels.startupTimeoutSeconds)'),
    cullIdleSeconds: z
      .number()
      .nonnegative()
      .optional()
      .describe('Shut kernels down after this long idle (0: never; default: the gateway kernels.cullIdleTimeoutSeconds)'),
  })
  .strict()
  .describe('Timeouts for kernels of this exec config, overriding the gateway defaults');

const quotaLimitsShape = {
  maxKernels: z.number().int().positive().optional().describe('Most kernels at once'),
  cpus: z.number().positive().optional().describe("Most CPUs all the kernels' limits add up to (needs resources.cpus)"),
  memory: byteSizeSchema.optional().describe('Most memory all the kernels\' limits add up to, e.g. "64g" (needs resources.memory)'),
};

const quotasSchema = z
  .object({
    ...quotaLimitsShape,
    perUser: z.object(quotaLimitsShape).strict().default({}).describe('The same limits for the kernels of each user'),
    queue: z
      .object({
        maxWaiting: z.number().int().positive().describe('Most starts waiting at once; more are refused with 429'),
        timeoutSeconds: z.number().positive().default(120).describe('How long a start waits for room before it is refused'),
      })
      .strict()
      .optional()
      .describe('Let starts over a quota wait (first come, first served) instead of being refused at once'),
  })
  .strict()
  .describe("Limits on what this exec config's kernels use together, across every daemon; a start over one is refused with 429");

/** Fields every exec config has. */
const commonShape = {
  id: configIdSchema.describe('DNS-label slug; with a code env id it names kernelspecs `<code-env>--<exec-config>`'),
  displayName: z.string().min(1).optional().describe('Name shown to users (default: the id)'),
  description: z.string().default('').describe('What this exec config is for, shown to users'),
  resources: resourcesSchema.default(() => resourcesSchema.parse({})),
  env: envVarsSchema,
  permissions: permissionsSchema.default(() => permissionsSchema.parse({})),
  timeouts: timeoutsSchema.default({}),
  quotas: quotasSchema.default({ perUser: {} }),
};

/** Fields of container backends (Docker and Kubernetes). */
const containerShape = {
  baseImage: z
    .string()
    .min(1)
    .optional()
    .describe('Base image the code-env images are built on, e.g. "berth/base-py:latest" (required for container backends)'),
  cudaVersion: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, { message: 'must be a CUDA version like "12.4"' })
    .optional()
    .describe('CUDA version of the base image; GPU exec configs need it unless the image name says "cuda"'),
};

const dockerDaemonSchema = z
  .object({
    host: z
      .string()
      .regex(/^(unix:\/\/\/\S+|tcp:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):\d{1,5})$/, {
        message: 'must be "unix:///path/to/docker.sock" or "tcp://host:port"',
      })
      .describe('Docker Engine address: unix:///var/run/docker.sock or tcp://host:2376'),
    tls: z
      .object({
        certDir: z.string().min(1).describe('Folder holding ca.pem, cert.pem and key.pem (relative paths: to the config directory)'),
      })
      .strict()
      .optional()
      .describe('Mutual TLS for a tcp daemon, as `docker --tlsverify` uses it'),
  })
  .strict()
  .superRefine((daemon, ctx) => {
    if (daemon.tls && daemon.host.startsWith('unix://')) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'TLS applies to tcp:// daemons only; remove it for a unix socket' });
    }
  });

const dockerDeviceRequestSchema = z
  .object({
    driver: z.string().default('nvidia').describe('Device driver (Docker DeviceRequest.Driver)'),
    count: z
      .union([z.number().int().positive(), z.literal('all')])
      .optional()
      .describe('How many devices, or "all" (default: resources.gpus)'),
    deviceIds: z.array(z.string().min(1)).optional().describe('Specific device ids or UUIDs, instead of a count'),
    capabilities: z
      .array(z.array(z.string().min(1)))
      .default([['gpu']])
      .describe('Capability sets (Docker DeviceRequest.Capabilities)'),
  })
  .strict();

const dockerMountSchema = z
  .object({
    type: z.enum(['bind', 'volume']).default('bind').describe('bind: a host path; volume: a named Docker volume'),
    source: z.string().min(1).describe('Host path (bind) or volume name (volume)'),
    target: z.string().regex(/^\//, { message: 'must be an absolute path in the container' }).describe('Path in the container'),
    readOnly: z.boolean().default(false).describe('Mount read-only'),
  })
  .strict();

const dockerSchema = z
  .object({
    daemons: z
      .array(dockerDaemonSchema)
      .min(1)
      .default([{ host: 'unix:///var/run/docker.sock' }])
      .describe('Docker Engines kernels may start on, in order of preference (default: the local socket)'),
    memorySwap: byteSizeSchema.optional().describe('Memory plus swap, e.g. "8g" (docker --memory-swap); unset: Docker default'),
    shmSize: byteSizeSchema.optional().describe('/dev/shm size, e.g. "1g" (docker --shm-size); Docker defaults to 64m'),
    pidsLimit: z.number().int().positive().optional().describe('Most processes in the container (docker --pids-limit)'),
    runtime: z.string().min(1).optional().describe('Container runtime, e.g. "nvidia" (docker --runtime)'),
    deviceRequests: z
      .array(dockerDeviceRequestSchema)
      .optional()
      .describe('GPU device requests (docker --gpus); default with resources.gpus > 0: that many NVIDIA GPUs'),
    registry: z
      .string()
      .min(1)
      .optional()
      .describe('Registry images are pushed to and pulled from, e.g. "registry.example.com:5000/berth" (unset: local images only)'),
    network: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: 'must be "host", "bridge" or a Docker network name' })
      .default('bridge')
      .describe('"host", "bridge" or the name of a Docker network'),
    mounts: z.array(dockerMountSchema).default([]).describe('Host paths and volumes mounted into kernel containers'),
    user: z
      .string()
      .min(1)
      .default('1000:1000')
      .describe('User the kernel runs as, "uid:gid" or a name in the image (default: the non-root user of Berth base images)'),
    pullPolicy: z
      .enum(['always', 'missing', 'never'])
      .default('missing')
      .describe('When to pull the image before a launch (docker run --pull)'),
  })
  .strict()
  .describe('Docker settings');

/** Kubernetes resource names: "cpu", "memory", "nvidia.com/gpu", "ephemeral-storage", … */
const K8S_RESOURCE_NAME = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?$/;
/** Kubernetes quantities: "500m", "2", "4Gi", "1.5", "1e3". */
const K8S_QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;

const k8sResourceListSchema = z
  .record(
    z.string().regex(K8S_RESOURCE_NAME, { message: 'must be a Kubernetes resource name like "cpu", "memory" or "nvidia.com/gpu"' }),
    z
      .union([
        z.number().nonnegative(),
        z.string().regex(K8S_QUANTITY, { message: 'must be a Kubernetes quantity like "500m", "2" or "4Gi"' }),
      ])
      .transform(String),
  )
  .optional();

const tolerationSchema = z
  .object({
    key: z.string().optional().describe('Taint key (empty with operator Exists: every taint)'),
    operator: z.enum(['Equal', 'Exists']).default('Equal').describe('Equal: key and value match; Exists: the key is there'),
    value: z.string().optional().describe('Taint value (operator Equal)'),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional().describe('Taint effect matched (empty: all)'),
    tolerationSeconds: z.number().int().nonnegative().optional().describe('NoExecute only: how long the pod stays after the taint appears'),
  })
  .strict();

const securityContextSchema = z
  .object({
    runAsUser: z.number().int().nonnegative().optional().describe('UID of the kernel process'),
    runAsGroup: z.number().int().nonnegative().optional().describe('GID of the kernel process'),
    runAsNonRoot: z.boolean().default(true).describe('Refuse to start as root'),
    fsGroup: z.number().int().nonnegative().optional().describe('Group owning mounted volumes'),
    allowPrivilegeEscalation: z.boolean().default(false).describe('Allow setuid binaries to gain privileges'),
    readOnlyRootFilesystem: z.boolean().default(false).describe('Mount the image read-only'),
  })
  .strict();

const kubernetesSchema = z
  .object({
    kubeconfig: z.string().min(1).optional().describe('kubeconfig file (unset: in-cluster service account, else ~/.kube/config)'),
    context: z.string().min(1).optional().describe('kubeconfig context (unset: its current context)'),
    namespace: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'must be a DNS label' })
      .default('default')
      .describe('Namespace of kernel pods'),
    requests: k8sResourceListSchema.describe('Container resource requests, e.g. {cpu: "500m", memory: "1Gi"} (default: the limits)'),
    limits: k8sResourceListSchema.describe(
      'Container resource limits incl. extended resources, e.g. {"nvidia.com/gpu": 1} (default: from resources.cpus/memory/gpus)',
    ),
    registry: z
      .string()
      .min(1)
      .describe(
        'Registry the cluster pulls code-env images from, e.g. "registry.example.com/berth" (required: nodes cannot see local images)',
      ),
    imagePullSecrets: z.array(z.string().min(1)).default([]).describe('Secrets in the namespace holding registry credentials'),
    pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent').describe('Pod imagePullPolicy'),
    nodeSelector: z.record(z.string(), z.string()).default({}).describe('Node labels a kernel pod must match'),
    tolerations: z.array(tolerationSchema).default([]).describe('Taints kernel pods tolerate'),
    serviceAccount: z.string().min(1).optional().describe('Service account of kernel pods (unset: the namespace default)'),
    labels: z.record(z.string(), z.string()).default({}).describe('Extra labels on kernel pods (Berth adds its own berth.io/* labels)'),
    annotations: z.record(z.string(), z.string()).default({}).describe('Extra annotations on kernel pods'),
    securityContext: securityContextSchema
      .default(() => securityContextSchema.parse({}))
      .describe('Security context of the kernel container'),
  })
  .strict()
  .describe('Kubernetes settings');

const localExecConfigSchema = z
  .object({ ...commonShape, backend: z.literal('local').describe('Kernels run as processes on the gateway host') })
  .strict();

const dockerExecConfigSchema = z
  .object({
    ...commonShape,
    ...containerShape,
    backend: z.literal('docker').describe('Kernels run in containers on Docker Engine'),
    docker: dockerSchema.default(() => dockerSchema.parse({})),
  })
  .strict();

const kubernetesExecConfigSchema = z
  .object({
    ...commonShape,
    ...containerShape,
    backend: z.literal('kubernetes').describe('Kernels run in pods on a Kubernetes cluster'),
    kubernetes: kubernetesSchema,
  })
  .strict();

export const execConfigSchema = z.discriminatedUnion('backend', [
  localExecConfigSchema,
  dockerExecConfigSchema,
  kubernetesExecConfigSchema,
]);

export type ExecConfig = z.infer<typeof execConfigSchema>;
export type ExecConfigInput = z.input<typeof execConfigSchema>;
export type ContainerExecConfig = Extract<ExecConfig, { backend: 'docker' | 'kubernetes' }>;
export type DockerExecConfig = Extract<ExecConfig, { backend: 'docker' }>;
export type ExecConfigQuotas = ExecConfig['quotas'];

/** Id of the exec config every gateway has, running kernels as local processes. */
export const LOCAL_EXEC_CONFIG_ID = 'local';

/**
 * The embedded `local` exec config: always present, so a gateway with no configuration still
 * runs kernels. A config directory may replace it with its own execution-configs/local.yaml.
 */
export function defaultLocalExecConfig(): ExecConfig {
  return execConfigSchema.parse({
    id: LOCAL_EXEC_CONFIG_ID,
    displayName: 'Local',
    description: 'Kernels run as processes on the gateway host',
    backend: 'local',
  });
}

export function isContainerExecConfig(config: ExecConfig): config is ContainerExecConfig {
  return config.backend !== 'local';
}
