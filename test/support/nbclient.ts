import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The reference executor for `berth run`: Debian's nbclient (python3-nbclient) runs a notebook
 * the way `jupyter execute` does, so tests can compare Berth's executed notebooks with it.
 * Always Debian's interpreter: the first `python3` on PATH may have no Jupyter at all.
 */

const DEBIAN_PYTHON = '/usr/bin/python3';

/** Kernel start-up, kernel_info and shutdown, on top of the per-cell budget. */
const STARTUP_ALLOWANCE_SECONDS = 90;

/** After SIGTERM (nbclient then shuts its kernel down), how long before SIGKILL. */
const KILL_GRACE_MS = 5_000;

/** Keeps error messages readable when nbclient prints a long traceback (cell sources included). */
const STDERR_TAIL_CHARS = 20_000;

// argv: notebook path, kernel name, working directory, per-cell timeout (s), output path.
// nbclient's defaults otherwise: allow_errors False (only `raises-exception` cells may fail),
// record_timing True, store_history True, the ':memory:' IPython history file.
const SCRIPT = `
import sys

import nbformat
from nbclient import NotebookClient

path, kernel_name, cwd, timeout, out = sys.argv[1:6]
nb = nbformat.read(path, as_version=4)
client = NotebookClient(
    nb,
    kernel_name=kernel_name,
    resources={'metadata': {'path': cwd}},
    timeout=int(timeout),
    allow_errors=False,
)
client.execute()
nbformat.write(nb, out)
`;

/** Executes a notebook file with Debian's nbclient on kernelspec `kernelName`, working directory `cwd`, and returns the executed notebook (parsed JSON). Honors `raises-exception` tags (nbclient default), allow_errors false, a per-cell timeout. Throws with nbclient's stderr when execution fails. */
export async function executeWithNbclient(
  notebookPath: string,
  options: { kernelName: string; cwd: string; timeoutSeconds?: number; overallTimeoutSeconds?: number },
): Promise<Record<string, unknown>> {
  const cellTimeout = Math.max(1, Math.ceil(options.timeoutSeconds ?? 60));
  const codeCells = await countCodeCells(notebookPath);
  const overallMs = (options.overallTimeoutSeconds ?? STARTUP_ALLOWANCE_SECONDS + cellTimeout * Math.max(1, codeCells)) * 1000;

  const scratch = await mkdtemp(join(tmpdir(), 'berth-nbclient-'));
  const outPath = join(scratch, 'executed.ipynb');
  try {
    const result = await runPython(
      [DEBIAN_PYTHON, '-c', SCRIPT, notebookPath, options.kernelName, options.cwd, String(cellTimeout), outPath],
      options.cwd,
      overallMs,
    );
    if (result.timedOut || result.code !== 0) {
      const why = result.timedOut
        ? `did not finish within ${overallMs / 1000} s`
        : `exited with ${result.signal ? `signal ${result.signal}` : `code ${result.code}`}`;
      throw new Error(`nbclient ${why} executing ${notebookPath} (kernel ${options.kernelName}):\n${tail(result.stderr)}`);
    }
    let text: string;
    try {
      text = await readFile(outPath, 'utf8');
    } catch (err) {
      throw new Error(`nbclient wrote no notebook for ${notebookPath} (${(err as Error).message}):\n${tail(result.stderr)}`);
    }
    return JSON.parse(text) as Record<string, unknown>;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

interface PythonResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  timedOut: boolean;
}

/** Runs argv to completion; past `timeoutMs` it gets SIGTERM (nbclient then stops its kernel), then SIGKILL. */
function runPython(argv: string[], cwd: string, timeoutMs: number): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    const chunks: Buffer[] = [];
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const termTimer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (err) => {
      clearTimeout(termTimer);
      clearTimeout(killTimer);
      reject(new Error(`cannot run ${argv[0]}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(termTimer);
      clearTimeout(killTimer);
      resolve({ code, signal, stderr: Buffer.concat(chunks).toString('utf8'), timedOut });
    });
  });
}

async function countCodeCells(notebookPath: string): Promise<number> {
  const notebook = JSON.parse(await readFile(notebookPath, 'utf8')) as { cells?: { cell_type?: unknown }[] };
  return (notebook.cells ?? []).filter((cell) => cell.cell_type === 'code').length;
}

function tail(text: string): string {
  return text.length <= STDERR_TAIL_CHARS ? text : `…${text.slice(-STDERR_TAIL_CHARS)}`;
}
