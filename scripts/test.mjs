#!/usr/bin/env node
// `npm test`: installs and builds what the tests need, runs jest once over the whole suite (or
// over the paths/options passed after `--`), then, on a whole run, the JupyterLab extension's own
// suite (labextension/scripts/test.mjs), and ends with exactly one summary line on stdout:
//
//   N passed, N failed
//
// A test file that cannot load counts as a failure, and so does a failed gateway build. The exit
// status is non-zero when anything failed or when no test ran.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDocker } from './ensure-docker.mjs';
import { ensureRegistry } from './ensure-registry.mjs';
import { ensureNode, NodeSetupError, ROOT } from './ensure-node.mjs';
import { ensureSystem } from './ensure-system.mjs';
import { isMain, run } from './lib/proc.mjs';

const RESULTS_DIR = join(ROOT, '.test-results');
const RESULTS_FILE = join(RESULTS_DIR, 'jest.json');

function summary(passed, failed) {
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
}

function note(message) {
  process.stderr.write(`[test] ${message}\n`);
}

/** Counts from jest's --json report: failing tests, plus one for each file that failed without a failing test. */
export function countResults(report) {
  const passed = report.numPassedTests ?? 0;
  let failed = report.numFailedTests ?? 0;
  const runtimeErrors = report.numRuntimeErrorTestSuites ?? 0;
  let suitesWithoutFailedTest = 0;
  for (const suite of report.testResults ?? []) {
    const failedTests = (suite.assertionResults ?? []).filter((a) => a.status === 'failed').length;
    if (suite.status === 'failed' && failedTests === 0) suitesWithoutFailedTest += 1;
  }
  // Suites that fail to load are runtime errors; a failing afterAll hook fails a suite with no
  // failing test. Each counts once (the second number covers the first, but never trust one alone).
  failed += Math.max(runtimeErrors, suitesWithoutFailedTest);
  return { passed, failed };
}

const LABEXTENSION_REPORT = join(ROOT, 'labextension', '.test-results', 'jest.json');

/** Runs labextension/scripts/test.mjs (install, build, jest) and counts its report; a missing report is 1 failure. */
async function labextensionResults() {
  rmSync(LABEXTENSION_REPORT, { force: true });
  // Its own summary line ("labextension: N passed, N failed") comes before the overall one, which stays last.
  const result = await run(process.execPath, [join(ROOT, 'labextension', 'scripts', 'test.mjs')], { cwd: ROOT });
  try {
    return countResults(JSON.parse(readFileSync(LABEXTENSION_REPORT, 'utf8')));
  } catch (err) {
    note(`the JupyterLab extension's tests exited with ${result.signal ?? result.code} and wrote no readable report (${err.message})`);
    return { passed: 0, failed: 1 };
  }
}

async function main() {
  const extra = process.argv.slice(2);
  let extraFailures = 0;
  try {
    await ensureNode();
  } catch (err) {
    if (!(err instanceof NodeSetupError && err.stage === 'build')) {
      note(`setup failed: ${err.message}`);
      summary(0, 1);
      return 1;
    }
    // Unit tests compile gateway/src themselves; run them anyway and count the build as a failure.
    note(`${err.message}; running the tests anyway, the build counts as 1 failure`);
    extraFailures += 1;
  }
  try {
    await ensureSystem({ needs: ['kernels', 'jupyter-server', 'runner'] });
    // Docker Engine + the locally made OS base image, once for the whole run (test/integration/images).
    // Cold: apt install + dockerd start + debootstrap, about 40 s; warm: one `docker info` and one inspect.
    const docker = await ensureDocker();
    if (docker.installed.length > 0 || docker.daemon.started || docker.osBase.built) note(`docker ready in ${docker.ms} ms`);
    // A real registry (docker-registry on 127.0.0.1:5000, basic auth) for the push/pull tests; warm: two HTTP requests.
    const registry = await ensureRegistry();
    if (registry.installed.length > 0 || registry.server.started) note(`registry ready in ${registry.ms} ms`);
  } catch (err) {
    note(`setup failed: ${err.message}`);
    summary(0, 1);
    return 1;
  }

  mkdirSync(RESULTS_DIR, { recursive: true });
  rmSync(RESULTS_FILE, { force: true });
  const jest = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  // --passWithNoTests makes jest write its report even when nothing matched, so "no test ran"
  // is told apart from a jest crash; this script still exits non-zero for it.
  const result = await run(process.execPath, [jest, '--ci', '--json', `--outputFile=${RESULTS_FILE}`, '--passWithNoTests', ...extra], {
    cwd: ROOT,
  });

  let report;
  try {
    report = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
  } catch (err) {
    note(
      `jest ${result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`} and wrote no readable report (${err.message})`,
    );
    summary(0, 1 + extraFailures);
    return 1;
  }
  let { passed, failed } = countResults(report);
  failed += extraFailures;
  const jestFailed = result.code !== 0 || result.signal !== null;
  if (jestFailed && failed === 0 && passed > 0) {
    note(
      `jest ${result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`} although no test failed (see its output above); counted as 1 failure`,
    );
    failed = 1;
  }
  // The JupyterLab extension is its own npm package (its own lockfile and jest): on a whole run,
  // its suite runs after the gateway's and counts in the same summary.
  if (extra.length === 0) {
    const lab = await labextensionResults();
    passed += lab.passed;
    failed += lab.failed;
  }
  if (passed === 0 && failed === 0) note('no test ran');
  summary(passed, failed);
  return failed > 0 || passed === 0 ? 1 : 0;
}

if (isMain(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      note(`unexpected error: ${err.stack ?? err}`);
      summary(0, 1);
      process.exit(1);
    },
  );
}
