#!/usr/bin/env node
// `npm run bench:runs`: batch notebook runs, Berth against nbclient and the raw floor, in one run.
//
//   notebook    200 small code cells (assignments, arithmetic, a print every 10th cell)
//   Berth       `berth run NB -o OUT` in process, on the local python3 kernel
//   nbclient    `jupyter nbconvert --to notebook --execute` (Debian's nbconvert 6.5 / nbclient 0.7), python3
//   floor       the same 200 sources sent one after the other as execute_request over ZeroMQ from
//               Node to a kernel spawned directly (test/bench/floor-kernel.mjs), each until its
//               reply and iopub idle: the least any runner can take
//
// "Execution" is the time after kernel start: from the first cell's iopub busy to the last cell's
// iopub idle, read from the output notebook's metadata.execution timings (both runners record them
// the same way, nbclient's record_timing); the floor measures the same span itself. Wall time is
// the whole command, process start and kernel start included. Rounds alternate the three so load
// from other processes hits all alike; medians are reported as ratios against the floor of the
// same run. Target: Berth's execution ≤ 0.5 × nbclient's.
//
//   node test/bench/runs.mjs [--cells 200] [--rounds 5] [--no-build]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FloorKernel, FloorPorts } from './floor-kernel.mjs';
import { median, round } from './stats.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BERTH_BIN = join(REPO, 'gateway', 'bin', 'berth.js');
const PYTHON = '/usr/bin/python3';
const TARGET = 0.5;

const { values: args } = parseArgs({
  options: {
    cells: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '5' },
    'no-build': { type: 'boolean', default: false },
  },
});
const CELLS = Number(args.cells);
const ROUNDS = Number(args.rounds);

const progress = (message) => process.stderr.write(`[bench:runs] ${message}\n`);

function sources(count) {
  return Array.from({ length: count }, (_, index) =>
    index === 0 ? 'total = 0' : index % 10 === 0 ? `total += ${index}\nprint(total)` : `x${index} = ${index} * 2\ntotal += x${index}`,
  );
}

function notebookOf(cellSources) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', language: 'python', display_name: 'Python 3' }, language_info: { name: 'python' } },
    cells: cellSources.map((source, index) => ({
      cell_type: 'code',
      id: `c${index}`,
      metadata: {},
      source,
      outputs: [],
      execution_count: null,
    })),
  };
}

function runTimed(command, argv, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolvePromise(performance.now() - started);
      else reject(new Error(`${command} ${argv.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`));
    });
  });
}

/** First code cell's iopub busy → last code cell's iopub idle, in ms, from metadata.execution. */
function executionSpan(path) {
  const notebook = JSON.parse(readFileSync(path, 'utf8'));
  const code = notebook.cells.filter((cell) => cell.cell_type === 'code');
  const first = Date.parse(code[0].metadata.execution['iopub.status.busy']);
  const last = Date.parse(code.at(-1).metadata.execution['iopub.status.idle']);
  // A print may arrive as one stream message or several (ipykernel flushes on a timer): count lines.
  const text = code
    .flatMap((cell) => cell.outputs)
    .filter((output) => output.output_type === 'stream')
    .map((output) => (Array.isArray(output.text) ? output.text.join('') : output.text))
    .join('');
  const printed = text.split('\n').filter(Boolean).length;
  if (printed !== Math.floor((CELLS - 1) / 10))
    throw new Error(`${path}: expected ${Math.floor((CELLS - 1) / 10)} printed lines, found ${printed}`);
  return last - first;
}

async function floorRound(cellSources, runtimeDir, ports, argv) {
  const kernel = await FloorKernel.launch({ argv, runtimeDir, ports, cwd: runtimeDir });
  try {
    await kernel.request('shell', 'kernel_info_request', {}, { idle: false, timeoutMs: 60_000 });
    // ZeroMQ's slow joiner: until an iopub idle of ours arrives, the subscription may still be joining.
    for (let attempt = 0; ; attempt++) {
      try {
        await kernel.request('shell', 'kernel_info_request', {}, { idle: true, timeoutMs: 250 });
        break;
      } catch (error) {
        if (attempt >= 40) throw error;
      }
    }
    const started = performance.now();
    for (const code of cellSources) {
      const { reply } = await kernel.request(
        'shell',
        'execute_request',
        { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
        { idle: true, timeoutMs: 30_000 },
      );
      if (reply.status !== 'ok') throw new Error(`floor cell failed: ${JSON.stringify(reply)}`);
    }
    return performance.now() - started;
  } finally {
    await kernel.shutdown();
  }
}

async function main() {
  if (!args['no-build']) {
    progress('building the gateway (tsc -b gateway)');
    await runTimed(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(REPO, 'gateway')]);
  }
  const work = mkdtempSync(join(tmpdir(), 'berth-bench-runs-'));
  const runtimeDir = join(work, 'runtime');
  mkdirSync(runtimeDir, { mode: 0o700 });
  const cellSources = sources(CELLS);
  const input = join(work, 'bench.ipynb');
  writeFileSync(input, JSON.stringify(notebookOf(cellSources)));
  const kernelJson = JSON.parse(readFileSync('/usr/share/jupyter/kernels/python3/kernel.json', 'utf8'));
  const argv = kernelJson.argv.map((arg) => (arg === 'python' || arg === 'python3' ? PYTHON : arg));
  const ports = new FloorPorts();
  const samples = { berthExec: [], berthWall: [], nbclientExec: [], nbclientWall: [], floorExec: [] };
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BERTH_')));
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      progress(`round ${round}/${ROUNDS}`);
      const berthOut = join(work, `berth-${round}.ipynb`);
      samples.berthWall.push(await runTimed(process.execPath, [BERTH_BIN, 'run', input, '-o', berthOut], { cwd: work, env }));
      samples.berthExec.push(executionSpan(berthOut));
      const nbOut = `nbclient-${round}.ipynb`;
      samples.nbclientWall.push(
        await runTimed(
          PYTHON,
          [
            '-m',
            'nbconvert',
            '--to',
            'notebook',
            '--execute',
            '--ExecutePreprocessor.kernel_name=python3',
            input,
            '--output-dir',
            work,
            '--output',
            nbOut,
          ],
          {
            cwd: work,
            env,
          },
        ),
      );
      samples.nbclientExec.push(executionSpan(join(work, nbOut)));
      samples.floorExec.push(await floorRound(cellSources, runtimeDir, ports, argv));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const m = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
  const result = {
    cells: CELLS,
    rounds: ROUNDS,
    machine: { cpus: cpus().length, loadavg: loadavg().map((value) => round(value, 2)) },
    medianMs: Object.fromEntries(Object.entries(m).map(([name, value]) => [name, round(value, 1)])),
    execution: {
      berthOverNbclient: round(m.berthExec / m.nbclientExec),
      target: TARGET,
      met: m.berthExec / m.nbclientExec <= TARGET,
      berthOverFloor: round(m.berthExec / m.floorExec),
      nbclientOverFloor: round(m.nbclientExec / m.floorExec),
      floorPerCellMs: round(m.floorExec / CELLS),
      berthOverheadPerCellMs: round((m.berthExec - m.floorExec) / CELLS),
      nbclientOverheadPerCellMs: round((m.nbclientExec - m.floorExec) / CELLS),
    },
    wall: { berthOverNbclient: round(m.berthWall / m.nbclientWall) },
  };
  const rows = [
    ['', 'execution p50', 'per cell', 'vs floor', 'wall p50'],
    ['floor (ZMQ)', `${round(m.floorExec, 1)} ms`, `${round(m.floorExec / CELLS, 3)} ms`, '1.00×', '-'],
    [
      'berth run',
      `${round(m.berthExec, 1)} ms`,
      `${round(m.berthExec / CELLS, 3)} ms`,
      `${round(m.berthExec / m.floorExec, 2)}×`,
      `${round(m.berthWall, 0)} ms`,
    ],
    [
      'nbconvert',
      `${round(m.nbclientExec, 1)} ms`,
      `${round(m.nbclientExec / CELLS, 3)} ms`,
      `${round(m.nbclientExec / m.floorExec, 2)}×`,
      `${round(m.nbclientWall, 0)} ms`,
    ],
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column])).join('  ')}\n`);
  process.stdout.write(
    `berth/nbclient execution: ${result.execution.berthOverNbclient}× (target ≤ ${TARGET}×: ${result.execution.met ? 'met' : 'missed'}); berth overhead per cell over the floor: ${result.execution.berthOverheadPerCellMs} ms\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  const resultsDir = join(REPO, 'test', 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'runs-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`[bench:runs] ${error.stack ?? error}\n`);
  process.exit(1);
});
