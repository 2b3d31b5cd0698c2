import { KERNEL_FOR_LANGUAGE, type CodeEnv } from './code-env';
import { LOCAL_EXEC_CONFIG_ID, type ContainerExecConfig, type ExecConfig } from './execution-config';

/** One thing wrong with the configuration, where it is: `file: path: message`. */
export interface ConfigProblem {
  /** The file the object came from (or a label such as "(built in)"). */
  readonly file: string;
  /** Field path inside the object, dot-separated ("docker.daemons.0.host"); "" for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** A validated object and the file it came from. */
export interface Sourced<T> {
  readonly file: string;
  readonly value: T;
}

export interface ConfigCheckInput {
  readonly execConfigs: readonly Sourced<ExecConfig>[];
  readonly codeEnvs: readonly Sourced<CodeEnv>[];
  /** Kernelspec names the gateway can launch (python3, ir, …). */
  readonly kernelspecNames: ReadonlySet<string>;
}

/** Resource names that mean "a GPU" on Kubernetes (nvidia.com/gpu, amd.com/gpu, …). */
const GPU_RESOURCE = /(^|\/)gpu$/;

/**
 * Checks that need more than one object, or rules a single schema cannot say well. Every problem
 * is returned (nothing stops at the first) so an admin fixes a directory in one pass.
 *
 * GPU rule: an exec config that asks for GPUs needs a CUDA base image, recognised by "cuda" in
 * the image reference (Berth's `build-base --with-cuda` tags say so) or an explicit `cudaVersion`.
 */
export function checkExecutionConfigs(input: ConfigCheckInput): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  problems.push(...duplicateIds(input.execConfigs, 'exec config'), ...duplicateIds(input.codeEnvs, 'code env'));

  for (const { file, value: config } of input.execConfigs) {
    if (config.id === LOCAL_EXEC_CONFIG_ID && config.backend !== 'local') {
      problems.push({
        file,
        path: 'backend',
        message: `the exec config "local" must use backend local (it replaces the built-in one); give this ${config.backend} exec config another id`,
      });
    }
    for (const [scope, limits] of [
      ['quotas', config.quotas],
      ['quotas.perUser', config.quotas.perUser],
    ] as const) {
      if (limits.cpus !== undefined && config.resources.cpus === undefined) {
        problems.push({ file, path: `${scope}.cpus`, message: 'needs resources.cpus: a CPU quota counts the limits of the kernels' });
      }
      if (limits.memory !== undefined && config.resources.memory === undefined) {
        problems.push({
          file,
          path: `${scope}.memory`,
          message: 'needs resources.memory: a memory quota counts the limits of the kernels',
        });
      }
    }
    if (config.backend === 'local') continue;
    if (!config.baseImage) {
      problems.push({
        file,
        path: 'baseImage',
        message: `is required for backend ${config.backend}: the image code-env images are built on, e.g. "berth/base-py:latest" (build one with \`berth images build-base --type container-exec\`)`,
      });
      continue;
    }
    const gpuReason = gpuUse(config);
    if (gpuReason && !config.cudaVersion && !/cuda/i.test(config.baseImage)) {
      problems.push({
        file,
        path: 'baseImage',
        message: `"${config.baseImage}" is not a CUDA image but ${gpuReason}: use a CUDA base (\`berth images build-base --type container-exec --with-cuda\`), or set cudaVersion if this image has CUDA`,
      });
    }
  }

  const execConfigsById = new Map(input.execConfigs.map(({ value }) => [value.id, value]));
  const containerIds = [...execConfigsById.values()].filter((config) => config.backend !== 'local').map((config) => config.id);
  for (const { file, value: codeEnv } of input.codeEnvs) {
    const kernel = KERNEL_FOR_LANGUAGE[codeEnv.language];
    if (!input.kernelspecNames.has(kernel)) {
      problems.push({
        file,
        path: 'language',
        message: `${codeEnv.language} kernels need the kernelspec "${kernel}", which the gateway does not find: ${KERNEL_HINT[codeEnv.language]}, or add a folder holding ${kernel}/kernel.json to kernelspecDirs in berth.yaml`,
      });
    }
    if (codeEnv.availableFor === 'all') continue;
    codeEnv.availableFor.forEach((id, index) => {
      const target = execConfigsById.get(id);
      if (!target) {
        problems.push({
          file,
          path: `availableFor.${index}`,
          message: `no exec config "${id}" (container exec configs: ${containerIds.join(', ') || 'none'}); add execution-configs/${id}.yaml or fix the id`,
        });
      } else if (target.backend === 'local') {
        problems.push({
          file,
          path: `availableFor.${index}`,
          message: `"${id}" runs kernels as local processes, without images; code envs are built for docker and kubernetes exec configs only`,
        });
      }
    });
  }
  return problems;
}

const KERNEL_HINT: Record<CodeEnv['language'], string> = {
  python: 'install ipykernel (Debian: apt-get install python3-ipykernel)',
  r: 'install IRkernel (Debian: apt-get install r-cran-irkernel)',
};

/** Why a container exec config needs GPUs, in words naming the field; undefined if it does not. */
function gpuUse(config: ContainerExecConfig): string | undefined {
  if (config.resources.gpus > 0) return `resources.gpus is ${config.resources.gpus}`;
  if (config.backend === 'docker') {
    if (config.docker.runtime === 'nvidia') return 'docker.runtime is nvidia';
    if (config.docker.deviceRequests?.length) return 'docker.deviceRequests asks for devices';
    return undefined;
  }
  for (const kind of ['limits', 'requests'] as const) {
    const name = Object.keys(config.kubernetes[kind] ?? {}).find((key) => GPU_RESOURCE.test(key));
    if (name) return `kubernetes.${kind} asks for ${name}`;
  }
  return undefined;
}

function duplicateIds(objects: readonly Sourced<{ id: string }>[], kind: string): ConfigProblem[] {
  const firstFile = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const { file, value } of objects) {
    const first = firstFile.get(value.id);
    if (first === undefined) firstFile.set(value.id, file);
    else problems.push({ file, path: 'id', message: `${kind} "${value.id}" is already defined in ${first}; ids must be unique` });
  }
  return problems;
}
