// Logs of the servers a test file started, next to its screenshots.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS } from './paths.mjs';

/** Writes `lines` to <ARTIFACTS>/<name>.log. */
export function saveLog(name, lines) {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, `${name}.log`), `${(lines ?? []).join('\n')}\n`);
}

/**
 * Runs one test step; when it throws, a screenshot of the page at that moment is saved
 * (<file>-NN-failed-<label>.png) before the error goes on to the test runner.
 */
export async function withFailureShot(browser, label, fn) {
  try {
    return await fn();
  } catch (error) {
    if (browser) await browser.shot(`failed-${label}`).catch(() => undefined);
    throw error;
  }
}

/**
 * Stops a test file's Lab server and Berth (either may not have started) and keeps their logs as
 * <file>-jupyterlab-server.log and <file>-berth.log, each ending with how it stopped.
 */
export async function stopServers(file, lab, berth) {
  if (lab) lab.lines.push(`[test] stopped: ${await lab.stop()}`);
  if (berth) berth.lines.push(`[test] stopped: ${await berth.stop()}`);
  saveLog(`${file}-jupyterlab-server`, lab?.lines);
  saveLog(`${file}-berth`, berth?.lines);
}
