import { pairKernelName } from '../model/kernelspec-choices';
import type { LiteralValue } from '../model/literals';

/**
 * The body of POST /api/berth/runs for "Run notebook as batch job…" (Berth's runRequestSchema,
 * kind "notebook"). With a code env, the run starts that pair; without one, the notebook's own
 * plain kernelspec on the chosen exec config (KERNEL_EXECUTION_CONFIG), since Berth would
 * otherwise take the code env from the notebook's metadata.berth.
 */

export interface RunChoice {
  /** Only the parameters to inject (those the user changed). */
  readonly parameters: Readonly<Record<string, LiteralValue>>;
  readonly codeEnv?: string;
  /** Empty: the gateway's default. */
  readonly execConfig?: string;
}

export const EXEC_CONFIG_ENV = 'KERNEL_EXECUTION_CONFIG';

const PLAIN_KERNELS: Record<string, string> = { python: 'python3', r: 'ir' };

/** The plain kernelspec for a notebook run without a code env. */
export function plainKernelName(
  notebook: { metadata?: Readonly<Record<string, unknown>> },
  language: string | undefined,
): string | undefined {
  const name = (notebook.metadata?.['kernelspec'] as { name?: unknown } | undefined)?.name;
  if (typeof name === 'string' && name !== '' && !name.includes('--')) return name;
  return language ? PLAIN_KERNELS[language] : undefined;
}

export function notebookRunRequest(
  notebook: Readonly<Record<string, unknown>>,
  notebookName: string,
  choice: RunChoice,
  language: string | undefined,
): Record<string, unknown> {
  const request: Record<string, unknown> = { kind: 'notebook', notebook, notebookName, parameters: { ...choice.parameters } };
  if (choice.codeEnv && choice.execConfig) {
    request['kernel'] = pairKernelName(choice.codeEnv, choice.execConfig);
    return request;
  }
  if (choice.codeEnv) {
    request['codeEnv'] = choice.codeEnv; // Berth pairs it with its default exec config
    return request;
  }
  const plain = plainKernelName(notebook as { metadata?: Record<string, unknown> }, language);
  if (plain) request['kernel'] = plain;
  if (choice.execConfig) request['env'] = { [EXEC_CONFIG_ENV]: choice.execConfig };
  return request;
}
