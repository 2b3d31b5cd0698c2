import { z } from 'zod';
import type { Parameters } from './parameters/parameter-value';

/**
 * A batch run: what to run (a notebook, a Python or R recipe, an ML action), where (a kernelspec,
 * or a code env × exec config), which files travel with it, and its record as it goes.
 */

export const RUN_STATUSES = ['queued', 'starting', 'running', 'succeeded', 'failed', 'cancelled', 'timed-out'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'timed-out']);

export type RunKind = 'notebook' | 'recipe' | 'ml';

const relativePath = z
  .string()
  .min(1)
  .refine((path) => !path.startsWith('/') && !path.split(/[\\/]/).includes('..'), {
    message: 'must be a relative path inside the working directory (no leading "/", no "..")',
  });

/** A file that travels with the run: staged into the kernel's working directory before it starts. */
export const inputFileSchema = z
  .object({
    path: relativePath.describe('Where the file goes, relative to the working directory'),
    content: z.string().describe('The file, base64-encoded'),
  })
  .strict();

const parameterValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(parameterValue), z.record(z.string(), parameterValue)]),
);

/** Where a run's kernel comes from: a kernelspec name, or a code env and/or exec config. */
const placementFields = {
  kernel: z.string().min(1).optional().describe('Kernelspec name (e.g. python3, or <code-env>--<exec-config>)'),
  codeEnv: z.string().min(1).optional().describe('Code env id (with execConfig, or the default exec config)'),
  execConfig: z.string().min(1).optional().describe('Exec config id'),
};

const commonFields = {
  ...placementFields,
  inputs: z.array(inputFileSchema).default([]).describe('Files staged into the working directory'),
  outputs: z
    .array(z.string().min(1))
    .default([])
    .describe('Glob patterns (relative to the working directory) of files to bring back as artifacts'),
  cwd: z.string().min(1).optional().describe("Working directory on the kernel's side (default: a fresh one per run)"),
  timeoutSeconds: z.number().positive().optional().describe('Whole-run timeout'),
  env: z.record(z.string(), z.string()).default({}).describe('KERNEL_* variables for the kernel'),
};

export const mlActionSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('train'),
      dataset: relativePath.describe('CSV or Parquet file among the inputs'),
      target: z.string().min(1),
      algorithm: z.enum(['logistic_regression', 'linear_regression', 'random_forest', 'gradient_boosting']),
      task: z.enum(['classification', 'regression']).optional(),
      params: z.record(z.string(), z.unknown()).default({}),
      features: z.array(z.string().min(1)).optional(),
      testSize: z.number().gt(0).lt(1).default(0.2),
      seed: z.number().int().default(0),
      modelName: z
        .string()
        .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'letters, digits, ".", "_" and "-" only')
        .describe('Retraining under the same name makes a new version'),
    })
    .strict(),
  z.object({ action: z.literal('score'), dataset: relativePath, model: z.string().min(1).describe('Model name[:version]') }).strict(),
  z.object({ action: z.literal('evaluate'), dataset: relativePath, model: z.string().min(1) }).strict(),
]);
export type MlAction = z.infer<typeof mlActionSchema>;

export const runRequestSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('notebook'),
      notebook: z.record(z.string(), z.unknown()).describe('The notebook (nbformat 4 JSON)'),
      notebookName: z.string().min(1).default('notebook.ipynb').describe('Its file name, for the record and the output name'),
      parameters: z.record(z.string(), parameterValue).default({}).describe('papermill-style parameters'),
      cellTimeoutSeconds: z.number().positive().optional(),
      ...commonFields,
    })
    .strict(),
  z
    .object({
      kind: z.literal('recipe'),
      script: z.string().describe('The script source'),
      scriptName: z
        .string()
        .regex(/\.(py|r|R)$/, 'must end in .py or .R')
        .describe('File name; its extension picks the language'),
      args: z.array(z.string()).default([]).describe('sys.argv[1:] / commandArgs(trailingOnly = TRUE)'),
      ...commonFields,
    })
    .strict(),
  z.object({ kind: z.literal('ml'), ml: mlActionSchema, ...commonFields }).strict(),
]);
export type RunRequest = z.infer<typeof runRequestSchema>;
export type RunRequestInput = z.input<typeof runRequestSchema>;

/** Why a run did not succeed: always a message; the failing cell's error for notebooks. */
export interface RunFailure {
  readonly message: string;
  readonly cellIndex?: number;
  readonly executionCount?: number | null;
  readonly ename?: string;
  readonly evalue?: string;
  readonly traceback?: readonly string[];
  readonly exitCode?: number;
  readonly logTail?: string;
}

/** The run as the store keeps it and the API shows it (camelCase: Berth's own shape). */
export interface RunRecord {
  readonly id: string;
  readonly kind: RunKind;
  readonly name: string;
  readonly status: RunStatus;
  readonly owner: string;
  readonly kernelName: string;
  readonly execConfig: string;
  readonly codeEnv?: string;
  readonly parameters: Parameters;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly kernelId?: string;
  readonly failure?: RunFailure;
  /** What was asked, without the input files' contents (those are kept beside the record). */
  readonly request: Omit<RunRequest, 'inputs'> & { inputs: { path: string; bytes: number }[] };
}
