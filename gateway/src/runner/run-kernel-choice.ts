import { EXEC_CONFIG_ENV } from '../kernelspecs/kernel-targets';
import type { RunRequest } from './run';

/** The start request a run makes: a kernelspec name (maybe a pair) and the KERNEL_* env. */
export interface RunKernelChoice {
  readonly name: string | undefined;
  readonly env: Record<string, string>;
}

/** The plain kernelspec of each language, for recipes and for exec-config-only choices. */
const LANGUAGE_SPECS: Record<string, string> = { python: 'python3', r: 'ir' };

/**
 * Which kernel a run starts, most specific first: the request's kernelspec; its code env and exec
 * config (a pair; a code env alone takes the default exec config from the gateway); the notebook's
 * own choice (`metadata.berth`, as the JupyterLab extension keeps it, then `metadata.kernelspec.name`);
 * the language's plain spec. An exec config alone runs the plain spec there (KERNEL_EXECUTION_CONFIG).
 */
export function chooseRunKernel(
  request: RunRequest,
  language: string | undefined,
  notebookMetadata: Record<string, unknown> | undefined,
  defaultExecConfig: () => string,
): RunKernelChoice {
  const env = { ...request.env };
  if (request.kernel) return { name: request.kernel, env };
  const chosen = notebookMetadata?.['berth'] as { codeEnv?: unknown; execConfig?: unknown } | undefined;
  const codeEnv = request.codeEnv ?? (typeof chosen?.codeEnv === 'string' ? chosen.codeEnv : undefined);
  const execConfig = request.execConfig ?? (typeof chosen?.execConfig === 'string' ? chosen.execConfig : undefined);
  if (codeEnv) return { name: `${codeEnv}--${execConfig ?? defaultExecConfig()}`, env };
  if (execConfig) env[EXEC_CONFIG_ENV] = execConfig;
  const specName = (notebookMetadata?.['kernelspec'] as { name?: unknown } | undefined)?.name;
  if (typeof specName === 'string' && specName !== '') {
    // A pair from the notebook keeps its code env but moves to the requested exec config.
    const separator = specName.indexOf('--');
    if (separator > 0 && execConfig) return { name: `${specName.slice(0, separator)}--${execConfig}`, env: { ...request.env } };
    return { name: specName, env };
  }
  return { name: language ? LANGUAGE_SPECS[language] : undefined, env };
}
