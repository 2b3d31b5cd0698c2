// A config directory with one Docker exec config (host network, local daemon) and one code env
// available for it, the code env's image built the way an admin builds it (`berth images
// build-code-env`), and the cleanup of what such a test leaves on the daemon.
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

/**
 * Writes the config directory, then builds the code env's image for the exec config through the
 * CLI. Resolves with the directory (the caller removes it; none is left when the build fails).
 * Its kernelspec is `<code-env>--<exec-config>`.
 */
export async function makeDockerCodeEnv(options: DockerCodeEnvOptions): Promise<string> {
  const configDir = mkdtempSync(join(tmpdir(), `${options.codeEnv}-config-`));
  mkdirSync(join(configDir, 'execution-configs'));
  mkdirSync(join(configDir, 'code-envs'));
  const execConfig = {
    backend: 'docker',
    baseImage: options.baseImage,
    docker: {
      network: 'host',
      daemons: [{ host: 'unix:///var/run/docker.sock' }],
      mounts: (options.mounts ?? []).map((path) => ({ type: 'bind', source: path, target: path })),
    },
  };
  writeFileSync(join(configDir, 'execution-configs', `${options.execConfig}.yaml`), stringify(execConfig));
  const codeEnv = { language: options.language, packages: { apt: [...(options.apt ?? [])] }, availableFor: [options.execConfig] };
  writeFileSync(join(configDir, 'code-envs', `${options.codeEnv}.yaml`), stringify(codeEnv));
  await berthCli('images', 'build-code-env', options.codeEnv, '--exec-config', options.execConfig, '--config-dir', configDir).catch(
    (err: unknown) => {
      rmSync(configDir, { recursive: true, force: true });
      throw err;
    },
  );
  return configDir;
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
