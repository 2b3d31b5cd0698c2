import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '../../../gateway/src/runner/run';
import type { RunLogEntry } from '../../../gateway/src/runner/run-log';
import { startCliGateway, stopCliGateway, type CliGateway } from '../../support/cli-gateway';
import { isAlive, kernelPid, kernelProcesses, killKernelProcesses, waitUntil } from '../../support/kernel-processes';
import { base64, cell, followRun, notebook, streamText, submitRun } from '../../support/runs';

/**
 * A `berth serve` process killed with SIGKILL while one batch run executes and two wait in the
 * queue (runs.maxConcurrent: 1 from a config file). The next gateway on the same data dir fails
 * the executing run (saying the gateway restarted) and shuts its kernel down, then runs the queued
 * ones with the input files they were submitted with; no run is left queued, starting or running.
 */

jest.setTimeout(180_000);

const ACTIVE = new Set(['queued', 'starting', 'running']);

interface KernelModel {
  id: string;
}

async function getRun(gateway: CliGateway, id: string): Promise<RunRecord> {
  const response = await gateway.api(`api/berth/runs/${id}`);
  if (response.status !== 200) throw new Error(`run ${id}: ${response.status} ${await response.text()}`);
  return (await response.json()) as RunRecord;
}

async function logEntries(gateway: CliGateway, id: string): Promise<RunLogEntry[]> {
  const response = await gateway.api(`api/berth/runs/${id}/logs`);
  if (response.status !== 200) throw new Error(`log of ${id}: ${response.status} ${await response.text()}`);
  return (await response.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunLogEntry);
}

async function kernelIds(gateway: CliGateway): Promise<string[]> {
  return ((await (await gateway.api('api/kernels')).json()) as KernelModel[]).map((kernel) => kernel.id);
}

/** A notebook that prints the input file it was given. */
function reader(path: string): Record<string, unknown> {
  return notebook([cell(`print(open(${JSON.stringify(path)}).read(), end="")`)]);
}

describe('batch runs after the gateway process is killed', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-run-recovery-'));
  const configDir = mkdtempSync(join(tmpdir(), 'berth-run-recovery-config-'));
  const configFile = join(configDir, 'berth.json');
  const token = `run-recovery-${randomUUID()}`;
  const gateways: CliGateway[] = [];
  /** Kernel-side working directories to remove (the killed run's kernel never got to remove its own). */
  const workdirs: string[] = [];

  beforeAll(() => {
    writeFileSync(configFile, JSON.stringify({ runs: { maxConcurrent: 1 }, kernels: { shutdownGraceSeconds: 2 } }));
  });

  afterAll(async () => {
    for (const gateway of gateways) await stopCliGateway(gateway, 'SIGKILL');
    killKernelProcesses(dataDir);
    for (const workdir of workdirs) rmSync(workdir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  });

  it('fails the executing run, shuts its kernel down and runs the queued ones with their input files', async () => {
    const start = async (): Promise<CliGateway> => {
      const gateway = await startCliGateway({ dataDir, token, args: ['--config', configFile] });
      gateways.push(gateway);
      return gateway;
    };
    const first = await start();

    const executing = await submitRun(first, {
      kind: 'notebook',
      notebookName: 'long.ipynb',
      inputs: [{ path: 'marker.txt', content: base64('long run started') }],
      notebook: notebook([cell('print(open("marker.txt").read(), flush=True)'), cell('import time\ntime.sleep(600)')]),
    });
    const queued = [
      await submitRun(first, {
        kind: 'notebook',
        notebookName: 'b.ipynb',
        inputs: [{ path: 'data.txt', content: base64('input of B') }],
        notebook: reader('data.txt'),
      }),
      await submitRun(first, {
        kind: 'notebook',
        notebookName: 'c.ipynb',
        inputs: [{ path: 'in/data.csv', content: base64('x,y\n1,2\n') }],
        notebook: reader('in/data.csv'),
      }),
    ];

    // The long run is inside its sleep (its first cell printed the input file); the others wait.
    await waitUntil(
      async () => streamText(await logEntries(first, executing.id), 'stdout').includes('long run started'),
      'the long run to reach its sleeping cell',
    );
    const workdir = /working directory (\S+)/.exec(streamText(await logEntries(first, executing.id), 'system'))?.[1];
    expect(workdir).toContain(`berth-run-${executing.id.slice(0, 8)}`);
    workdirs.push(workdir!);
    const running = await getRun(first, executing.id);
    expect(running.status).toBe('running');
    expect(running.kernelId).toBeDefined();
    for (const run of queued) expect((await getRun(first, run.id)).status).toBe('queued');
    const pid = kernelPid(dataDir, running.kernelId!);

    // The gateway dies without a chance to clean up; the run's kernel outlives it.
    process.kill(first.pid, 'SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isAlive(pid)).toBe(true);

    const second = await start();
    // Its log says what it found (the log stream may trail the URL line).
    const recovery = (): Record<string, unknown> | undefined =>
      second.stdout
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry['msg'] === 'batch runs from the previous run');
    await waitUntil(() => recovery() !== undefined, 'the gateway to log the runs it recovered', 10_000);
    expect(recovery()).toMatchObject({ requeued: 2, failed: 1 });

    // The executing run is failed at once, saying why; it is never reported running again.
    const failed = await getRun(second, executing.id);
    expect(failed.status).toBe('failed');
    expect(failed.endedAt).toBeDefined();
    expect(failed.failure?.message).toMatch(/gateway restarted while this run was running/);
    const failedLog = await logEntries(second, executing.id);
    expect(failedLog.at(-1)).toMatchObject({ type: 'status', status: 'failed', message: failed.failure!.message });
    // Its kernel is shut down: the process is gone and the gateway lists it no more.
    await waitUntil(() => !isAlive(pid), `the long run's kernel process ${pid} to end`);
    expect(await kernelIds(second)).not.toContain(running.kernelId);

    // The queued runs run, one at a time, each with the file it was submitted with.
    const ended = await Promise.all(queued.map((run) => followRun(second, run.id)));
    expect(ended.map((run) => run.record.status)).toEqual(['succeeded', 'succeeded']);
    expect(ended.map((run) => streamText(run.entries, 'stdout'))).toEqual(['input of B', 'x,y\n1,2\n']);
    expect(Date.parse(ended[1]!.record.startedAt!)).toBeGreaterThanOrEqual(Date.parse(ended[0]!.record.endedAt!));
    expect((await getRun(second, executing.id)).status).toBe('failed');

    // Nothing is left in flight: no run queued, starting or running, no kernel, no kernel process.
    const all = ((await (await second.api('api/berth/runs')).json()) as { runs: RunRecord[] }).runs;
    expect(all.map((run) => run.id).sort()).toEqual([executing.id, ...queued.map((run) => run.id)].sort());
    expect(all.filter((run) => ACTIVE.has(run.status))).toEqual([]);
    await waitUntil(async () => (await kernelIds(second)).length === 0, 'the runs’ kernels to be shut down');
    await waitUntil(() => kernelProcesses(dataDir).length === 0, 'no kernel process of this gateway to remain');

    expect(await stopCliGateway(second, 'SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
