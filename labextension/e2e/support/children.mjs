// Child processes the tests start: spawned with their output kept (for the artifacts), stopped
// by their own PID only, and SIGKILLed if this test process exits with any still running.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const running = new Set();

process.on('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Spawns `command` with stdout and stderr collected line by line in `lines` (prefixed with the
 * stream). Resolves nothing: returns { child, lines, exited } at once.
 */
export function startChild(command, args, { cwd, env, onLine } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  running.add(child);
  // Resolves when the child exits, or at once when it could not be spawned (ENOENT: no 'exit').
  const exited = new Promise((resolvePromise) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolvePromise({ code, signal });
    });
    child.once('error', (error) => {
      if (child.pid !== undefined) return; // an error after a successful spawn: 'exit' follows
      lines.push(`[spawn error] ${error.message}`);
      running.delete(child);
      resolvePromise({ code: null, signal: null, error });
    });
  });
  for (const [stream, name] of [
    [child.stdout, 'out'],
    [child.stderr, 'err'],
  ]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(`[${name}] ${line}`);
      onLine?.(line, name);
    });
  }
  return { child, lines, exited };
}

/** True once the child has exited (or never started). */
export function hasExited(child) {
  return child.exitCode !== null || child.signalCode !== null || !running.has(child);
}

/**
 * Waits up to `graceMs` for the child to exit (after the caller asked it to), then SIGKILLs it:
 * this child's PID only. Resolves with how it ended: 'exited' or 'killed'.
 */
export async function waitOrKill({ child, exited }, graceMs) {
  if (hasExited(child)) return 'exited';
  let timer;
  const grace = new Promise((resolvePromise) => {
    timer = setTimeout(() => resolvePromise('timeout'), graceMs);
  });
  const first = await Promise.race([exited.then(() => 'exited'), grace]);
  clearTimeout(timer);
  if (first === 'exited') return 'exited';
  child.kill('SIGKILL');
  await exited;
  return 'killed';
}
