import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { berth, buildGateway, spawnBerth } from '../support/berth-cli';
import { startCliGateway, stopCliGateway, type CliGateway } from '../support/cli-gateway';
import { cell, notebook, submitRun } from '../support/runs';

/**
 * `berth run` and `berth runs` as a user types them: the built CLI in a child process, local
 * kernels, in process (a private gateway) or through a `berth serve` child process. Exit codes,
 * what lands on stdout and stderr, and the files left behind are what is checked.
 */

jest.setTimeout(120_000);

function writeNotebook(path: string, cells: Record<string, unknown>[]): string {
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(notebook(cells), null, 1));
  return path;
}

interface PapermillMetadata {
  readonly status?: string;
  readonly exception?: boolean | null;
  readonly parameters?: Record<string, unknown>;
}

interface Output {
  readonly output_type: string;
  readonly text?: string | string[];
  readonly ename?: string;
  readonly evalue?: string;
  readonly data?: Record<string, unknown>;
}

interface Cell {
  readonly cell_type: string;
  readonly source: string;
  readonly metadata: { readonly tags?: string[]; readonly papermill?: PapermillMetadata };
  readonly outputs?: Output[];
}

function readNotebook(path: string): { cells: Cell[]; metadata: { papermill?: PapermillMetadata } } {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function streamOutput(c: Cell): string {
  return (c.outputs ?? [])
    .filter((output) => output.output_type === 'stream')
    .map((output) => (Array.isArray(output.text) ? output.text.join('') : String(output.text)))
    .join('');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

/** The run id the CLI names on stderr (`[berth] run <id> …`). */
function runIdOf(stderr: string): string {
  const match = /\[berth\] run ([0-9a-f-]{36}) /.exec(stderr);
  if (!match) throw new Error(`no run id on stderr:\n${stderr}`);
  return match[1]!;
}

let scratch: string;

beforeAll(() => {
  buildGateway();
  scratch = mkdtempSync(join(tmpdir(), 'berth-run-cli-'));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** A fresh folder under the scratch folder, for one test. */
function folder(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// -------------------------------------------------------------------------------------------------
// The parameterized notebook, with every way of passing parameters (in process and through a gateway)

const PARAMETER_CELL = [
  'count = 1',
  'ratio = 0.5',
  'scale = 1',
  'verbose = False',
  'label = "x"',
  'raw_id = "0"',
  'threshold = 0',
  'colors = []',
  'limits = {}',
].join('\n');

function writeParameterizedNotebook(dir: string): { notebookPath: string; args: string[] } {
  const notebookPath = writeNotebook(join(dir, 'report.ipynb'), [
    cell('#md # A report'),
    cell(PARAMETER_CELL, ['parameters']),
    cell('print(f"count={count!r} ratio={ratio!r} scale={scale!r} verbose={verbose!r} label={label!r} raw_id={raw_id!r}")'),
    cell('print(f"threshold={threshold!r} colors={colors!r} limits={limits!r}")'),
    cell('{"sum": count + ratio}'),
  ]);
  // -f first, then -y, then -p/-r: later ones win (papermill's order). count comes from the file and
  // is overridden by -p; threshold comes from the file and is overridden by -y.
  writeFileSync(join(dir, 'params.yaml'), 'count: 100\nlimits:\n  low: 1\n  high: null\nthreshold: 0.1\n');
  const args = [
    ...['-f', 'params.yaml'],
    ...['-y', '{threshold: 0.75, colors: [red, blue]}'],
    ...['-p', 'count', '3'],
    ...['-p', 'ratio', '2.5'],
    ...['-p', 'scale', '1e-3'],
    ...['-p', 'verbose', 'True'],
    ...['-p', 'label', 'hello world'],
    ...['-r', 'raw_id', '007'],
  ];
  return { notebookPath, args };
}

/** What papermill injects for those arguments: its translator's literal forms, in its order. */
const INJECTED_SOURCE = [
  '# Parameters',
  'count = 3',
  'limits = {"low": 1, "high": None}',
  'threshold = 0.75',
  'colors = ["red", "blue"]',
  'ratio = 2.5',
  'scale = 0.001',
  'verbose = True',
  'label = "hello world"',
  'raw_id = "007"',
  '',
].join('\n');

function expectParameterizedOutput(path: string): void {
  const output = readNotebook(path);
  expect(output.cells.map((c) => c.metadata.tags ?? [])).toEqual([[], ['parameters'], ['injected-parameters'], [], [], []]);
  expect(output.cells[2]!.source).toBe(INJECTED_SOURCE);
  expect(streamOutput(output.cells[3]!)).toBe("count=3 ratio=2.5 scale=0.001 verbose=True label='hello world' raw_id='007'\n");
  expect(streamOutput(output.cells[4]!)).toBe("threshold=0.75 colors=['red', 'blue'] limits={'low': 1, 'high': None}\n");
  expect(output.cells[5]!.outputs![0]).toMatchObject({ output_type: 'execute_result', data: { 'text/plain': "{'sum': 5.5}" } });
  for (const c of output.cells) expect(c.metadata.papermill).toMatchObject({ status: 'completed', exception: false });
  expect(output.metadata.papermill).toMatchObject({
    exception: false,
    parameters: {
      count: 3,
      limits: { low: 1, high: null },
      threshold: 0.75,
      colors: ['red', 'blue'],
      ratio: 2.5,
      scale: 0.001,
      verbose: true,
      label: 'hello world',
      raw_id: '007',
    },
  });
}

describe('berth run, in process', () => {
  test('a parameterized notebook with -p, -r, -y and -f: exit 0, the injected cell and the outputs at -o', async () => {
    const dir = folder('params');
    const { notebookPath, args } = writeParameterizedNotebook(dir);
    const result = await berth(['run', notebookPath, ...args, '-o', 'out/report-run.ipynb'], { cwd: dir });
    expect(result.stderr).toContain('succeeded');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('[berth] output notebook: out/report-run.ipynb');
    // The notebook's own output is not printed without --log-output.
    expect(result.stdout).toBe('');
    expectParameterizedOutput(join(dir, 'out', 'report-run.ipynb'));
    expect(existsSync(join(dir, 'report.output.ipynb'))).toBe(false);
  });

  test('without -o the output notebook is <name>.output.ipynb beside the input (not in the current directory)', async () => {
    const dir = folder('default-output');
    const elsewhere = folder('default-output-cwd');
    writeNotebook(join(dir, 'nested', 'plain.ipynb'), [cell('print("plain run")')]);
    const result = await berth(['run', join(dir, 'nested', 'plain.ipynb'), '--log-output'], { cwd: elsewhere });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('plain run\n');
    const expected = join(dir, 'nested', 'plain.output.ipynb');
    expect(result.stderr).toContain(`[berth] output notebook: ${expected}`);
    expect(streamOutput(readNotebook(expected).cells[0]!)).toBe('plain run\n');
  });

  test('a failing notebook: exit 1, the notebook still written with papermill error cells, stderr names the cell and the error', async () => {
    const dir = folder('failing');
    writeNotebook(join(dir, 'failing.ipynb'), [
      cell('print("before the error")'),
      cell('values = [1, 2]\nraise ValueError(f"bad input {sum(values)}")'),
      cell('print("never printed")'),
    ]);
    const result = await berth(['run', 'failing.ipynb', '-o', 'failing-out.ipynb'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[berth\] run \S+ failed .*Cell 1 \(In \[2\]\) raised ValueError: bad input 3/);
    expect(result.stderr).toContain('[berth] output notebook: failing-out.ipynb');
    const output = readNotebook(join(dir, 'failing-out.ipynb'));
    // [error header, cell 0, error anchor, the failing cell, the cell never run]
    expect(output.cells).toHaveLength(5);
    expect(output.cells[0]!.metadata.tags).toEqual(['papermill-error-cell-tag']);
    expect(output.cells[0]!.source).toContain('An Exception was encountered');
    expect(output.cells[2]!.metadata.tags).toEqual(['papermill-error-cell-tag']);
    expect(output.cells[2]!.source).toContain('papermill-error-cell');
    expect(streamOutput(output.cells[1]!)).toBe('before the error\n');
    expect(output.cells[3]!.outputs![0]).toMatchObject({ output_type: 'error', ename: 'ValueError', evalue: 'bad input 3' });
    expect(output.cells[3]!.metadata.papermill).toMatchObject({ status: 'failed', exception: true });
    expect(output.cells[4]!.metadata.papermill?.status).toBe('pending');
    expect(output.cells[4]!.outputs).toEqual([]);
    expect(output.metadata.papermill?.exception).toBe(true);
  });

  test('--timeout-cell 1 on a sleeping cell: exit 124, the notebook written with the cell interrupted', async () => {
    const dir = folder('cell-timeout');
    writeNotebook(join(dir, 'slow.ipynb'), [
      cell('print("quick")'),
      cell('import time\nfor _ in range(600):\n    time.sleep(0.1)'),
      cell('print("after")'),
    ]);
    const result = await berth(['run', 'slow.ipynb', '--timeout-cell', '1'], { cwd: dir });
    expect(result.code).toBe(124);
    expect(result.ms).toBeLessThan(30_000);
    expect(result.stderr).toMatch(/timed-out .*Cell 1 did not finish within 1 s \(the per-cell timeout\)/);
    const output = readNotebook(join(dir, 'slow.output.ipynb'));
    expect(streamOutput(output.cells[1]!)).toBe('quick\n');
    const interrupted = output.cells[3]!;
    expect(interrupted.metadata.papermill?.status).toBe('failed');
    expect(interrupted.outputs!.map((o) => o.ename)).toContain('KeyboardInterrupt');
    expect(output.cells[4]!.metadata.papermill?.status).toBe('pending');
  });

  test('--input stages a file and a folder under their base names; --output-file brings matches back into --artifacts-dir', async () => {
    const dir = folder('files');
    mkdirSync(join(dir, 'data', 'lookup'), { recursive: true });
    writeFileSync(join(dir, 'data', 'measurements.csv'), 'a,b\n1,2\n3,4\n5,6\n');
    writeFileSync(join(dir, 'data', 'lookup', 'factor.txt'), '10');
    writeNotebook(join(dir, 'files.ipynb'), [
      cell(
        [
          'import os',
          'rows = open("measurements.csv").read().splitlines()[1:]',
          'factor = int(open("lookup/factor.txt").read())',
          'total = sum(int(row.split(",")[1]) for row in rows) * factor',
          'os.makedirs("out", exist_ok=True)',
          'open("out/summary.txt", "w").write(f"rows={len(rows)} total={total}\\n")',
          'open("out/blob.bin", "wb").write(bytes(range(256)))',
          'open("scratch.log", "w").write("not wanted")',
        ].join('\n'),
      ),
    ]);
    const result = await berth(
      [
        'run',
        'files.ipynb',
        ...['--input', 'data/measurements.csv', '--input', 'data/lookup'],
        ...['--output-file', 'out/*.txt', '--output-file', 'out/*.bin'],
        ...['--artifacts-dir', 'results'],
      ],
      { cwd: dir },
    );
    expect(result.stderr).toContain('succeeded');
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, 'results', 'out', 'summary.txt'), 'utf8')).toBe('rows=3 total=120\n');
    expect(readFileSync(join(dir, 'results', 'out', 'blob.bin')).equals(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))).toBe(true);
    expect(existsSync(join(dir, 'results', 'scratch.log'))).toBe(false);
    expect(result.stderr).toMatch(/output files: .*results\/out\/summary\.txt/);
  });

  test('a Python recipe: its stdout on stdout, its stderr on stderr, the arguments after --, exit 0', async () => {
    const dir = folder('py-recipe');
    writeFileSync(
      join(dir, 'tool.py'),
      [
        'import sys',
        'print("args:", sys.argv[1:])',
        'print("name:", __name__)',
        'print("a warning", file=sys.stderr)',
        'if __name__ == "__main__":',
        '    print("main block ran")',
      ].join('\n'),
    );
    const result = await berth(['run', 'tool.py', '--', 'one', 'two words', '--flag'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("args: ['one', 'two words', '--flag']\nname: __main__\nmain block ran\n");
    expect(result.stderr).toContain('a warning\n');
    expect(result.stderr).toContain('succeeded');
  });

  test('a Python recipe calling sys.exit(3) exits with status 3', async () => {
    const dir = folder('py-exit');
    writeFileSync(join(dir, 'exit3.py'), 'import sys\nprint("about to exit", flush=True)\nsys.exit(3)\nprint("never")\n');
    const result = await berth(['run', 'exit3.py'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('about to exit\n');
    expect(result.stderr).toContain('exit3.py exited with status 3');
  });

  test('an R recipe: cat output on stdout, commandArgs(trailingOnly = TRUE) gets the arguments, quit(status = 2) is exit 2', async () => {
    const dir = folder('r-recipe');
    writeFileSync(
      join(dir, 'tool.R'),
      [
        'args <- commandArgs(trailingOnly = TRUE)',
        'cat("R got", length(args), "args:", paste(args, collapse = "|"), "\\n")',
        'quit(status = 2)',
        'cat("never\\n")',
      ].join('\n'),
    );
    const result = await berth(['run', 'tool.R', '--', 'alpha', 'beta gamma'], { cwd: dir });
    expect(result.stdout).toBe('R got 2 args: alpha|beta gamma \n');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tool.R exited with status 2');
  });

  test('the output notebook is written as the run goes: while the 2nd cell sleeps, -o already holds the 1st cell output', async () => {
    const dir = folder('as-it-goes');
    writeNotebook(join(dir, 'live.ipynb'), [
      cell('print("first cell output", flush=True)'),
      cell('import time\ntime.sleep(3)'),
      cell('print("last cell output")'),
    ]);
    const target = join(dir, 'live-out.ipynb');
    const { child, done } = spawnBerth(['run', 'live.ipynb', '-o', 'live-out.ipynb'], { cwd: dir });
    let exited = false;
    void done.then(() => (exited = true));
    const seen: string[] = [];
    let sawFirstOutputWhileRunning = false;
    while (!exited && !sawFirstOutputWhileRunning) {
      await sleep(100);
      if (!existsSync(target) || exited) continue;
      try {
        const cells = JSON.parse(readFileSync(target, 'utf8')).cells as Cell[];
        const statuses = cells.map((c) => c.metadata.papermill?.status ?? 'no papermill metadata').join(', ');
        const state = `cells ${statuses}; 1st cell output ${JSON.stringify(streamOutput(cells[0]!))}`;
        if (seen.at(-1) !== state) seen.push(state);
        // Mid-run: the last cell has not run yet (the final notebook, written as the CLI ends, does not count).
        sawFirstOutputWhileRunning =
          streamOutput(cells[0]!) === 'first cell output\n' &&
          cells[2]!.metadata.papermill?.status === 'pending' &&
          child.exitCode === null;
      } catch (error) {
        seen.push(`unreadable: ${(error as Error).message}`); // the file is written whole each time: never half
      }
    }
    const result = await done;
    expect(result.code).toBe(0);
    // On failure, the message lists every state of the file the poller saw while the CLI ran.
    expect(sawFirstOutputWhileRunning ? 'seen mid-run' : `never seen mid-run; the file went through:\n${seen.join('\n')}`).toBe(
      'seen mid-run',
    );
    expect(seen.filter((state) => state.startsWith('unreadable'))).toEqual([]);
    expect(streamOutput(readNotebook(target).cells[2]!)).toBe('last cell output\n');
  });
});

// -------------------------------------------------------------------------------------------------

describe('berth run --gateway and berth runs, against a berth serve process', () => {
  const TOKEN = `cli-token-${Math.random().toString(36).slice(2)}`;
  let gateway: CliGateway;
  let dataDir: string;
  let dir: string;
  let finishedRunId: string;

  const viaGateway = (): string[] => ['--gateway', gateway.url, '--token', TOKEN];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-run-cli-gateway-'));
    gateway = await startCliGateway({ dataDir, token: TOKEN });
    dir = folder('gateway');
  });

  afterAll(async () => {
    if (gateway) await stopCliGateway(gateway);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Submits, through the REST API, a recipe that prints "started" and then sleeps; resolves once it prints. */
  async function startLongRun(): Promise<string> {
    const submitted = await submitRun(gateway, {
      kind: 'recipe',
      scriptName: 'long.py',
      script: 'import time\nprint("started", flush=True)\ntime.sleep(600)\n',
    });
    const deadline = Date.now() + 30_000;
    while (!(await (await gateway.api(`api/berth/runs/${submitted.id}/logs`)).text()).includes('started')) {
      if (Date.now() > deadline) throw new Error(`run ${submitted.id} printed nothing within 30 s`);
      await sleep(100);
    }
    return submitted.id;
  }

  async function status(id: string): Promise<string> {
    return ((await (await gateway.api(`api/berth/runs/${id}`)).json()) as { status: string }).status;
  }

  test('the parameterized notebook runs on the gateway; the output notebook is downloaded to -o', async () => {
    const { notebookPath, args } = writeParameterizedNotebook(dir);
    const result = await berth(['run', notebookPath, ...args, '-o', 'downloaded/report.ipynb', ...viaGateway()], { cwd: dir });
    expect(result.stderr).toContain('succeeded');
    expect(result.code).toBe(0);
    finishedRunId = runIdOf(result.stderr);
    expect(result.stderr).toContain(`[berth] run ${finishedRunId} on python3 (local)`);
    expectParameterizedOutput(join(dir, 'downloaded', 'report.ipynb'));
    // The gateway kept the same notebook as its artifact.
    const artifact = await (await gateway.api(`api/berth/runs/${finishedRunId}/artifacts/output.ipynb`)).text();
    expect(JSON.parse(artifact).cells[2].source).toBe(INJECTED_SOURCE);
  });

  test('berth runs list --json and the table show the run', async () => {
    const json = await berth(['runs', 'list', '--json', ...viaGateway()], { cwd: dir });
    expect(json.code).toBe(0);
    const runs = JSON.parse(json.stdout) as {
      id: string;
      status: string;
      kind: string;
      name: string;
      parameters: Record<string, unknown>;
    }[];
    expect(runs.find((run) => run.id === finishedRunId)).toMatchObject({
      status: 'succeeded',
      kind: 'notebook',
      name: 'report.ipynb',
      parameters: { count: 3, raw_id: '007' },
    });
    const table = await berth(['runs', 'list', '--status', 'succeeded', ...viaGateway()], { cwd: dir });
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STATUS\s+KIND\s+NAME\s+EXEC CONFIG\s+OWNER\s+CREATED\s+DURATION$/);
    expect(rows.find((row) => row.startsWith(finishedRunId))).toMatch(/succeeded\s+notebook\s+report\.ipynb\s+local/);
  });

  test('berth runs show (settings from BERTH_GATEWAY_URL / BERTH_TOKEN) and berth runs logs', async () => {
    const env = { BERTH_GATEWAY_URL: gateway.url, BERTH_TOKEN: TOKEN };
    const show = await berth(['runs', 'show', finishedRunId], { cwd: dir, env });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`run ${finishedRunId} (notebook: report.ipynb)`);
    expect(show.stdout).toContain('status: succeeded');
    expect(show.stdout).toContain('kernel: python3 on exec config local');
    expect(show.stdout).toMatch(/artifacts: output\.ipynb \(\d+ B\)/);
    const shown = JSON.parse((await berth(['runs', 'show', finishedRunId, '--json'], { cwd: dir, env })).stdout);
    expect(shown).toMatchObject({ id: finishedRunId, status: 'succeeded', artifacts: [{ path: 'output.ipynb' }] });

    const logs = await berth(['runs', 'logs', finishedRunId, ...viaGateway()], { cwd: dir });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain(
      "count=3 ratio=2.5 scale=0.001 verbose=True label='hello world' raw_id='007'\n" +
        "threshold=0.75 colors=['red', 'blue'] limits={'low': 1, 'high': None}\n",
    );
    expect(logs.stdout + logs.stderr).toContain('[berth] Kernel python3 (local) ready');
    expect(logs.stderr).toContain('[berth] succeeded');
  });

  test('berth runs cancel ends a long run started through the REST API: cancelled', async () => {
    const id = await startLongRun();
    expect(await status(id)).toBe('running');
    const cancel = await berth(['runs', 'cancel', id, ...viaGateway()], { cwd: dir });
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(new RegExp(`^run ${id}: (cancelling|cancelled)\\n$`));
    const deadline = Date.now() + 20_000;
    while ((await status(id)) !== 'cancelled') {
      if (Date.now() > deadline) throw new Error(`run ${id} is ${await status(id)}, not cancelled, 20 s after berth runs cancel`);
      await sleep(100);
    }
    const show = await berth(['runs', 'show', id, ...viaGateway()], { cwd: dir });
    expect(show.stdout).toContain('status: cancelled');
    expect(show.stdout).toContain('failure: Cancelled by');
    // Cancelling an ended run fails, saying why.
    const again = await berth(['runs', 'cancel', id, ...viaGateway()], { cwd: dir });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('has already ended (cancelled)');
  });

  test('berth runs logs without --follow prints what a running run logged so far and returns', async () => {
    const id = await startLongRun();
    try {
      const logs = await berth(['runs', 'logs', id, ...viaGateway()], { cwd: dir, killAfterMs: 6_000 });
      // Without -f the command must not wait for the run to end (the run sleeps for 10 minutes).
      expect({ code: logs.code, signal: logs.signal }).toEqual({ code: 0, signal: null });
      expect(logs.stdout).toContain('started\n');
    } finally {
      await gateway.api(`api/berth/runs/${id}/cancel`, { method: 'POST' });
    }
  });

  test('a wrong token: a clear error and a non-zero exit, for berth run and berth runs', async () => {
    writeNotebook(join(dir, 'tiny.ipynb'), [cell('print(1)')]);
    const run = await berth(['run', 'tiny.ipynb', '-o', 'tiny-out.ipynb', '--gateway', gateway.url, '--token', 'not-the-token'], {
      cwd: dir,
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('403 The token is not valid for this gateway');
    expect(existsSync(join(dir, 'tiny-out.ipynb'))).toBe(false);
    const list = await berth(['runs', 'list', '--gateway', gateway.url], { cwd: dir, env: { BERTH_TOKEN: 'not-the-token' } });
    expect(list.code).not.toBe(0);
    expect(list.stderr).toContain('The token is not valid for this gateway');
    expect(list.stdout).toBe('');
  });
});

// -------------------------------------------------------------------------------------------------

describe('berth run, bad input', () => {
  let dir: string;

  beforeAll(() => {
    dir = folder('bad-input');
    writeNotebook(join(dir, 'ok.ipynb'), [cell('alpha = 1', ['parameters']), cell('print(alpha)')]);
    writeFileSync(join(dir, 'notes.txt'), 'not a notebook\n');
  });

  test('a missing notebook file', async () => {
    const result = await berth(['run', 'missing.ipynb'], { cwd: dir });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toMatch(/^berth: .*missing\.ipynb/);
    expect(result.stderr).toMatch(/no such file|does not exist|not found/i);
    expect(existsSync(join(dir, 'missing.output.ipynb'))).toBe(false);
  });

  test('a .txt file', async () => {
    const result = await berth(['run', 'notes.txt'], { cwd: dir });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe('berth: Cannot run "notes.txt": berth run takes a notebook (.ipynb) or a Python or R script (.py, .R).\n');
  });

  test('-p with one value', async () => {
    const result = await berth(['run', 'ok.ipynb', '-p', 'alpha'], { cwd: dir });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe('berth: -p takes two values: -p NAME VALUE\n');
    expect(existsSync(join(dir, 'ok.output.ipynb'))).toBe(false);
  });

  test('-y that is not a mapping, an unreachable gateway, a zero cell timeout', async () => {
    const yaml = await berth(['run', 'ok.ipynb', '-y', '[1, 2]'], { cwd: dir });
    expect(yaml.code).not.toBe(0);
    expect(yaml.stderr).toContain('-y must be a YAML mapping of parameter names to values');
    const unreachable = await berth(['run', 'ok.ipynb', '--gateway', 'http://127.0.0.1:9/'], { cwd: dir });
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toContain('Cannot reach the Berth gateway at http://127.0.0.1:9/');
    const timeout = await berth(['run', 'ok.ipynb', '--timeout-cell', '0'], { cwd: dir });
    expect(timeout.code).not.toBe(0);
    expect(timeout.stderr).toContain('--timeout-cell takes a positive number of seconds; got "0"');
    expect(existsSync(join(dir, 'ok.output.ipynb'))).toBe(false);
  });
});
