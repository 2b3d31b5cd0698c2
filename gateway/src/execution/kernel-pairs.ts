import type { CodeEnv } from './code-env';
import { isContainerExecConfig, type ContainerExecConfig, type ExecConfig } from './execution-config';

/** A kernel is always a code env × an exec config; this is the kernelspec name of the pair. */
export function pairKernelspecName(codeEnvId: string, execConfigId: string): string {
  return `${codeEnvId}--${execConfigId}`;
}

/**
 * The container exec configs a code env is built for. Code envs are images, so the local backend
 * (plain processes on the gateway host) never gets one; unknown ids are left to config-checks.
 */
export function execConfigsForCodeEnv(codeEnv: CodeEnv, execConfigs: readonly ExecConfig[]): ContainerExecConfig[] {
  const containers = execConfigs.filter(isContainerExecConfig);
  if (codeEnv.availableFor === 'all') return containers;
  const wanted = new Set(codeEnv.availableFor);
  return containers.filter((config) => wanted.has(config.id));
}
