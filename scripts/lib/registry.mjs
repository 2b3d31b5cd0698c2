// A real image registry for the push/pull tests (Node built-ins only):
//
//   ensureRegistryServer()  starts Debian's `docker-registry` (distribution 2.8) on 127.0.0.1:5000
//                           with htpasswd basic auth, unless it already answers there
//   registryCredentials()   { address, username, password } of that registry
//   stopRegistryServer()    stops it, only when ensureRegistryServer() started it (pid file below)
//
// Auth decision: plain HTTP + htpasswd basic auth, no TLS. Distribution 2.8 accepts basic auth
// without TLS (checked: GET /v2/ gives 401 without credentials, 200 with them), and dockerd treats
// 127.0.0.0/8 registries as insecure-allowed, so it pushes and pulls over plain HTTP and sends the
// credentials. TLS would only add a certificate in /etc/docker/certs.d that every machine needs,
// while the point of the tests (credentials from the Docker config reach the registry, a wrong
// password is refused) is the same over HTTP. Traffic never leaves 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { pidAlive, readPid, sleep, tail } from './pids.mjs';

export const REGISTRY_HOST = '127.0.0.1';
export const REGISTRY_PORT = 5000;
export const REGISTRY_ADDRESS = `${REGISTRY_HOST}:${REGISTRY_PORT}`;
export const REGISTRY_USER = 'berth-test';
export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export const REGISTRY_STATE_DIR = '/tmp/berth-registry';
export const REGISTRY_DATA_DIR = join(REGISTRY_STATE_DIR, 'data');
export const REGISTRY_CONFIG = join(REGISTRY_STATE_DIR, 'config.yml');
export const REGISTRY_LOG = join(REGISTRY_STATE_DIR, 'registry.log');
export const REGISTRY_PIDFILE = join(REGISTRY_STATE_DIR, 'registry.pid');
const PASSWORD_FILE = join(REGISTRY_STATE_DIR, 'password');
const HTPASSWD_FILE = join(REGISTRY_STATE_DIR, 'htpasswd');

// Where the Debian package's own service keeps its pid (its init script) when something started it.
const PACKAGE_PIDFILE = '/var/run/docker-registry.pid';

const PREFIX = '[registry]';

export class RegistrySetupError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RegistrySetupError';
  }
}

function log(message) {
  process.stderr.write(`${PREFIX} ${message}\n`);
}

/** True when `pid` is a registry serving our config (a stale pid file may name a recycled pid). */
function isOurRegistry(pid) {
  if (pid === undefined || !pidAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(REGISTRY_CONFIG);
  } catch {
    return false;
  }
}

/**
 * True when the pid file belongs to a registry that runs or is being started: ours, or written
 * moments ago (between spawn and exec the child is still a node process, and the file is empty
 * between its O_EXCL creation and the pid being written).
 */
function pidFileClaimed() {
  const pid = readPid(REGISTRY_PIDFILE);
  if (isOurRegistry(pid)) return true;
  try {
    const fresh = Date.now() - statSync(REGISTRY_PIDFILE).mtimeMs < 5000;
    return fresh && (pid === undefined || pidAlive(pid));
  } catch {
    return false;
  }
}

/** The test registry's address and credentials; throws when ensureRegistryServer() never made them. */
export function registryCredentials() {
  let password;
  try {
    password = readFileSync(PASSWORD_FILE, 'utf8').trim();
  } catch {
    throw new RegistrySetupError(`no registry credentials in ${PASSWORD_FILE}: run \`node scripts/ensure-registry.mjs\` first`);
  }
  return { address: REGISTRY_ADDRESS, username: REGISTRY_USER, password };
}

/** Makes the password once (kept 0600, so later runs and already-running registries agree) and the htpasswd file. */
function ensureCredentialFiles() {
  mkdirSync(REGISTRY_STATE_DIR, { recursive: true, mode: 0o700 });
  let fresh = false;
  if (!existsSync(PASSWORD_FILE)) {
    writeFileSync(PASSWORD_FILE, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
    fresh = true;
  }
  if (fresh || !existsSync(HTPASSWD_FILE)) {
    const { password } = registryCredentials();
    // -i reads the password from stdin, so it never shows in `ps`; -B: bcrypt, the only hash distribution reads.
    const r = spawnSync('htpasswd', ['-niB', REGISTRY_USER], { input: password, encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new RegistrySetupError(
        `htpasswd failed (${r.error?.message ?? r.stderr.trim()}): run \`node scripts/ensure-system.mjs registry\` (as root) first`,
      );
    }
    writeFileSync(HTPASSWD_FILE, r.stdout.trim() + '\n', { mode: 0o600 });
  }
  return fresh;
}

function writeConfig() {
  mkdirSync(REGISTRY_DATA_DIR, { recursive: true });
  const config = [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${REGISTRY_DATA_DIR}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${REGISTRY_ADDRESS}`,
    // Written once per state dir, not random per start, so unfinished uploads survive a restart.
    `  secret: ${randomBytes(16).toString('hex')}`,
    'auth:',
    '  htpasswd:',
    '    realm: berth-test',
    `    path: ${HTPASSWD_FILE}`,
    '',
  ].join('\n');
  if (!existsSync(REGISTRY_CONFIG)) writeFileSync(REGISTRY_CONFIG, config, { mode: 0o600 });
}

/** Status of GET /v2/ (with basic auth when given), or undefined when nothing answers. */
export function probeRegistry({ username, password, timeoutMs = 3000 } = {}) {
  return new Promise((resolve) => {
    const headers = username === undefined ? {} : { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
    const req = request({ host: REGISTRY_HOST, port: REGISTRY_PORT, path: '/v2/', headers, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** 'down' (nothing answers), 'ready' (auth on, our credentials accepted) or 'foreign' (anything else). */
async function registryState() {
  const anonymous = await probeRegistry();
  if (anonymous === undefined) return 'down';
  if (anonymous !== 401) return 'foreign';
  const { username, password } = registryCredentials();
  return (await probeRegistry({ username, password })) === 200 ? 'ready' : 'foreign';
}

/**
 * Stops and disables the Debian package's own service. Its postinst starts it where an init system
 * runs (not on these machines: no runlevel, so policy-rc.d denies it), listening on :5000 on every
 * interface with a config that is not ours. Returns true when it stopped one.
 */
export function quietPackageService() {
  if (existsSync('/run/systemd/system')) {
    const active = spawnSync('systemctl', ['is-active', '--quiet', 'docker-registry.service']).status === 0;
    spawnSync('systemctl', ['disable', '--now', 'docker-registry.service'], { stdio: 'ignore' });
    return active;
  }
  // No systemd now, but keep both init systems from starting it at a later boot.
  if (existsSync('/usr/sbin/update-rc.d')) spawnSync('update-rc.d', ['docker-registry', 'disable'], { stdio: 'ignore' });
  if (existsSync('/usr/bin/deb-systemd-helper'))
    spawnSync('deb-systemd-helper', ['disable', 'docker-registry.service'], { stdio: 'ignore' });
  const pid = readPid(PACKAGE_PIDFILE);
  if (pid === undefined || !pidAlive(pid) || !existsSync('/etc/init.d/docker-registry')) return false;
  spawnSync('/etc/init.d/docker-registry', ['stop'], { stdio: 'ignore' });
  return true;
}

async function waitFor(predicate, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await predicate()) return true;
    await sleep(200);
  }
  return false;
}

/**
 * Makes sure the test registry answers on 127.0.0.1:5000 with our credentials. Starts
 * `docker-registry serve` detached (own process group, log and pid file in REGISTRY_STATE_DIR)
 * when nothing answers. Resolves with { started, ms }; throws RegistrySetupError when the port is
 * taken by another server or the registry does not come up.
 */
export async function ensureRegistryServer({ timeoutMs = 30000 } = {}) {
  const t0 = Date.now();
  if (!existsSync(REGISTRY_BINARY)) {
    throw new RegistrySetupError(`${REGISTRY_BINARY} is not installed: run \`node scripts/ensure-system.mjs registry\` (as root) first`);
  }
  const freshPassword = ensureCredentialFiles();
  let state = await registryState();
  if (state === 'ready') return { started: false, ms: Date.now() - t0 };

  const ours = readPid(REGISTRY_PIDFILE);
  if (state === 'down' && pidFileClaimed()) {
    // Started by a concurrent run that is still waiting for it: wait too instead of starting a second one.
    log(`docker-registry (pid ${ours ?? '?'}) is starting; waiting for it`);
    await waitFor(async () => (state = await registryState()) !== 'down', timeoutMs);
    if (state === 'ready') return { started: false, ms: Date.now() - t0 };
  }
  if (state === 'foreign') {
    let stopped = false;
    if (isOurRegistry(ours)) {
      // Ours, yet refusing the current credentials (its htpasswd was replaced by hand?): restart it.
      log(`restarting docker-registry (pid ${ours}): it does not accept the current credentials`);
      stopped = await stopRegistryServer();
    } else if (quietPackageService()) {
      log(`stopped the docker-registry service of the Debian package (it listened on :${REGISTRY_PORT})`);
      stopped = true;
    }
    if (!stopped || !(await waitFor(async () => (await probeRegistry()) === undefined, 10000))) {
      throw new RegistrySetupError(
        `another server answers on ${REGISTRY_ADDRESS} and does not accept the test credentials` +
          `${freshPassword ? ' (just generated)' : ''}: stop it (\`ss -ltnp 'sport = :${REGISTRY_PORT}'\` shows which) and run again`,
      );
    }
  }

  writeConfig();
  // Claim the pid file (O_EXCL) before starting, so two runs starting at once start one registry.
  if (!pidFileClaimed()) rmSync(REGISTRY_PIDFILE, { force: true });
  let pidFd;
  try {
    pidFd = openSync(REGISTRY_PIDFILE, 'wx');
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    log('another run is starting docker-registry; waiting for it');
    if (await waitFor(async () => (await registryState()) === 'ready', timeoutMs)) return { started: false, ms: Date.now() - t0 };
    throw new RegistrySetupError(`docker-registry started by another run did not answer on ${REGISTRY_ADDRESS}; see ${REGISTRY_LOG}`);
  }
  log(`starting docker-registry serve ${REGISTRY_CONFIG} on ${REGISTRY_ADDRESS} (log: ${REGISTRY_LOG})`);
  const out = openSync(REGISTRY_LOG, 'a');
  const child = spawn(REGISTRY_BINARY, ['serve', REGISTRY_CONFIG], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exited;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.on('error', (err) => {
    exited = { error: err.message };
  });
  child.unref();
  if (child.pid !== undefined) writeSync(pidFd, `${child.pid}\n`);
  closeSync(pidFd);
  if (child.pid === undefined) rmSync(REGISTRY_PIDFILE, { force: true });
  const up = await waitFor(async () => exited !== undefined || (await registryState()) === 'ready', timeoutMs);
  if (exited !== undefined) {
    throw new RegistrySetupError(
      `docker-registry exited during start-up (${JSON.stringify(exited)}); last lines of ${REGISTRY_LOG}:\n${tail(REGISTRY_LOG)}`,
    );
  }
  if (!up) {
    throw new RegistrySetupError(`docker-registry did not answer on ${REGISTRY_ADDRESS} within ${timeoutMs} ms; see ${REGISTRY_LOG}`);
  }
  log(`docker-registry is up on ${REGISTRY_ADDRESS} (pid ${child.pid}, ${Date.now() - t0} ms)`);
  return { started: true, ms: Date.now() - t0 };
}

/** Stops the registry only when ensureRegistryServer() started it (its pid file); resolves when it is gone. */
export async function stopRegistryServer({ timeoutMs = 10000 } = {}) {
  const pid = readPid(REGISTRY_PIDFILE);
  if (!isOurRegistry(pid)) return false;
  process.kill(pid, 'SIGTERM');
  if (!(await waitFor(() => !pidAlive(pid), timeoutMs))) process.kill(pid, 'SIGKILL');
  await waitFor(() => !pidAlive(pid), 2000);
  rmSync(REGISTRY_PIDFILE, { force: true });
  return !pidAlive(pid);
}
