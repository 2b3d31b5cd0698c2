#!/usr/bin/env node
// Makes Docker usable for Berth's image and container tests on this machine:
// installs docker.io + debootstrap (Debian), starts dockerd when none answers, and builds the OS
// base image the Dockerfiles in images/ use by default. Idempotent; a second run takes well under a second.
//
//   node scripts/ensure-docker.mjs          # everything
//   node scripts/ensure-docker.mjs --stop   # stop the dockerd this script started (if any)
import { DockerSetupError, ensureDockerDaemon, ensureOsBaseImage, stopDockerDaemon } from './lib/docker-daemon.mjs';
import { runAsCli } from './lib/proc.mjs';
import { ensureSystem, SystemSetupError } from './ensure-system.mjs';

/** Everything the Docker tests need. Resolves with timings; throws DockerSetupError / SystemSetupError. */
export async function ensureDocker() {
  const t0 = Date.now();
  const system = await ensureSystem({ needs: ['docker'] });
  const daemon = await ensureDockerDaemon();
  const osBase = await ensureOsBaseImage({ labels: { 'berth.io/test': 'test-setup' } });
  return { installed: system.installed, daemon, osBase, ms: Date.now() - t0 };
}

async function main(argv) {
  if (argv.includes('--stop')) {
    const stopped = await stopDockerDaemon();
    console.error(
      `[docker] ${stopped ? 'stopped the dockerd started by these scripts' : 'no dockerd started by these scripts is running'}`,
    );
    return 0;
  }
  const r = await ensureDocker();
  console.error(
    `[docker] ready in ${r.ms} ms: installed ${r.installed.join(' ') || 'nothing'}; dockerd ${r.daemon.version}` +
      `${r.daemon.started ? ` started (${r.daemon.ms} ms)` : ' already running'}; OS base image ` +
      `${r.osBase.built ? `built (${r.osBase.ms} ms)` : 'present'}`,
  );
  return 0;
}

runAsCli(import.meta.url, main, { prefix: '[docker]', expected: [DockerSetupError, SystemSetupError] });
