// The built `berth` command (gateway/bin/berth.js on gateway/dist) in a child process, the way a
// user runs it: the exit status, stdout and stderr come back whatever the status is.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const BERTH = join(ROOT, 'gateway', 'bin', 'berth.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock time from spawn to exit. */
  readonly ms: number;
}

export interface CliOptions {
  readonly cwd: string;
  /** Extra environment; the test process's own BERTH_* variables are never passed on. */
  readonly env?: Record<string, string>;
  /** Kills the CLI (SIGKILL) when it runs longer than this (default 90 s). */
  readonly killAfterMs?: number;
}

/** Compiles the gateway (incremental: quick when dist is up to date). */
export function buildGateway(): void {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'gateway'], { cwd: ROOT });
}

/** Starts the CLI; `done` resolves with its exit status and output. */
export function spawnBerth(args: readonly string[], options: CliOptions): { child: ChildProcess; done: Promise<CliResult> } {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('BERTH_')) env[name] = value;
  Object.assign(env, options.env);
  const started = Date.now();
  const child = spawn(process.execPath, [BERTH, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 90_000);
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    child.once('error', (error) => {
      clearTimeout(killer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolvePromise({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, done };
}

/** Runs the CLI to its end. */
export function berth(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return spawnBerth(args, options).done;
}
