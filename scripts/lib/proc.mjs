// Small process helpers shared by the repo scripts. Node built-ins only.
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** True when the module whose import.meta.url is given is the script node was started with. */
export function isMain(metaUrl) {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(fileURLToPath(metaUrl)) === realpathSync(process.argv[1]);
  } catch {
    return false;
  }
}

/**
 * Calls onLine for every complete line of a stream. A bare \r (progress meters redrawing a line)
 * keeps only the text after the last one, so "5%\r10%\r100%\n" gives a single "100%" line.
 */
function eachLine(stream, onLine) {
  let pending = '';
  const emit = (raw) => {
    const parts = raw.replace(/\r+$/, '').split('\r');
    onLine(parts[parts.length - 1]);
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) emit(line);
  });
  stream.on('end', () => {
    if (pending !== '') emit(pending);
    pending = '';
  });
}

/**
 * Forwards SIGINT/SIGTERM/SIGHUP received by this process to `child` while it runs.
 * A terminal Ctrl-C and npm's own forwarding can deliver the same signal to us twice in a
 * few milliseconds; such duplicates are coalesced so the child sees one signal per burst.
 * Returns a function that removes the handlers.
 */
export function forwardSignals(child, { coalesceMs = 500 } = {}) {
  const last = new Map();
  const handlers = new Map();
  for (const sig of FORWARDED_SIGNALS) {
    const handler = () => {
      const now = Date.now();
      if (now - (last.get(sig) ?? -Infinity) < coalesceMs) return;
      last.set(sig, now);
      if (child.exitCode === null && child.signalCode === null) {
        try {
          child.kill(sig);
        } catch {
          // the child is already gone
        }
      }
    };
    handlers.set(sig, handler);
    process.on(sig, handler);
  }
  return () => {
    for (const [sig, handler] of handlers) process.removeListener(sig, handler);
  };
}

/**
 * Runs a command and resolves with { code, signal } when it exits (never rejects on a non-zero
 * exit; rejects only when the command cannot be started). Output is inherited, or, with
 * `prefix`, streamed line by line with that prefix.
 */
export function run(cmd, args, { prefix, cwd, env, forward = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: env ?? process.env,
      stdio: prefix ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    const unforward = forward ? forwardSignals(child) : () => {};
    let streamsOpen = prefix ? 2 : 0;
    let exit = null;
    const finish = () => {
      if (exit && streamsOpen === 0) {
        unforward();
        resolve(exit);
      }
    };
    if (prefix) {
      for (const [stream, out] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ]) {
        eachLine(stream, (line) => out.write(`${prefix} ${line}\n`));
        stream.on('close', () => {
          streamsOpen -= 1;
          finish();
        });
      }
    }
    child.on('error', (err) => {
      unforward();
      const e = new Error(`cannot run ${cmd}: ${err.message}`);
      e.cause = err;
      reject(e);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      finish();
    });
  });
}

/** Ends this process the way the child ended (same exit code, or the same signal). */
export function exitLike({ code, signal }) {
  if (signal) {
    for (const sig of FORWARDED_SIGNALS) process.removeAllListeners(sig);
    process.kill(process.pid, signal);
    // If the signal is ignored or handled elsewhere, fall back to the shell convention.
    setTimeout(() => process.exit(128 + (signalNumber(signal) ?? 1)), 200);
    return;
  }
  process.exit(code ?? 1);
}

function signalNumber(signal) {
  const numbers = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal];
}

/**
 * Runs `main(argv)` when `metaUrl` is the entry point and exits with the code it returns. An
 * error of one of the `expected` classes prints "<prefix> error: <message>" (it already says what
 * to do); anything else prints its stack. Both exit 1.
 */
export function runAsCli(metaUrl, main, { prefix, expected = [] }) {
  if (!isMain(metaUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      if (expected.some((ErrorClass) => err instanceof ErrorClass)) console.error(`${prefix} error: ${err.message}`);
      else console.error(`${prefix} unexpected error:`, err);
      process.exit(1);
    },
  );
}
