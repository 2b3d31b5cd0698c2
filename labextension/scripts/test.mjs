#!/usr/bin/env node
// The extension's whole test run, from a fresh clone:
//
//   node labextension/scripts/test.mjs [--no-e2e | --e2e-only] [jest args…]
//
// 1. npm ci in labextension/ (its own lockfile) when node_modules is missing or older than
//    package-lock.json; the root project's node_modules must exist (the tests start the gateway
//    with the root project's harness and CLI, so run this after the root install);
// 2. the build: tsc -b (and a type check of the tests), then build-labextension unless its
//    output is newer than every input;
// 3. jest with this package's config (unit tests under jsdom);
// 4. the browser tests (e2e/, README "JupyterLab extension"), unless jest args or --no-e2e are
//    given: Debian's jupyter_server, jupyterlab_server and Chromium (installed through the root's
//    scripts/ensure-system.mjs, need "lab-e2e"), the Docker Engine (scripts/ensure-docker.mjs),
//    the compiled gateway (tsc -b gateway), the two test front ends (e2e/build.mjs, webpack only
//    when an input changed), then `node --test` over e2e/tests/ one file at a time.
//
// Writes jest's JSON report to labextension/.test-results/jest.json with the browser tests
// merged in (their own report, same shape, is .test-results/e2e.json; screenshots and logs are in
// .test-results/e2e-artifacts/). Always writes it: a failed install or build is written as one
// failed suite, and so is a failed browser-test setup (the unit results still count). Prints its
// progress and the children's output on stderr, and ends with one line on stdout:
//
//   labextension: N passed, N failed
//
// Exit status: 0 when every test passed and at least one ran.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(PACKAGE, '..');
const RESULTS = join(PACKAGE, '.test-results');
const REPORT = join(RESULTS, 'jest.json');
const E2E_REPORT = join(RESULTS, 'e2e.json');
const E2E_ARTIFACTS = join(RESULTS, 'e2e-artifacts');

function note(message) {
  process.stderr.write(`[labextension] ${message}\n`);
}

/** Runs a command with its output on our stderr; resolves with the exit code (signals: 1). */
function run(command, args, { cwd = PACKAGE } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', process.stderr, process.stderr] });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolvePromise(signal ? 1 : (code ?? 1)));
  });
}

async function step(label, command, args, options) {
  const started = Date.now();
  const code = await run(command, args, options);
  if (code !== 0) throw new Error(`${label} failed (exit ${code})`);
  note(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Why npm ci must run, or null: as the root's scripts/ensure-node.mjs decides it. */
function installReason() {
  const hidden = join(PACKAGE, 'node_modules', '.package-lock.json');
  if (!existsSync(join(PACKAGE, 'node_modules'))) return 'node_modules is missing';
  if (!existsSync(hidden)) return 'node_modules/.package-lock.json is missing';
  if (statSync(join(PACKAGE, 'package-lock.json')).mtimeMs > statSync(hidden).mtimeMs)
    return 'package-lock.json is newer than node_modules';
  return null;
}

/** The npm that runs us (npm test), else the one on PATH. */
function npm(args) {
  const execpath = process.env.npm_execpath;
  if (execpath && /npm-cli\.js$/.test(execpath) && existsSync(execpath)) return [process.execPath, [execpath, ...args]];
  return ['npm', args];
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** build-labextension takes ~10 s: skip it when its output is newer than lib/, style/, schema/ and the manifests. */
function labextensionIsFresh() {
  const output = join(PACKAGE, 'labextension', 'package.json');
  if (!existsSync(output)) return false;
  const inputs = ['lib', 'style', 'schema', 'package.json', 'package-lock.json'].map((entry) => newestMtime(join(PACKAGE, entry)));
  return statSync(output).mtimeMs > Math.max(...inputs);
}

/** A jest-shaped report with one failed suite, for failures before a test runner ran (`part`: which). */
function failureReport(message, part = 'unit') {
  return {
    success: false,
    numPassedTests: 0,
    numFailedTests: 0,
    numTotalTests: 0,
    numRuntimeErrorTestSuites: 1,
    numFailedTestSuites: 1,
    testResults: [{ name: `${join(PACKAGE, 'scripts', 'test.mjs')} (${part})`, status: 'failed', message, assertionResults: [] }],
  };
}

function finish(report) {
  const passed = report.numPassedTests ?? 0;
  const failedInSuites = (report.testResults ?? []).filter(
    (suite) => suite.status === 'failed' && !(suite.assertionResults ?? []).some((test) => test.status === 'failed'),
  ).length;
  const failed = (report.numFailedTests ?? 0) + Math.max(report.numRuntimeErrorTestSuites ?? 0, failedInSuites);
  process.stdout.write(`labextension: ${passed} passed, ${failed} failed\n`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

/** Adds a second jest-shaped report (the browser tests') to the first: counts and per-file results. */
function mergeReports(first, second) {
  const merged = { ...first };
  for (const key of ['numPassedTests', 'numFailedTests', 'numPendingTests', 'numTotalTests', 'numRuntimeErrorTestSuites']) {
    merged[key] = (first[key] ?? 0) + (second[key] ?? 0);
  }
  const failedFiles = (second.testResults ?? []).filter((file) => file.status === 'failed').length;
  merged.numTotalTestSuites = (first.numTotalTestSuites ?? 0) + (second.testResults ?? []).length;
  merged.numFailedTestSuites = (first.numFailedTestSuites ?? 0) + failedFiles;
  merged.numPassedTestSuites = (first.numPassedTestSuites ?? 0) + (second.testResults ?? []).length - failedFiles;
  merged.testResults = [...(first.testResults ?? []), ...(second.testResults ?? [])];
  merged.success = Boolean(first.success) && Boolean(second.success);
  return merged;
}

/** What the browser tests need besides this package's build; throws with what failed. */
async function prepareE2e() {
  // Imported here: a run with --no-e2e or jest args never loads the root's setup scripts.
  const { ensureSystem } = await import(pathToFileURL(join(ROOT, 'scripts', 'ensure-system.mjs')).href);
  const { ensureDocker } = await import(pathToFileURL(join(ROOT, 'scripts', 'ensure-docker.mjs')).href);
  const started = Date.now();
  const system = await ensureSystem({ needs: ['lab-e2e'] });
  const docker = await ensureDocker();
  note(
    `e2e system: ${[...system.installed, ...docker.installed].join(' ') || 'nothing'} installed, dockerd ${docker.daemon.started ? 'started' : 'running'}: ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  // `berth serve` and `berth images` run on the compiled gateway (incremental: fast when current).
  const rootTsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await step('tsc -b gateway', process.execPath, [rootTsc, '-b', 'gateway'], { cwd: ROOT });
  await step('e2e front ends', process.execPath, [join(PACKAGE, 'e2e', 'build.mjs')]);
}

/** Runs the browser tests (one file at a time) and resolves with their jest-shaped report. */
async function runE2e() {
  rmSync(E2E_REPORT, { force: true });
  rmSync(E2E_ARTIFACTS, { recursive: true, force: true });
  const started = Date.now();
  const code = await run(process.execPath, [
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stderr',
    `--test-reporter=${pathToFileURL(join(PACKAGE, 'e2e', 'reporter.mjs')).href}`,
    `--test-reporter-destination=${E2E_REPORT}`,
    // The files themselves: Node 20 takes a folder, later versions read arguments as globs.
    ...readdirSync(join(PACKAGE, 'e2e', 'tests'))
      .filter((file) => file.endsWith('.test.mjs'))
      .sort()
      .map((file) => join(PACKAGE, 'e2e', 'tests', file)),
  ]);
  note(`e2e (node --test): ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots and logs in ${E2E_ARTIFACTS}`);
  let report;
  try {
    report = JSON.parse(readFileSync(E2E_REPORT, 'utf8'));
  } catch (error) {
    return failureReport(`node --test exited with code ${code} and wrote no readable report (${error.message})`, 'e2e');
  }
  if (code !== 0 && report.success) {
    return mergeReports(report, failureReport(`node --test exited with code ${code} although no browser test failed`, 'e2e'));
  }
  return report;
}

async function main() {
  const args = process.argv.slice(2);
  const e2eOnly = args.includes('--e2e-only');
  const jestArgs = args.filter((arg) => arg !== '--no-e2e' && arg !== '--e2e-only');
  // A chosen part of the unit tests (jest args) runs alone; so does --no-e2e.
  const withE2e = e2eOnly || (jestArgs.length === 0 && !args.includes('--no-e2e'));
  mkdirSync(RESULTS, { recursive: true });
  rmSync(REPORT, { force: true });
  try {
    if (!existsSync(join(ROOT, 'node_modules', 'typescript'))) {
      throw new Error('the root project is not installed (its gateway runs in these tests): run npm ci at the repository root first');
    }
    const reason = installReason();
    if (reason) {
      note(`${reason}: npm ci`);
      // --workspaces=false: this package is not one of the root's workspaces, and must never be
      // installed as one (npm would act on the root project instead).
      const [command, args] = npm(['ci', '--workspaces=false', '--no-audit', '--no-fund']);
      await step('npm ci', command, args);
    }
    const tsc = join(PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc');
    await step('tsc -b', process.execPath, [tsc, '-b']);
    // ts-jest only transpiles (isolatedModules): the tests' types are checked here.
    await step('tsc (tests)', process.execPath, [tsc, '-p', join(PACKAGE, 'test', 'tsconfig.json'), '--noEmit']);
    if (labextensionIsFresh()) note('build-labextension: output is up to date');
    else {
      await step('gen-core-meta', process.execPath, [join(PACKAGE, 'scripts', 'gen-core-meta.mjs')]);
      const builder = join(PACKAGE, 'node_modules', '@jupyterlab', 'builder', 'lib', 'build-labextension.js');
      await step('build-labextension', process.execPath, [builder, '--core-path', join(PACKAGE, 'build', 'core-meta'), PACKAGE]);
    }
  } catch (error) {
    note(error.message);
    const report = failureReport(error.message);
    writeFileSync(REPORT, JSON.stringify(report));
    return finish(report);
  }

  // The browser tests' setup first: a failure there is one failed suite, the unit tests still run.
  let e2eSetupError;
  if (withE2e) {
    try {
      await prepareE2e();
    } catch (error) {
      e2eSetupError = error;
      note(`the browser tests cannot run: ${error.message}`);
    }
  }

  let report = { success: true, numPassedTests: 0, numFailedTests: 0, numTotalTests: 0, testResults: [] };
  let jestCode = 0;
  if (!e2eOnly) {
    const started = Date.now();
    const jest = join(PACKAGE, 'node_modules', 'jest', 'bin', 'jest.js');
    jestCode = await run(process.execPath, [jest, '--ci', '--json', `--outputFile=${REPORT}`, '--passWithNoTests', ...jestArgs]);
    note(`jest: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    try {
      report = JSON.parse(readFileSync(REPORT, 'utf8'));
    } catch (error) {
      report = failureReport(`jest exited with code ${jestCode} and wrote no readable report (${error.message})`);
    }
  }
  if (withE2e) {
    const e2e = e2eSetupError ? failureReport(`browser tests not run: ${e2eSetupError.message}`, 'e2e') : await runE2e();
    report = mergeReports(report, e2e);
  }
  writeFileSync(REPORT, JSON.stringify(report));
  const status = finish(report);
  return status === 0 && jestCode !== 0 ? 1 : status;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    note(`unexpected error: ${error.stack ?? error}`);
    process.stdout.write('labextension: 0 passed, 1 failed\n');
    process.exit(1);
  },
);
