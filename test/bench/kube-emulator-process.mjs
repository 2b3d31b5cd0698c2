// The Kubernetes API emulator of the tests (test/support/kube-emulator) as a process of its own, for
// the k8s-* sections of `npm run bench`: a cluster's API server and kubelet are not part of their
// clients, so they must not share an event loop (and a CPU) with the floor's client, nor count in
// the bench process's CPU time. test/bench/kubernetes-kernels.mjs transpiles the emulator into a
// directory of the run's temp dir and starts this script with it:
//
//   node test/bench/kube-emulator-process.mjs <dir holding the transpiled index.js>
//
// Once the API server answers it prints one JSON line on stdout ({kubeconfigPath, context, url,
// nodeName}). It stops (its kubelet removes every container it started, the emulator its temp
// files) on SIGTERM or SIGINT, or when its stdin closes because the bench is gone; then exits 0.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const compiled = process.argv[2];
if (compiled === undefined) {
  process.stderr.write('usage: kube-emulator-process.mjs <dir of the transpiled emulator>\n');
  process.exit(2);
}
const { start } = createRequire(join(resolve(compiled), 'index.js'))('./index.js');

// The kubelet's and API server's own delays (image pull backoff, mount retries, pod sync): the
// bench compares against the emulator as it is, not as the tests speed it up.
const kube = await start();

let stopping;
function stop(why) {
  stopping ??= kube.stop().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`[kube-emulator] stop after ${why} failed: ${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
process.stdin.on('end', () => stop('stdin closed'));
process.stdin.on('error', () => stop('stdin error'));
process.stdin.resume();

const { kubeconfigPath, context, url, nodeName } = kube;
process.stdout.write(`${JSON.stringify({ kubeconfigPath, context, url, nodeName })}\n`);
