// One JupyterLab server per test: Debian's jupyterlab_server LabServerApp (e2e/server/main.py)
// on 127.0.0.1, a random free port and token, and a fresh state dir (user settings,
// workspaces, Jupyter's config/data/runtime dirs), optionally with --gateway-url at Berth.
// Stopped with POST /api/shutdown, and SIGKILL of its own PID if it has not exited 10 s later
// (jupyter_server 1.23 sometimes hangs on SIGTERM).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { hasExited, startChild, waitOrKill } from './children.mjs';
import { DEBIAN_PYTHON, LAB_SERVER_MAIN } from './paths.mjs';

export const LOOPBACK = '127.0.0.1';
const STARTUP_MS = 60_000;
const SHUTDOWN_GRACE_MS = 10_000;

/** A port the OS says is free on 127.0.0.1 now (port_retries=0 makes a lost race fail loudly). */
export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

/** The environment of a child: ours without Jupyter, Berth or kernel variables, plus `extra`. */
function childEnv(extra) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(JUPYTER|JPY|BERTH|KERNEL|IPYTHON)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * Polls `check` (which resolves true when done) until it is, the child exits, or the deadline:
 * a wait on a condition, with what was seen in the error.
 */
async function until(what, check, { child, lines, deadlineMs }) {
  const deadline = Date.now() + deadlineMs;
  let last = '';
  for (;;) {
    if (hasExited(child)) throw new Error(`${what}: the process exited first\n${lines.slice(-40).join('\n')}`);
    try {
      if (await check()) return;
    } catch (error) {
      last = error.message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms (${last})\n${lines.slice(-40).join('\n')}`);
    await delay(100);
  }
}

/**
 * Starts a LabServerApp serving `frontEnd` (a webpack build folder). Options:
 *   port              (from freePort(), when the caller needs it before the start, e.g. for --allow-origin)
 *   notebooks         { 'name.ipynb': object } written into the server's root dir
 *   gateway           { url, token }: --gateway-url and JUPYTER_GATEWAY_AUTH_TOKEN
 *   prebuilt          { name: folder }: each folder (a build-labextension output) offered through
 *                     extra_labextensions_path, under its package name
 * Resolves with { url, origin, token, rootDir, api(path, init), stop(), lines }.
 */
export async function startLabServer({ frontEnd, port, notebooks = {}, gateway, prebuilt = {} }) {
  const listenPort = port ?? (await freePort());
  const token = randomBytes(24).toString('hex');
  const state = mkdtempSync(join(tmpdir(), 'berth-lab-e2e-'));
  const rootDir = join(state, 'notebooks');
  const labextensions = join(state, 'labextensions');
  for (const dir of ['notebooks', 'labextensions', 'jupyter-config', 'jupyter-data', 'jupyter-runtime', 'ipython']) {
    mkdirSync(join(state, dir));
  }
  for (const [name, notebook] of Object.entries(notebooks)) writeFileSync(join(rootDir, name), `${JSON.stringify(notebook, null, 1)}\n`);
  for (const [name, folder] of Object.entries(prebuilt)) symlinkSync(folder, join(labextensions, name), 'dir');

  const env = childEnv({
    E2E_FRONT_END: frontEnd,
    E2E_STATE_DIR: state,
    E2E_LABEXTENSIONS_PATH: Object.keys(prebuilt).length > 0 ? labextensions : '',
    // Nothing from this machine's Jupyter configuration, and nothing written to $HOME.
    JUPYTER_NO_CONFIG: '1',
    JUPYTER_CONFIG_DIR: join(state, 'jupyter-config'),
    JUPYTER_DATA_DIR: join(state, 'jupyter-data'),
    JUPYTER_RUNTIME_DIR: join(state, 'jupyter-runtime'),
    IPYTHONDIR: join(state, 'ipython'),
    ...(gateway ? { JUPYTER_GATEWAY_AUTH_TOKEN: gateway.token } : {}),
  });
  const args = [
    LAB_SERVER_MAIN,
    `--ServerApp.ip=${LOOPBACK}`,
    `--ServerApp.port=${listenPort}`,
    '--ServerApp.port_retries=0',
    `--ServerApp.token=${token}`,
    '--ServerApp.password=',
    '--ServerApp.open_browser=False',
    `--ServerApp.root_dir=${rootDir}`,
    ...(process.getuid?.() === 0 ? ['--ServerApp.allow_root=True'] : []),
    ...(gateway ? [`--gateway-url=${gateway.url.replace(/\/$/, '')}`] : []),
  ];
  const started = startChild(DEBIAN_PYTHON, args, { cwd: state, env });
  const origin = `http://${LOOPBACK}:${listenPort}`;
  const url = `${origin}/`;
  const api = (path, init = {}) =>
    fetch(`${url}${path.replace(/^\//, '')}`, {
      ...init,
      headers: { Authorization: `token ${token}`, ...(init.headers ?? {}) },
    });

  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      if (!hasExited(started.child)) {
        await api('api/shutdown', { method: 'POST' }).catch(() => undefined);
      }
      const how = await waitOrKill(started, SHUTDOWN_GRACE_MS);
      rmSync(state, { recursive: true, force: true });
      return how;
    })();
    return stopped;
  };

  try {
    await until('the JupyterLab server answering /api/status', async () => (await api('api/status')).ok, {
      ...started,
      deadlineMs: STARTUP_MS,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, origin, token, rootDir, api, stop, lines: started.lines, pid: started.child.pid };
}

/**
 * Saves the extension's settings (Berth's URL and token, and `extra`) as the Settings Editor
 * does; the server validates them against the schema it found for `extensionName`.
 */
export async function saveBerthSettings(lab, extensionName, berth, extra = {}) {
  const response = await lab.api(`lab/api/settings/${extensionName}:settings`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ raw: JSON.stringify({ gatewayUrl: berth.url, token: berth.token, ...extra }) }),
  });
  return { status: response.status, text: await response.text() };
}
