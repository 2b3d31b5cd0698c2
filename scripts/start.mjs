#!/usr/bin/env node
// `npm start`: installs and builds what is needed, then runs the gateway in the foreground.
//
//   npm start                      # berth serve --ip 127.0.0.1 --port 8888
//   npm start -- --port 9999       # extra arguments go to `berth serve`
//
// SIGINT/SIGTERM/SIGHUP are forwarded to the gateway, and this process exits the way it did.
import { join } from 'node:path';
import { ensureNode, ROOT } from './ensure-node.mjs';
import { ensureSystem } from './ensure-system.mjs';
import { exitLike, run } from './lib/proc.mjs';

const DEFAULTS = [
  ['--ip', '127.0.0.1'],
  ['--port', '8888'],
];

/** Default options the caller did not give (`--port 9999` or `--port=9999` replaces --port 8888). */
function defaultArgs(extra) {
  const out = [];
  for (const [flag, value] of DEFAULTS) {
    if (!extra.some((a) => a === flag || a.startsWith(`${flag}=`))) out.push(flag, value);
  }
  return out;
}

async function main() {
  const extra = process.argv.slice(2);
  try {
    await ensureNode();
    await ensureSystem({ needs: ['kernels'] });
  } catch (err) {
    console.error(`[start] ${err.message}`);
    process.exit(1);
  }
  const args = [join(ROOT, 'gateway', 'bin', 'berth.js'), 'serve', ...defaultArgs(extra), ...extra];
  exitLike(await run(process.execPath, args, { cwd: ROOT }));
}

main().catch((err) => {
  console.error('[start] unexpected error:', err);
  process.exit(1);
});
