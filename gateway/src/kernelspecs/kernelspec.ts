import { z } from 'zod';

/**
 * The kernel.json schema (Jupyter's, snake_case) and argv templating.
 * Spec: https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs
 */
export const kernelJsonSchema = z
  .object({
    argv: z.array(z.string()).min(1).describe('Command line; {connection_file} is replaced by the connection file path'),
    display_name: z.string().min(1).describe('Name shown to users'),
    language: z.string().min(1).describe('Language of the kernel, e.g. python or R'),
    interrupt_mode: z.enum(['signal', 'message']).default('signal').describe('How to interrupt: SIGINT or interrupt_request'),
    env: z.record(z.string(), z.string()).default({}).describe('Extra environment variables for the kernel'),
    metadata: z.record(z.string(), z.unknown()).default({}).describe('Free-form metadata (e.g. debugger: true)'),
  })
  .passthrough();

export type KernelJson = z.infer<typeof kernelJsonSchema>;

/** A kernelspec found on disk, with the folder its resources (logos) come from. */
export interface ResolvedKernelSpec {
  readonly name: string;
  readonly spec: KernelJson;
  readonly resourceDir: string;
  /** Resource file names in the folder (logo-*.png/svg, kernel.js, kernel.css). */
  readonly resourceFiles: readonly string[];
}

/** Replaces `{connection_file}`, `{resource_dir}` (and other known fields) in argv. */
export function renderArgv(argv: readonly string[], values: Readonly<Record<string, string>>): string[] {
  return argv.map((arg) => arg.replace(/\{([a-z_]+)\}/g, (match, field: string) => values[field] ?? match));
}

/** Whether a file in a kernelspec folder is a resource Jupyter serves. */
export function isResourceFile(fileName: string): boolean {
  return fileName.startsWith('logo-') || fileName === 'kernel.js' || fileName === 'kernel.css';
}
