#!/usr/bin/env node
// Makes a real image registry available for Berth's push/pull tests on this machine: installs
// Debian's docker-registry (distribution 2.8) + htpasswd, and starts it on 127.0.0.1:5000 with
// basic auth for a fixed test user (scripts/lib/registry.mjs says why plain HTTP). Idempotent; a
// second run is two HTTP requests.
//
//   node scripts/ensure-registry.mjs                # install + start when needed
//   node scripts/ensure-registry.mjs --credentials  # print {"address","username","password"} as JSON
//   node scripts/ensure-registry.mjs --stop         # stop the registry this script started (if any)
import { ensureSystem, SystemSetupError } from './ensure-system.mjs';
import { runAsCli } from './lib/proc.mjs';
import { ensureRegistryServer, quietPackageService, registryCredentials, RegistrySetupError, stopRegistryServer } from './lib/registry.mjs';

/** Everything the registry tests need. Resolves with timings; throws RegistrySetupError / SystemSetupError. */
export async function ensureRegistry() {
  const t0 = Date.now();
  const system = await ensureSystem({ needs: ['registry'] });
  // Where an init system runs, the package's postinst has just started its own registry on :5000.
  if (system.installed.includes('docker-registry')) quietPackageService();
  const server = await ensureRegistryServer();
  return { installed: system.installed, server, ms: Date.now() - t0 };
}

async function main(argv) {
  if (argv.includes('--stop')) {
    const stopped = await stopRegistryServer();
    console.error(
      `[registry] ${stopped ? 'stopped the registry started by these scripts' : 'no registry started by these scripts is running'}`,
    );
    return 0;
  }
  if (argv.includes('--credentials')) {
    process.stdout.write(`${JSON.stringify(registryCredentials())}\n`);
    return 0;
  }
  const r = await ensureRegistry();
  console.error(
    `[registry] ready in ${r.ms} ms: installed ${r.installed.join(' ') || 'nothing'}; ` +
      `${registryCredentials().address} ${r.server.started ? `started (${r.server.ms} ms)` : 'already running'}`,
  );
  return 0;
}

runAsCli(import.meta.url, main, { prefix: '[registry]', expected: [RegistrySetupError, SystemSetupError] });
