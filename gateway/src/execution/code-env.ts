import { z } from 'zod';
import { configIdSchema } from './config-id';
import { envVarsSchema } from './execution-config';

/**
 * Code environments: what runs. Each becomes one image per container exec config it is available
 * for, built on that exec config's base image; each pair is offered as kernelspec
 * `<code-env>--<exec-config>`.
 */

const pipSchema = z
  .object({
    requirements: z.array(z.string().min(1)).default([]).describe('requirements.txt lines, e.g. "scikit-learn==1.5.*" (pip install -r)'),
    indexUrl: z.url().optional().describe('Package index to use instead of PyPI (pip --index-url)'),
    findLinks: z.array(z.string().min(1)).default([]).describe('Extra wheel locations, URLs or folders (pip --find-links)'),
  })
  .strict();

const packagesSchema = z
  .object({
    apt: z
      .array(
        z.string().regex(/^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/, { message: 'must be a Debian package name, optionally =version' }),
      )
      .default([])
      .describe('Debian packages (apt-get install), e.g. "python3-pandas"'),
    pip: pipSchema.default(() => pipSchema.parse({})).describe('Python packages, installed with pip'),
    r: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9.]*$/, { message: 'must be a CRAN package name' }))
      .default([])
      .describe('R packages from CRAN (install.packages)'),
  })
  .strict();

/** What the image's resources directory holds; each mode names what it needs. */
const resourcesSchema = z
  .discriminatedUnion('mode', [
    z.object({ mode: z.literal('none').describe('Nothing copied or generated: the resources folder stays empty') }).strict(),
    z
      .object({
        mode: z.literal('init-script').describe('A script fills the resources directory at build time'),
        script: z.string().min(1).describe('Shell script run at image build time in the resources directory (e.g. to download a model)'),
      })
      .strict(),
    z
      .object({
        mode: z.literal('copy').describe('A local folder is copied into the image'),
        path: z.string().min(1).describe('Folder copied into the image (relative paths: to the config directory)'),
      })
      .strict(),
  ])
  .describe('The resources directory (/opt/berth/resources in the image), exported to kernels as BERTH_RESOURCES_DIR');

export const codeEnvSchema = z
  .object({
    id: configIdSchema.describe('DNS-label slug; with an exec config id it names kernelspecs `<code-env>--<exec-config>`'),
    displayName: z.string().min(1).optional().describe('Name shown to users (default: the id)'),
    description: z.string().default('').describe('What this code env is for, shown to users'),
    language: z.enum(['python', 'r']).describe('Kernel language: python (ipykernel, kernelspec python3) or r (IRkernel, kernelspec ir)'),
    packages: packagesSchema.default(() => packagesSchema.parse({})).describe('Packages installed in the image'),
    env: envVarsSchema,
    resources: resourcesSchema.default({ mode: 'none' }),
    availableFor: z
      .union([z.literal('all'), z.array(configIdSchema).min(1)])
      .default('all')
      .describe('Container exec configs to build this code env for: "all", or a list of exec config ids'),
  })
  .strict();

export type CodeEnv = z.infer<typeof codeEnvSchema>;
export type CodeEnvInput = z.input<typeof codeEnvSchema>;

/** The kernelspec each language runs with, in images and locally. */
export const KERNEL_FOR_LANGUAGE: Record<CodeEnv['language'], string> = { python: 'python3', r: 'ir' };
