// Config directories for tests (any exec configs and code envs; the common one: one Docker exec
// config on the local daemon with host network and one code env available for it), images built
// the way an admin builds them (`berth images build-base`, `berth images build-code-env`), and the
// cleanup of what such a test leaves on the daemon.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { stringify } from 'yaml';

const BERTH = resolve(__dirname, '..', '..', 'gateway', 'bin', 'berth.js');
const run = promisify(execFile);

/** Runs the CLI (gateway/bin/berth.js, on the compiled gateway/dist) and resolves with its output. */
export function berthCli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [BERTH, ...args], { maxBuffer: 64 * 1024 * 1024 });
}

export interface DockerCodeEnvOptions {
  /** The code env's id (start it with berth-test-), language and Debian packages. */
  readonly codeEnv: string;
  readonly language: 'python' | 'r';
  readonly apt?: readonly string[];
  /** The Docker exec config's id and the base image its code envs are built on (on the local daemon). */
  readonly execConfig: string;
  readonly baseImage: string;
  /** Host folders bind-mounted into the kernel containers at the same path. */
  readonly mounts?: readonly string[];
}

/** A config directory's exec configs and code envs, each by id, as their YAML files would hold them. */
export interface ConfigDirContents {
  readonly execConfigs: Readonly<Record<string, Record<string, unknown>>>;
  readonly codeEnvs: Readonly<Record<string, Record<string, unknown>>>;
}

/** Writes a new config directory (under the OS temp dir, named after `prefix`); the caller removes it. */
export function makeConfigDir(prefix: string, contents: ConfigDirContents): string {
  const configDir = mkdtempSync(join(tmpdir(), `${prefix}-config-`));
  mkdirSync(join(configDir, 'execution-configs'));
  mkdirSync(join(configDir, 'code-envs'));
  for (const [id, body] of Object.entries(contents.execConfigs)) {
    writeFileSync(join(configDir, 'execution-configs', `${id}.yaml`), stringify(body));
  }
  for (const [id, body] of Object.entries(contents.codeEnvs)) writeFileSync(join(configDir, 'code-envs', `${id}.yaml`), stringify(body));
  return configDir;
}

/**
 * Builds a code env's image for one exec config of `configDir` through the CLI (`berth images
 * build-code-env`) and resolves with the ref it has on the daemon (`berth/codeenv-<id>:<hash>`),
 * whether built now or already up to date.
 */
export async function buildCodeEnvImage(configDir: string, codeEnv: string, execConfig: string): Promise<string> {
  const { stdout } = await berthCli('images', 'build-code-env', codeEnv, '--exec-config', execConfig, '--config-dir', configDir);
  const ref = stdout
    .split('\n')
    .find((line) => line.startsWith(`${codeEnv}@${execConfig}: `))
    ?.split(' ')[1];
  if (ref === undefined) throw new Error(`build-code-env named no image for ${codeEnv}@${execConfig}:\n${stdout}`);
  return ref;
}

/**
 * Writes the config directory, then builds the code env's image for the exec config through the
 * CLI. Resolves with the directory (the caller removes it; none is left when the build fails).
 * Its kernelspec is `<code-env>--<exec-config>`.
 */
export async function makeDockerCodeEnv(options: DockerCodeEnvOptions): Promise<string> {
  const execConfig = {
    backend: 'docker',
    baseImage: options.baseImage,
    docker: {
      network: 'host',
      daemons: [{ host: 'unix:///var/run/docker.sock' }],
      mounts: (options.mounts ?? []).map((path) => ({ type: 'bind', source: path, target: path })),
    },
  };
  const codeEnv = { language: options.language, packages: { apt: [...(options.apt ?? [])] }, availableFor: [options.execConfig] };
  const configDir = makeConfigDir(options.codeEnv, {
    execConfigs: { [options.execConfig]: execConfig },
    codeEnvs: { [options.codeEnv]: codeEnv },
  });
  await buildCodeEnvImage(configDir, options.codeEnv, options.execConfig).catch((err: unknown) => {
    rmSync(configDir, { recursive: true, force: true });
    throw err;
  });
  return configDir;
}

/** The content tag of the R layer (R and IRkernel on the base) that `berth images build-base --with-r` makes. */
export const R_BASE_REF = /^berth\/base-r:[0-9a-f]{12}$/;

/**
 * Builds the R base as an admin does (`berth images build-base --with-r --tag <tag>`). The R layer
 * is named by its content hash, so every test asking for it shares one image (built by whichever
 * asked first). Resolves with its content ref and whether this call built it.
 */
export async function buildRBase(tag: string): Promise<{ ref: string; built: boolean }> {
  const { stdout } = await berthCli('images', 'build-base', '--with-r', '--tag', tag);
  const r = /^r: (berth\/base-r:[0-9a-f]{12}) (built in [\d.]+ s|skipped \(up to date\))$/m.exec(stdout);
  if (r === null) throw new Error(`build-base --with-r said no R layer:\n${stdout}`);
  return { ref: r[1]!, built: r[2] !== 'skipped (up to date)' };
}

/** Containers of a code env's kernels (running or not), found by their `berth.io/code-env` label. */
export function codeEnvContainers(docker: Dockerode, codeEnv: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`berth.io/code-env=${codeEnv}`] }) });
}

/** Removes a code env's kernel containers, then its images (both carry the `berth.io/code-env` label). */
export async function removeCodeEnvArtifacts(docker: Dockerode, codeEnv: string): Promise<void> {
  await removeCodeEnvContainers(docker, codeEnv);
  const images = await docker.listImages({ filters: JSON.stringify({ label: [`berth.io/code-env=${codeEnv}`] }) });
  for (const image of images) {
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404) throw err;
      });
  }
}

/** The code env's kernel containers only: its image stays as a cache (keyed by content hash, rebuilt when the code env changes). */
export async function removeCodeEnvContainers(docker: Dockerode, codeEnv: string): Promise<void> {
  for (const container of await codeEnvContainers(docker, codeEnv)) {
    await docker
      .getContainer(container.Id)
      .remove({ force: true })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404) throw err;
      });
  }
}
