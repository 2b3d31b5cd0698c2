// Base recipes: the schema the CLI flags and the REST body share, the layers a recipe builds and
// the recipe label that lets `build-code-env --all` rebuild a base as it was first built.
import { baseLayers, baseRecipeSchema, defaultBaseTag, RECIPE_LABEL, recipeFromLabels } from '../../../gateway/src/images/base-recipe';
import { DEFAULT_OS_IMAGE } from '../../../gateway/src/images/dockerfile';
import { loadImageTemplates } from '../../../gateway/src/images/image-templates';

const templates = loadImageTemplates();
const recipe = (input: object) => baseRecipeSchema.parse(input);

test('an empty recipe is a plain container-exec base on the local OS image', () => {
  expect(recipe({})).toEqual({ type: 'container-exec', r: false, cuda: false });
  const [layer, ...more] = baseLayers(recipe({}));
  expect(more).toHaveLength(0);
  const rendered = layer!.render(templates, undefined);
  expect(layer!.kind).toBe('base');
  expect(rendered.parentImage).toBe(DEFAULT_OS_IMAGE);
  expect(rendered.missingHint).toContain('scripts/ensure-docker.mjs');
  expect(defaultBaseTag(recipe({}))).toBe('berth/base:latest');
});

test('an R recipe adds the R layer on the ref of the layer below, and each layer carries its own recipe', () => {
  const r = recipe({ r: true, from: 'debian:bookworm' });
  const layers = baseLayers(r);
  expect(layers.map((layer) => [layer.kind, layer.repository])).toEqual([
    ['base', 'berth/base'],
    ['r', 'berth/base-r'],
  ]);
  expect(layers[0]!.recipe).toEqual({ ...r, r: false });
  expect(layers[1]!.recipe).toEqual(r);
  expect(layers[0]!.render(templates, undefined).parentImage).toBe('debian:bookworm');
  const second = layers[1]!.render(templates, 'berth/base:0123456789ab');
  expect(second.parentImage).toBe('berth/base:0123456789ab');
  expect(second.inputs.dockerfile).toContain('ARG BASE_IMAGE=berth/base:0123456789ab');
  expect(defaultBaseTag(r)).toBe('berth/base-r:latest');
});

test('a CUDA recipe starts from the NVIDIA image of its version', () => {
  const cuda = recipe({ cuda: true, cudaVersion: '11.8', r: true });
  const [first] = baseLayers(cuda);
  expect(first!.kind).toBe('cuda');
  expect(first!.render(templates, undefined).parentImage).toBe('nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04');
  expect(defaultBaseTag(cuda)).toBe('berth/cuda-r:latest');
});

test('bad recipes are refused with the field named', () => {
  const noCuda = baseRecipeSchema.safeParse({ cudaVersion: '12.4' });
  expect(noCuda.success).toBe(false);
  expect(noCuda.error!.issues[0]).toEqual(expect.objectContaining({ path: ['cudaVersion'], message: 'cudaVersion needs cuda: true' }));
  expect(baseRecipeSchema.safeParse({ type: 'spark' }).success).toBe(false);
  expect(baseRecipeSchema.safeParse({ cuda: true, cudaVersion: 'latest' }).success).toBe(false);
  expect(baseRecipeSchema.safeParse({ withR: true }).error!.issues[0]!.code).toBe('unrecognized_keys');
});

test('the recipe label round-trips, and a missing or broken one reads as no recipe', () => {
  const r = recipe({ r: true, cuda: true, cudaVersion: '12.4' });
  expect(recipeFromLabels({ [RECIPE_LABEL]: JSON.stringify(r) })).toEqual(r);
  expect(recipeFromLabels({})).toBeUndefined();
  expect(recipeFromLabels({ [RECIPE_LABEL]: '{not json' })).toBeUndefined();
  expect(recipeFromLabels({ [RECIPE_LABEL]: '{"type":"spark"}' })).toBeUndefined();
});
