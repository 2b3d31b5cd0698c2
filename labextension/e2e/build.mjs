#!/usr/bin/env node
// Builds the two test front ends with webpack, each only when an input is newer than its last
// build (warm runs skip webpack):
//
//   app/build/        the bundled front end: JupyterLab's core + Berth's plugins (from lib/)
//   federated/build/  the federated host: JupyterLab's core only, for the prebuilt extension
//
//   node e2e/build.mjs [app] [federated] [--force]
//
// Needs `tsc -b` (lib/) for the app and scripts/gen-core-meta.mjs (build/core-meta) for the
// federated host; scripts/test.mjs runs both first.
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appConfigs, OUTPUT as APP_OUTPUT } from './app/webpack.config.mjs';
import { CORE_META, federatedConfigs, OUTPUT as FEDERATED_OUTPUT } from './federated/webpack.config.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE = resolve(HERE, '..');
const STAMP = '.e2e-build-complete';

/** What each front end is made from; a change to any of these rebuilds it. */
export const FRONT_ENDS = {
  app: {
    output: APP_OUTPUT,
    configs: appConfigs,
    inputs: [
      join(HERE, 'app'),
      join(HERE, 'shared'),
      ...['lib', 'style', 'schema', 'package.json', 'package-lock.json'].map((entry) => join(PACKAGE, entry)),
    ],
  },
  federated: {
    output: FEDERATED_OUTPUT,
    configs: federatedConfigs,
    inputs: [join(HERE, 'federated'), join(HERE, 'shared'), CORE_META, join(PACKAGE, 'package.json'), join(PACKAGE, 'package-lock.json')],
  },
};

/** The newest modification time under `path`, leaving out build output folders. */
function newestMtime(path, skip) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    const child = join(path, entry);
    if (skip.has(child)) continue;
    newest = Math.max(newest, newestMtime(child, skip));
  }
  return newest;
}

/** True when the last complete build of `name` is newer than every input. */
export function isFresh(name) {
  const frontEnd = FRONT_ENDS[name];
  const stamp = join(frontEnd.output, STAMP);
  if (!existsSync(stamp)) return false;
  const skip = new Set([frontEnd.output]);
  return statSync(stamp).mtimeMs > Math.max(...frontEnd.inputs.map((input) => newestMtime(input, skip)));
}

function runWebpack(configs) {
  const require = createRequire(join(PACKAGE, 'package.json'));
  const webpack = require('webpack');
  return new Promise((resolvePromise, reject) => {
    webpack(configs, (error, stats) => {
      if (error) return reject(error);
      const text = stats.toString({ preset: 'errors-warnings', colors: false });
      if (stats.hasErrors()) return reject(new Error(`webpack failed:\n${text}`));
      if (text.trim()) process.stderr.write(`${text}\n`);
      resolvePromise();
    });
  });
}

/**
 * Builds the named front ends that are stale (or all of them with force). Resolves with
 * { [name]: { built: boolean, ms } }; rejects with webpack's errors.
 */
export async function buildFrontEnds(names = Object.keys(FRONT_ENDS), { force = false } = {}) {
  const results = {};
  for (const name of names) {
    const frontEnd = FRONT_ENDS[name];
    if (!frontEnd) throw new Error(`unknown front end "${name}" (known: ${Object.keys(FRONT_ENDS).join(', ')})`);
    const started = Date.now();
    if (!force && isFresh(name)) {
      results[name] = { built: false, ms: Date.now() - started };
      continue;
    }
    // A clean output: content-hashed chunks of earlier builds would pile up otherwise.
    rmSync(frontEnd.output, { recursive: true, force: true });
    await runWebpack(frontEnd.configs());
    writeFileSync(join(frontEnd.output, STAMP), `${new Date().toISOString()}\n`);
    results[name] = { built: true, ms: Date.now() - started };
  }
  return results;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const names = args.filter((arg) => !arg.startsWith('--'));
  buildFrontEnds(names.length > 0 ? names : undefined, { force: args.includes('--force') }).then(
    (results) => {
      for (const [name, result] of Object.entries(results)) {
        process.stderr.write(`[e2e build] ${name}: ${result.built ? `built in ${(result.ms / 1000).toFixed(1)} s` : 'up to date'}\n`);
      }
    },
    (error) => {
      process.stderr.write(`[e2e build] ${error.message}\n`);
      process.exit(1);
    },
  );
}
