// Docker Engine for the tests and for local use (Node built-ins only):
//
//   ensureDockerDaemon()  starts dockerd in the background when `docker info` does not answer
//   ensureOsBaseImage()   makes the OS base image (debootstrap + `docker import`) when its tag is missing
//
// Both are idempotent and cheap when there is nothing to do (one `docker info` / `docker image
// inspect` each). The daemon is left running afterwards, like any system service, so the next run
// finds it; `stopDockerDaemon()` stops it only if these helpers started it (pid file below).
//
// Networking follows ../../../shared/design/ENVIRONMENT.md: no default bridge, no iptables, so
// containers and builds use the host network and nothing gets a private-range address.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive, readPid, sleep, tail } from './pids.mjs';

/** The tag the Dockerfiles in images/ use as their default FROM. */
export const OS_BASE_IMAGE = 'berth/os-bookworm:latest';
export const OS_BASE_SUITE = 'bookworm';
export const OS_BASE_MIRROR = 'http://deb.debian.org/debian';

/** Where the daemon these helpers start keeps its log and pid file. */
export const DOCKERD_STATE_DIR = '/tmp/berth-dockerd';
export const DOCKERD_LOG = join(DOCKERD_STATE_DIR, 'dockerd.log');
export const DOCKERD_PIDFILE = join(DOCKERD_STATE_DIR, 'dockerd.pid');
export const DOCKERD_ARGS = ['--bridge=none', '--iptables=false', '--ip-masq=false', `--pidfile=${DOCKERD_PIDFILE}`];

const PREFIX = '[docker]';

export class DockerSetupError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DockerSetupError';
  }
}

function log(message) {
  process.stderr.write(`${PREFIX} ${message}\n`);
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The daemon's version when `docker info` answers within the timeout, else undefined. */
export function dockerServerVersion({ timeoutMs = 10000 } = {}) {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: timeoutMs });
  if (r.error || r.status !== 0) return undefined;
  const version = r.stdout.trim();
  return version === '' ? undefined : version;
}

/**
 * Makes sure a Docker daemon answers `docker info`. Starts `dockerd` in the background when none
 * does (root only), logging to DOCKERD_LOG, and waits for it. Resolves with
 * { started, version, ms }; throws DockerSetupError with the log tail when the daemon does not come up.
 */
export async function ensureDockerDaemon({ timeoutMs = 60000 } = {}) {
  const t0 = Date.now();
  const running = dockerServerVersion();
  if (running) return { started: false, version: running, ms: Date.now() - t0 };

  if (!existsSync('/usr/sbin/dockerd')) {
    throw new DockerSetupError('dockerd is not installed: run `node scripts/ensure-system.mjs docker` (as root) first');
  }
  if (!isRoot()) {
    throw new DockerSetupError(
      `no Docker daemon answers \`docker info\` and this is not root, so none can be started here. Start one with:\n\n` +
        `    sudo dockerd ${DOCKERD_ARGS.join(' ')} >${DOCKERD_LOG} 2>&1 &\n`,
    );
  }
  mkdirSync(DOCKERD_STATE_DIR, { recursive: true });
  const previous = readPid(DOCKERD_PIDFILE);
  if (previous && pidAlive(previous)) {
    // Started by another run that is still waiting for it: wait too instead of starting a second one.
    log(`dockerd (pid ${previous}) is starting; waiting for it`);
  } else {
    rmSync(DOCKERD_PIDFILE, { force: true });
    log(`starting dockerd ${DOCKERD_ARGS.join(' ')} (log: ${DOCKERD_LOG})`);
    const out = openSync(DOCKERD_LOG, 'a');
    const child = spawn('/usr/sbin/dockerd', DOCKERD_ARGS, { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    let exited;
    child.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    child.on('error', (err) => {
      exited = { error: err.message };
    });
    child.unref();
    while (Date.now() - t0 < timeoutMs) {
      await sleep(250);
      if (exited) {
        throw new DockerSetupError(
          `dockerd exited during start-up (${JSON.stringify(exited)}); last lines of ${DOCKERD_LOG}:\n${tail(DOCKERD_LOG)}`,
        );
      }
      const version = dockerServerVersion({ timeoutMs: 5000 });
      if (version) {
        log(`dockerd ${version} is up (pid ${child.pid}, ${Date.now() - t0} ms)`);
        return { started: true, version, ms: Date.now() - t0 };
      }
    }
    throw new DockerSetupError(
      `dockerd did not answer \`docker info\` within ${timeoutMs} ms; last lines of ${DOCKERD_LOG}:\n${tail(DOCKERD_LOG)}`,
    );
  }
  while (Date.now() - t0 < timeoutMs) {
    await sleep(250);
    const version = dockerServerVersion({ timeoutMs: 5000 });
    if (version) return { started: false, version, ms: Date.now() - t0 };
  }
  throw new DockerSetupError(`dockerd did not answer \`docker info\` within ${timeoutMs} ms; see ${DOCKERD_LOG}`);
}

/** Stops the daemon only when ensureDockerDaemon() started it (its pid file exists); resolves when it is gone. */
export async function stopDockerDaemon({ timeoutMs = 30000 } = {}) {
  const pid = readPid(DOCKERD_PIDFILE);
  if (!pid || !pidAlive(pid)) return false;
  process.kill(pid, 'SIGTERM');
  const t0 = Date.now();
  while (pidAlive(pid) && Date.now() - t0 < timeoutMs) await sleep(200);
  return !pidAlive(pid);
}

/** The image id of `ref` on the daemon, or undefined when it has no such image. */
export function imageId(ref) {
  const r = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { encoding: 'utf8', timeout: 30000 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim() || undefined;
}

/**
 * Makes sure the OS base image `tag` exists: a minimal Debian made with
 * `debootstrap --variant=minbase` and imported with `docker import` (no registry is needed).
 * Skips everything when the tag is already there. Resolves with { built, id, ms }.
 */
export async function ensureOsBaseImage({ tag = OS_BASE_IMAGE, suite = OS_BASE_SUITE, mirror = OS_BASE_MIRROR, labels = {} } = {}) {
  const t0 = Date.now();
  const existing = imageId(tag);
  if (existing) return { built: false, id: existing, ms: Date.now() - t0 };
  if (!existsSync('/usr/sbin/debootstrap')) {
    throw new DockerSetupError('debootstrap is not installed: run `node scripts/ensure-system.mjs docker` (as root) first');
  }
  if (!isRoot())
    throw new DockerSetupError(`image ${tag} is missing and debootstrap needs root; run \`sudo npm test\` once, or build it yourself`);

  // Not under /tmp: debootstrap needs device nodes and exec, which a tmpfs /tmp may forbid.
  const root = mkdtempSync('/var/tmp/berth-os-base-');
  try {
    log(`building ${tag}: debootstrap --variant=minbase ${suite} (${mirror})`);
    await runLogged('debootstrap', ['--variant=minbase', suite, root, mirror]);
    if (!statSync(join(root, 'bin', 'sh')).isFile()) throw new DockerSetupError(`debootstrap left no /bin/sh in ${root}`);
    // Keep the image small; apt inside builds runs `apt-get update` itself.
    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
      spawnSync('find', [join(root, dir), '-mindepth', '1', '-maxdepth', '1', '-type', 'f', '-delete']);
    }
    const changes = [['berth.io/managed-by', 'berth'], ['berth.io/role', 'os-base'], ...Object.entries(labels)].flatMap(([k, v]) => [
      '--change',
      `LABEL ${k}=${v}`,
    ]);
    log(`importing ${root} as ${tag}`);
    await runLogged('sh', [
      '-c',
      `tar --numeric-owner -C "$1" -c . | docker import ${changes.map((c) => `'${c}'`).join(' ')} --change 'CMD ["/bin/bash"]' - "$2"`,
      'sh',
      root,
      tag,
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const id = imageId(tag);
  if (!id) throw new DockerSetupError(`docker import reported success but ${tag} is not on the daemon`);
  log(`${tag} is ${id.slice(0, 19)} (${Math.round((Date.now() - t0) / 1000)} s)`);
  return { built: true, id, ms: Date.now() - t0 };
}

/** Runs a command, keeping its output quiet unless it fails (then the last lines go into the error). */
function runLogged(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk.toString('utf8')).slice(-20000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => reject(new DockerSetupError(`cannot run ${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else {
        const last = output.trimEnd().split('\n').slice(-15).join('\n');
        reject(new DockerSetupError(`${cmd} failed (${signal ?? `exit ${code}`}):\n${last}`));
      }
    });
  });
}
