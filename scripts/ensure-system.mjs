#!/usr/bin/env node
// Makes sure the Debian packages the project needs are installed (Node built-ins only).
//
//   import { ensureSystem } from './ensure-system.mjs';
//   await ensureSystem({ needs: ['kernels'] });
//
//   node scripts/ensure-system.mjs                 # every need in the table
//   node scripts/ensure-system.mjs kernels jupyter-server
//   node scripts/ensure-system.mjs --check kernels # report only, never install
//   node scripts/ensure-system.mjs --list
//
// The presence check is one `dpkg-query` call plus a few stat()s, so a run with everything
// installed takes a few tens of milliseconds. Installing needs root (or prints the sudo command).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { run, runAsCli } from './lib/proc.mjs';

// Debian's own interpreter. The `python3` first on PATH may be another interpreter without the
// Jupyter packages, so every check that involves Python uses this path.
export const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * What each Debian package must provide. `files` are checked on every run (cheap stat()s);
 * `verify` is a command run only right after an install, to prove the package works.
 */
export const PACKAGES = {
  'python3-ipykernel': {
    files: ['/usr/share/jupyter/kernels/python3/kernel.json', '/usr/lib/python3/dist-packages/ipykernel/__init__.py'],
    verify: [DEBIAN_PYTHON, ['-c', 'import ipykernel, jupyter_client']],
  },
  'r-cran-irkernel': {
    files: ['/usr/share/jupyter/kernels/ir/kernel.json', '/usr/lib/R/site-library/IRkernel/DESCRIPTION'],
  },
  'python3-jupyter-server': {
    files: ['/usr/lib/python3/dist-packages/jupyter_server/__init__.py'],
    verify: [DEBIAN_PYTHON, ['-c', 'import jupyter_server']],
  },
  // LabServerApp: serves the JupyterLab extension's test front end (settings, themes, workspaces APIs).
  'python3-jupyterlab-server': {
    files: ['/usr/lib/python3/dist-packages/jupyterlab_server/__init__.py'],
    verify: [DEBIAN_PYTHON, ['-c', 'from jupyterlab_server import LabServerApp']],
  },
  // The browser the extension's end-to-end tests drive with playwright-core (never a downloaded one).
  chromium: {
    files: ['/usr/bin/chromium'],
    verify: ['/usr/bin/chromium', ['--headless', '--no-sandbox', '--version']],
  },
  // Batch runs: ML runs use scikit-learn and pandas; nbclient is the reference runner the tests compare with.
  'python3-sklearn': {
    files: ['/usr/lib/python3/dist-packages/sklearn/__init__.py'],
    verify: [DEBIAN_PYTHON, ['-c', 'import sklearn']],
  },
  'python3-pandas': {
    files: ['/usr/lib/python3/dist-packages/pandas/__init__.py'],
  },
  'python3-nbclient': {
    files: ['/usr/lib/python3/dist-packages/nbclient/__init__.py'],
  },
  'python3-nbconvert': {
    files: ['/usr/lib/python3/dist-packages/nbconvert/__init__.py'],
  },
  // The engine only: a `docker` CLI elsewhere on PATH (e.g. /usr/local/bin) does not bring dockerd.
  'docker.io': {
    files: ['/usr/sbin/dockerd', '/usr/bin/docker'],
    verify: ['/usr/sbin/dockerd', ['--version']],
  },
  debootstrap: {
    files: ['/usr/sbin/debootstrap'],
  },
  // The registry binary only: scripts/lib/registry.mjs runs its own instance on 127.0.0.1 (not the package's service).
  'docker-registry': {
    files: ['/usr/bin/docker-registry'],
    verify: ['/usr/bin/docker-registry', ['--version']],
  },
  // htpasswd -B: distribution reads bcrypt entries only, and no bcrypt library is among the npm dependencies.
  'apache2-utils': {
    files: ['/usr/bin/htpasswd'],
  },
};

/** The needs callers name, and the packages each one stands for. Add new needs here. */
export const NEEDS = {
  kernels: {
    description: 'real Python (ipykernel) and R (IRkernel) Jupyter kernels',
    packages: ['python3-ipykernel', 'r-cran-irkernel'],
  },
  'jupyter-server': {
    description: 'Jupyter Server 1.x, a real client for --gateway-url tests',
    packages: ['python3-jupyter-server'],
  },
  runner: {
    description:
      'scikit-learn and pandas for ML runs on local kernels; nbclient and nbconvert, the reference runners the tests compare with',
    packages: ['python3-sklearn', 'python3-pandas', 'python3-nbclient', 'python3-nbconvert'],
  },
  'lab-e2e': {
    description: "the JupyterLab extension's browser tests: Jupyter Server 1.23 + jupyterlab_server for the test front end, Chromium",
    packages: ['python3-jupyter-server', 'python3-jupyterlab-server', 'chromium'],
  },
  docker: {
    description: 'Docker Engine, and debootstrap to make the OS base image locally (no registry is reachable)',
    packages: ['docker.io', 'debootstrap'],
  },
  registry: {
    description: 'an image registry (distribution 2.8) and htpasswd, for push/pull tests against a real registry',
    packages: ['docker-registry', 'apache2-utils'],
  },
};

const PREFIX = '[ensure-system]';
const APT_LISTS_DIR = '/var/lib/apt/lists';
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', APT_LISTCHANGES_FRONTEND: 'none', NEEDRESTART_MODE: 'a' };
// Wait for another apt/dpkg process (another test run, unattended-upgrades) instead of failing.
const APT_LOCK_OPTS = ['-o', 'DPkg::Lock::Timeout=600'];

export class SystemSetupError extends Error {
  constructor(message, { command } = {}) {
    super(message);
    this.name = 'SystemSetupError';
    /** The command a person should run to fix this, when there is one. */
    this.command = command;
  }
}

function log(message) {
  process.stderr.write(`${PREFIX} ${message}\n`);
}

/** Resolves the list of needs to the list of Debian packages, in table order, without duplicates. */
export function packagesFor(needs) {
  const list = typeof needs === 'string' ? [needs] : [...(needs ?? [])];
  const packages = [];
  for (const need of list) {
    const entry = NEEDS[need];
    if (!entry) {
      throw new SystemSetupError(`unknown need "${need}"; known needs: ${Object.keys(NEEDS).join(', ')}`);
    }
    for (const pkg of entry.packages) {
      if (!PACKAGES[pkg]) throw new SystemSetupError(`need "${need}" names package ${pkg}, which has no entry in PACKAGES`);
      if (!packages.includes(pkg)) packages.push(pkg);
    }
  }
  return packages;
}

/** Map of package name -> true when dpkg reports it as "install ok installed". */
function dpkgInstalled(packages) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${Status}\n', ...packages], { encoding: 'utf8' });
  if (result.error) {
    if (result.error.code === 'ENOENT') {
      throw new SystemSetupError(
        `dpkg-query not found: this script supports Debian-based systems only. Install these packages yourself: ${packages.join(' ')}`,
      );
    }
    throw new SystemSetupError(`cannot run dpkg-query: ${result.error.message}`);
  }
  // Exit status 1 only means that some package is unknown to dpkg; stdout still lists the rest.
  const installed = new Map(packages.map((p) => [p, false]));
  for (const line of result.stdout.split('\n')) {
    const [name, status] = line.split('\t');
    if (name && installed.has(name) && status === 'install ok installed') installed.set(name, true);
  }
  return installed;
}

/**
 * Checks the given needs without changing anything. Returns { packages, missing, broken, problems }:
 * `missing` are packages dpkg does not have installed; `broken` are installed packages whose
 * files are gone (they need `--reinstall`); `problems` explain each one.
 */
export function checkSystem({ needs }) {
  const packages = packagesFor(needs);
  const missing = [];
  const broken = [];
  const problems = [];
  if (packages.length === 0) return { packages, missing, broken, problems };
  const installed = dpkgInstalled(packages);
  for (const pkg of packages) {
    if (!installed.get(pkg)) {
      missing.push(pkg);
      problems.push(`${pkg} is not installed`);
      continue;
    }
    const absent = PACKAGES[pkg].files.filter((f) => !existsSync(f));
    if (absent.length > 0) {
      broken.push(pkg);
      problems.push(`${pkg} is installed but ${absent.join(', ')} ${absent.length === 1 ? 'is' : 'are'} missing`);
    }
  }
  return { packages, missing, broken, problems };
}

function installArgs(packages, { reinstall = false } = {}) {
  return ['install', '-y', '--no-install-recommends', ...(reinstall ? ['--reinstall'] : []), ...packages];
}

/** The command(s) that fix `missing` and `broken`, joined with && (without sudo). */
function fixCommand(missing, broken) {
  const commands = [];
  if (missing.length > 0) commands.push(`apt-get ${installArgs(missing).join(' ')}`);
  if (broken.length > 0) commands.push(`apt-get ${installArgs(broken, { reinstall: true }).join(' ')}`);
  return commands;
}

/** True when apt has never downloaded package lists (fresh containers ship without them). */
function aptListsEmpty() {
  try {
    return !readdirSync(APT_LISTS_DIR).some((f) => f.includes('_Packages'));
  } catch {
    return true;
  }
}

/** True when apt knows no installable version for one of the packages (stale or empty lists). */
function aptLacksCandidate(packages) {
  const result = spawnSync('apt-cache', ['policy', ...packages], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return true;
  for (const pkg of packages) {
    const start = result.stdout.search(new RegExp(`^${pkg.replace(/[.+]/g, '\\$&')}:`, 'm'));
    if (start < 0) return true;
    const candidate = /Candidate:\s*(\S+)/.exec(result.stdout.slice(start));
    if (!candidate || candidate[1] === '(none)') return true;
  }
  return false;
}

async function apt(args) {
  log(`running: DEBIAN_FRONTEND=noninteractive apt-get ${args.join(' ')}`);
  let result;
  try {
    result = await run('apt-get', [...APT_LOCK_OPTS, ...args], { prefix: '[apt-get]', env: APT_ENV });
  } catch (err) {
    throw new SystemSetupError(`${err.message} (apt-get is required to install Debian packages)`);
  }
  if (result.signal) throw new SystemSetupError(`apt-get ${args[0]} was killed by ${result.signal}`);
  return result.code;
}

function verifyPackages(packages) {
  const failures = [];
  const installed = dpkgInstalled(packages);
  for (const pkg of packages) {
    if (!installed.get(pkg)) {
      failures.push(`${pkg} is still not installed`);
      continue;
    }
    const absent = PACKAGES[pkg].files.filter((f) => !existsSync(f));
    if (absent.length > 0) {
      failures.push(`${pkg} is installed but ${absent.join(', ')} missing (try: apt-get install --reinstall ${pkg})`);
      continue;
    }
    const verify = PACKAGES[pkg].verify;
    if (verify) {
      const [cmd, args] = verify;
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      if (r.error || r.status !== 0) {
        const detail = r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(-1)[0];
        failures.push(`${pkg}: \`${cmd} ${args.join(' ')}\` failed: ${detail}`);
      }
    }
  }
  return failures;
}

/**
 * Installs whatever Debian packages `needs` call for and are missing. Resolves with
 * { installed: string[] } (empty when everything was already there); throws SystemSetupError
 * when something cannot be installed, with `.command` set to what a person should run.
 */
export async function ensureSystem({ needs, quiet = true } = {}) {
  const { packages, missing, broken, problems } = checkSystem({ needs });
  if (missing.length === 0 && broken.length === 0) {
    if (!quiet) log(`ok: ${packages.join(', ') || 'nothing'} already installed`);
    return { installed: [] };
  }
  for (const problem of problems) log(problem);

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    const command = fixCommand(missing, broken)
      .map((c) => `sudo ${c}`)
      .join(' && ');
    throw new SystemSetupError(
      `missing Debian packages: ${[...missing, ...broken].join(' ')}\n` +
        `Not running as root, so they cannot be installed here. Run:\n\n    ${command}\n\n` +
        `(run \`sudo apt-get update\` first if apt cannot find them), then try again.`,
      { command },
    );
  }

  const todo = [...missing, ...broken];
  let updated = false;
  const update = async () => {
    if ((await apt(['update'])) !== 0)
      throw new SystemSetupError('apt-get update failed (see output above)', { command: 'apt-get update' });
    updated = true;
  };
  if (aptListsEmpty() || aptLacksCandidate(todo)) await update();

  for (const [pkgs, reinstall] of [
    [missing, false],
    [broken, true],
  ]) {
    if (pkgs.length === 0) continue;
    const args = installArgs(pkgs, { reinstall });
    let code = await apt(args);
    if (code !== 0 && !updated) {
      // Stale package lists give 404s for superseded versions: refresh once and retry.
      log(`apt-get install failed (exit ${code}); refreshing package lists and retrying once`);
      await update();
      code = await apt(args);
    }
    if (code !== 0) {
      throw new SystemSetupError(`apt-get install failed (exit ${code}) for: ${pkgs.join(' ')}`, { command: `apt-get ${args.join(' ')}` });
    }
  }

  const failures = verifyPackages(todo);
  if (failures.length > 0) {
    throw new SystemSetupError(`installed, but the check afterwards failed:\n  ${failures.join('\n  ')}`);
  }
  log(`installed: ${todo.join(' ')}`);
  return { installed: todo };
}

function usage() {
  return [
    'usage: node scripts/ensure-system.mjs [--check] [--list] [NEED ...]',
    '  NEED: ' + Object.keys(NEEDS).join(', ') + ' (default: all); comma-separated lists are accepted',
    '  --check  only report what is missing (exit 1 if anything is), never install',
    '  --list   print the needs and their packages',
  ].join('\n');
}

async function main(argv) {
  let check = false;
  const needs = [];
  for (const arg of argv) {
    if (arg === '--check') check = true;
    else if (arg === '--list') {
      for (const [name, entry] of Object.entries(NEEDS)) console.log(`${name}: ${entry.packages.join(' ')}  (${entry.description})`);
      return 0;
    } else if (arg === '-h' || arg === '--help') {
      console.log(usage());
      return 0;
    } else if (arg.startsWith('--needs=')) needs.push(...arg.slice('--needs='.length).split(','));
    else if (arg.startsWith('-')) {
      console.error(`${PREFIX} unknown option ${arg}\n${usage()}`);
      return 2;
    } else needs.push(...arg.split(','));
  }
  const selected = (needs.length > 0 ? needs : Object.keys(NEEDS)).filter(Boolean);
  if (check) {
    const { packages, missing, broken, problems } = checkSystem({ needs: selected });
    for (const problem of problems) log(problem);
    if (missing.length > 0 || broken.length > 0) {
      log(`to fix, run as root: ${fixCommand(missing, broken).join(' && ')}`);
      return 1;
    }
    log(`ok: ${packages.join(', ')} installed`);
    return 0;
  }
  await ensureSystem({ needs: selected, quiet: false });
  return 0;
}

runAsCli(import.meta.url, main, { prefix: PREFIX, expected: [SystemSetupError] });
