// A real Berth gateway for the browser tests, run as an operator runs it: `berth serve` from the
// root project's compiled CLI (gateway/bin/berth.js), token in BERTH_TOKEN, port 0, a config
// directory of exec configs and code envs, and --allow-origin for the JupyterLab page. Images
// are built as an admin builds them (`berth images build-base`, `berth images build-code-env`),
// keyed by content so a warm run only inspects them.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hasExited, startChild, waitOrKill } from './children.mjs';
import { BERTH_BIN, BERTH_COMPILED, ROOT } from './paths.mjs';

const exec = promisify(execFile);
const STARTUP_MS = 60_000;
/** SIGTERM shuts the kernels down first (containers removed): give it time before SIGKILL. */
const STOP_GRACE_MS = 30_000;
const URL_LINE = /^Berth gateway at (\S+)/;

function requireCompiledGateway() {
  if (!existsSync(BERTH_COMPILED)) {
    throw new Error(`${BERTH_COMPILED} is missing: build the gateway first (npx tsc -b gateway at the repository root, or npm test).`);
  }
}

/** Runs the berth CLI; resolves with its stdout. */
export async function berthCli(...args) {
  requireCompiledGateway();
  const { stdout } = await exec(process.execPath, [BERTH_BIN, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Writes a configuration directory (execution-configs/, code-envs/: one YAML-compatible JSON object per file). */
export function writeConfigDir({ execConfigs, codeEnvs }) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lab-e2e-config-'));
  mkdirSync(join(dir, 'execution-configs'));
  mkdirSync(join(dir, 'code-envs'));
  // JSON is YAML: the files are written as JSON text under .yaml names.
  for (const [id, body] of Object.entries(execConfigs))
    writeFileSync(join(dir, 'execution-configs', `${id}.yaml`), JSON.stringify(body, null, 2));
  for (const [id, body] of Object.entries(codeEnvs)) writeFileSync(join(dir, 'code-envs', `${id}.yaml`), JSON.stringify(body, null, 2));
  return dir;
}

/** `berth images build-base --tag TAG`: the base image the exec configs name (the content-hashed base, tagged). */
export async function buildBaseImage(tag) {
  const stdout = await berthCli('images', 'build-base', '--tag', tag);
  if (!stdout.includes(`tagged ${tag}`)) throw new Error(`build-base did not tag ${tag}:\n${stdout}`);
}

/** `berth images build-code-env ID --exec-config ID`: resolves with the image ref it names for the pair. */
export async function buildCodeEnvImage(configDir, codeEnv, execConfig) {
  const stdout = await berthCli('images', 'build-code-env', codeEnv, '--exec-config', execConfig, '--config-dir', configDir);
  const line = stdout.split('\n').find((text) => text.startsWith(`${codeEnv}@${execConfig}: `));
  const ref = line?.split(' ')[1];
  if (!ref) throw new Error(`build-code-env named no image for ${codeEnv}@${execConfig}:\n${stdout}`);
  return ref;
}

async function docker(...args) {
  const { stdout } = await exec('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').filter(Boolean);
}

/** Ids of the containers (running or not) carrying the label `key=value`. */
export function containersLabelled(key, value) {
  return docker('ps', '--all', '--quiet', '--no-trunc', '--filter', `label=${key}=${value}`);
}

/** Removes every container of a code env's kernels (label berth.io/code-env). */
export async function removeCodeEnvContainers(codeEnv) {
  const ids = await containersLabelled('berth.io/code-env', codeEnv);
  if (ids.length > 0) await docker('rm', '--force', '--volumes', ...ids);
  return ids.length;
}

/**
 * Removes the code env's images other than `keep` (earlier builds of a changed code env); the
 * current one stays as the cache the next run finds by content hash.
 */
export async function removeOtherCodeEnvImages(codeEnv, keep) {
  const refs = await docker('images', '--filter', `label=berth.io/code-env=${codeEnv}`, '--format', '{{.Repository}}:{{.Tag}}');
  const stale = refs.filter((ref) => !keep.includes(ref) && !ref.endsWith(':<none>'));
  for (const ref of stale) await docker('rmi', ref).catch(() => undefined);
  return stale;
}

/**
 * Starts `berth serve` with a random token. Options: configDir, allowOrigin, logLevel.
 * Resolves with { url, token, api(path, init), stop(), lines, pid }.
 */
export async function startBerth({ configDir, allowOrigin, logLevel = 'info' }) {
  requireCompiledGateway();
  const token = `e2e-${randomBytes(24).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-lab-e2e-data-'));
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(BERTH|JUPYTER|KERNEL)/.test(name)) env[name] = value;
  }
  env.BERTH_TOKEN = token;
  const args = [BERTH_BIN, 'serve', '--ip', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', logLevel];
  if (configDir) args.push('--config-dir', configDir);
  if (allowOrigin) args.push('--allow-origin', allowOrigin);
  let announce;
  const announced = new Promise((resolvePromise) => {
    announce = resolvePromise;
  });
  const started = startChild(process.execPath, args, {
    cwd: ROOT,
    env,
    onLine: (line) => {
      const match = URL_LINE.exec(line);
      if (match) announce(match[1]);
    },
  });

  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      if (!hasExited(started.child)) started.child.kill('SIGTERM');
      const how = await waitOrKill(started, STOP_GRACE_MS);
      rmSync(dataDir, { recursive: true, force: true });
      return how;
    })();
    return stopped;
  };

  let timer;
  const url = await Promise.race([
    announced,
    started.exited.then(() => null),
    new Promise((resolvePromise) => {
      timer = setTimeout(() => resolvePromise(undefined), STARTUP_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!url) {
    await stop();
    throw new Error(
      `berth serve ${url === null ? 'exited' : `printed no URL within ${STARTUP_MS} ms`}:\n${started.lines.slice(-40).join('\n')}`,
    );
  }
  const api = (path, init = {}) =>
    fetch(`${url}${path.replace(/^\//, '')}`, { ...init, headers: { Authorization: `token ${token}`, ...(init.headers ?? {}) } });
  return { url, token, api, stop, lines: started.lines, pid: started.child.pid, dataDir, stopped: () => hasExited(started.child) };
}

/** `docker inspect` of one container (its JSON object). */
export async function inspectContainer(id) {
  const [container] = JSON.parse((await docker('inspect', id)).join('\n'));
  return container;
}
