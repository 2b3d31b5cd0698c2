import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Finds the kernel processes a test's gateway started, by a marker in their command line (the
 * connection file path, which lies in the gateway's own data dir), so tests can kill a kernel
 * on purpose and kill what they leave behind, never anybody else's processes.
 */

export interface MarkedProcess {
  readonly pid: number;
  readonly args: string[];
}

/** Live (non-zombie) processes whose command line contains `marker`. */
export function processesWith(marker: string): MarkedProcess[] {
  const found: MarkedProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    if (!cmdline.includes(marker)) continue;
    const args = cmdline.split('\0').filter(Boolean);
    if (isAlive(pid)) found.push({ pid, args });
  }
  return found;
}

/** The kernel processes of the gateway whose data dir is `dataDir` (their argv names its runtime/). */
export function kernelProcesses(dataDir: string): MarkedProcess[] {
  return processesWith(`${join(dataDir, 'runtime')}/kernel-`);
}

/** The process of one kernel, by its id; throws if there is not exactly one. */
export function kernelPid(dataDir: string, kernelId: string): number {
  const matches = processesWith(join(dataDir, 'runtime', `kernel-${kernelId}.json`));
  if (matches.length !== 1) throw new Error(`expected one process for kernel ${kernelId}, found ${matches.length}`);
  return matches[0]!.pid;
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** SIGKILLs every kernel process of this data dir still running (cleanup after a test); returns their pids. */
export function killKernelProcesses(dataDir: string): number[] {
  const pids = kernelProcesses(dataDir).map((p) => p.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

/** Polls `condition` until it holds or `deadlineMs` passes (then throws `what`). Not a timing assertion. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  deadlineMs = 60_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Gave up after ${deadlineMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
