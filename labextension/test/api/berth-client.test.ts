import { BerthClient } from '../../src/api/berth-client';
import { BerthApiError, BerthUnreachableError } from '../../src/api/errors';
import { executionChoices } from '../../src/model/kernelspec-choices';
import type { KernelEvent } from '../../src/model/kernel-events';
import type { RunLogEntry } from '../../src/model/runs';
import { clientFor, pythonNotebook, testGateway } from '../support/gateway';

// Kernel starts take seconds, more on a loaded machine.
jest.setTimeout(90_000);

// The API client against a real Berth gateway (started by test/support/global-setup.cjs with the
// example config directory): kernelspecs and exec configs per user, notebook runs from submit
// to output notebook, cancel, kernel events, and the errors people see.

describe('BerthClient against a real gateway', () => {
  const alice = clientFor('alice');
  const bob = clientFor('bob');

  it('reads the status with a valid token', async () => {
    await expect(alice.status()).resolves.toHaveProperty('kernels');
  });

  it('lists only the pairs each user may use, with metadata.berth intact', async () => {
    const aliceChoices = executionChoices(await alice.kernelspecs());
    expect(aliceChoices.pairs.map((pair) => pair.name)).toEqual(['pandas--docker-large', 'pandas--docker-small', 'r-tables--docker-large']);
    expect(aliceChoices.execConfigs.map((config) => [config.id, config.summary])).toEqual([
      ['docker-large', 'docker · 8 CPUs · 32 GiB'],
      ['docker-small', 'docker · 1 CPU · 2 GiB'],
    ]);
    const bobChoices = executionChoices(await bob.kernelspecs());
    expect(bobChoices.pairs.map((pair) => pair.name)).toEqual(['pandas--docker-small']);
  });

  it('lists the exec configs a user may use', async () => {
    expect((await alice.execConfigs()).map((config) => config.id)).toEqual(['docker-large', 'docker-small', 'local']);
    const bobs = await bob.execConfigs();
    expect(bobs.map((config) => config.id)).toEqual(['docker-small']);
    expect(bobs[0]).toMatchObject({ backend: 'docker', resources: { cpus: 1, memory: 2147483648 } });
  });

  it('submits a notebook run with a parameter, follows its log to the end, and fetches the output notebook', async () => {
    const notebook = pythonNotebook('region = "north"\nfactor = 2', ['print(f"region={region} total={21 * factor}")']);
    const submitted = await alice.submitRun({
      kind: 'notebook',
      notebook,
      notebookName: 'report.ipynb',
      parameters: { factor: 3 },
      kernel: 'python3',
    });
    expect(submitted).toMatchObject({ kind: 'notebook', name: 'report.ipynb', owner: 'alice' });
    const entries: RunLogEntry[] = [];
    const final = await alice.followRunLog(submitted.id, (entry) => entries.push(entry));
    expect(final).toMatchObject({ id: submitted.id, status: 'succeeded' });
    const stdout = entries.flatMap((entry) => (entry.type === 'output' && entry.stream === 'stdout' ? [entry.text] : [])).join('');
    expect(stdout).toContain('region=north total=63');
    expect(entries.some((entry) => entry.type === 'status' && entry.status === 'running')).toBe(true);

    // The same log, read afterwards.
    expect((await alice.runLog(submitted.id)).length).toBe(entries.length);
    const artifacts = await alice.artifacts(submitted.id);
    expect(artifacts.map((artifact) => artifact.path)).toContain('output.ipynb');
    const output = JSON.parse(await alice.artifactText(submitted.id, 'output.ipynb')) as {
      cells: { source: string | string[]; metadata: { tags?: string[] } }[];
    };
    const injected = output.cells.find((cell) => cell.metadata.tags?.includes('injected-parameters'));
    expect([injected?.source].flat().join('')).toContain('factor = 3');

    const listed = await alice.listRuns();
    expect(listed.find((run) => run.id === submitted.id)?.status).toBe('succeeded');
    expect((await alice.getRun(submitted.id)).endedAt).toEqual(expect.any(String));
  });

  it("runs the notebook's plain kernel on the exec config given through KERNEL_EXECUTION_CONFIG", async () => {
    const notebook = pythonNotebook('x = 1', ['print(x)']);
    const submitted = await alice.submitRun({ kind: 'notebook', notebook, kernel: 'python3', env: { KERNEL_EXECUTION_CONFIG: 'local' } });
    expect(submitted).toMatchObject({ kernelName: 'python3', execConfig: 'local' });
    expect(await alice.followRunLog(submitted.id, () => undefined)).toMatchObject({ status: 'succeeded' });
  });

  it('cancels a running run', async () => {
    const notebook = pythonNotebook('seconds = 60', ['import time\nprint("started", flush=True)\ntime.sleep(seconds)']);
    const submitted = await alice.submitRun({ kind: 'notebook', notebook, kernel: 'python3' });
    const entries: RunLogEntry[] = [];
    const following = alice.followRunLog(submitted.id, (entry) => entries.push(entry));
    // Cancel once the cell runs (its first output is in the log), as a person watching the log would.
    await waitFor(async () => entries.some((entry) => entry.type === 'output' && entry.text.includes('started')), 60000);
    expect((await alice.getRun(submitted.id)).status).toBe('running');
    const cancelled = await alice.cancelRun(submitted.id);
    expect(['running', 'cancelled']).toContain(cancelled.status);
    expect(await following).toMatchObject({ status: 'cancelled' });
  });

  it("hides other users' runs", async () => {
    const notebook = pythonNotebook('x = 1', ['x']);
    const submitted = await alice.submitRun({ kind: 'notebook', notebook, kernel: 'python3' });
    expect((await bob.listRuns()).some((run) => run.id === submitted.id)).toBe(false);
    await expect(bob.getRun(submitted.id)).rejects.toMatchObject({ name: 'BerthApiError', status: 404 });
    await alice.followRunLog(submitted.id, () => undefined);
  });

  it('streams kernel events: the stages of a start, then ready', async () => {
    const events: KernelEvent[] = [];
    const abort = new AbortController();
    const feed = alice.followKernelEvents((event) => events.push(event), abort.signal);
    await new Promise((resolve) => setTimeout(resolve, 200)); // subscribed before the start
    const started = await alice.request('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3' }) });
    const kernel = (await started.json()) as { id: string };
    try {
      await waitFor(async () => events.some((event) => event.kernelId === kernel.id && event.type === 'ready'));
      const mine = events.filter((event) => event.kernelId === kernel.id);
      expect(mine[0]).toMatchObject({ type: 'stage', stage: 'launching' });
      expect(mine.map((event) => event.stage ?? event.type)).toEqual(expect.arrayContaining(['launching', 'waiting-for-kernel', 'ready']));
    } finally {
      await alice.request(`api/kernels/${kernel.id}`, { method: 'DELETE' });
      abort.abort();
      await feed; // an abort ends the stream quietly
    }
  });

  it("reports Berth's own message for refused requests", async () => {
    const wrong = new BerthClient({ baseUrl: testGateway().url, token: 'not-a-token' });
    const refused = await wrong.listRuns().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BerthApiError);
    // Jupyter's convention, which Berth follows: a wrong token is 403, a missing one 401.
    expect(refused).toMatchObject({ status: 403 });
    expect((refused as Error).message).toMatch(/token/i);
    const invalid = await alice.submitRun({ kind: 'notebook' }).catch((error: unknown) => error);
    expect(invalid).toMatchObject({ name: 'BerthApiError', status: 400 });
    expect((invalid as Error).message).not.toBe('');
  });

  it('says how to fix an unreachable gateway, naming --allow-origin', async () => {
    const nowhere = new BerthClient({ baseUrl: 'http://127.0.0.1:9/', token: 't', origin: 'http://127.0.0.1:8889' });
    const error = await nowhere.status().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BerthUnreachableError);
    expect((error as Error).message).toContain('Cannot reach Berth at http://127.0.0.1:9/');
    expect((error as Error).message).toContain('berth serve --allow-origin http://127.0.0.1:8889');
  });

  it("is allowed cross-origin by Berth's --allow-origin, with the headers it sends", async () => {
    // What a browser asks before the client's first request from another origin (the preflight).
    const preflight = await fetch(`${testGateway().url}api/berth/runs`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
    // Kept by the browser for a while: the runs panel's polls do not each cost a preflight.
    expect(Number(preflight.headers.get('access-control-max-age'))).toBeGreaterThanOrEqual(60);
  });
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
