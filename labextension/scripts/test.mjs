#!/usr/bin/env node
// The extension's whole test run, from a fresh clone:
//
//   node labextension/scripts/test.mjs [jest args…]
//
// 1. npm ci in labextension/ (its own lockfile) when node_modules is missing or older than
//    package-lock.json; the root project's node_modules must exist (the tests start the gateway
//    with the root project's harness, so run this after the root install);
// 2. the build: tsc -b (and a type check of the tests), then build-labextension unless its
//    output is newer than every input;
// 3. jest with this package's config.
//
// Writes jest's JSON report to labextension/.test-results/jest.json (always: a failed install or
// build is written as one failed suite, so a caller counting results sees it), prints its own
// progress and the children's output on stderr, and ends with one line on stdout:
//
//   labextension: N passed, N failed
//
// Exit status: 0 when every test passed and at least one ran.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(PACKAGE, '..');
const REPORT = join(PACKAGE, '.test-results', 'jest.json');

function note(message) {
  process.stderr.write(`[labextension] ${message}\n`);
}

/** Runs a command with its output on our stderr; resolves with the exit code (signals: 1). */
function run(command, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: PACKAGE, stdio: ['ignore', process.stderr, process.stderr] });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolvePromise(signal ? 1 : (code ?? 1)));
  });
}

async function step(label, command, args) {
  const started = Date.now();
  const code = await run(command, args);
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

/** A jest-shaped report with one failed suite, for failures before jest ran. */
function failureReport(message) {
  return {
    success: false,
    numPassedTests: 0,
    numFailedTests: 0,
    numTotalTests: 0,
    numRuntimeErrorTestSuites: 1,
    numFailedTestSuites: 1,
    testResults: [{ name: join(PACKAGE, 'scripts', 'test.mjs'), status: 'failed', message, assertionResults: [] }],
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

async function main() {
  const jestArgs = process.argv.slice(2);
  mkdirSync(dirname(REPORT), { recursive: true });
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

  const started = Date.now();
  const jest = join(PACKAGE, 'node_modules', 'jest', 'bin', 'jest.js');
  const code = await run(process.execPath, [jest, '--ci', '--json', `--outputFile=${REPORT}`, '--passWithNoTests', ...jestArgs]);
  note(`jest: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  let report;
  try {
    report = JSON.parse(readFileSync(REPORT, 'utf8'));
  } catch (error) {
    report = failureReport(`jest exited with code ${code} and wrote no readable report (${error.message})`);
    writeFileSync(REPORT, JSON.stringify(report));
  }
  const status = finish(report);
  return status === 0 && code !== 0 ? 1 : status;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    note(`unexpected error: ${error.stack ?? error}`);
    process.stdout.write('labextension: 0 passed, 1 failed\n');
    process.exit(1);
  },
);
