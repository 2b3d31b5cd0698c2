import type Dockerode from 'dockerode';
import { BackendUnavailableError, InvalidInputError, NotFoundError } from '../../common/errors';
import type { CodeEnv } from '../../execution/code-env';
import { ImageBuilder } from '../../images/image-builder';
import { nameInRegistry, registryHostOf } from '../../images/image-names';
import { IMAGE_LABELS } from '../../images/image-spec';
import { registryImageId } from '../../images/registry-manifest';
import { expectedRef, type ImageChoice, type ImageLookup } from '../docker/kernel-image';
import type { KubernetesExecConfig } from './pod-spec';

/**
 * Which image a kernel pod runs, named in the exec config's registry (nodes cannot see the
 * gateway's local images): the code env's image, tagged with the content hash `berth images`
 * gives it, or the exec config's base image for a plain kernelspec. Whether the registry has it
 * is the cluster's to say: a missing image fails the launch within seconds with the kubelet's
 * ErrImagePull, which the provisioner reports.
 *
 * The content hash includes the base image's id. The Docker daemon images are built on (for
 * Kubernetes exec configs, the gateway's local one) knows it; a gateway without a daemon (in a
 * cluster) reads it from the registry, where `--push` put the base next to the code env images.
 */

export interface PodImageLookup extends ImageLookup {
  /** The daemon `berth images build-code-env` builds this exec config's images on, and its address for messages. */
  readonly buildDaemon: Dockerode;
  readonly buildDaemonHost: string;
  /** The Docker config whose credentials read the registry when there is no build daemon (default: $DOCKER_CONFIG, ~/.docker). */
  readonly dockerConfigDir?: string;
}

function buildCommand(codeEnv: CodeEnv, execConfig: KubernetesExecConfig): string {
  return `berth images build-code-env ${codeEnv.id} --exec-config ${execConfig.id} --push`;
}

/** `ref` as the cluster pulls it: unchanged when it names a registry already, else in the exec config's. */
export function inRegistry(execConfig: KubernetesExecConfig, ref: string): string {
  return registryHostOf(ref) === undefined ? nameInRegistry(execConfig.kubernetes.registry, ref) : ref;
}

/** The id of the exec config's base image as its registry has it, or a clear error saying what to push. */
async function registryBaseId(lookup: PodImageLookup, execConfig: KubernetesExecConfig, codeEnv: CodeEnv, base: string): Promise<string> {
  const pushedBase = inRegistry(execConfig, base);
  const id = await registryImageId(pushedBase, lookup.dockerConfigDir === undefined ? {} : { dockerConfigDir: lookup.dockerConfigDir });
  if (id !== undefined) return id;
  throw new NotFoundError(
    `No image for code env "${codeEnv.id}" on exec config "${execConfig.id}": the gateway has no Docker daemon (${lookup.buildDaemonHost}) and registry ${execConfig.kubernetes.registry} has no ${pushedBase}, the base image that names its builds. An admin builds and pushes both with \`${buildCommand(codeEnv, execConfig)}\`.`,
    { details: { codeEnv: codeEnv.id, executionConfig: execConfig.id, image: pushedBase } },
  );
}

export async function podImage(
  lookup: PodImageLookup,
  execConfig: KubernetesExecConfig,
  codeEnv: CodeEnv | undefined,
): Promise<ImageChoice> {
  const base = execConfig.baseImage;
  if (base === undefined) {
    throw new InvalidInputError(
      `Exec config "${execConfig.id}" has no baseImage: an admin sets one (kernel pods run it or images built on it).`,
      {
        details: { executionConfig: execConfig.id },
      },
    );
  }
  if (codeEnv === undefined) return { ref: inRegistry(execConfig, base) };
  const builder = new ImageBuilder(lookup.buildDaemon, { daemon: lookup.buildDaemonHost });
  let parent: { id: string } | undefined;
  try {
    parent = await builder.inspectImage(base);
  } catch (error) {
    if (!(error instanceof BackendUnavailableError)) throw error;
    // No daemon where the gateway runs (in a cluster): the registry the nodes pull from knows the base.
    return { ref: inRegistry(execConfig, expectedRef(lookup, codeEnv, base, await registryBaseId(lookup, execConfig, codeEnv, base))) };
  }
  if (parent !== undefined) return { ref: inRegistry(execConfig, expectedRef(lookup, codeEnv, base, parent.id)) };
  // The base is gone from the build daemon (pruned, or rebuilt elsewhere): the newest build known here, if any.
  const older = await lookup.buildDaemon.listImages({
    filters: JSON.stringify({ label: [`${IMAGE_LABELS.codeEnv}=${codeEnv.id}`, `${IMAGE_LABELS.parentImage}=${base}`] }),
  });
  const newest = older.sort((a, b) => b.Created - a.Created)[0];
  const own = newest?.Labels?.[IMAGE_LABELS.ref];
  if (own !== undefined) {
    return {
      ref: inRegistry(execConfig, own),
      stale: `the base image ${base} of code env ${codeEnv.id} is not on ${lookup.buildDaemonHost}: kernels run its last build; run \`${buildCommand(codeEnv, execConfig)}\``,
    };
  }
  throw new NotFoundError(
    `No image for code env "${codeEnv.id}" on exec config "${execConfig.id}": its base image ${base} is not on the Docker daemon ${lookup.buildDaemonHost} images are built on, and no build of it is. An admin builds and pushes it with \`${buildCommand(codeEnv, execConfig)}\`.`,
    { details: { codeEnv: codeEnv.id, executionConfig: execConfig.id, daemon: lookup.buildDaemonHost } },
  );
}
