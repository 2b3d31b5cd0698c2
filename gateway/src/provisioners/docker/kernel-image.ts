import type Dockerode from 'dockerode';
import { BackendUnavailableError, NotFoundError } from '../../common/errors';
import { BERTH_VERSION } from '../../common/version';
import type { CodeEnv } from '../../execution/code-env';
import type { DockerExecConfig } from '../../execution/execution-config';
import { codeEnvInputs } from '../../images/code-env-inputs';
import type { ImageTemplates } from '../../images/dockerfile';
import { ImageBuilder } from '../../images/image-builder';
import { nameInRegistry } from '../../images/image-names';
import { IMAGE_LABELS, imageSpec } from '../../images/image-spec';
import { pullImage } from '../../images/registry-push';

/**
 * Which image a kernel runs: the code env's image for its exec config (the content-hash ref the
 * builder gives it, computed the same way), or the exec config's base image for a plain
 * kernelspec. With a registry the image is pulled as the exec config's pull policy says.
 */

export interface ImageChoice {
  readonly ref: string;
  /** Set when only an older build exists: the kernel runs on it, and the log says what to rebuild. */
  readonly stale?: string;
}

export interface ImageLookup {
  readonly configDir: string;
  readonly templates: ImageTemplates;
}

function buildCommand(codeEnv: CodeEnv, execConfig: DockerExecConfig): string {
  return `berth images build-code-env ${codeEnv.id} --exec-config ${execConfig.id}`;
}

/**
 * The content-hash ref `berth images` gives the code env's image on this base, remembered per code
 * env (as its JSON) and base image id: rendering and hashing on every start cost ~10 ms (much more
 * when 16 start at once). Wheelhouse or resources files changed on disk without a rebuild are seen
 * after a gateway restart; until then kernels run on the image that was built, as they would anyway.
 */
const refCache = new Map<string, string>();
const REF_CACHE_SIZE = 256;

/** The code env's image on a base of id `parentId`: `berth/codeenv-<id>:<content hash>`, as `berth images` tags it. */
export function expectedRef(lookup: ImageLookup, codeEnv: CodeEnv, base: string, parentId: string): string {
  const key = JSON.stringify([codeEnv, base, parentId, lookup.configDir]);
  let ref = refCache.get(key);
  if (ref === undefined) {
    ref = imageSpec({
      kind: 'code-env',
      inputs: codeEnvInputs(lookup.configDir, lookup.templates, codeEnv, base),
      parentImage: base,
      parentImageId: parentId,
      berthVersion: BERTH_VERSION,
      codeEnvId: codeEnv.id,
    }).ref;
    if (refCache.size >= REF_CACHE_SIZE) refCache.clear();
    refCache.set(key, ref);
  }
  return ref;
}

/** The ref of the code env's image on `docker` (exact, else the newest older build), or a clear error. */
async function codeEnvImage(
  docker: Dockerode,
  daemon: string,
  lookup: ImageLookup,
  codeEnv: CodeEnv,
  execConfig: DockerExecConfig,
): Promise<ImageChoice> {
  const builder = new ImageBuilder(docker, { daemon });
  const base = execConfig.baseImage!;
  const parent = await builder.inspectImage(base);
  if (parent !== undefined) {
    const ref = expectedRef(lookup, codeEnv, base, parent.id);
    const exact = await builder.inspectImage(ref);
    if (exact !== undefined) return { ref };
    if (execConfig.docker.registry !== undefined) return { ref: nameInRegistry(execConfig.docker.registry, ref) };
  }
  const older = await docker.listImages({
    filters: JSON.stringify({ label: [`${IMAGE_LABELS.codeEnv}=${codeEnv.id}`, `${IMAGE_LABELS.parentImage}=${base}`] }),
  });
  const newest = older.sort((a, b) => b.Created - a.Created)[0];
  const tagged = newest?.RepoTags?.find((tag) => tag !== '<none>:<none>');
  if (newest !== undefined) {
    return {
      ref: tagged ?? newest.Id,
      stale: `the image of code env ${codeEnv.id} is out of date: run \`${buildCommand(codeEnv, execConfig)}\``,
    };
  }
  throw new NotFoundError(
    `No image for code env "${codeEnv.id}" on exec config "${execConfig.id}" on Docker daemon ${daemon}${parent === undefined ? ` (its base image ${base} is missing too)` : ''}: an admin builds it with \`${buildCommand(codeEnv, execConfig)}\`.`,
    { details: { codeEnv: codeEnv.id, executionConfig: execConfig.id, daemon } },
  );
}

/** The image to run, present on `docker` (pulled first when the pull policy says so). */
export async function kernelImage(
  docker: Dockerode,
  daemon: string,
  lookup: ImageLookup,
  execConfig: DockerExecConfig,
  codeEnv: CodeEnv | undefined,
  onPull: () => void,
): Promise<ImageChoice> {
  const choice = codeEnv === undefined ? { ref: execConfig.baseImage! } : await codeEnvImage(docker, daemon, lookup, codeEnv, execConfig);
  const policy = execConfig.docker.pullPolicy;
  const present = policy === 'always' ? false : (await new ImageBuilder(docker, { daemon }).inspectImage(choice.ref)) !== undefined;
  if (present) return choice;
  const fromRegistry =
    execConfig.docker.registry !== undefined && choice.ref.startsWith(`${execConfig.docker.registry.replace(/\/+$/, '')}/`);
  if (policy === 'never' || !fromRegistry) {
    if (codeEnv === undefined) {
      throw new NotFoundError(
        `The base image ${choice.ref} of exec config "${execConfig.id}" is not on Docker daemon ${daemon}: an admin builds it with \`berth images build-base --tag ${choice.ref}\`.`,
        { details: { image: choice.ref, executionConfig: execConfig.id, daemon } },
      );
    }
    throw new NotFoundError(
      `Image ${choice.ref} is not on Docker daemon ${daemon}: build it with \`${buildCommand(codeEnv, execConfig)}\`.`,
      {
        details: { image: choice.ref, executionConfig: execConfig.id, daemon },
      },
    );
  }
  onPull();
  await pullImage(docker, choice.ref, { daemon }).catch((error: unknown) => {
    throw error instanceof Error ? error : new BackendUnavailableError(String(error));
  });
  return choice;
}
