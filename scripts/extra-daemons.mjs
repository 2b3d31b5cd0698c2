#!/usr/bin/env node
// Extra Docker daemons beside the main one, for multi-daemon and remote-daemon (TCP + TLS) tests
// and for debugging them by hand (scripts/lib/extra-daemons.mjs says where everything lives).
//
//   node scripts/extra-daemons.mjs start NAME [--tls]   # start dockerd NAME (or reuse it when it runs)
//   node scripts/extra-daemons.mjs stop NAME [--purge]  # stop it; --purge also deletes its data (image cache)
//   node scripts/extra-daemons.mjs load NAME IMAGE      # copy IMAGE from the main daemon into NAME
//
// Progress goes to stderr; with --json, the result is also printed to stdout as one JSON line
// (test/support/extra-daemon.ts reads it). Then, e.g.:
//
//   docker -H unix:///tmp/berth-dockerd-NAME/docker.sock ps
//   docker -H tcp://127.0.0.1:PORT --tlsverify --tlscacert DIR/ca.pem --tlscert DIR/cert.pem --tlskey DIR/key.pem ps
import { ExtraDaemonError, extraDaemonPaths, loadImageInto, startExtraDaemon, stopExtraDaemon } from './lib/extra-daemons.mjs';
import { DockerSetupError } from './lib/docker-daemon.mjs';
import { runAsCli } from './lib/proc.mjs';

const USAGE = 'usage: extra-daemons.mjs start NAME [--tls] | stop NAME [--purge] | load NAME IMAGE  [--json]';

async function main(argv) {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const [command, name, image, ...rest] = argv.filter((a) => !a.startsWith('--'));
  const allowed = { start: ['--tls', '--json'], stop: ['--purge', '--json'], load: ['--json'] }[command];
  const unknown = [...flags].filter((f) => !allowed?.includes(f));
  if (!allowed || !name || (command === 'load') !== (image !== undefined) || rest.length > 0 || unknown.length > 0) {
    console.error(USAGE);
    return 2;
  }
  let result;
  if (command === 'start') {
    result = await startExtraDaemon({ name, tls: flags.has('--tls') });
    console.error(
      `[docker ${name}] ${result.started ? `started in ${result.ms} ms` : 'already running'} (pid ${result.pid}): ${result.socketHost}` +
        `${result.tcpHost ? `, ${result.tcpHost} (TLS; client certificates in ${result.certDir})` : ''}`,
    );
  } else if (command === 'stop') {
    result = await stopExtraDaemon(name, { purge: flags.has('--purge') });
    console.error(
      `[docker ${name}] ${result.stopped ? 'stopped' : 'not running (none started by these scripts)'}${result.purged ? '; data deleted' : ''}`,
    );
  } else {
    // Through the daemon's unix socket: no certificates needed, whatever its TCP listener wants.
    result = { name, ...(await loadImageInto(extraDaemonPaths(name).socketHost, image)) };
    console.error(`[docker ${name}] ${image} (${result.id.slice(0, 19)}) ${result.loaded ? `loaded in ${result.ms} ms` : 'already there'}`);
  }
  if (flags.has('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

runAsCli(import.meta.url, main, { prefix: '[docker]', expected: [ExtraDaemonError, DockerSetupError] });
