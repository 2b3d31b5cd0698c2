import type { LiteralValue, ParameterLanguage } from './literals';

/**
 * A notebook's parameters as Berth reads them (POST /api/berth/notebooks/parameters): the
 * assignments in its first code cell tagged `parameters`, read by the gateway exactly as a run
 * injects them, so the batch-run dialog and the run agree.
 */

export interface NotebookParameter {
  readonly name: string;
  /** The assigned expression as written, comments removed. */
  readonly literal: string;
  /** Its value when the expression is a simple literal (number, string, bool, None/NULL). */
  readonly value?: LiteralValue;
}

export interface DeclaredParameters {
  readonly language: ParameterLanguage;
  readonly parameters: readonly NotebookParameter[];
}
