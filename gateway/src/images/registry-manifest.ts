import { BackendUnavailableError } from '../common/errors';
import { registryHostOf, splitRef } from './image-names';
import { RegistryError, registryAuth, type RegistryAuth } from './registry-push';

/**
 * Reads an image's id from its registry over the Registry HTTP API (distribution v2), with no
 * Docker daemon: the id Docker gives an image is the digest of its config blob, which the
 * image's manifest names. A gateway inside a cluster has no daemon, yet must know the id of an
 * exec config's base image to name the code env images built on it (their tags hash it).
 *
 * Credentials are the Docker config's for the registry (as for pushes): basic auth, or the bearer
 * token the registry's token service gives for them.
 */

export interface ManifestOptions {
  /** Directory holding config.json; default $DOCKER_CONFIG, else ~/.docker. */
  readonly dockerConfigDir?: string;
  readonly timeoutMs?: number;
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

const DEFAULT_TIMEOUT_MS = 10_000;

interface Manifest {
  readonly mediaType?: string;
  readonly config?: { readonly digest?: string };
  readonly manifests?: readonly { readonly digest: string; readonly platform?: { readonly os?: string; readonly architecture?: string } }[];
}

/** Docker's platform names for Node's. */
const ARCHITECTURES: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/** Loopback registries speak plain HTTP, as Docker allows them to; every other one HTTPS. */
function baseUrl(host: string): string {
  const name = host.replace(/:\d+$/, '');
  const insecure = name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
  return `${insecure ? 'http' : 'https'}://${host}`;
}

function basic(auth: RegistryAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

/** `Bearer realm="…",service="…",scope="…"` → its parameters. */
function challengeParams(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/(\w+)="([^"]*)"/g)) params[match[1]!] = match[2]!;
  return params;
}

class RegistrySession {
  private authorization: string | undefined;

  constructor(
    private readonly host: string,
    private readonly repository: string,
    private readonly auth: RegistryAuth | undefined,
    private readonly timeoutMs: number,
  ) {}

  /** GET `path` under /v2/<repository>/, answering the registry's auth challenge once. */
  async get(path: string): Promise<Response> {
    const url = `${baseUrl(this.host)}/v2/${this.repository}/${path}`;
    let response = await this.fetch(url);
    if (response.status === 401) {
      this.authorization = await this.answer(response.headers.get('www-authenticate') ?? '');
      response = await this.fetch(url);
      if (response.status === 401) throw this.refused('it refused the credentials the Docker config has for it');
    }
    return response;
  }

  private refused(why: string): RegistryError {
    return new RegistryError(
      `registry ${this.host} refused to show ${this.repository}: ${why}: add credentials with \`docker login ${this.host}\` to the Docker config of the gateway`,
      { registry: this.host, image: this.repository },
    );
  }

  private async fetch(url: string): Promise<Response> {
    try {
      return await fetch(url, {
        headers: { accept: MANIFEST_TYPES, ...(this.authorization === undefined ? {} : { authorization: this.authorization }) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new BackendUnavailableError(`registry ${this.host} is unreachable (${cause}): is a registry listening there?`, {
        cause: error,
      });
    }
  }

  /** The Authorization header for a challenge: basic credentials, or a bearer token got with them. */
  private async answer(challenge: string): Promise<string> {
    if (/^basic/i.test(challenge)) {
      if (this.auth === undefined) throw this.refused('it requires credentials and the Docker config has none for it');
      return basic(this.auth);
    }
    const params = challengeParams(challenge);
    if (!/^bearer/i.test(challenge) || params['realm'] === undefined)
      throw this.refused(`it asks for an unknown authentication (${challenge})`);
    const tokenUrl = new URL(params['realm']);
    if (params['service'] !== undefined) tokenUrl.searchParams.set('service', params['service']);
    tokenUrl.searchParams.set('scope', params['scope'] ?? `repository:${this.repository}:pull`);
    const answer = await fetch(tokenUrl, {
      headers: this.auth === undefined ? {} : { authorization: basic(this.auth) },
      signal: AbortSignal.timeout(this.timeoutMs),
    }).catch((error: unknown) => {
      throw new BackendUnavailableError(`the token service of registry ${this.host} (${tokenUrl.origin}) is unreachable`, { cause: error });
    });
    if (!answer.ok) throw this.refused(`its token service answered HTTP ${answer.status}`);
    const body = (await answer.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (token === undefined) throw this.refused('its token service gave no token');
    return `Bearer ${token}`;
  }
}

/**
 * The image id ("sha256:…") of `ref` ("<registry>/<repository>:<tag>") as its registry holds it,
 * for this machine's platform when the tag is a multi-platform index; undefined when the registry
 * has no such tag. Rejects with RegistryError when the registry refuses, BackendUnavailableError
 * when it cannot be reached.
 */
export async function registryImageId(ref: string, options: ManifestOptions = {}): Promise<string | undefined> {
  const host = registryHostOf(ref);
  if (host === undefined) throw new Error(`registryImageId: ${ref} names no registry`);
  const { repo, tag } = splitRef(ref.slice(host.length + 1));
  const session = new RegistrySession(host, repo, registryAuth(host, options.dockerConfigDir), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let reference = tag;
  // An index points at one manifest per platform: at most one more step.
  for (let step = 0; step < 2; step++) {
    const response = await session.get(`manifests/${reference}`);
    if (response.status === 404) return undefined;
    if (!response.ok) {
      throw new RegistryError(`registry ${host} answered HTTP ${response.status} for the manifest of ${ref}: ${await response.text()}`, {
        registry: host,
        image: ref,
      });
    }
    const manifest = (await response.json()) as Manifest;
    if (manifest.config?.digest !== undefined) return manifest.config.digest;
    const architecture = ARCHITECTURES[process.arch] ?? process.arch;
    const own = manifest.manifests?.find((entry) => entry.platform?.os === 'linux' && entry.platform.architecture === architecture);
    if (own === undefined) return undefined;
    reference = own.digest;
  }
  return undefined;
}
