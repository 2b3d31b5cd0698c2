import { z } from 'zod';
import { cudaBaseImage, DEFAULT_CUDA_VERSION, DEFAULT_OS_IMAGE, renderBaseImage, renderCudaImage, renderRLayer } from './dockerfile';
import type { BuildInputs, ImageTemplates } from './dockerfile';
import type { ImageKind } from './image-spec';

/**
 * What `berth images build-base` was asked for, as data: the CLI flags, the REST body and the
 * label on every base layer are the same object, so `--all` can rebuild a stale base exactly as
 * it was first built (the anchor tool's "after each upgrade rebuild everything by hand").
 */
export const baseRecipeSchema = z
  .object({
    type: z.literal('container-exec').default('container-exec').describe('Image type: kernels and runs in containers'),
    r: z.boolean().default(false).describe('Add R and IRkernel'),
    cuda: z.boolean().default(false).describe('Start from the NVIDIA CUDA runtime + cuDNN image'),
    cudaVersion: z
      .string()
      .regex(/^\d+\.\d+(\.\d+)?$/, { message: 'must be a CUDA version like "12.4"' })
      .optional()
      .describe(`CUDA version (default ${DEFAULT_CUDA_VERSION}); needs cuda`),
    from: z.string().min(1).optional().describe('Parent image instead of the default (the OS image, or the CUDA image of the version)'),
  })
  .strict()
  .refine((recipe) => recipe.cudaVersion === undefined || recipe.cuda, { message: 'cudaVersion needs cuda: true', path: ['cudaVersion'] });

export type BaseRecipe = z.infer<typeof baseRecipeSchema>;

/** The label holding a layer's recipe (JSON): the recipe whose last layer it is. */
export const RECIPE_LABEL = 'berth.io/base-recipe';

/** The name a finished base image gets besides its content-hash tag. */
export function defaultBaseTag(recipe: BaseRecipe): string {
  return `berth/${recipe.cuda ? 'cuda' : 'base'}${recipe.r ? '-r' : ''}:latest`;
}

/** One image of a base: the OS/CUDA layer, then the R layer when asked for. */
export interface BaseLayer {
  readonly kind: ImageKind;
  readonly repository: string;
  /** The recipe this layer is the last one of (its label). */
  readonly recipe: BaseRecipe;
  /** Inputs and parent, given the ref of the layer below (undefined for the first layer). */
  render(templates: ImageTemplates, below: string | undefined): { inputs: BuildInputs; parentImage: string; missingHint: string };
}

export function baseLayers(recipe: BaseRecipe): BaseLayer[] {
  const first: BaseLayer = recipe.cuda
    ? {
        kind: 'cuda',
        repository: 'berth/cuda',
        recipe: { ...recipe, r: false },
        render: (templates) => {
          const inputs = renderCudaImage(templates, {
            ...(recipe.cudaVersion === undefined ? {} : { cudaVersion: recipe.cudaVersion }),
            ...(recipe.from === undefined ? {} : { from: recipe.from }),
          });
          return {
            inputs,
            parentImage: inputs.buildArgs['CUDA_IMAGE']!,
            missingHint: `pull or tag ${recipe.from ?? cudaBaseImage(recipe.cudaVersion ?? DEFAULT_CUDA_VERSION)} on that daemon, or pass --from IMAGE`,
          };
        },
      }
    : {
        kind: 'base',
        repository: 'berth/base',
        recipe: { ...recipe, r: false },
        render: (templates) => ({
          inputs: renderBaseImage(templates, recipe.from === undefined ? {} : { from: recipe.from }),
          parentImage: recipe.from ?? DEFAULT_OS_IMAGE,
          missingHint:
            recipe.from === undefined
              ? 'make it with `node scripts/ensure-docker.mjs` (debootstrap + docker import), or pass --from IMAGE'
              : 'pull or build it on that daemon first, or pass another --from IMAGE',
        }),
      };
  if (!recipe.r) return [first];
  const r: BaseLayer = {
    kind: 'r',
    repository: recipe.cuda ? 'berth/cuda-r' : 'berth/base-r',
    recipe,
    render: (templates, below) => ({
      inputs: renderRLayer(templates, { parent: below! }),
      parentImage: below!,
      missingHint: 'build the layer below first',
    }),
  };
  return [first, r];
}

/** The recipe stored on an image, or undefined when it has none (not built by `build-base`) or it does not parse. */
export function recipeFromLabels(labels: Readonly<Record<string, string>>): BaseRecipe | undefined {
  const raw = labels[RECIPE_LABEL];
  if (raw === undefined) return undefined;
  try {
    const parsed = baseRecipeSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
