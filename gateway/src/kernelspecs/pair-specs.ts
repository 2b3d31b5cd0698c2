import { KERNEL_FOR_LANGUAGE, type CodeEnv } from '../execution/code-env';
import type { ContainerExecConfig, ExecConfig } from '../execution/execution-config';
import { pairKernelspecName } from '../execution/kernel-pairs';
import type { ResolvedKernelSpec } from './kernelspec';

/** What `metadata.berth` of a pair kernelspec says about the pair. */
export interface PairMetadata {
  readonly codeEnv: string;
  readonly executionConfig: string;
  readonly backend: ContainerExecConfig['backend'];
  readonly resources: ContainerExecConfig['resources'];
  /** Image repository of the code env for this exec config (the image builder adds the content-hash tag). */
  readonly image: string;
  readonly baseImage?: string;
}

const LANGUAGE_NAME: Record<CodeEnv['language'], string> = { python: 'Python', r: 'R' };

/** "Python (pandas) · docker-small". */
export function pairDisplayName(codeEnv: CodeEnv, execConfig: ContainerExecConfig): string {
  return `${LANGUAGE_NAME[codeEnv.language]} (${codeEnv.id}) · ${execConfig.id}`;
}

/** Repository of a code env's image for an exec config: `[registry/]berth/codeenv-<id>`. */
export function codeEnvImageRepository(codeEnv: CodeEnv, execConfig: ContainerExecConfig): string {
  const registry = execConfig.backend === 'docker' ? execConfig.docker.registry : execConfig.kubernetes.registry;
  return `${registry ? `${registry.replace(/\/+$/, '')}/` : ''}berth/codeenv-${codeEnv.id}`;
}

/**
 * How a kernel on `execConfig` is interrupted: as its kernelspec says, except in a Kubernetes pod,
 * which the API cannot send a signal: there by interrupt_request on the control channel.
 */
export function interruptModeOn(execConfig: ExecConfig, mode: ResolvedKernelSpec['spec']['interrupt_mode']): 'signal' | 'message' {
  return execConfig.backend === 'kubernetes' ? 'message' : mode;
}

/**
 * The kernelspec of a code env × exec config pair: the language's base kernelspec (argv,
 * interrupt mode, logos) under the pair's name, with a display name and `metadata.berth`
 * describing where it runs (and interrupt_mode "message" in Kubernetes pods). Pure: the caller
 * finds the base spec and checks permissions.
 */
export function pairKernelspec(codeEnv: CodeEnv, execConfig: ContainerExecConfig, base: ResolvedKernelSpec): ResolvedKernelSpec {
  const berth: PairMetadata = {
    codeEnv: codeEnv.id,
    executionConfig: execConfig.id,
    backend: execConfig.backend,
    resources: execConfig.resources,
    image: codeEnvImageRepository(codeEnv, execConfig),
    ...(execConfig.baseImage ? { baseImage: execConfig.baseImage } : {}),
  };
  return {
    name: pairKernelspecName(codeEnv.id, execConfig.id),
    spec: {
      ...base.spec,
      display_name: pairDisplayName(codeEnv, execConfig),
      interrupt_mode: interruptModeOn(execConfig, base.spec.interrupt_mode),
      env: { ...base.spec.env, ...codeEnv.env, ...execConfig.env },
      metadata: { ...base.spec.metadata, berth },
    },
    resourceDir: base.resourceDir,
    resourceFiles: base.resourceFiles,
  };
}

/** The base kernelspec name a code env's language runs with (python3, ir). */
export function baseKernelName(codeEnv: CodeEnv): string {
  return KERNEL_FOR_LANGUAGE[codeEnv.language];
}
