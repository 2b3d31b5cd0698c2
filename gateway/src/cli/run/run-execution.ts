import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { parseNotebook, type Notebook } from '../../runner/notebook';
import type { RunRecord } from '../../runner/run';
import type { RunLogEntry } from '../../runner/run-log';
import { GatewayClient, gatewayTarget } from './gateway-client';
import type { CommonRunFlags } from './run-flags';
import { RunProgress } from './run-progress';

/** How often `--gateway` runs fetch the output notebook while cells finish. */
const REMOTE_NOTEBOOK_MS = 2000;

export interface RunOutcome {
  readonly record: RunRecord;
  /** Fetches an artifact of the run (from the gateway, or the in-process data directory). */
  readonly artifact: (path: string) => Promise<Buffer>;
  readonly artifacts: () => Promise<{ path: string; bytes: number }[]>;
  /** Releases the in-process gateway (its kernels are gone by then), and its temporary data directory. */
  readonly close: () => Promise<void>;
}

/**
 * Runs a request to its end and follows it: in process (a gateway of our own, not listening,
 * with local kernels or the config directory's exec configs) or through a running gateway
 * (`--gateway`). Either way the log is drawn as it comes and `onNotebook` sees the output
 * notebook as the run goes.
 */
export async function executeRun(
  body: Record<string, unknown>,
  flags: CommonRunFlags,
  options: { showOutput: boolean; onNotebook?: (notebook: Notebook) => void },
): Promise<RunOutcome> {
  const progress = new RunProgress({ showOutput: options.showOutput || Boolean(flags.logOutput) });
  if (flags.gateway !== undefined || process.env['BERTH_GATEWAY_URL']) {
    const client = new GatewayClient(gatewayTarget(flags));
    const submitted = await client.submit(body);
    process.stderr.write(`[berth] run ${submitted.id} on ${submitted.kernelName} (${submitted.execConfig})\n`);
    // The output notebook is fetched as cells finish (at most every REMOTE_NOTEBOOK_MS), then once at the end.
    let fetching: Promise<void> = Promise.resolve();
    let lastFetch = 0;
    const fetchNotebook = (): Promise<void> => {
      if (!options.onNotebook || submitted.kind !== 'notebook') return fetching;
      lastFetch = Date.now();
      fetching = fetching.then(async () => {
        const text = (await client.artifact(submitted.id, 'output.ipynb').catch(() => undefined))?.toString('utf8');
        if (text) options.onNotebook!(parseNotebook(text, 'the output notebook'));
      });
      return fetching;
    };
    const record = await client.follow(submitted.id, (entry) => {
      progress.onEntry(entry);
      if (entry.type === 'progress' && entry.phase === 'end' && Date.now() - lastFetch >= REMOTE_NOTEBOOK_MS) void fetchNotebook();
    });
    progress.finish(record);
    await fetchNotebook();
    return {
      record,
      artifact: (path) => client.artifact(record.id, path),
      artifacts: () => client.artifacts(record.id),
      close: async () => undefined,
    };
  }
  return executeInProcess(body, flags, progress, options.onNotebook);
}

async function executeInProcess(
  body: Record<string, unknown>,
  flags: CommonRunFlags,
  progress: RunProgress,
  onNotebook: ((notebook: Notebook) => void) | undefined,
): Promise<RunOutcome> {
  const { loadConfig } = await import('../../config/load');
  const { createGateway } = await import('../../app');
  const { readFileSync } = await import('node:fs');
  const temporary = flags.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'berth-run-')) : undefined;
  const config = loadConfig({
    flags: {
      dataDir: flags.dataDir ?? temporary,
      ...(flags.configDir ? { configDir: flags.configDir } : {}),
      logLevel: process.env['BERTH_LOG_LEVEL'] ?? 'warn',
    },
  });
  const gateway = createGateway(config);
  const runs = gateway.services.runs;
  const identity = { name: userInfo().username, groups: [], admin: true };
  const close = async (): Promise<void> => {
    await gateway.stop();
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  };
  let record: RunRecord;
  try {
    const submitted = await runs.submit(body, identity, onNotebook ? { onNotebook } : {});
    const onEntry = (entry: RunLogEntry): void => progress.onEntry(entry);
    for (const entry of runs.logs.history(submitted.id)) onEntry(entry);
    const unfollow = runs.logs.follow(submitted.id, onEntry);
    const interrupted = (): void => {
      process.stderr.write('\n[berth] cancelling the run (Ctrl-C again to quit at once)\n');
      process.off('SIGINT', interrupted);
      runs.cancel(undefined, submitted.id);
    };
    process.on('SIGINT', interrupted);
    record = await runs.whenDone(submitted.id);
    process.off('SIGINT', interrupted);
    unfollow();
  } catch (error) {
    await close();
    throw error;
  }
  progress.finish(record);
  const files = runs.files(record.id);
  return {
    record,
    artifact: async (path) => readFileSync(files.artifactPath(path)),
    artifacts: async () => files.artifacts(),
    close,
  };
}

/** Writes a file, making its folder. */
export function writeOut(path: string, bytes: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** Exit code of a finished run: 0 only on success; a recipe's own status when it exited with one. */
export function exitCodeOf(record: RunRecord): number {
  if (record.status === 'succeeded') return 0;
  if (record.failure?.exitCode !== undefined && record.failure.exitCode > 0) return record.failure.exitCode;
  return record.status === 'timed-out' ? 124 : record.status === 'cancelled' ? 130 : 1;
}
