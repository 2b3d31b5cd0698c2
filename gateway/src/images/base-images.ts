import { InvalidInputError } from '../common/errors';
import { baseLayers, defaultBaseTag, RECIPE_LABEL, recipeFromLabels, type BaseRecipe } from './base-recipe';
import type { ImageTemplates } from './dockerfile';
import type { DockerDaemon } from './docker-client';
import { BERTH_VERSION } from '../common/version';
import { ImageBuilder } from './image-builder';
import type { ImageJob } from './image-jobs';
import { registryHostOf } from './image-names';
import { IMAGE_LABELS, imageSpec, imageState, type ImageState } from './image-spec';
import { loadImageTemplates } from './image-templates';

/** Building a base image (its layers as jobs) and telling whether a built one is up to date. */

export interface BaseBuildOptions {
  /** The name the finished image gets (default berth/base[-r]:latest, berth/cuda[-r]:latest). */
  readonly tag?: string;
  readonly force?: boolean;
  /** Push `tag` when built; it must name a registry ("127.0.0.1:5000/berth/base:latest"). */
  readonly push?: boolean;
  /** More labels (e.g. a test's own). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly templates?: ImageTemplates;
}

/** The jobs that build `recipe` on `daemon`, lowest layer first; each layer carries its recipe as a label. */
export function baseImageJobs(daemon: DockerDaemon, recipe: BaseRecipe, options: BaseBuildOptions = {}): ImageJob[] {
  const templates = options.templates ?? loadImageTemplates();
  const tag = options.tag ?? defaultBaseTag(recipe);
  const registry = options.push === true ? registryHostOf(tag) : undefined;
  if (options.push === true && registry === undefined) {
    throw new InvalidInputError(`--push needs a tag that names a registry, e.g. --tag 127.0.0.1:5000/${tag}; ${tag} names none`);
  }
  const builder = new ImageBuilder(daemon.docker, { daemon: daemon.host });
  const layers = baseLayers(recipe);
  let below: string | undefined;
  return layers.map((layer, index) => {
    const last = index === layers.length - 1;
    const rendered = () => layer.render(templates, below);
    return {
      label: layer.kind,
      parent: () => (index > 0 && below === undefined ? 'the layer below' : rendered().parentImage),
      daemon,
      build: async (onProgress) => {
        const { inputs, parentImage, missingHint } = rendered();
        const result = await builder.build(layer.kind, inputs, {
          parentImage,
          repository: layer.repository,
          missingHint,
          onProgress,
          force: options.force === true,
          labels: { ...(options.labels ?? {}), [RECIPE_LABEL]: JSON.stringify(layer.recipe) },
          ...(last ? { extraTags: [tag] } : {}),
        });
        below = result.ref;
        return result;
      },
      ...(last && registry !== undefined ? { pushTo: () => ({ ref: tag, registry }) } : {}),
    };
  });
}

export type BaseImageState =
  | ImageState
  /** Not made by `berth images build-base`: Berth cannot tell whether it is current. */
  | { readonly state: 'external' }
  | { readonly state: 'parent-missing'; readonly parent: string };

/**
 * Whether the image named `tag` is what its recipe would build now: each layer's spec is compared
 * with the image in the chain below `tag` (found through the parent-id labels).
 */
export async function baseImageState(
  daemon: DockerDaemon,
  tag: string,
  templates: ImageTemplates = loadImageTemplates(),
): Promise<{ recipe?: BaseRecipe; state: BaseImageState }> {
  const builder = new ImageBuilder(daemon.docker, { daemon: daemon.host });
  const top = await builder.inspectOwnImage(tag);
  if (top === undefined) return { state: (await builder.inspectImage(tag)) === undefined ? { state: 'missing' } : { state: 'external' } };
  const recipe = recipeFromLabels(top.labels);
  if (recipe === undefined) return { state: { state: 'external' } };
  const layers = baseLayers(recipe);
  const chain = [top];
  while (chain.length < layers.length) {
    const parentId = chain[0]!.labels[IMAGE_LABELS.parentImageId];
    const parent = parentId === undefined ? undefined : await builder.inspectImage(parentId);
    if (parent === undefined) return { recipe, state: { state: 'stale', reasons: ['base-rebuilt'] } };
    chain.unshift(parent);
  }
  let below: string | undefined;
  for (const [index, layer] of layers.entries()) {
    const { inputs, parentImage } = layer.render(templates, below);
    const parentId = index === 0 ? (await builder.inspectImage(parentImage))?.id : chain[index - 1]!.id;
    if (parentId === undefined) return { recipe, state: { state: 'parent-missing', parent: parentImage } };
    const spec = imageSpec({
      kind: layer.kind,
      inputs,
      parentImage,
      parentImageId: parentId,
      berthVersion: BERTH_VERSION,
      repository: layer.repository,
    });
    const state = imageState(spec, chain[index]!.labels);
    if (state.state !== 'up-to-date') return { recipe, state };
    below = spec.ref;
  }
  return { recipe, state: { state: 'up-to-date' } };
}
