import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { artifactText, base64, cell, followRun, notebook, outputNotebook, runToEnd, streamText, submitRun } from '../../support/runs';

/**
 * Notebook runs through the REST API on real local kernels: parameters, outputs written as the run
 * goes and at the end with papermill's metadata, failures, timeouts, cancel and kernel death (the
 * output notebook is always written and the record says why), files in and out, the log.
 */
describe('notebook runs (local kernels, REST API)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ runs: { maxConcurrent: 4 } } as never);
  });
  afterAll(async () => {
    await gw.stop();
  });

  test('a parameterized run succeeds; the output notebook has the injected cell, outputs and papermill metadata', async () => {
    const { record, entries } = await runToEnd(gw, {
      kind: 'notebook',
      notebookName: 'params.ipynb',
      notebook: notebook([
        cell('alpha = 0.5\nname = "world"', ['parameters']),
        cell('print(f"hello {name}", alpha * 2)'),
        cell('#md Some *markdown*'),
        cell('{"sum": alpha + 1}'),
      ]),
      parameters: { alpha: 2, name: 'Berth' },
    });
    expect(record.status).toBe('succeeded');
    expect(record.kernelName).toBe('python3');
    expect(record.execConfig).toBe('local');
    expect(record.parameters).toEqual({ alpha: 2, name: 'Berth' });
    expect(Date.parse(record.endedAt!)).toBeGreaterThanOrEqual(Date.parse(record.startedAt!));
    expect(streamText(entries, 'stdout')).toBe('hello Berth 4\n');
    const progress = entries.filter((entry) => entry.type === 'progress' && entry.phase === 'end');
    expect(progress).toHaveLength(5);
    const output = await outputNotebook(gw, record.id);
    expect(output.cells.map((c) => c['metadata'].tags ?? [])).toEqual([['parameters'], ['injected-parameters'], [], [], []]);
    expect(output.cells[1]!['source']).toContain('alpha = 2');
    expect(output.cells[2]!['outputs']).toEqual([{ output_type: 'stream', name: 'stdout', text: 'hello Berth 4\n' }]);
    expect(output.cells[4]!['outputs'][0]).toMatchObject({ output_type: 'execute_result', data: { 'text/plain': "{'sum': 3}" } });
    expect(output.cells[4]!['execution_count']).toBeGreaterThan(0);
    for (const c of output.cells) expect(c['metadata'].papermill).toMatchObject({ status: 'completed', exception: false });
    expect(output.metadata['papermill']).toMatchObject({ parameters: { alpha: 2, name: 'Berth' }, exception: false });
    expect(typeof output.metadata['papermill'].duration).toBe('number');
  });

  test('an error stops the run: failed with the cell, ename and traceback; papermill error cells; later cells pending', async () => {
    const { record } = await runToEnd(gw, {
      kind: 'notebook',
      notebook: notebook([cell('x = 1'), cell('1/0', ['raises-exception']), cell('raise ValueError("bad value")'), cell('print("never")')]),
    });
    expect(record.status).toBe('failed');
    expect(record.failure).toMatchObject({ cellIndex: 2, ename: 'ValueError', evalue: 'bad value' });
    expect(record.failure!.traceback!.join('\n')).toContain('ValueError');
    const output = await outputNotebook(gw, record.id);
    expect(output.cells[0]!['metadata'].tags).toEqual(['papermill-error-cell-tag']);
    expect(output.cells[0]!['source']).toContain('An Exception was encountered');
    // The cell tagged raises-exception ran, errored and did not stop the run.
    expect(output.cells[2]!['outputs'][0]).toMatchObject({ output_type: 'error', ename: 'ZeroDivisionError' });
    expect(output.cells[3]!['metadata'].tags).toEqual(['papermill-error-cell-tag']);
    expect(output.cells[4]!['metadata'].papermill).toMatchObject({ status: 'failed', exception: true });
    expect(output.cells[5]!['metadata'].papermill.status).toBe('pending');
    expect(output.cells[5]!['outputs']).toEqual([]);
    expect(output.metadata['papermill'].exception).toBe(true);
  });

  test('a cell over the per-cell timeout is interrupted: timed-out, the notebook written, the cell marked', async () => {
    const { record } = await runToEnd(gw, {
      kind: 'notebook',
      cellTimeoutSeconds: 1,
      notebook: notebook([cell('print("before")'), cell('import time\nfor i in range(600):\n    time.sleep(0.1)'), cell('print("after")')]),
    });
    expect(record.status).toBe('timed-out');
    expect(record.failure).toMatchObject({ cellIndex: 1, ename: 'TimeoutError' });
    expect(record.failure!.message).toContain('per-cell timeout');
    const output = await outputNotebook(gw, record.id);
    // [error header, cell 0, error anchor, the timed-out cell, cell 2]
    const timedOut = output.cells[3]!;
    expect(timedOut['metadata'].papermill.status).toBe('failed');
    // The interrupt reached the kernel: the cell reports KeyboardInterrupt.
    expect(timedOut['outputs'].map((o: Record<string, unknown>) => o['ename'])).toContain('KeyboardInterrupt');
    expect(output.cells[1]!['outputs'][0].text).toBe('before\n');
  });

  test('the whole-run timeout ends a run that never finishes', async () => {
    const { record } = await runToEnd(gw, {
      kind: 'notebook',
      timeoutSeconds: 5,
      notebook: notebook([cell('import time'), cell('time.sleep(600)')]),
    });
    expect(record.status).toBe('timed-out');
    expect(record.failure!.message).toContain('within 5 s');
    expect((await outputNotebook(gw, record.id)).cells[3]!['metadata'].papermill.status).toBe('failed');
  });

  test('cancel: a running run is interrupted and ends cancelled, its notebook written', async () => {
    const running = await submitRun(gw, {
      kind: 'notebook',
      notebook: notebook([cell('print("started", flush=True)\nimport time\ntime.sleep(600)')]),
    });
    const following = followRun(gw, running.id);
    await waitFor(async () => (await (await gw.api(`api/berth/runs/${running.id}/logs`)).text()).includes('started'));
    const cancelled = await gw.api(`api/berth/runs/${running.id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(202);
    const { record } = await following;
    expect(record.status).toBe('cancelled');
    const output = await outputNotebook(gw, running.id);
    expect(output.cells[2]!['outputs'][0].text).toBe('started\n');
    expect(record.failure).toMatchObject({ ename: 'RunCancelled', cellIndex: 0 });
    // Cancelling again is a conflict: the run has ended.
    expect((await gw.api(`api/berth/runs/${running.id}/cancel`, { method: 'POST' })).status).toBe(409);
  });

  test('a kernel that dies mid-run fails the run with the reason; the gateway serves on', async () => {
    const { record } = await runToEnd(gw, {
      kind: 'notebook',
      notebook: notebook([cell('print("alive")'), cell('import os\nos._exit(7)'), cell('print("never")')]),
    });
    expect(record.status).toBe('failed');
    expect(record.failure!.message).toMatch(/kernel died/i);
    // The exit code, and the kernel process's own log (ipykernel captures even fd 2 into the
    // notebook, so the log holds what the process wrote outside of cells).
    expect(record.failure!.message).toContain('exited with code 7');
    expect(record.failure!.message).toContain('Kernel log (last lines)');
    expect(record.failure).toMatchObject({ cellIndex: 1, ename: 'DeadKernelError' });
    const output = await outputNotebook(gw, record.id);
    expect(output.cells[1]!['outputs'][0].text).toBe('alive\n');
    expect(output.cells[4]!['metadata'].papermill.status).toBe('pending');
    // The run's kernel is gone; the gateway still answers.
    const kernels = (await (await gw.api('api/kernels')).json()) as { id: string }[];
    expect(kernels.map((k) => k.id)).not.toContain(record.kernelId);
  });

  test('inputs are staged into a fresh working directory; declared outputs come back as artifacts', async () => {
    const { record } = await runToEnd(gw, {
      kind: 'notebook',
      notebook: notebook([
        cell(
          'import os\nrows = open("data/in.csv").read().splitlines()\nprint(len(rows), os.path.basename(os.getcwd()).startswith("berth-run-"))',
        ),
        cell(
          'open("result.txt", "w").write("rows=%d" % len(rows))\nos.makedirs("plots", exist_ok=True)\nopen("plots/a.bin", "wb").write(bytes(range(256)) * 4096)',
        ),
      ]),
      inputs: [{ path: 'data/in.csv', content: base64('a,b\n1,2\n3,4\n') }],
      outputs: ['*.txt', 'plots/**'],
    });
    expect(record.status).toBe('succeeded');
    expect(record.request.inputs).toEqual([{ path: 'data/in.csv', bytes: 12 }]);
    const artifacts = (await (await gw.api(`api/berth/runs/${record.id}/artifacts`)).json()) as {
      artifacts: { path: string; bytes: number }[];
    };
    expect(artifacts.artifacts).toEqual([
      { path: 'files/plots/a.bin', bytes: 256 * 4096 },
      { path: 'files/result.txt', bytes: 6 },
      { path: 'output.ipynb', bytes: expect.any(Number) },
    ]);
    expect(await artifactText(gw, record.id, 'files/result.txt')).toBe('rows=3');
    const binary = Buffer.from(await (await gw.api(`api/berth/runs/${record.id}/artifacts/files/plots/a.bin`)).arrayBuffer());
    expect(binary.equals(Buffer.from(new Uint8Array(256 * 4096).map((_, i) => i % 256)))).toBe(true);
  });

  test('an R notebook with parameters runs on the ir kernel', async () => {
    const { record } = await runToEnd(gw, {
      kind: 'notebook',
      notebook: notebook([cell('n <- 1\nlabel <- "a"', ['parameters']), cell('cat(label, n * 2, "\\n")')], 'r'),
      parameters: { n: 21, label: 'R says' },
    });
    expect(record.status).toBe('succeeded');
    expect(record.kernelName).toBe('ir');
    const output = await outputNotebook(gw, record.id);
    expect(output.cells[1]!['source']).toContain('n = 21');
    expect(output.cells[2]!['outputs'][0].text).toBe('R says 42 \n');
  });

  test('bad requests get 400/404 saying what is wrong, and keep nothing', async () => {
    const before = ((await (await gw.api('api/berth/runs')).json()) as { runs: unknown[] }).runs.length;
    const bad = async (body: unknown): Promise<{ status: number; message: string }> => {
      const response = await gw.api('api/berth/runs', { method: 'POST', body: JSON.stringify(body) });
      return { status: response.status, message: ((await response.json()) as { message: string }).message };
    };
    expect(await bad({ kind: 'notebook' })).toMatchObject({ status: 400, message: expect.stringContaining('notebook') });
    expect(await bad({ kind: 'spreadsheet' })).toMatchObject({ status: 400, message: expect.stringContaining('kind') });
    expect(await bad({ kind: 'notebook', notebook: { nbformat: 3, cells: [] } })).toMatchObject({ status: 400 });
    expect(await bad({ kind: 'notebook', notebook: notebook([]), kernel: 'no-such-kernel' })).toMatchObject({
      status: 404,
      message: expect.stringContaining('no-such-kernel'),
    });
    expect(await bad({ kind: 'notebook', notebook: notebook([]), inputs: [{ path: '../escape', content: '' }] })).toMatchObject({
      status: 400,
      message: expect.stringContaining('relative path'),
    });
    expect(((await (await gw.api('api/berth/runs')).json()) as { runs: unknown[] }).runs.length).toBe(before);
    expect((await gw.api('api/berth/runs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  test('list filters by status and kind; the kept log is JSON lines', async () => {
    const failed = ((await (await gw.api('api/berth/runs?status=failed')).json()) as { runs: { status: string }[] }).runs;
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.every((run) => run.status === 'failed')).toBe(true);
    const recipes = ((await (await gw.api('api/berth/runs?kind=recipe')).json()) as { runs: unknown[] }).runs;
    expect(recipes).toEqual([]);
    expect((await gw.api('api/berth/runs?status=sleeping')).status).toBe(400);
    const [latest] = ((await (await gw.api('api/berth/runs?limit=1')).json()) as { runs: { id: string }[] }).runs;
    const log = await (await gw.api(`api/berth/runs/${latest!.id}/logs`)).text();
    const lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; status?: string });
    expect(lines[0]).toMatchObject({ type: 'status', status: 'queued' });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
