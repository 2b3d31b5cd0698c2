#!/usr/bin/env node
// Makes sure node_modules matches package-lock.json and the gateway is built (Node built-ins only).
//
//   import { ensureNode } from './ensure-node.mjs';
//   await ensureNode();                       // npm ci when needed, then tsc -b gateway
//
//   node scripts/ensure-node.mjs [--no-build]
//
// `npm ci` runs when node_modules is missing or package-lock.json is newer than the lockfile npm
// keeps inside node_modules (node_modules/.package-lock.json, written by every npm install/ci).
// The build is `tsc -b gateway`, incremental: about a second when nothing changed.
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMain, run } from './lib/proc.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = '[ensure-node]';

export class NodeSetupError extends Error {
  /** stage: 'install' (npm ci) or 'build' (tsc -b gateway). */
  constructor(message, stage) {
    super(message);
    this.name = 'NodeSetupError';
    this.stage = stage;
  }
}

function log(message) {
  process.stderr.write(`${PREFIX} ${message}\n`);
}

/** Why `npm ci` must run, or null when node_modules is up to date with package-lock.json. */
export function installReason(root = ROOT) {
  const lock = join(root, 'package-lock.json');
  const hidden = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(join(root, 'node_modules'))) return 'node_modules is missing';
  if (!existsSync(hidden)) return 'node_modules/.package-lock.json is missing';
  if (!existsSync(lock)) return null; // nothing to compare with; npm ci would fail anyway
  if (statSync(lock).mtimeMs > statSync(hidden).mtimeMs) return 'package-lock.json is newer than node_modules';
  return null;
}

/** How to invoke the npm that is running us (npm test / npm start), else the npm on PATH. */
function npmCommand(args) {
  const execpath = process.env.npm_execpath;
  if (execpath && /npm-cli\.js$/.test(execpath) && existsSync(execpath)) return [process.execPath, [execpath, ...args]];
  return ['npm', args];
}

export async function npmCi(root = ROOT) {
  const [cmd, args] = npmCommand(['ci']);
  let result;
  try {
    result = await run(cmd, args, { cwd: root });
  } catch (err) {
    throw new NodeSetupError(`${err.message} (is npm installed?)`, 'install');
  }
  if (result.code !== 0) throw new NodeSetupError(`npm ci failed (${result.signal ?? `exit ${result.code}`})`, 'install');
}

/** Runs the TypeScript build of the gateway with the repo's own compiler. */
export async function buildGateway(root = ROOT) {
  let tsc;
  try {
    tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    throw new NodeSetupError('typescript is not installed in node_modules (run npm ci)', 'build');
  }
  // Same as `npx tsc -b gateway`, minus npx's start-up cost.
  const result = await run(process.execPath, [tsc, '-b', 'gateway'], { cwd: root });
  if (result.code !== 0) throw new NodeSetupError(`tsc -b gateway failed (${result.signal ?? `exit ${result.code}`})`, 'build');
}

export async function ensureNode({ root = ROOT, build = true } = {}) {
  const reason = installReason(root);
  if (reason) {
    log(`${reason}: running npm ci`);
    await npmCi(root);
  }
  if (build) await buildGateway(root);
  return { installed: Boolean(reason) };
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const unknown = argv.filter((a) => a !== '--no-build');
  if (unknown.length > 0) {
    console.error(`usage: node scripts/ensure-node.mjs [--no-build]`);
    process.exit(2);
  }
  ensureNode({ build: !argv.includes('--no-build') }).then(
    () => process.exit(0),
    (err) => {
      console.error(`${PREFIX} error: ${err.message}`);
      process.exit(1);
    },
  );
}
