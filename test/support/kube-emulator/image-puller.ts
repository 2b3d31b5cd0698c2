// The kubelet's image step, against a "registry" that holds exactly the images of the local Docker
// Engine (nothing can be pulled on these machines): an image present locally is pulled instantly
// (policy Always) or found already present (IfNotPresent, Never); an absent one, or one the
// pullFails switch names, fails the way containerd reports a missing repository.
import type Dockerode from 'dockerode';
import { normalizeImage, type Switches } from './switches';

export interface PulledImage {
  ok: true;
  /** imageID as the CRI reports it: the repo digest, or the local image id. */
  imageID: string;
  /** The image's configured user (for runAsNonRoot). */
  user: string;
  size: number;
  /** Whether it was "pulled" (policy Always) rather than found present. */
  pulled: boolean;
  ms: number;
}

export interface FailedPull {
  ok: false;
  reason: 'ErrImagePull' | 'ErrImageNeverPull';
  message: string;
}

export function notFoundMessage(image: string): string {
  const ref = normalizeImage(image);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
}

export async function pullImage(docker: Dockerode, switches: Switches, image: string, policy: string): Promise<PulledImage | FailedPull> {
  const started = Date.now();
  const switched = switches.pullFailure(image);
  const info = await docker
    .getImage(image)
    .inspect()
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return undefined;
      throw err;
    });
  if (policy === 'Never' && info === undefined) {
    return { ok: false, reason: 'ErrImageNeverPull', message: `Container image "${image}" is not present with pull policy of Never` };
  }
  const pulls = policy === 'Always' || info === undefined;
  if (pulls && switched !== undefined) return { ok: false, reason: 'ErrImagePull', message: switched };
  if (info === undefined) return { ok: false, reason: 'ErrImagePull', message: notFoundMessage(image) };
  const digest = info.RepoDigests?.[0];
  return {
    ok: true,
    imageID: digest !== undefined ? `docker-pullable://${digest}` : `docker://${info.Id}`,
    user: info.Config?.User ?? '',
    size: info.Size,
    pulled: pulls,
    ms: Date.now() - started,
  };
}

/** time.Duration's String(): 350ms, 1.5s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(3))}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${Number((seconds - minutes * 60).toFixed(3))}s`;
}
