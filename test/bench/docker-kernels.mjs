// Container kernels for `npm run bench` (its docker-* sections):
//
//   setup    the Docker daemon (scripts/ensure-docker.mjs), the shared Python base image tagged
//            berth-bench/docker-base:latest, a config dir with one Docker exec config on the host
//            network and a code env without packages, whose image `berth images build-code-env` builds
//   floor    a container of that same image started through the Docker API (`docker run
//            --network host -e BERTH_CONNECTION_INFO=… IMAGE`: the image's entrypoint writes the
//            connection file and starts ipykernel), driven over ZeroMQ by FloorKernel
//   stages   where a Berth container start spends its time, from the gateway's debug log
//   cleanup  every container and image the bench made; the OS image and berth/base:<hash> stay
//
// The base image, the code env and its image are shared with the k8s-* sections
// (kubernetes-kernels.mjs: prepareBaseImage, writeCodeEnv, buildCodeEnvImage).
//
// The floor containers carry the label berth.io/test=bench-docker; the gateway's own carry its
// labels (berth.io/code-env=berth-bench-plain). The code-env image is found by its code-env label.
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { ensureDocker } from '../../scripts/ensure-docker.mjs';
import { FloorKernel } from './floor-kernel.mjs';
import { median, round, since } from './stats.mjs';

const require = createRequire(import.meta.url);
const Dockerode = require('dockerode');
const { pack } = require('tar-stream');
const { ImageBuilder } = require('../../gateway/dist/images/image-builder.js');
const { newConnection } = require('../../gateway/dist/provisioners/local/connection-file.js');

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const TEST_LABEL = 'berth.io/test';
export const TEST_LABEL_VALUE = 'bench-docker';
export const BASE_TAG = 'berth-bench/docker-base:latest';
export const EXEC_CONFIG = 'bench-docker';
export const CODE_ENV = 'berth-bench-plain';
/** The kernelspec the gateway offers for the pair: `<code-env>--<exec-config>`. */
export const KERNEL_NAME = `${CODE_ENV}--${EXEC_CONFIG}`;
const CODE_ENV_LABEL = 'berth.io/code-env';

export const newDocker = () => new Dockerode({ socketPath: DOCKER_SOCKET });

/**
 * Docker, the base image under the bench's tag, the config dir and the code-env image (built by
 * the CLI as an admin would). Resolves with the image ref and how long each step took.
 */
export async function setupDockerBench({ repo, tmp, progress }) {
  const { docker, ensured, base, timings } = await prepareBaseImage(progress);

  const configDir = join(tmp, 'docker-config');
  mkdirSync(join(configDir, 'execution-configs'), { recursive: true });
  writeFileSync(
    join(configDir, 'execution-configs', `${EXEC_CONFIG}.yaml`),
    [
      'displayName: Bench (Docker, host network)',
      'backend: docker',
      `baseImage: ${BASE_TAG}`,
      'docker:',
      '  network: host',
      '  daemons:',
      `    - host: unix://${DOCKER_SOCKET}`,
      '',
    ].join('\n'),
  );
  writeCodeEnv(configDir, EXEC_CONFIG);

  const built = await buildCodeEnvImage({ repo, configDir, docker, progress });
  timings.codeEnvImageMs = built.ms;
  return { docker, configDir, image: built.image, baseImage: base.ref, dockerVersion: ensured.daemon.version, timings };
}

/**
 * The part of the setup the Kubernetes sections share: the Docker daemon and OS image
 * (scripts/ensure-docker.mjs), and the shared Python base image tagged BASE_TAG.
 */
export async function prepareBaseImage(progress) {
  const timings = {};
  let began = performance.now();
  const ensured = await ensureDocker();
  timings.ensureDockerMs = round(since(began), 0);
  progress(
    `  dockerd ${ensured.daemon.version} ${ensured.daemon.started ? 'started' : 'already running'}; OS image ${ensured.osBase.built ? 'built' : 'present'}`,
  );
  const docker = newDocker();
  began = performance.now();
  const base = await new ImageBuilder(docker).buildBase({ extraTags: [BASE_TAG] });
  timings.baseImageMs = round(since(began), 0);
  progress(`  base image ${base.ref} ${base.skipped ? 'present' : 'built'}, tagged ${BASE_TAG}`);
  return { docker, ensured, base, timings };
}

/**
 * The bench's code env in `configDir`, offered on `execConfig`. No packages: the image is the base
 * plus Berth's few code-env steps, built in seconds; its content (so its image) is the same
 * whichever exec config offers it, so the Docker and Kubernetes sections run one image.
 */
export function writeCodeEnv(configDir, execConfig) {
  mkdirSync(join(configDir, 'code-envs'), { recursive: true });
  writeFileSync(join(configDir, 'code-envs', `${CODE_ENV}.yaml`), `language: python\navailableFor: [${execConfig}]\n`);
}

/** `berth images build-code-env CODE_ENV --config-dir configDir`; resolves with the local ref it reports and how long it took. */
export async function buildCodeEnvImage({ repo, configDir, docker, progress }) {
  const began = performance.now();
  const cli = [join(repo, 'gateway', 'bin', 'berth.js'), 'images', 'build-code-env', CODE_ENV, '--config-dir', configDir];
  const { stdout } = await promisify(execFile)(process.execPath, cli, { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
  const ms = round(since(began), 0);
  // The CLI reports "<code-env>@<exec-config>: <ref> built in … / skipped (up to date)".
  const reported = /^\S+: (\S+) (?:built in |skipped)/m.exec(stdout);
  const image = reported?.[1];
  if (image === undefined) throw new Error(`berth ${cli.slice(1).join(' ')} did not report its image:\n${stdout.slice(-2000)}`);
  await docker.getImage(image).inspect();
  progress(`  code-env image ${image} (${round(ms / 1000, 1)} s${/ skipped/.test(reported[0]) ? ', up to date' : ''})`);
  return { image, ms };
}

/** What FloorKernel needs of a process, for a container: its exit (from `docker wait`) as an 'exit' event. */
class ContainerProcess extends EventEmitter {
  exitCode = null;
  signalCode = null;

  constructor(container) {
    super();
    this.pid = `container ${container.id.slice(0, 12)}`;
    container.wait().then(
      (result) => this.#exit(result?.StatusCode ?? null),
      () => this.#exit(null),
    );
  }

  #exit(code) {
    this.exitCode = code ?? -1;
    this.emit('exit', code, null);
  }
}

/** The floor for container kernels: FloorKernel's ZeroMQ client on a kernel in a plain container. */
export class ContainerFloorKernel extends FloorKernel {
  /**
   * Ports, create and start: `docker run --network host -e BERTH_CONNECTION_INFO=… IMAGE` through
   * the API. The caller times this together with the first kernel_info, as for the local floor.
   */
  static async launch({ docker, image, ports }) {
    const began = performance.now();
    const connection = newConnection('127.0.0.1', await ports.allocate(5), 'python3');
    const portsMs = since(began);
    const container = await docker.createContainer({
      Image: image,
      Env: [`BERTH_CONNECTION_INFO=${JSON.stringify(connection)}`],
      Labels: { [TEST_LABEL]: TEST_LABEL_VALUE },
      HostConfig: { NetworkMode: 'host' },
    });
    const createMs = since(began) - portsMs;
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw error;
    }
    const startMs = since(began) - portsMs - createMs;
    return new ContainerFloorKernel(connection, container, { portsMs, createMs, startMs });
  }

  constructor(connection, container, stages) {
    super(connection, new ContainerProcess(container), []);
    this.container = container;
    this.stages = stages;
  }

  /** SIGKILL through the Docker API (the kernel's exit then comes from `docker wait`). */
  kill() {
    this.container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  }

  /** shutdown_request as for a local kernel (SIGKILL if it lingers), then the container is removed. */
  async shutdown(graceMs) {
    await super.shutdown(graceMs);
    await this.container.remove({ force: true }).catch((error) => {
      if (error.statusCode !== 404) throw error;
    });
  }
}

const DOCKER_SPANS = [
  ['requestToPortsMs', 'posted', 'allocating-ports'],
  ['portsToCreateMs', 'allocating-ports', 'creating-container'],
  ['createAndCopyMs', 'creating-container', 'starting-container'],
  ['containerStartMs', 'starting-container', 'waiting-for-kernel'],
  ['readinessMs', 'waiting-for-kernel', 'started'],
  ['responseMs', 'started', 'replied'],
];

/**
 * Where Berth's container starts went, per stage (ms p50 and max), from the gateway's debug log: the
 * 'launch progress' lines of each kernel, its 'kernel started' line, and the bench's own clock
 * around the POST (`postedAt` / `repliedAt`, epoch ms; the log has ms resolution).
 *
 *   request → ports          HTTP, placement, finding the code env's image (Docker inspects)
 *   ports → create           port allocation
 *   create → start           container create + the connection file copied in (putArchive)
 *   start → waiting          container start
 *   waiting → started        the gateway's kernel_info until the reply and an iopub message
 *   started → POST reply     the HTTP response
 *
 * Other backends pass their own `spans` ([name, from stage, to stage]; 'posted' and 'replied' are
 * the bench's clock, 'started' the 'kernel started' line).
 */
export function launchStages(logText, samples, spans = DOCKER_SPANS) {
  const byKernel = new Map();
  for (const line of logText.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.kernelId === undefined || (entry.msg !== 'launch progress' && entry.msg !== 'kernel started')) continue;
    const times = byKernel.get(entry.kernelId) ?? {};
    times[entry.msg === 'kernel started' ? 'started' : entry.stage] = Date.parse(entry.time);
    byKernel.set(entry.kernelId, times);
  }
  const values = Object.fromEntries(spans.map(([name]) => [name, []]));
  let matched = 0;
  for (const sample of samples) {
    const times = byKernel.get(sample.id);
    if (times === undefined) continue;
    matched += 1;
    const all = { ...times, posted: sample.postedAt, replied: sample.repliedAt };
    for (const [name, from, to] of spans) if (all[from] !== undefined && all[to] !== undefined) values[name].push(all[to] - all[from]);
  }
  const each = (stat) =>
    Object.fromEntries(Object.entries(values).map(([name, list]) => [name, list.length ? round(stat(list), 1) : null]));
  return { kernels: matched, p50: each(median), max: each((list) => Math.max(...list)) };
}

/** The floor's own stages (ms p50 and max): ports, container create, container start, then kernel_info until the reply. */
export function floorStages(samples) {
  const picks = {
    portsMs: (s) => s.kernel.stages.portsMs,
    createMs: (s) => s.kernel.stages.createMs,
    containerStartMs: (s) => s.kernel.stages.startMs,
    kernelInfoMs: (s) => s.ms - s.spawnedMs,
  };
  const each = (stat) => Object.fromEntries(Object.entries(picks).map(([name, pick]) => [name, round(stat(samples.map(pick)), 1)]));
  return { p50: each(median), max: each((list) => Math.max(...list)) };
}

/**
 * What copying one small file into a created container costs (ms per sample): the one Docker call
 * a Berth container start makes that `docker run` does not (the connection file goes in by
 * putArchive, so the HMAC key is in neither the container's config nor its environment).
 * Diagnostic only: create → putArchive (timed) → remove, `count` times, never started.
 */
export async function measureCopyIn(docker, image, count) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const container = await docker.createContainer({
      Image: image,
      Labels: { [TEST_LABEL]: TEST_LABEL_VALUE },
      HostConfig: { NetworkMode: 'host' },
    });
    try {
      const tar = pack();
      tar.entry({ name: 'berth-bench-copy', type: 'directory', mode: 0o700, uid: 1000, gid: 1000 });
      tar.entry({ name: 'berth-bench-copy/connection.json', mode: 0o600, uid: 1000, gid: 1000 }, JSON.stringify({ key: 'x'.repeat(36) }));
      tar.finalize();
      const began = performance.now();
      await container.putArchive(tar, { path: '/tmp' });
      samples.push(since(began));
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
  return samples;
}

/**
 * Removes what the bench made: floor containers (by label), kernel containers of the bench's code
 * env a gateway left, the code-env image(s) and the BASE_TAG tag. The OS image and the shared
 * berth/base:<hash> stay as the cache other runs and tests use.
 */
export async function cleanupDocker(docker, progress) {
  const byLabel = (label) => ({ all: true, filters: JSON.stringify({ label: [label] }) });
  const containers = [
    ...(await docker.listContainers(byLabel(`${TEST_LABEL}=${TEST_LABEL_VALUE}`))),
    ...(await docker.listContainers(byLabel(`${CODE_ENV_LABEL}=${CODE_ENV}`))),
  ];
  for (const id of new Set(containers.map((c) => c.Id))) {
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch((error) => {
        if (error.statusCode !== 404) progress(`could not remove container ${id.slice(0, 12)}: ${error.message}`);
      });
  }
  const images = await docker.listImages({ filters: JSON.stringify({ label: [`${CODE_ENV_LABEL}=${CODE_ENV}`] }) });
  for (const id of new Set(images.map((image) => image.Id))) {
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch((error) => {
        if (error.statusCode !== 404) progress(`could not remove image ${id}: ${error.message}`);
      });
  }
  // Only the tag: the image under it is the shared berth/base:<hash>.
  await docker
    .getImage(BASE_TAG)
    .remove()
    .catch((error) => {
      if (error.statusCode !== 404) progress(`could not untag ${BASE_TAG}: ${error.message}`);
    });
  progress(`docker cleanup: removed ${new Set(containers.map((c) => c.Id)).size} container(s), ${images.length} image(s), tag ${BASE_TAG}`);
}
