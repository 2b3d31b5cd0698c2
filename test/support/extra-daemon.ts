// Extra Docker daemons beside the main one, for multi-daemon and remote-daemon (TCP + TLS) tests.
// Jest cannot import scripts/lib/extra-daemons.mjs, so this runs scripts/extra-daemons.mjs and reads
// the JSON line it prints with --json. The daemons live in /tmp/berth-dockerd-NAME/ (see the .mjs).
// Jest runs test files in parallel and a daemon is shared by name, so give each test file names of
// its own (one file stopping 't1' would stop it under another).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';

const CLI = join(resolve(__dirname, '..', '..'), 'scripts', 'extra-daemons.mjs');
const run = promisify(execFile);

export interface ExtraDaemon {
  readonly name: string;
  /** unix:///tmp/berth-dockerd-NAME/docker.sock */
  readonly socketHost: string;
  /** With TLS: tcp://127.0.0.1:PORT (the daemon wants a client certificate). */
  readonly tcpHost?: string;
  /** With TLS: the directory holding exactly ca.pem, cert.pem and key.pem for clients. */
  readonly certDir?: string;
  readonly pid: number;
  /** False when a daemon started earlier was reused. */
  readonly started: boolean;
  readonly version: string;
  readonly ms: number;
}

export interface LoadedImage {
  readonly name: string;
  readonly image: string;
  readonly id: string;
  /** False when the daemon already had this image id. */
  readonly loaded: boolean;
  readonly ms: number;
}

async function cli<T>(args: string[], timeoutMs: number): Promise<T> {
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [CLI, ...args, '--json'], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 }));
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`node scripts/extra-daemons.mjs ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`.trimEnd());
  }
  const line = stdout.trimEnd().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}

/** Starts extra daemon `name` (or reuses it when it already runs with the same TLS setting). */
export function startExtraDaemon(name: string, options: { tls?: boolean } = {}): Promise<ExtraDaemon> {
  return cli<ExtraDaemon>(['start', name, ...(options.tls ? ['--tls'] : [])], 120_000);
}

/** Stops extra daemon `name` if these helpers started it; `purge` also deletes its data (the image cache). */
export function stopExtraDaemon(
  name: string,
  options: { purge?: boolean } = {},
): Promise<{ name: string; stopped: boolean; purged: boolean }> {
  return cli(['stop', name, ...(options.purge ? ['--purge'] : [])], 120_000);
}

/** Copies `image` from the main daemon into extra daemon `name` unless it already has that image id. */
export function loadImageInto(name: string, image: string): Promise<LoadedImage> {
  return cli<LoadedImage>(['load', name, image], 600_000);
}

/** Dockerode options for `daemon`: its unix socket, or (`tcp: true`, TLS daemons) https with its client certificates. */
export function dockerodeOptions(daemon: ExtraDaemon, { tcp = false }: { tcp?: boolean } = {}): Dockerode.DockerOptions {
  if (!tcp) return { socketPath: daemon.socketHost.slice('unix://'.length) };
  if (daemon.tcpHost === undefined || daemon.certDir === undefined) throw new Error(`extra daemon ${daemon.name} has no TLS listener`);
  const { hostname, port } = new URL(daemon.tcpHost.replace(/^tcp:/, 'https:'));
  const read = (file: string): string => readFileSync(join(daemon.certDir!, file), 'utf8');
  return { protocol: 'https', host: hostname, port: Number(port), ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}
