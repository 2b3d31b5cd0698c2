import { findPair, type ExecutionChoices } from './kernelspec-choices';

/**
 * What the two lists of the picker hold and how one follows the other: choosing a code env
 * keeps the exec config when that pair exists, else moves to the first exec config the code env
 * pairs with (and the other way round), so the selection is always a pair the user may start.
 */

export interface Selection {
  readonly codeEnv?: string;
  readonly execConfig?: string;
}

export interface ExecConfigAvailability {
  readonly id: string;
  readonly summary: string;
  /** False when the selected code env has no kernelspec on this exec config. */
  readonly available: boolean;
}

export function selectCodeEnv(choices: ExecutionChoices, current: Selection, codeEnv: string): Selection {
  const env = choices.codeEnvs.find((option) => option.id === codeEnv);
  if (!env) return current;
  if (current.execConfig && env.execConfigs.includes(current.execConfig)) return { codeEnv, execConfig: current.execConfig };
  return { codeEnv, execConfig: env.execConfigs[0] };
}

export function selectExecConfig(choices: ExecutionChoices, current: Selection, execConfig: string): Selection {
  const config = choices.execConfigs.find((option) => option.id === execConfig);
  if (!config) return current;
  if (current.codeEnv && config.codeEnvs.includes(current.codeEnv)) return { codeEnv: current.codeEnv, execConfig };
  return { codeEnv: config.codeEnvs[0], execConfig };
}

/** Every exec config, marked available or not for the selected code env (all available when none is selected). */
export function execConfigAvailability(choices: ExecutionChoices, codeEnv: string | undefined): ExecConfigAvailability[] {
  const env = codeEnv ? choices.codeEnvs.find((option) => option.id === codeEnv) : undefined;
  return choices.execConfigs.map((config) => ({
    id: config.id,
    summary: config.summary,
    available: env ? env.execConfigs.includes(config.id) : true,
  }));
}

/** True when the selection names a pair among the choices. */
export function isComplete(choices: ExecutionChoices, selection: Selection): boolean {
  return findPair(choices, selection.codeEnv, selection.execConfig) !== undefined;
}
