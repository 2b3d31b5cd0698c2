import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { BackendUnavailableError, GatewayError, InvalidInputError, NotFoundError } from '../common/errors';
import { readProgressStream, unreachableCode } from './docker-stream';
import { nameInRegistry, registryHostOf, splitRef } from './image-names';

/**
 * Pushes Berth images to a registry and pulls them back, through the Docker Engine API, with the
 * credentials `docker login` keeps in the Docker config file. The daemon talks to the registry;
 * this module only hands it the credentials (X-Registry-Auth) and reads its progress stream.
 */

/** Cause: the registry refused a push or pull, or cannot be reached. Handled by: fixing the registry address or credentials (502). */
export class RegistryError extends GatewayError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('registry-refused', message, details === undefined ? {} : { details });
  }
}

/** dockerode's authconfig. */
export interface RegistryAuth {
  readonly username: string;
  readonly password: string;
  readonly serveraddress: string;
}

export interface RegistryOptions {
  /** Directory holding config.json; default $DOCKER_CONFIG, else ~/.docker. */
  readonly dockerConfigDir?: string;
  readonly onProgress?: (line: string) => void;
  /** How the daemon is named in messages. */
  readonly daemon?: string;
}

interface DockerConfigEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
}

interface DockerConfigFile {
  auths?: Record<string, DockerConfigEntry>;
  credsStore?: unknown;
  credHelpers?: Record<string, unknown>;
}

export function dockerConfigPath(dockerConfigDir?: string): string {
  return join(dockerConfigDir ?? process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker'), 'config.json');
}

/** The host part of a registry address or config key: "https://host:5000/v1/" → "host:5000". */
function hostKey(address: string): string {
  return address
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}

/**
 * The credentials for `registry` ("host[:port]", optionally followed by a path) from the Docker
 * config file, as dockerode's authconfig; undefined when the file or the registry's entry is missing.
 */
export function registryAuth(registry: string, dockerConfigDir?: string): RegistryAuth | undefined {
  const path = dockerConfigPath(dockerConfigDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidInputError(`cannot read the Docker config ${path}: ${(err as Error).message}`, { cause: err });
  }
  let config: DockerConfigFile;
  try {
    config = JSON.parse(text) as DockerConfigFile;
  } catch (err) {
    throw new InvalidInputError(
      `the Docker config ${path} is not valid JSON (${(err as Error).message}): fix it, or log in again with \`docker login\``,
    );
  }
  if (config === null || typeof config !== 'object') throw new InvalidInputError(`the Docker config ${path} must be a JSON object`);

  const host = hostKey(registry);
  const helperKey = Object.keys(config.credHelpers ?? {}).find((key) => hostKey(key) === host);
  const entryKey = Object.keys(config.auths ?? {}).find((key) => hostKey(key) === host);
  const entry = entryKey === undefined ? undefined : config.auths![entryKey];
  const unsupported = (how: string) =>
    new InvalidInputError(
      `the credentials for registry ${host} in ${path} come from ${how}; credential helpers are not supported: ` +
        `put them in the file itself ("auths": {"${host}": {"auth": base64 of "user:password"}}), e.g. in a separate ` +
        `config directory without "credsStore"/"credHelpers", and point DOCKER_CONFIG (or the exec config) at it`,
    );
  // Docker asks a per-registry helper before anything else.
  if (helperKey !== undefined) throw unsupported(`the credential helper docker-credential-${String(config.credHelpers![helperKey])}`);
  if (entry === undefined || entry === null) return undefined;

  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new InvalidInputError(`the "auth" of registry ${entryKey} in ${path} is not base64 of "user:password"`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: host };
  }
  if (typeof entry.username === 'string' && entry.username !== '' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password, serveraddress: host };
  }
  // An empty entry is what `docker login` leaves when the secret went to the credential store.
  if (typeof config.credsStore === 'string' && config.credsStore !== '') {
    throw unsupported(`the credential store docker-credential-${config.credsStore}`);
  }
  return undefined;
}

const UNREACHABLE = /connection refused|no such host|i\/o timeout|network is unreachable|connection reset|dial tcp/i;
const UNAUTHORIZED = /\b401\b|unauthorized|authentication required|no basic auth credentials|incorrect username or password/i;

interface Operation {
  readonly verb: 'push' | 'pull';
  readonly registry: string;
  readonly image: string;
  readonly configPath: string;
  readonly withCredentials: boolean;
  readonly daemon: string;
}

/** A registry failure as a message that names the registry, the image, why, and what to do. */
function registryError(op: Operation, rawReason: string): RegistryError {
  const reason = rawReason.trim();
  const host = hostKey(op.registry);
  const what = `${op.verb === 'push' ? 'pushing' : 'pulling'} ${op.image} ${op.verb === 'push' ? 'to' : 'from'} registry ${op.registry} failed`;
  let message: string;
  if (UNAUTHORIZED.test(reason)) {
    const why = op.withCredentials
      ? `the registry refused the credentials for ${host} in ${op.configPath}`
      : `the registry requires credentials and ${op.configPath} has none for ${host}`;
    message = `${what}: ${why} (${reason}): add credentials with \`docker login ${host}\` or to ${op.configPath}`;
  } else if (UNREACHABLE.test(reason)) {
    message = `${what}: the registry is unreachable (${reason}): is a registry listening on ${host}?`;
  } else {
    message = `${what}: ${reason}`;
  }
  return new RegistryError(message, { registry: op.registry, image: op.image, reason });
}

/** Errors of the API call itself: the daemon being unreachable is not the registry's fault. */
function callError(op: Operation, err: unknown): Error {
  if (err instanceof GatewayError) return err;
  const code = unreachableCode(err);
  if (code !== undefined) {
    return new BackendUnavailableError(
      `Docker daemon ${op.daemon} is unreachable (${code}) while ${op.verb}ing ${op.image}: start it or fix the docker host`,
      {
        cause: err,
      },
    );
  }
  const json = (err as { json?: { message?: string } }).json;
  return registryError(op, json?.message ?? (err instanceof Error ? err.message : String(err)).replace(/^\(HTTP code \d+\) [^-]*- /, ''));
}

/** Reads a push/pull progress stream to the end: progress to onProgress, the digest it reports, or the registry's error. */
async function follow(stream: NodeJS.ReadableStream, op: Operation, onProgress?: (line: string) => void): Promise<string | undefined> {
  let digest: string | undefined;
  const lastById = new Map<string, string>();
  const error = await readProgressStream(stream, (message) => {
    if (typeof message === 'string') {
      onProgress?.(message);
      return;
    }
    if (message.aux?.Digest !== undefined) digest = message.aux.Digest;
    const status = message.status;
    if (status === undefined) return;
    // "tag: digest: sha256:… size: N" (push) and "Digest: sha256:…" (pull).
    const reported = /digest: (sha256:[0-9a-f]{64})/i.exec(status);
    if (reported) digest ??= reported[1];
    // Byte counters repeat the same status many times per layer: pass each change once.
    const id = message.id ?? '';
    if (lastById.get(id) === status) return;
    lastById.set(id, status);
    onProgress?.(id === '' ? status : `${id}: ${status}`);
  }).catch((err: unknown) => {
    throw callError(op, err);
  });
  if (error !== undefined) throw registryError(op, error);
  return digest;
}

function operation(
  verb: 'push' | 'pull',
  registry: string,
  image: string,
  auth: RegistryAuth | undefined,
  options: RegistryOptions,
): Operation {
  return {
    verb,
    registry,
    image,
    configPath: dockerConfigPath(options.dockerConfigDir),
    withCredentials: auth !== undefined,
    daemon: options.daemon ?? 'unix:///var/run/docker.sock',
  };
}

/**
 * Tags `ref` (e.g. "berth/codeenv-x:abc123") as "<registry>/<repository>:<tag>" and pushes it with
 * the Docker config's credentials for that registry. Resolves with the pushed name and the digest
 * the registry gave the manifest; rejects with RegistryError when the registry refuses.
 */
export async function pushImage(
  docker: Dockerode,
  ref: string,
  registry: string,
  options: RegistryOptions = {},
): Promise<{ pushedRef: string; digest: string }> {
  const pushedRef = ref.startsWith(`${registry.replace(/\/+$/, '')}/`) ? ref : nameInRegistry(registry, ref);
  const auth = registryAuth(registry, options.dockerConfigDir);
  const op = operation('push', registry, pushedRef, auth, options);
  const { repo, tag } = splitRef(pushedRef);
  try {
    if (pushedRef !== ref) await docker.getImage(ref).tag({ repo, tag });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      throw new NotFoundError(`image ${ref} not found on Docker daemon ${op.daemon}: build it first`, { details: { image: ref } });
    }
    throw callError(op, err);
  }
  // An authconfig is always sent (empty without credentials): some daemons reject a push without X-Registry-Auth.
  const authconfig = auth ?? { serveraddress: hostKey(registry) };
  const stream = await docker
    .getImage(repo)
    .push({ tag, authconfig })
    .catch((err: unknown) => {
      throw callError(op, err);
    });
  const digest = await follow(stream, op, options.onProgress);
  if (digest === undefined)
    throw new RegistryError(`pushing ${pushedRef} to registry ${registry} reported success but no digest`, { image: pushedRef });
  return { pushedRef, digest };
}

/**
 * Pulls `pushedRef` ("<registry>/<repository>:<tag>") with the Docker config's credentials for its
 * registry, following the stream to the end. Resolves with the image id and the manifest digest.
 */
export async function pullImage(
  docker: Dockerode,
  pushedRef: string,
  options: RegistryOptions = {},
): Promise<{ ref: string; id: string; digest: string | undefined }> {
  const registry = registryHostOf(pushedRef);
  if (registry === undefined) {
    throw new InvalidInputError(
      `image ${pushedRef} names no registry: pull "<registry>/<repository>:<tag>", e.g. "127.0.0.1:5000/berth/base:latest"`,
    );
  }
  const auth = registryAuth(registry, options.dockerConfigDir);
  const op = operation('pull', registry, pushedRef, auth, options);
  const stream = (await docker.pull(pushedRef, { authconfig: auth ?? { serveraddress: registry } }).catch((err: unknown) => {
    throw callError(op, err);
  })) as NodeJS.ReadableStream;
  const digest = await follow(stream, op, options.onProgress);
  const info = await docker
    .getImage(pushedRef)
    .inspect()
    .catch((err: unknown) => {
      throw callError(op, err);
    });
  return { ref: pushedRef, id: info.Id, digest };
}
