import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(__dirname, '..', '..');
const BERTH = join(ROOT, 'gateway', 'bin', 'berth.js');
const COMPILED = join(ROOT, 'gateway', 'dist', 'cli', 'main.js');
const URL_LINE = /^Berth gateway at (\S+)/;

/** A `berth serve` process started the way an operator starts it: token in BERTH_TOKEN, port 0. */
export interface CliGateway {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly wsUrl: string;
  readonly token: string;
  readonly dataDir: string;
  /** Every stdout line (JSON log lines and the URL line) and stderr line, as they arrive. */
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  api(path: string, init?: RequestInit): Promise<Response>;
}

export interface CliGatewayOptions {
  readonly dataDir: string;
  readonly token: string;
  readonly args?: readonly string[];
  /** Extra environment for the gateway process. */
  readonly env?: Record<string, string>;
  /** How long to wait for the URL line (reattaching kernels happens before it). */
  readonly deadlineMs?: number;
  /** A command the gateway runs under (argv prefix); `pid` is then the wrapper's. */
  readonly wrapper?: readonly string[];
}

/** Spawns `node gateway/bin/berth.js serve --port 0 --data-dir …` and resolves once it printed its URL. */
export function startCliGateway(options: CliGatewayOptions): Promise<CliGateway> {
  if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: build the gateway first (npx tsc -b gateway).`);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('BERTH_')) env[name] = value;
  Object.assign(env, { BERTH_TOKEN: options.token }, options.env);
  const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath];
  const child = spawn(
    command!,
    [...prefix, BERTH, 'serve', '--port', '0', '--ip', '127.0.0.1', '--data-dir', options.dataDir, ...(options.args ?? [])],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) =>
    child.once('exit', (code, signal) => resolvePromise({ code, signal })),
  );
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const lines = createInterface({ input: child.stdout! });
  const deadlineMs = options.deadlineMs ?? 60_000;
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`berth serve printed no URL within ${deadlineMs} ms; stderr: ${stderr.join('\n')}`));
    }, deadlineMs);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(
          `berth serve exited (${signal ?? code}) before printing its URL; stderr: ${stderr.join('\n')}; stdout: ${stdout.join('\n')}`,
        ),
      );
    });
    lines.on('line', (line) => {
      stdout.push(line);
      const match = URL_LINE.exec(line);
      if (!match) return;
      clearTimeout(timer);
      const url = match[1]!;
      resolvePromise({
        child,
        pid: child.pid!,
        url,
        wsUrl: url.replace(/^http/, 'ws'),
        token: options.token,
        dataDir: options.dataDir,
        stdout,
        stderr,
        exited,
        api: (path, init = {}) =>
          fetch(`${url}${path.replace(/^\//, '')}`, {
            ...init,
            headers: {
              Authorization: `token ${options.token}`,
              'Content-Type': 'application/json',
              ...(init.headers as Record<string, string> | undefined),
            },
          }),
      });
    });
  });
}

/** Stops a CLI gateway with `signal` and waits for the process to end. */
export async function stopCliGateway(
  gateway: CliGateway,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill(signal);
  return gateway.exited;
}
