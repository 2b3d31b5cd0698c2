import { InvalidInputError, NotFoundError } from '../common/errors';
import type { CodeEnv } from '../execution/code-env';
import type { ContainerExecConfig, ExecConfig } from '../execution/execution-config';
import { execConfigsForCodeEnv } from '../execution/kernel-pairs';
import { baseImageJobs, baseImageState, type BaseImageState } from './base-images';
import { recipeFromLabels, type BaseRecipe } from './base-recipe';
import { codeEnvInputs } from './code-env-inputs';
import type { ImageTemplates } from './dockerfile';
import { buildDaemonsOf, registryOf, type DockerDaemon } from './docker-client';
import { BERTH_VERSION } from '../common/version';
import { ImageBuilder } from './image-builder';
import type { ImageJob } from './image-jobs';
import { nameInRegistry } from './image-names';
import { IMAGE_LABELS, imageSpec, imageState, type ImageSpec, type ImageState } from './image-spec';
import { loadImageTemplates } from './image-templates';

/**
 * Code-env images: one per code env × container exec config it is available for × daemon of that
 * exec config, built on the exec config's base image on each daemon. `--all` first brings every base Berth built up to date (a
 * base whose recipe or Berth version changed is rebuilt), then the code envs on top, in order.
 */

/** Where the objects come from: a config directory, or the gateway's store (relative paths resolve against `dir`). */
export interface ImageSource {
  readonly dir: string;
  readonly execConfigs: readonly ExecConfig[];
  readonly codeEnvs: readonly CodeEnv[];
}

export interface CodeEnvSelection {
  /** One code env, or every one with `all`. */
  readonly codeEnvId?: string;
  readonly all?: boolean;
  /** Only for this exec config. */
  readonly execConfigId?: string;
}

export interface CodeEnvBuildOptions {
  readonly force?: boolean;
  /** Push each image to its exec config's registry. */
  readonly push?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly templates?: ImageTemplates;
}

/** A code env on one daemon of one exec config: one image. */
interface Pair {
  readonly codeEnv: CodeEnv;
  readonly execConfig: ContainerExecConfig;
  readonly base: string;
  readonly daemon: DockerDaemon;
  /** "pandas@docker-small", plus " on <daemon>" when the exec config has several daemons. */
  readonly label: string;
}

function pairsOf(source: ImageSource, selection: CodeEnvSelection): Pair[] {
  const { codeEnvId, all = false, execConfigId } = selection;
  if (!all && codeEnvId === undefined) throw new InvalidInputError('name a code env ID, or pass --all');
  if (all && codeEnvId !== undefined) throw new InvalidInputError('pass either a code env ID or --all, not both');
  const codeEnvs = all ? source.codeEnvs : source.codeEnvs.filter((c) => c.id === codeEnvId);
  if (codeEnvs.length === 0 && !all) {
    throw new NotFoundError(`code env ${codeEnvId} does not exist; code envs: ${source.codeEnvs.map((c) => c.id).join(', ') || 'none'}`);
  }
  if (execConfigId !== undefined && !source.execConfigs.some((c) => c.id === execConfigId)) {
    throw new NotFoundError(`exec config ${execConfigId} does not exist; exec configs: ${source.execConfigs.map((c) => c.id).join(', ')}`);
  }
  return codeEnvs.flatMap((codeEnv) =>
    execConfigsForCodeEnv(codeEnv, source.execConfigs)
      .filter((execConfig) => execConfigId === undefined || execConfig.id === execConfigId)
      .flatMap((execConfig) => {
        if (execConfig.baseImage === undefined) {
          throw new InvalidInputError(`exec config ${execConfig.id} has no baseImage: set one to build code envs for it`);
        }
        const daemons = buildDaemonsOf(source.dir, execConfig);
        return daemons.map((daemon) => ({
          codeEnv,
          execConfig,
          base: execConfig.baseImage!,
          daemon,
          label: `${codeEnv.id}@${execConfig.id}${daemons.length > 1 ? ` on ${daemon.host}` : ''}`,
        }));
      }),
  );
}

/** The command that makes a missing base image, guessed from its name. */
export function baseMissingHint(base: string): string {
  const r = /-r(:|$)/.test(base) ? ' --with-r' : '';
  const cuda = /cuda/.test(base) ? ' --with-cuda' : '';
  return `build it with \`berth images build-base${cuda}${r} --tag ${base}\``;
}

/** Each base image once per daemon, with the exec configs that use it. */
function distinctBases(pairs: readonly Pair[]): { base: string; daemon: DockerDaemon; execConfigs: string[] }[] {
  const byKey = new Map<string, { base: string; daemon: DockerDaemon; execConfigs: string[] }>();
  for (const pair of pairs) {
    const daemon = pair.daemon;
    const key = `${daemon.host} ${pair.base}`;
    const entry = byKey.get(key) ?? { base: pair.base, daemon, execConfigs: [] };
    if (!entry.execConfigs.includes(pair.execConfig.id)) entry.execConfigs.push(pair.execConfig.id);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

/** The jobs for `selection`: with `all`, first the layers of every base Berth built, then the code envs. */
export async function codeEnvImageJobs(
  source: ImageSource,
  selection: CodeEnvSelection,
  options: CodeEnvBuildOptions = {},
): Promise<ImageJob[]> {
  const templates = options.templates ?? loadImageTemplates();
  const pairs = pairsOf(source, selection);
  if (options.push === true) {
    const without = pairs.filter((pair) => registryOf(pair.execConfig) === undefined).map((pair) => pair.execConfig.id);
    if (without.length > 0) {
      throw new InvalidInputError(
        `--push: exec config ${[...new Set(without)].join(', ')} has no registry; set docker.registry (e.g. "127.0.0.1:5000") or build without --push`,
      );
    }
    for (const pair of pairs) nameInRegistry(registryOf(pair.execConfig)!, 'probe'); // a malformed registry fails before any build
  }
  const jobs: ImageJob[] = [];
  if (selection.all === true) {
    for (const { base, daemon } of distinctBases(pairs)) {
      const existing = await new ImageBuilder(daemon.docker, { daemon: daemon.host }).inspectOwnImage(base);
      const recipe = existing === undefined ? undefined : recipeFromLabels(existing.labels);
      if (recipe !== undefined)
        jobs.push(
          ...baseImageJobs(daemon, recipe, { tag: base, templates, ...(options.labels === undefined ? {} : { labels: options.labels }) }),
        );
    }
  }
  for (const pair of pairs) {
    const daemon = pair.daemon;
    const builder = new ImageBuilder(daemon.docker, { daemon: daemon.host });
    const registry = registryOf(pair.execConfig);
    jobs.push({
      label: pair.label,
      parent: () => pair.base,
      daemon,
      build: (onProgress) =>
        builder.build('code-env', codeEnvInputs(source.dir, templates, pair.codeEnv, pair.base), {
          parentImage: pair.base,
          codeEnvId: pair.codeEnv.id,
          force: options.force === true,
          missingHint: baseMissingHint(pair.base),
          onProgress,
          ...(options.labels === undefined ? {} : { labels: options.labels }),
        }),
      // The base goes along: a gateway without a Docker daemon (in a cluster) reads its id from the
      // registry to name this image, and plain kernelspecs of the exec config run it.
      ...(options.push === true && registry !== undefined
        ? { pushTo: (result) => ({ ref: result.ref, registry, alongside: [pair.base] }) }
        : {}),
    });
  }
  return jobs;
}

export interface ListedBase {
  readonly image: string;
  readonly daemon: string;
  readonly execConfigs: readonly string[];
  readonly recipe?: BaseRecipe;
  readonly state: BaseImageState;
}

export interface ListedCodeEnvImage {
  readonly codeEnv: string;
  readonly execConfig: string;
  readonly daemon: string;
  readonly baseImage: string;
  /** The ref the image has (or would have) now; undefined when the base image is missing. */
  readonly image?: string;
  readonly state: ImageState | { readonly state: 'base-missing' };
}

export interface ImageListing {
  readonly bases: readonly ListedBase[];
  readonly codeEnvs: readonly ListedCodeEnvImage[];
}

/** Every base image and every code env × container exec config image, with its state. */
export async function listImages(source: ImageSource, templates: ImageTemplates = loadImageTemplates()): Promise<ImageListing> {
  const pairs = pairsOf(source, { all: true });
  const bases: ListedBase[] = [];
  for (const { base, daemon, execConfigs } of distinctBases(pairs)) {
    const { recipe, state } = await baseImageState(daemon, base, templates);
    bases.push({ image: base, daemon: daemon.host, execConfigs, state, ...(recipe === undefined ? {} : { recipe }) });
  }
  const codeEnvs: ListedCodeEnvImage[] = [];
  for (const pair of pairs) {
    const daemon = pair.daemon;
    const builder = new ImageBuilder(daemon.docker, { daemon: daemon.host });
    const row = { codeEnv: pair.codeEnv.id, execConfig: pair.execConfig.id, daemon: daemon.host, baseImage: pair.base };
    const parent = await builder.inspectImage(pair.base);
    if (parent === undefined) {
      codeEnvs.push({ ...row, state: { state: 'base-missing' } });
      continue;
    }
    const spec = imageSpec({
      kind: 'code-env',
      inputs: codeEnvInputs(source.dir, templates, pair.codeEnv, pair.base),
      parentImage: pair.base,
      parentImageId: parent.id,
      berthVersion: BERTH_VERSION,
      codeEnvId: pair.codeEnv.id,
    });
    codeEnvs.push({
      ...row,
      image: spec.ref,
      state: imageState(spec, await newestLabels(builder, daemon, spec, pair.codeEnv.id, pair.base)),
    });
  }
  return { bases, codeEnvs };
}

/** Labels of the expected image when it exists, else of the newest image of this code env on this base. */
async function newestLabels(
  builder: ImageBuilder,
  daemon: DockerDaemon,
  spec: ImageSpec,
  codeEnvId: string,
  base: string,
): Promise<Readonly<Record<string, string>> | undefined> {
  const exact = await builder.inspectImage(spec.ref);
  if (exact !== undefined && exact.labels[IMAGE_LABELS.specHash] === spec.specHash) return exact.labels;
  const images = await daemon.docker.listImages({
    filters: JSON.stringify({ label: [`${IMAGE_LABELS.codeEnv}=${codeEnvId}`, `${IMAGE_LABELS.parentImage}=${base}`] }),
  });
  const newest = images.sort((a, b) => b.Created - a.Created)[0];
  return newest === undefined ? undefined : (newest.Labels ?? {});
}
