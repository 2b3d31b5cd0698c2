import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '../../../gateway/src/runner/run';
import type { RunLogEntry } from '../../../gateway/src/runner/run-log';
import { waitUntil } from '../../support/kernel-processes';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { cell, followRun, notebook, streamText, submitRun, type RunApi } from '../../support/runs';

/**
 * The batch run queue on real local kernels: the gateway-wide, per-user and exec config (kernel
 * quota) limits hold runs back without failing them, a queued run cancels at once without ever
 * starting, and runs are private to their owner (another user's run answers 404, like a missing one).
 */

jest.setTimeout(120_000);

const ACTIVE = new Set(['starting', 'running']);
const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed-out']);

/** A notebook that prints its label, then sleeps. */
function sleeper(label: string, seconds: number): Record<string, unknown> {
  return notebook([cell(`import time\nprint("${label}", flush=True)\ntime.sleep(${seconds})`)]);
}

async function getRun(api: RunApi, id: string): Promise<RunRecord> {
  const response = await api.api(`api/berth/runs/${id}`);
  if (response.status !== 200) throw new Error(`run ${id}: ${response.status} ${await response.text()}`);
  return (await response.json()) as RunRecord;
}

async function listRuns(api: RunApi, query = ''): Promise<RunRecord[]> {
  const response = await api.api(`api/berth/runs${query}`);
  if (response.status !== 200) throw new Error(`run list: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { runs: RunRecord[] }).runs;
}

/** The run's log so far (JSON lines, not the live stream). */
async function logEntries(api: RunApi, id: string): Promise<RunLogEntry[]> {
  const response = await api.api(`api/berth/runs/${id}/logs`);
  if (response.status !== 200) throw new Error(`log of ${id}: ${response.status} ${await response.text()}`);
  return (await response.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunLogEntry);
}

function statuses(entries: readonly RunLogEntry[]): string[] {
  return entries.filter((entry) => entry.type === 'status').map((entry) => entry.status);
}

function systemText(entries: readonly RunLogEntry[]): string {
  return streamText(entries, 'system');
}

/** Whether two finished runs were executing at the same time. */
function overlap(a: RunRecord, b: RunRecord): boolean {
  return Date.parse(a.startedAt!) < Date.parse(b.endedAt!) && Date.parse(b.startedAt!) < Date.parse(a.endedAt!);
}

/** Polls the run list until stopped; resolves with the most runs seen starting or running at once. */
function watchActive(api: RunApi, ids: readonly string[]): { stop(): Promise<number> } {
  let stopped = false;
  let most = 0;
  const loop = (async () => {
    while (!stopped) {
      const active = (await listRuns(api)).filter((run) => ids.includes(run.id) && ACTIVE.has(run.status));
      most = Math.max(most, active.length);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return most;
    },
  };
}

describe('runs.maxConcurrent: 1', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ runs: { maxConcurrent: 1 } } as never);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test('three runs execute one at a time, in the order they were submitted, and all succeed', async () => {
    const submitted: RunRecord[] = [];
    for (const label of ['first', 'second', 'third'])
      submitted.push(await submitRun(gw, { kind: 'notebook', notebook: sleeper(label, 0.5) }));
    const ids = submitted.map((run) => run.id);
    const watcher = watchActive(gw, ids);
    // The two later ones wait in the queue while the first executes.
    const early = await Promise.all(ids.slice(1).map((id) => getRun(gw, id)));
    expect(early.map((run) => run.status)).toEqual(['queued', 'queued']);

    const ended = await Promise.all(ids.map((id) => followRun(gw, id)));
    const most = await watcher.stop();
    const records = ended.map((run) => run.record);
    expect(records.map((run) => run.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(most).toBe(1);
    // Never two at once: each started after the one before it ended.
    for (let index = 1; index < records.length; index++) {
      expect(Date.parse(records[index]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(records[index - 1]!.endedAt!));
    }
    expect(ended.map((run) => streamText(run.entries, 'stdout'))).toEqual(['first\n', 'second\n', 'third\n']);
  });

  test('cancelling a queued run ends it at once without starting it; the others still run', async () => {
    const first = await submitRun(gw, { kind: 'notebook', notebook: sleeper('first', 1) });
    const middle = await submitRun(gw, { kind: 'notebook', notebook: sleeper('middle', 0.2) });
    const last = await submitRun(gw, { kind: 'notebook', notebook: sleeper('last', 0.2) });
    // (The previous test's last run may still hold the slot while its kernel shuts down.)
    await waitUntil(async () => ACTIVE.has((await getRun(gw, first.id)).status), 'the first run to start');
    expect((await getRun(gw, middle.id)).status).toBe('queued');

    const response = await gw.api(`api/berth/runs/${middle.id}/cancel`, { method: 'POST' });
    expect(response.status).toBe(202);
    const cancelled = (await response.json()) as RunRecord;
    expect(cancelled).toMatchObject({ id: middle.id, status: 'cancelled' });
    expect(cancelled.startedAt).toBeUndefined();
    expect(cancelled.kernelId).toBeUndefined();
    expect(cancelled.endedAt).toBeDefined();
    expect(cancelled.failure?.message).toContain('while queued');
    // The first run is untouched by it.
    expect(ACTIVE.has((await getRun(gw, first.id)).status)).toBe(true);

    const [firstEnd, lastEnd] = await Promise.all([followRun(gw, first.id), followRun(gw, last.id)]);
    expect(firstEnd.record.status).toBe('succeeded');
    expect(lastEnd.record.status).toBe('succeeded');
    expect(Date.parse(lastEnd.record.startedAt!)).toBeGreaterThanOrEqual(Date.parse(firstEnd.record.endedAt!));

    // It never started: no kernel, no start time, nothing but queued → cancelled in its log; cancelling again is a conflict.
    const after = await getRun(gw, middle.id);
    expect(after.status).toBe('cancelled');
    expect(after.startedAt).toBeUndefined();
    expect(after.kernelId).toBeUndefined();
    expect(statuses(await logEntries(gw, middle.id))).toEqual(['queued', 'cancelled']);
    expect((await gw.api(`api/berth/runs/${middle.id}/cancel`, { method: 'POST' })).status).toBe(409);
  });
});

const TOKENS = {
  alice: 'runs-alice-token-000001',
  bob: 'runs-bob-token-00000002',
  carol: 'runs-carol-admin-token-3',
};
type User = keyof typeof TOKENS;

describe('per-user limit, exec config quota and permissions (users from the config)', () => {
  let gw: TestGateway;
  let configDir: string;
  const as = (user: User): RunApi => ({
    api: (path, init = {}) =>
      fetch(`${gw.url}${path}`, {
        ...init,
        headers: { Authorization: `token ${TOKENS[user]}`, ...(init.headers as Record<string, string> | undefined) },
      }),
  });

  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'berth-run-queue-'));
    mkdirSync(join(configDir, 'execution-configs'));
    // One kernel at a time on "single", whoever starts it; "restricted" only for the group "data".
    writeFileSync(join(configDir, 'execution-configs', 'single.yaml'), 'backend: local\nquotas:\n  maxKernels: 1\n');
    writeFileSync(join(configDir, 'execution-configs', 'restricted.yaml'), 'backend: local\npermissions:\n  groups: [data]\n');
    gw = await startTestGateway({
      configDir,
      runs: { maxConcurrent: 0, maxConcurrentPerUser: 1 },
      auth: {
        users: [
          { name: 'alice', token: TOKENS.alice, groups: ['data'] },
          { name: 'bob', token: TOKENS.bob },
          { name: 'carol', token: TOKENS.carol, admin: true },
        ],
      },
    } as never);
  });
  afterAll(async () => {
    await gw?.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });
  // A run's record ends before its kernel is shut down: let the previous test's kernels go, so their
  // shutdowns neither hold a limit nor wake a run waiting for room in the next test.
  beforeEach(async () => {
    await waitUntil(() => gw.gateway.services.kernels.list().length === 0, 'the previous runs’ kernels to be shut down');
  });

  test('maxConcurrentPerUser: 1: runs of different users overlap, runs of the same user do not', async () => {
    const aliceFirst = await submitRun(as('alice'), { kind: 'notebook', notebook: sleeper('a1', 1) });
    const aliceSecond = await submitRun(as('alice'), { kind: 'notebook', notebook: sleeper('a2', 0.5) });
    const bobs = await submitRun(as('bob'), { kind: 'notebook', notebook: sleeper('b1', 1) });
    expect(aliceFirst.owner).toBe('alice');
    expect(bobs.owner).toBe('bob');
    // Bob's run is not held back by Alice's: it starts while her second one waits.
    await waitUntil(async () => ACTIVE.has((await getRun(as('bob'), bobs.id)).status), "bob's run to start");
    expect((await getRun(as('alice'), aliceSecond.id)).status).toBe('queued');

    const [a1, a2, b1] = (
      await Promise.all([followRun(as('alice'), aliceFirst.id), followRun(as('alice'), aliceSecond.id), followRun(as('bob'), bobs.id)])
    ).map((run) => run.record);
    expect([a1!.status, a2!.status, b1!.status]).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(overlap(a1!, b1!)).toBe(true);
    expect(overlap(a1!, a2!)).toBe(false);
    expect(Date.parse(a2!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a1!.endedAt!));
  });

  test('an exec config kernel quota makes a run wait for room (queued, "Waiting for room"), then it runs', async () => {
    // Two users, so the per-user run limit lets both start: only the exec config's quota holds the second back.
    const first = await submitRun(as('alice'), { kind: 'notebook', execConfig: 'single', notebook: sleeper('holder', 1.5) });
    await waitUntil(async () => (await getRun(as('alice'), first.id)).status === 'running', 'the first run to hold the kernel');
    const second = await submitRun(as('bob'), { kind: 'notebook', execConfig: 'single', notebook: sleeper('waiter', 0.2) });
    expect(second.execConfig).toBe('single');

    await waitUntil(
      async () => systemText(await logEntries(as('bob'), second.id)).includes('Waiting for room'),
      'the second run to wait for room',
    );
    const waiting = await getRun(as('bob'), second.id);
    expect(waiting.status).toBe('queued');
    expect(waiting.kernelId).toBeUndefined();
    expect(systemText(await logEntries(as('bob'), second.id))).toMatch(/Waiting for room: .*single/);
    expect((await getRun(as('alice'), first.id)).status).toBe('running');

    const [firstEnd, secondEnd] = await Promise.all([followRun(as('alice'), first.id), followRun(as('bob'), second.id)]);
    expect(firstEnd.record.status).toBe('succeeded');
    expect(secondEnd.record.status).toBe('succeeded');
    // It got its kernel once the first run's kernel was gone.
    expect(Date.parse(secondEnd.record.startedAt!)).toBeGreaterThanOrEqual(Date.parse(firstEnd.record.endedAt!));
    expect(overlap(firstEnd.record, secondEnd.record)).toBe(false);
    expect(statuses(secondEnd.entries)).toEqual(['queued', 'starting', 'queued', 'starting', 'running', 'succeeded']);
  });

  test('a run waiting for room has not started: no start time while queued, none after it is cancelled there', async () => {
    const first = await submitRun(as('alice'), { kind: 'notebook', execConfig: 'single', notebook: sleeper('holder', 1.5) });
    await waitUntil(async () => (await getRun(as('alice'), first.id)).status === 'running', 'the first run to hold the kernel');
    const second = await submitRun(as('bob'), { kind: 'notebook', execConfig: 'single', notebook: sleeper('never', 0) });
    await waitUntil(
      async () => systemText(await logEntries(as('bob'), second.id)).includes('Waiting for room'),
      'the second run to wait for room',
    );
    const waiting = await getRun(as('bob'), second.id);
    expect(waiting.status).toBe('queued');

    const response = await as('bob').api(`api/berth/runs/${second.id}/cancel`, { method: 'POST' });
    expect(response.status).toBe(202);
    const cancelled = (await response.json()) as RunRecord;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.failure?.message).toContain('while queued');
    expect(cancelled.kernelId).toBeUndefined();
    expect((await followRun(as('alice'), first.id)).record.status).toBe('succeeded');
    // It never got a kernel nor ran a cell.
    expect(statuses(await logEntries(as('bob'), second.id)).at(-1)).toBe('cancelled');
    expect((await getRun(as('bob'), second.id)).status).toBe('cancelled');

    // Product bug: the attempt to start (refused by the quota) leaves startedAt on a record that is
    // queued again, so a waiting run looks started (`berth runs list` shows a growing duration) and
    // keeps that start time when it is cancelled without ever having run.
    expect({ status: waiting.status, startedAt: waiting.startedAt }).toEqual({ status: 'queued', startedAt: undefined });
    expect({ status: cancelled.status, startedAt: cancelled.startedAt }).toEqual({ status: 'cancelled', startedAt: undefined });
  });

  test("another user's run is invisible (404 everywhere, absent from lists); an admin sees every run", async () => {
    const alices = await submitRun(as('alice'), {
      kind: 'notebook',
      execConfig: 'restricted',
      outputs: ['out.txt'],
      notebook: notebook([cell('import time\nopen("out.txt", "w").write("alice\'s")\ntime.sleep(1)')]),
    });
    const bobs = await submitRun(as('bob'), { kind: 'notebook', notebook: sleeper('bob', 0.1) });

    const missing = async (path: string, init: RequestInit = {}): Promise<void> => {
      const response = await as('bob').api(path, init);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    };
    const probe = async (): Promise<void> => {
      await missing(`api/berth/runs/${alices.id}`);
      await missing(`api/berth/runs/${alices.id}/logs`);
      await missing(`api/berth/runs/${alices.id}/logs`, { headers: { Accept: 'text/event-stream' } });
      await missing(`api/berth/runs/${alices.id}/artifacts`);
      await missing(`api/berth/runs/${alices.id}/artifacts/output.ipynb`);
      await missing(`api/berth/runs/${alices.id}/artifacts/files/out.txt`);
    };
    // While it is queued or executing: Bob can neither see nor cancel it.
    await probe();
    await missing(`api/berth/runs/${alices.id}/cancel`, { method: 'POST' });
    expect(FINAL.has((await getRun(as('alice'), alices.id)).status)).toBe(false);

    const [aliceEnd, bobEnd] = await Promise.all([followRun(as('alice'), alices.id), followRun(as('bob'), bobs.id)]);
    expect(aliceEnd.record.status).toBe('succeeded');
    expect(bobEnd.record.status).toBe('succeeded');
    // Once it has ended and has artifacts, still nothing for Bob.
    await probe();
    await missing(`api/berth/runs/${alices.id}/cancel`, { method: 'POST' });

    const bobsList = await listRuns(as('bob'));
    expect(bobsList.map((run) => run.owner)).toEqual(bobsList.map(() => 'bob'));
    expect(bobsList.map((run) => run.id)).toContain(bobs.id);
    expect(bobsList.map((run) => run.id)).not.toContain(alices.id);
    // Asking for Alice's runs by name changes nothing for a non-admin.
    expect((await listRuns(as('bob'), '?user=alice')).map((run) => run.owner)).not.toContain('alice');
    expect((await listRuns(as('alice'))).map((run) => run.id)).not.toContain(bobs.id);

    // Carol (admin) sees both, can filter by user and read Alice's artifacts.
    const all = (await listRuns(as('carol'))).map((run) => run.id);
    expect(all).toEqual(expect.arrayContaining([alices.id, bobs.id]));
    expect((await listRuns(as('carol'), '?user=alice')).map((run) => run.owner)).toEqual(expect.arrayContaining(['alice']));
    expect((await listRuns(as('carol'), '?user=alice')).map((run) => run.id)).not.toContain(bobs.id);
    expect((await getRun(as('carol'), alices.id)).owner).toBe('alice');
    const artifact = await as('carol').api(`api/berth/runs/${alices.id}/artifacts/files/out.txt`);
    expect(artifact.status).toBe(200);
    expect(await artifact.text()).toBe("alice's");
  });

  test('an exec config the user may not use is refused with 403 and nothing is kept', async () => {
    const runsDir = join(gw.dataDir, 'runs');
    const before = existsSync(runsDir) ? readdirSync(runsDir).sort() : [];
    const countBefore = (await listRuns(as('carol'))).length;

    const response = await as('bob').api('api/berth/runs', {
      method: 'POST',
      body: JSON.stringify({
        kind: 'notebook',
        execConfig: 'restricted',
        inputs: [{ path: 'data.txt', content: Buffer.from('secret').toString('base64') }],
        notebook: sleeper('never', 0),
      }),
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { message: string };
    expect(body.message).toContain('restricted');

    expect(await listRuns(as('carol'))).toHaveLength(countBefore);
    expect(await listRuns(as('bob'), '?execConfig=restricted')).toEqual([]);
    expect(existsSync(runsDir) ? readdirSync(runsDir).sort() : []).toEqual(before);
  });
});
