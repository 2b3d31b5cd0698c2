import type { PairSpec } from './kernelspec-choices';

/**
 * The choice kept in a notebook: `metadata.berth = {codeEnv, execConfig}`. Berth's runner reads
 * it for batch runs (gateway/src/runner/run-kernel-choice.ts), so a notebook submitted as a job
 * runs where it ran interactively.
 */

export const METADATA_KEY = 'berth';

export interface NotebookChoice {
  readonly codeEnv: string;
  readonly execConfig: string;
}

export function readNotebookChoice(value: unknown): NotebookChoice | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const codeEnv = record['codeEnv'];
  const execConfig = record['execConfig'];
  if (typeof codeEnv !== 'string' || typeof execConfig !== 'string' || codeEnv === '' || execConfig === '') return undefined;
  return { codeEnv, execConfig };
}

/** The metadata value for a pair, keeping any other keys another tool stored under `berth`. */
export function notebookChoiceFor(pair: PairSpec, previous: unknown): Record<string, unknown> {
  const kept = typeof previous === 'object' && previous !== null && !Array.isArray(previous) ? (previous as Record<string, unknown>) : {};
  return { ...kept, codeEnv: pair.codeEnv, execConfig: pair.execConfig };
}

export function sameChoice(a: NotebookChoice | undefined, b: NotebookChoice | undefined): boolean {
  return a?.codeEnv === b?.codeEnv && a?.execConfig === b?.execConfig;
}
