// Extra Docker daemons beside the main one (scripts/lib/docker-daemon.mjs, unix:///var/run/docker.sock),
// for multi-daemon and remote-daemon (TCP + TLS) tests. Node built-ins only.
//
//   startExtraDaemon({ name, tls })     starts dockerd NAME, or reuses it when it already answers
//   stopExtraDaemon(name, { purge })    stops it when these helpers started it; purge also deletes its data
//   loadImageInto(host, image, opts)    copies an image from the main daemon (`docker save | docker load`)
//
// Everything of daemon NAME lives in /tmp/berth-dockerd-NAME/:
//
//   docker.sock       its API socket (unix:///tmp/berth-dockerd-NAME/docker.sock)
//   daemon.json       its own config file (so /etc/docker/daemon.json, if any, does not leak in); it
//                     names key.json ("deprecated-key-path", not a command-line flag in dockerd 20.10)
//   key.json          its own identity key: dockerd 20.10 derives the `docker info` ID from it and would
//                     otherwise share /etc/docker/key.json, i.e. the main daemon's ID
//   data/             --data-root (images, containers, its containerd's content): kept as a cache
//   run/              --exec-root, kept short (dockerd and containerd put unix sockets under it)
//   dockerd.pid       --pidfile; dockerd.log its log
//   certs/            with tls: ca.pem ca-key.pem server-cert.pem server-key.pem, and
//   certs/client/     exactly ca.pem cert.pem key.pem, the directory `docker --tlsverify` and
//                     Berth's `docker.daemons[].tls.certDir` expect
//
// containerd: with no system containerd (/run/containerd/containerd.sock), each dockerd starts a
// managed containerd of its own under its exec root (checked: two run side by side, each with its own
// socket, state and root). Where a system containerd runs, every dockerd connects to it instead, so
// each extra daemon also gets its own containerd namespaces (berth-NAME, berth-NAME-plugins) and
// never sees or cleans up the main daemon's tasks (namespace "moby"); checked with two dockerds on one
// containerd: a restart of one left the other's running container alone.
//
// The docker CLI's `info` exits 0 with an empty server version when no daemon answers: the checks
// below look at the version, never at the exit code alone.
//
// Networking follows ../../../shared/design/ENVIRONMENT.md: no default bridge, no iptables; the
// TCP listener is on 127.0.0.1 only.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { imageId } from './docker-daemon.mjs';
import { cmdline, pidAlive, readPid, sleep, tail } from './pids.mjs';

export const EXTRA_DAEMON_DIR_PREFIX = '/tmp/berth-dockerd-';
export const DOCKERD_BINARY = '/usr/sbin/dockerd';
export const SYSTEM_CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
/** Daemon names: short (the exec root holds unix sockets, whose paths are limited to ~100 chars) and path-safe. */
export const EXTRA_DAEMON_NAME = /^[a-z0-9][a-z0-9-]{0,19}$/;
export const CLIENT_CERT_FILES = ['ca.pem', 'cert.pem', 'key.pem'];

const CERT_DAYS = 825;
const CA_DAYS = 3650;
// Environment variables that would redirect or reconfigure the docker CLI away from the -H given.
const DOCKER_CLIENT_ENV = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH'];

export class ExtraDaemonError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ExtraDaemonError';
  }
}

function log(name, message) {
  process.stderr.write(`[docker ${name}] ${message}\n`);
}

/** Every path of daemon `name` (see the layout above). */
export function extraDaemonPaths(name) {
  if (typeof name !== 'string' || !EXTRA_DAEMON_NAME.test(name)) {
    throw new ExtraDaemonError(`bad daemon name ${JSON.stringify(name)}: use 1-20 of a-z 0-9 - (starting with a letter or digit)`);
  }
  const dir = `${EXTRA_DAEMON_DIR_PREFIX}${name}`;
  const certs = join(dir, 'certs');
  return {
    dir,
    socket: join(dir, 'docker.sock'),
    socketHost: `unix://${join(dir, 'docker.sock')}`,
    config: join(dir, 'daemon.json'),
    keyFile: join(dir, 'key.json'),
    dataRoot: join(dir, 'data'),
    execRoot: join(dir, 'run'),
    pidFile: join(dir, 'dockerd.pid'),
    logFile: join(dir, 'dockerd.log'),
    lockFile: join(dir, 'lock'),
    certs,
    clientCerts: join(certs, 'client'),
  };
}

/** The pid of the dockerd these helpers started for `paths` when it runs (its pid file names a live dockerd with our exec root). */
function ourDockerdPid(paths) {
  const pid = readPid(paths.pidFile);
  if (pid === undefined || !pidAlive(pid)) return undefined;
  return cmdline(pid).includes(`--exec-root=${paths.execRoot}`) ? pid : undefined;
}

function clientEnv() {
  const env = { ...process.env };
  for (const name of DOCKER_CLIENT_ENV) delete env[name];
  return env;
}

/** The docker CLI's global options for `host`, with client certificates from `tlsCertDir` when given. */
export function dockerHostArgs(host, { tlsCertDir } = {}) {
  const tls = tlsCertDir
    ? [
        '--tlsverify',
        `--tlscacert=${join(tlsCertDir, 'ca.pem')}`,
        `--tlscert=${join(tlsCertDir, 'cert.pem')}`,
        `--tlskey=${join(tlsCertDir, 'key.pem')}`,
      ]
    : [];
  return ['-H', host, ...tls];
}

/** The server version when `docker -H host info` answers (an unreachable daemon gives an empty version, exit 0). */
function serverVersion(host, { tlsCertDir, timeoutMs = 10000 } = {}) {
  const r = spawnSync('docker', [...dockerHostArgs(host, { tlsCertDir }), 'info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    env: clientEnv(),
    timeout: timeoutMs,
  });
  if (r.error || r.status !== 0) return undefined;
  const version = r.stdout.trim();
  return version === '' ? undefined : version;
}

/** The id of image `ref` on `host`, or undefined when it has none. */
function imageIdOn(host, ref, { tlsCertDir } = {}) {
  const r = spawnSync('docker', [...dockerHostArgs(host, { tlsCertDir }), 'image', 'inspect', '--format', '{{.Id}}', ref], {
    encoding: 'utf8',
    env: clientEnv(),
    timeout: 30000,
  });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim() || undefined;
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `fn` holding the per-daemon lock file, so two processes never start or stop the same daemon
 * at once. A lock whose holder is gone is taken over.
 */
async function withLock(paths, fn, { timeoutMs = 120000 } = {}) {
  const t0 = Date.now();
  for (;;) {
    let fd;
    try {
      fd = openSync(paths.lockFile, 'wx');
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = readPid(paths.lockFile);
      let fresh = false;
      try {
        fresh = Date.now() - statSync(paths.lockFile).mtimeMs < 2000;
      } catch {
        continue; // released meanwhile
      }
      if ((holder === undefined && !fresh) || (holder !== undefined && !pidAlive(holder))) {
        rmSync(paths.lockFile, { force: true });
        continue;
      }
      if (Date.now() - t0 > timeoutMs) {
        throw new ExtraDaemonError(`${paths.lockFile} is held by pid ${holder ?? '?'} for more than ${timeoutMs} ms`);
      }
      await sleep(200);
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    try {
      return await fn();
    } finally {
      rmSync(paths.lockFile, { force: true });
    }
  }
}

function openssl(args, cwd) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30000 });
  if (r.error) throw new ExtraDaemonError(`cannot run openssl: ${r.error.message}`);
  if (r.status !== 0) throw new ExtraDaemonError(`openssl ${args[0]} failed (exit ${r.status}):\n${r.stderr.trim()}`);
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Issues a P-256 key and a certificate signed by ca.pem/ca-key.pem in `dir`, with the extensions given. */
function issueCert(dir, { cn, key, cert, extensions }) {
  const cnf = `${cert}.cnf`;
  writeFileSync(
    join(dir, cnf),
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      `CN = ${cn}`,
      '[ext]',
      'basicConstraints = critical,CA:FALSE',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      ...extensions,
      '',
    ].join('\n'),
  );
  openssl(['req', '-new', ...EC_KEY, '-keyout', key, '-config', cnf, '-out', `${cert}.csr`], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${cert}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      String(CERT_DAYS),
      '-extfile',
      cnf,
      '-extensions',
      'ext',
      '-out',
      cert,
    ],
    dir,
  );
  rmSync(join(dir, cnf));
  rmSync(join(dir, `${cert}.csr`));
}

function certsComplete(paths) {
  const server = ['ca.pem', 'ca-key.pem', 'server-cert.pem', 'server-key.pem'].every((f) => existsSync(join(paths.certs, f)));
  if (!server || !CLIENT_CERT_FILES.every((f) => existsSync(join(paths.clientCerts, f)))) return false;
  // Still valid for a day?
  for (const cert of [join(paths.certs, 'server-cert.pem'), join(paths.clientCerts, 'cert.pem')]) {
    const r = spawnSync('openssl', ['x509', '-checkend', '86400', '-noout', '-in', cert], { encoding: 'utf8' });
    if (r.status !== 0) return false;
  }
  return true;
}

/**
 * Makes the CA, the server certificate (subjectAltName IP:127.0.0.1, serverAuth) and the client
 * certificate (clientAuth) of daemon `paths` unless valid ones are there. Built in a scratch
 * directory and moved into place whole. Resolves with true when it made new ones.
 */
export function ensureCertificates(paths, name) {
  if (certsComplete(paths)) return false;
  const scratch = `${paths.certs}.new-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(join(scratch, 'client'), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(
      join(scratch, 'ca.cnf'),
      [
        '[req]',
        'distinguished_name = dn',
        'prompt = no',
        'x509_extensions = ext',
        '[dn]',
        `CN = Berth test CA for dockerd ${name}`,
        '[ext]',
        'basicConstraints = critical,CA:TRUE',
        'keyUsage = critical,keyCertSign,cRLSign',
        'subjectKeyIdentifier = hash',
        '',
      ].join('\n'),
    );
    openssl(
      ['req', '-x509', '-new', ...EC_KEY, '-keyout', 'ca-key.pem', '-config', 'ca.cnf', '-days', String(CA_DAYS), '-out', 'ca.pem'],
      scratch,
    );
    rmSync(join(scratch, 'ca.cnf'));
    issueCert(scratch, {
      cn: '127.0.0.1',
      key: 'server-key.pem',
      cert: 'server-cert.pem',
      extensions: [
        'keyUsage = critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage = serverAuth',
        'subjectAltName = IP:127.0.0.1',
      ],
    });
    issueCert(scratch, {
      cn: 'berth-test-client',
      key: 'client/key.pem',
      cert: 'client/cert.pem',
      extensions: ['keyUsage = critical,digitalSignature,keyEncipherment', 'extendedKeyUsage = clientAuth'],
    });
    writeFileSync(join(scratch, 'client', 'ca.pem'), readFileSync(join(scratch, 'ca.pem')));
    for (const key of ['ca-key.pem', 'server-key.pem', 'client/key.pem']) chmodSync(join(scratch, key), 0o600);
    rmSync(paths.certs, { recursive: true, force: true });
    renameSync(scratch, paths.certs);
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
  return true;
}

function describe(paths, name, pid, args, extra) {
  const tcp = args.find((a) => a.startsWith('--host=tcp://'));
  return {
    name,
    socketHost: paths.socketHost,
    ...(tcp ? { tcpHost: tcp.slice('--host='.length), certDir: paths.clientCerts } : {}),
    pid,
    ...extra,
  };
}

/** Waits until the daemon answers on its socket (and with TLS on its TCP port); throws with the log tail when it does not. */
async function waitAnswers(paths, name, { tcpHost, deadline, exited }) {
  let version;
  while (Date.now() < deadline) {
    if (exited?.()) {
      throw new ExtraDaemonError(
        `dockerd ${name} exited during start-up (${exited()}); last lines of ${paths.logFile}:\n${tail(paths.logFile)}`,
      );
    }
    version ??= serverVersion(paths.socketHost, { timeoutMs: 5000 });
    if (version && (!tcpHost || serverVersion(tcpHost, { tlsCertDir: paths.clientCerts, timeoutMs: 5000 }))) return version;
    await sleep(100);
  }
  const what = version ? `${tcpHost} (TLS, client certificate in ${paths.clientCerts})` : paths.socketHost;
  throw new ExtraDaemonError(`dockerd ${name} did not answer on ${what} in time; last lines of ${paths.logFile}:\n${tail(paths.logFile)}`);
}

/**
 * Makes sure extra daemon `name` runs and answers `docker -H … info`: reuses a running one started
 * by these helpers (restarting it when its TLS setting differs), else starts
 * `dockerd --host unix:///tmp/berth-dockerd-NAME/docker.sock [--host tcp://127.0.0.1:PORT --tlsverify …]`.
 * Resolves with { name, socketHost, tcpHost?, certDir?, pid, started, version, ms }.
 */
export async function startExtraDaemon({ name, tls = false, timeoutMs = 60000 } = {}) {
  const t0 = Date.now();
  const paths = extraDaemonPaths(name);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new ExtraDaemonError('extra Docker daemons need root (dockerd mounts overlays and makes namespaces)');
  }
  if (!existsSync(DOCKERD_BINARY)) {
    throw new ExtraDaemonError('dockerd is not installed: run `node scripts/ensure-docker.mjs` (as root) first');
  }
  mkdirSync(paths.dir, { recursive: true });
  return withLock(paths, async () => {
    const running = ourDockerdPid(paths);
    let certsChanged = false;
    if (tls) certsChanged = ensureCertificates(paths, name);
    if (running) {
      const args = cmdline(running);
      const runningTls = args.includes('--tlsverify');
      if (runningTls === tls && !certsChanged) {
        const tcpHost = describe(paths, name, running, args).tcpHost;
        const version = await waitAnswers(paths, name, { tcpHost, deadline: t0 + timeoutMs });
        return describe(paths, name, running, args, { started: false, version, ms: Date.now() - t0 });
      }
      log(name, `restarting dockerd (pid ${running}): ${runningTls === tls ? 'new certificates' : tls ? 'TLS wanted' : 'no TLS wanted'}`);
      await stopPid(paths, running, { timeoutMs: 30000 });
    }

    // Any pid file left now is stale (a dockerd that died, or a zombie), and dockerd refuses to start over one.
    rmSync(paths.pidFile, { force: true });
    writeFileSync(paths.config, `${JSON.stringify({ 'deprecated-key-path': paths.keyFile }, null, 2)}\n`);
    const tcpHost = tls ? `tcp://127.0.0.1:${await freePort()}` : undefined;
    const args = [
      `--config-file=${paths.config}`,
      `--host=${paths.socketHost}`,
      ...(tcpHost
        ? [
            `--host=${tcpHost}`,
            '--tlsverify',
            `--tlscacert=${join(paths.certs, 'ca.pem')}`,
            `--tlscert=${join(paths.certs, 'server-cert.pem')}`,
            `--tlskey=${join(paths.certs, 'server-key.pem')}`,
          ]
        : []),
      `--data-root=${paths.dataRoot}`,
      `--exec-root=${paths.execRoot}`,
      `--pidfile=${paths.pidFile}`,
      `--containerd-namespace=berth-${name}`,
      `--containerd-plugins-namespace=berth-${name}-plugins`,
      `--label=berth.io/extra-daemon=${name}`,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
    ];
    if (existsSync(SYSTEM_CONTAINERD_SOCKET)) {
      log(name, `a system containerd runs (${SYSTEM_CONTAINERD_SOCKET}): dockerd ${name} shares it in namespace berth-${name}`);
    }
    log(name, `starting dockerd ${args.join(' ')} (log: ${paths.logFile})`);
    const out = openSync(paths.logFile, 'a');
    writeSync(out, `--- ${new Date().toISOString()} started by pid ${process.pid}\n`);
    const child = spawn(DOCKERD_BINARY, args, { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    let exited;
    child.on('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit ${code}`;
    });
    child.on('error', (err) => {
      exited = err.message;
    });
    child.unref();
    try {
      const version = await waitAnswers(paths, name, { tcpHost, deadline: t0 + timeoutMs, exited: () => exited });
      log(name, `dockerd ${version} is up (pid ${child.pid}, ${Date.now() - t0} ms)`);
      return describe(paths, name, child.pid, args, { started: true, version, ms: Date.now() - t0 });
    } catch (err) {
      if (child.pid !== undefined && pidAlive(child.pid)) await stopPid(paths, child.pid, { timeoutMs: 10000 });
      throw err;
    }
  });
}

/** SIGTERM, wait, then SIGKILL; also ends the managed containerd of `paths` if it outlived its dockerd. */
async function stopPid(paths, pid, { timeoutMs }) {
  const waitGone = async (p, ms) => {
    const t0 = Date.now();
    while (pidAlive(p) && Date.now() - t0 < ms) await sleep(100);
    return !pidAlive(p);
  };
  process.kill(pid, 'SIGTERM');
  if (!(await waitGone(pid, timeoutMs))) {
    process.kill(pid, 'SIGKILL');
    await waitGone(pid, 5000);
  }
  const containerd = readPid(join(paths.execRoot, 'containerd', 'containerd.pid'));
  if (containerd !== undefined && pidAlive(containerd) && cmdline(containerd).some((a) => a.startsWith(paths.execRoot))) {
    process.kill(containerd, 'SIGKILL');
    await waitGone(containerd, 5000);
  }
  if (pidAlive(pid)) throw new ExtraDaemonError(`dockerd (pid ${pid}) is still running after SIGKILL`);
  rmSync(paths.pidFile, { force: true });
  // dockerd unmounts its data root on shutdown but leaves run/netns/default (a bind mount of the host's
  // network namespace, for host-network containers) mounted; after a SIGKILL it leaves both.
  unmountUnder(paths.dir);
}

/** Mount points under `dir` (dockerd bind-mounts its data root and netns files), deepest first. */
function mountsUnder(dir) {
  const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(Number.parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => unescape(line.split(' ')[4]))
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts what a stopped daemon left under `dir`; resolves with the mount points still there. */
function unmountUnder(dir) {
  for (const mountPoint of mountsUnder(dir)) {
    const r = spawnSync('umount', [mountPoint], { encoding: 'utf8' });
    if (r.status !== 0) spawnSync('umount', ['-l', mountPoint]);
  }
  return mountsUnder(dir);
}

/**
 * Stops extra daemon `name` when its pid file names a dockerd these helpers started (SIGTERM; after
 * `timeoutMs`, SIGKILL). Its directory stays (the image cache for the next run) unless `purge`.
 * Resolves with { name, stopped, purged }.
 */
export async function stopExtraDaemon(name, { purge = false, timeoutMs = 30000 } = {}) {
  const paths = extraDaemonPaths(name);
  if (!existsSync(paths.dir)) return { name, stopped: false, purged: false };
  const result = await withLock(paths, async () => {
    const pid = ourDockerdPid(paths);
    if (pid !== undefined) {
      log(name, `stopping dockerd (pid ${pid})`);
      await stopPid(paths, pid, { timeoutMs });
    }
    if (!purge) return { name, stopped: pid !== undefined, purged: false };
    if (serverVersion(paths.socketHost, { timeoutMs: 3000 })) {
      throw new ExtraDaemonError(`a daemon these helpers did not start answers on ${paths.socketHost}; not deleting ${paths.dir}`);
    }
    const left = unmountUnder(paths.dir);
    if (left.length > 0) throw new ExtraDaemonError(`cannot unmount ${left.join(', ')}; not deleting ${paths.dir}`);
    // Keep the lock file until withLock removes it: delete everything else.
    for (const entry of readdirSync(paths.dir)) {
      if (join(paths.dir, entry) !== paths.lockFile) rmSync(join(paths.dir, entry), { recursive: true, force: true });
    }
    return { name, stopped: pid !== undefined, purged: true };
  });
  if (result.purged) {
    try {
      rmdirSync(paths.dir); // empty now that the lock is released; another start may have claimed it meanwhile
    } catch {
      // not empty: leave it
    }
  }
  return result;
}

/**
 * Copies `image` from the main daemon to the daemon at `host` (streamed `docker save | docker -H
 * host load`, no temp file) unless `host` already has that image id. `tlsCertDir` holds the
 * client ca.pem/cert.pem/key.pem for a TLS host. Resolves with { image, id, loaded, ms }.
 */
export async function loadImageInto(host, image, { tlsCertDir, timeoutMs = 600000 } = {}) {
  const t0 = Date.now();
  const source = imageId(image);
  if (!source) throw new ExtraDaemonError(`the main daemon has no image ${image} (run \`node scripts/ensure-docker.mjs\`)`);
  if (imageIdOn(host, image, { tlsCertDir }) === source) return { image, id: source, loaded: false, ms: Date.now() - t0 };

  await new Promise((resolve, reject) => {
    const save = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'pipe'] });
    const load = spawn('docker', [...dockerHostArgs(host, { tlsCertDir }), 'load', '--quiet'], {
      env: clientEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const errors = { save: '', load: '' };
    const keep = (which) => (chunk) => {
      errors[which] = (errors[which] + chunk.toString('utf8')).slice(-4000);
    };
    save.stderr.on('data', keep('save'));
    load.stderr.on('data', keep('load'));
    load.stdout.resume();
    // A failing load closes its stdin early; the save side then sees EPIPE, reported through the exit codes below.
    save.stdout.pipe(load.stdin);
    load.stdin.on('error', () => undefined);
    const codes = {};
    const timer = setTimeout(() => {
      save.kill('SIGKILL');
      load.kill('SIGKILL');
    }, timeoutMs);
    let failed = false;
    const done = (which) => (code, signal) => {
      codes[which] = signal ? `signal ${signal}` : code;
      if (!('save' in codes && 'load' in codes) || failed) return;
      clearTimeout(timer);
      if (codes.save === 0 && codes.load === 0) resolve();
      else {
        reject(
          new ExtraDaemonError(
            `docker save ${image} | docker -H ${host} load failed (save: ${codes.save}, load: ${codes.load})` +
              `${errors.save ? `\nsave: ${errors.save.trim()}` : ''}${errors.load ? `\nload: ${errors.load.trim()}` : ''}`,
          ),
        );
      }
    };
    for (const [which, child] of [
      ['save', save],
      ['load', load],
    ]) {
      child.on('error', (err) => {
        failed = true;
        clearTimeout(timer);
        save.kill('SIGKILL');
        load.kill('SIGKILL');
        reject(new ExtraDaemonError(`cannot run docker ${which}: ${err.message}`));
      });
      child.on('close', done(which));
    }
  });
  const loaded = imageIdOn(host, image, { tlsCertDir });
  if (loaded !== source) throw new ExtraDaemonError(`after docker load, ${image} on ${host} is ${loaded ?? 'missing'}, not ${source}`);
  return { image, id: source, loaded: true, ms: Date.now() - t0 };
}
