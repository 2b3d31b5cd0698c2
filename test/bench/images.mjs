#!/usr/bin/env node
// `npm run bench:images`: Berth's image builder against the plain Docker floor, in one run.
//
//   setup               the base images (`berth images build-base --with-r`) and the code-env images
//                       of gateway/examples/config (`berth images build-code-env --all`), built or
//                       found up to date; the first build takes minutes (apt inside the builds)
//   no-change rebuild   Berth: both commands again when everything is up to date (every image skipped)
//                       floor: the Docker API round trips such a skip needs at minimum, made by the
//                       docker CLI (see measureNoChangeRebuild)
//   code-env build      Berth: ImageBuilder.build('code-env', …, { force, noCache }) in process
//                       floor: `docker build --no-cache --network host` of the same rendered context
//
// Prints a table, then one JSON object; also writes it to test/bench/results/images-latest.json
// (test/bench/results/latest.json is `npm run bench`'s).
//
//   node test/bench/images.mjs [--rebuilds 5] [--builds 3] [--code-env six|pandas] [--only rebuild,build]
//                              [--no-build] [--strict]
//
// --code-env picks the env of the build comparison. "six" (the default) is the example's pandas env
// with apt: [python3-six] instead: one small package, so the build is mostly Docker's own steps.
// "pandas" is the example env as it is (python3-pandas and its dependencies); there the apt-get step
// alone varied from 17 to 31 s between builds on the development machine, more than the whole
// difference being measured, so medians of a few builds say little. Either way the table also shows
// both sides without their apt-get step (timed from the build output's step lines).
// Floor and Berth samples alternate (and swap who goes first every round) so that load from other
// processes and apt mirror drift hit both alike. Images the bench builds carry the label
// berth.io/test=bench-images (plain builds are named berth-bench/plain:N) and are removed at the
// end; the base and example code-env images are shared and stay.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureDocker } from '../../scripts/ensure-docker.mjs';
import { formatTable, median, round, since, summarize } from './stats.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BERTH_BIN = join(REPO, 'gateway', 'bin', 'berth.js');
const CONFIG_DIR = join(REPO, 'gateway', 'examples', 'config');
const BASE_IMAGE = 'berth/base-r:latest';
const TEST_LABEL = { 'berth.io/test': 'bench-images' };
const PLAIN_REPOSITORY = 'berth-bench/plain';
const BENCH_REPOSITORY_PREFIX = 'berth-bench/codeenv-';
const TARGETS = { build: 1.1 };
const HEARTBEAT_MS = 15_000;

const { values: args } = parseArgs({
  options: {
    rebuilds: { type: 'string', default: '5' },
    builds: { type: 'string', default: '3' },
    'code-env': { type: 'string', default: 'six' },
    only: { type: 'string', default: 'rebuild,build' },
    'no-build': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
  },
});
const REBUILDS = positiveInt(args.rebuilds, '--rebuilds');
const BUILDS = positiveInt(args.builds, '--builds');
const ONLY = new Set(args.only.split(',').map((s) => s.trim()));
const CODE_ENV_CHOICES = {
  pandas: { description: 'the example pandas env as it is, apt: python3-pandas', apt: undefined },
  six: { description: 'the example pandas env with apt: python3-six instead', apt: ['python3-six'] },
};
const CODE_ENV_CHOICE = CODE_ENV_CHOICES[args['code-env']];
if (CODE_ENV_CHOICE === undefined)
  throw new Error(`--code-env takes ${Object.keys(CODE_ENV_CHOICES).join(' or ')}; got "${args['code-env']}"`);

function positiveInt(value, flag) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer; got "${value}"`);
  return n;
}

const progress = (text) => process.stderr.write(`[bench:images] ${text}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Prints "still <what> (elapsed): <last line>" every HEARTBEAT_MS until the returned function is called. */
function heartbeat(what, lastLine) {
  const began = performance.now();
  const timer = setInterval(() => progress(`  still ${what} (${seconds(since(began))}): ${lastLine().slice(0, 160)}`), HEARTBEAT_MS);
  return () => clearInterval(timer);
}

/**
 * Runs a command to its end and resolves with { code, ms, stdout, stderr, lines } where `lines` are
 * the stdout lines with the time (ms since the start) each arrived. `onLine(stream, line)` sees every
 * line as it comes. Never rejects on a non-zero exit.
 */
function runTimed(cmd, cmdArgs, { env, onLine } = {}) {
  return new Promise((resolvePromise, reject) => {
    const began = performance.now();
    const child = spawn(cmd, cmdArgs, { cwd: REPO, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '', lines: [] };
    let open = 2;
    let exitCode;
    const finish = () => {
      if (open === 0 && exitCode !== undefined) resolvePromise({ code: exitCode, ms: since(began), ...out });
    };
    for (const name of ['stdout', 'stderr']) {
      let pending = '';
      const emit = (line) => {
        if (name === 'stdout') out.lines.push({ t: since(began), line });
        onLine?.(name, line);
      };
      child[name].setEncoding('utf8');
      child[name].on('data', (chunk) => {
        out[name] += chunk;
        pending += chunk;
        const parts = pending.split('\n');
        pending = parts.pop();
        for (const part of parts) emit(part.replace(/\r$/, ''));
      });
      child[name].on('close', () => {
        if (pending !== '') emit(pending);
        open -= 1;
        finish();
      });
    }
    child.on('error', (error) => reject(new Error(`cannot run ${cmd}: ${error.message}`)));
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? `signal ${signal}` : 1);
      finish();
    });
  });
}

/** `berth <args>` as the user runs it (node + gateway/bin/berth.js); throws on a non-zero exit. */
async function berth(cliArgs, { echo = false } = {}) {
  let last = '';
  const onLine = (stream, line) => {
    last = line;
    // The CLI prints every line of the build output; keep the image and step headers only.
    if (echo && (stream === 'stdout' || /^\[image |: Step \d+\/\d+ :/.test(line))) progress(`  ${line}`);
  };
  const stop = echo ? heartbeat(`running berth ${cliArgs.slice(0, 2).join(' ')}`, () => last) : () => {};
  try {
    const result = await runTimed(process.execPath, [BERTH_BIN, ...cliArgs], { onLine });
    if (result.code !== 0) throw new Error(`berth ${cliArgs.join(' ')} exited with ${result.code}:\n${result.stderr.slice(-3000)}`);
    return result;
  } finally {
    stop();
  }
}

const BUILD_BASE_ARGS = ['images', 'build-base', '--with-r'];
const BUILD_CODE_ENVS_ARGS = ['images', 'build-code-env', '--all', '--config-dir', CONFIG_DIR];

/** "label: ref skipped (up to date)" / "label: ref built in 1.2 s" lines of the CLI's stdout. */
function builtImages(stdout) {
  const images = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+): (\S+) (skipped \(up to date\)|built in .*)$/.exec(line);
    if (m) images.push({ label: m[1], ref: m[2], skipped: m[3].startsWith('skipped') });
  }
  return images;
}

// ------------------------------------------------------------------------ the compiled gateway

if (!args['no-build']) {
  progress('building the gateway (tsc -b gateway)');
  const built = await runTimed(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(REPO, 'gateway')]);
  if (built.code !== 0) {
    process.stderr.write(built.stdout + built.stderr);
    progress('the gateway does not build; fix the errors above (or pass --no-build to measure the existing gateway/dist)');
    process.exit(1);
  }
}

const require = createRequire(import.meta.url);
const { ImageBuilder } = require('../../gateway/dist/images/image-builder.js');
const {
  contextEntries,
  DEFAULT_OS_IMAGE,
  renderBaseImage,
  renderCodeEnvImage,
  renderRLayer,
} = require('../../gateway/dist/images/dockerfile.js');
const { loadImageTemplates } = require('../../gateway/dist/images/image-templates.js');
const { loadConfigDir } = require('../../gateway/dist/execution/config-dir.js');
const { execConfigsForCodeEnv } = require('../../gateway/dist/execution/kernel-pairs.js');
const Dockerode = require('dockerode');

// The example's exec configs and the base images all use the local daemon.
const DOCKER_SOCKET = '/var/run/docker.sock';
const DOCKER_HOST = `unix://${DOCKER_SOCKET}`;
const newDocker = () => new Dockerode({ socketPath: DOCKER_SOCKET });

// ------------------------------------------------------------------------ setup

/** Builds (or finds up to date) the base images and the example's code-env images with the CLI. */
async function setup() {
  const result = {};
  for (const [key, cliArgs] of [
    ['base', BUILD_BASE_ARGS],
    ['codeEnvs', BUILD_CODE_ENVS_ARGS],
  ]) {
    progress(`setup: berth ${cliArgs.join(' ')}`);
    const run = await berth(cliArgs, { echo: true });
    const images = builtImages(run.stdout);
    result[key] = { ms: round(run.ms, 0), images };
    progress(`  done in ${seconds(run.ms)}`);
  }
  return result;
}

// ------------------------------------------------------------------------ no-change rebuild

/**
 * What an up-to-date `build-base --with-r` + `build-code-env --all` must do at the least, given
 * that an image's tag is a hash of its inputs *and its parent's image id*: for every image, one
 * inspect of the parent (its id) and one of the image named by the hash (is it there, does its
 * spec-hash label match). For the example that is 5 images (base, R layer, 3 code env × exec config
 * pairs) = 10 inspects. The floor makes exactly those round trips with the thinnest existing client,
 * the docker CLI, in as many processes as Berth uses (two: one per command, each `docker image
 * inspect` taking that command's refs and asking the daemon for them one after the other). Berth's
 * extra cost is then its own process start (Node + the CLI's modules), reading the config, rendering
 * and hashing, and its one extra call (re-tagging berth/base-r:latest).
 */
function skipFloorRefs(setupImages) {
  const byLabel = new Map(setupImages.map((image) => [image.label, image.ref]));
  const base = byLabel.get('base');
  const r = byLabel.get('r');
  if (base === undefined || r === undefined)
    throw new Error(`build-base --with-r did not report its base and r images: ${[...byLabel.keys()]}`);
  const codeEnvs = setupImages.filter((image) => image.label.includes('@'));
  if (codeEnvs.length === 0) throw new Error('build-code-env --all reported no images');
  return {
    base: [DEFAULT_OS_IMAGE, base, base, r],
    codeEnvs: codeEnvs.flatMap((image) => [BASE_IMAGE, image.ref]),
  };
}

async function dockerInspect(refs) {
  const run = await runTimed('docker', ['image', 'inspect', '--format', '{{.Id}}', ...refs]);
  if (run.code !== 0) throw new Error(`docker image inspect ${refs.join(' ')} exited with ${run.code}: ${run.stderr}`);
  return run.ms;
}

/**
 * The same skips in this process (no process start, no config reading): each image's rendered
 * inputs through ImageBuilder.build, one builder (and client) per code env pair as the CLI does.
 */
async function inProcessSkips(config, templates) {
  const began = performance.now();
  const builder = new ImageBuilder(newDocker(), { daemon: DOCKER_HOST });
  const base = await builder.build('base', renderBaseImage(templates), { parentImage: DEFAULT_OS_IMAGE });
  const r = await builder.build('r', renderRLayer(templates, { parent: base.ref }), {
    parentImage: base.ref,
    repository: 'berth/base-r',
    extraTags: [BASE_IMAGE],
  });
  const results = [base, r];
  for (const codeEnv of config.codeEnvs) {
    for (const execConfig of execConfigsForCodeEnv(codeEnv, config.execConfigs)) {
      const perPair = new ImageBuilder(newDocker(), { daemon: DOCKER_HOST });
      const parent = execConfig.baseImage;
      results.push(
        await perPair.build('code-env', renderCodeEnvImage(templates, codeEnv, { parent }), { parentImage: parent, codeEnvId: codeEnv.id }),
      );
    }
  }
  const notSkipped = results.filter((result) => !result.skipped).map((result) => result.ref);
  if (notSkipped.length > 0) throw new Error(`in-process skip pass built ${notSkipped.join(', ')}: an image was not up to date`);
  return { ms: since(began), refs: results.map((result) => result.ref) };
}

/** The floor's 10 inspects in this process, over one dockerode client. */
async function inProcessInspects(refs) {
  const docker = newDocker();
  const began = performance.now();
  for (const ref of refs) await docker.getImage(ref).inspect();
  return since(began);
}

async function measureNoChangeRebuild(setupResult) {
  const refs = skipFloorRefs([...setupResult.base.images, ...setupResult.codeEnvs.images]);
  const roundTrips = refs.base.length + refs.codeEnvs.length;
  progress(
    `no-change rebuild: ${REBUILDS} round(s) of berth build-base --with-r + build-code-env --all vs ${roundTrips} docker image inspects`,
  );
  const samples = { berth: [], berthBase: [], berthCodeEnvs: [], floor: [], cliStart: [], nodeStart: [] };
  for (let i = 0; i < REBUILDS; i++) {
    const order = i % 2 === 0 ? ['floor', 'berth'] : ['berth', 'floor'];
    for (const who of order) {
      if (who === 'floor') {
        samples.floor.push((await dockerInspect(refs.base)) + (await dockerInspect(refs.codeEnvs)));
        continue;
      }
      const base = await berth(BUILD_BASE_ARGS);
      const codeEnvs = await berth(BUILD_CODE_ENVS_ARGS);
      const images = [...builtImages(base.stdout), ...builtImages(codeEnvs.stdout)];
      const rebuilt = images.filter((image) => !image.skipped);
      if (rebuilt.length > 0) throw new Error(`no-change rebuild built ${rebuilt.map((image) => image.ref).join(', ')}: not up to date`);
      samples.berthBase.push(base.ms);
      samples.berthCodeEnvs.push(codeEnvs.ms);
      samples.berth.push(base.ms + codeEnvs.ms);
    }
    // Where Berth's time goes (diagnostic): two starts of the CLI doing nothing, two of bare Node.
    let cli = 0;
    let node = 0;
    for (let k = 0; k < 2; k++) {
      cli += (await runTimed(process.execPath, [BERTH_BIN, '--version'])).ms;
      node += (await runTimed(process.execPath, ['-e', '0'])).ms;
    }
    samples.cliStart.push(cli);
    samples.nodeStart.push(node);
    progress(`  round ${i + 1}: berth ${round(samples.berth.at(-1), 0)} ms, floor ${round(samples.floor.at(-1), 0)} ms`);
  }

  // How many Docker API requests Berth's two commands make (dockerode's client logs each one under
  // DEBUG=modem): one untimed run each.
  const apiRequests = {};
  for (const [key, cliArgs] of [
    ['buildBase', BUILD_BASE_ARGS],
    ['buildCodeEnvs', BUILD_CODE_ENVS_ARGS],
  ]) {
    const run = await runTimed(process.execPath, [BERTH_BIN, ...cliArgs], { env: { ...process.env, DEBUG: 'modem' } });
    if (run.code !== 0) throw new Error(`berth ${cliArgs.join(' ')} exited with ${run.code}: ${run.stderr.slice(-2000)}`);
    apiRequests[key] = run.stderr.split('\n').filter((line) => / modem Sending: /.test(line)).length;
  }

  progress(`  in process (diagnostic): the same skips through ImageBuilder vs ${roundTrips} dockerode inspects, ${REBUILDS} round(s)`);
  const config = loadConfigDir(CONFIG_DIR);
  const templates = loadImageTemplates();
  const inProcess = { skips: [], inspects: [] };
  const warm = await inProcessSkips(config, templates);
  const cliRefs = [...setupResult.base.images, ...setupResult.codeEnvs.images].map((image) => image.ref).sort();
  const inProcessRefs = [...new Set(warm.refs)].sort();
  const sameImagesAsCli = JSON.stringify(inProcessRefs) === JSON.stringify([...new Set(cliRefs)].sort());
  if (!sameImagesAsCli) progress(`  note: the in-process skips named other images than the CLI: ${inProcessRefs} vs ${cliRefs}`);
  await inProcessInspects([...refs.base, ...refs.codeEnvs]);
  for (let i = 0; i < REBUILDS; i++) {
    inProcess.skips.push((await inProcessSkips(config, templates)).ms);
    inProcess.inspects.push(await inProcessInspects([...refs.base, ...refs.codeEnvs]));
  }

  return {
    images: cliRefs.length,
    inProcessSameImagesAsCli: sameImagesAsCli,
    floorRoundTrips: roundTrips,
    floorRefs: refs,
    berth: {
      ...summarize(samples.berth),
      buildBaseMsP50: round(median(samples.berthBase)),
      buildCodeEnvMsP50: round(median(samples.berthCodeEnvs)),
    },
    floor: summarize(samples.floor),
    diagnostics: {
      berthApiRequests: apiRequests,
      twoCliStartsMsP50: round(median(samples.cliStart)),
      twoNodeStartsMsP50: round(median(samples.nodeStart)),
      inProcessSkipsMsP50: round(median(inProcess.skips)),
      inProcessInspectsMsP50: round(median(inProcess.inspects)),
    },
  };
}

// ------------------------------------------------------------------------ code-env build

/** The bench's code env: the example's pandas env, with other apt packages for --code-env six. */
function benchCodeEnv() {
  const config = loadConfigDir(CONFIG_DIR);
  const pandas = config.codeEnvs.find((codeEnv) => codeEnv.id === 'pandas');
  if (pandas === undefined) throw new Error(`${CONFIG_DIR} has no pandas code env`);
  if (CODE_ENV_CHOICE.apt === undefined) return pandas;
  return { ...pandas, id: `bench-${args['code-env']}`, packages: { ...pandas.packages, apt: CODE_ENV_CHOICE.apt } };
}

/** Writes the build context (the rendered Dockerfile and berth-build/ …) into `dir`. */
function writeContext(inputs, dir) {
  for (const entry of contextEntries(inputs)) {
    const path = join(dir, entry.path);
    if (entry.type === 'directory') {
      mkdirSync(path, { recursive: true });
      chmodSync(path, entry.mode);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, entry.content);
      chmodSync(path, entry.mode);
    }
  }
}

/**
 * Per-step times of a classic-builder log: the time between a "Step i/N : X" line and the next one
 * (the last step ends at "Successfully built"). Also when the first step began and how long after
 * the last line the build call returned, and the LABEL steps (one per label: the daemon turns each
 * build label into its own step, each committing an image).
 */
function stepTimes(lines, totalMs) {
  const steps = [];
  let endOfSteps;
  for (const { t, line } of lines) {
    const m = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
    if (m) steps.push({ t, instruction: m[3] });
    else if (endOfSteps === undefined && /^Successfully built /.test(line)) endOfSteps = t;
  }
  if (steps.length === 0) return { steps: 0 };
  const durations = steps.map((step, i) => ({
    instruction: step.instruction,
    ms: (i + 1 < steps.length ? steps[i + 1].t : (endOfSteps ?? totalMs)) - step.t,
  }));
  const labels = durations.filter((step) => step.instruction.startsWith('LABEL '));
  // The apt-get update + install of the code env's packages: mostly the Debian mirror's time.
  const apt = durations.filter((step) => step.instruction.startsWith('RUN ') && step.instruction.includes('$APT_PACKAGES'));
  const slowest = [...durations].sort((a, b) => b.ms - a.ms).slice(0, 3);
  return {
    steps: durations.length,
    beforeFirstStepMs: round(steps[0].t),
    afterLastStepMs: round(totalMs - (endOfSteps ?? totalMs)),
    labelSteps: labels.length,
    labelStepsMs: round(labels.reduce((sum, step) => sum + step.ms, 0)),
    aptStepMs: round(apt.reduce((sum, step) => sum + step.ms, 0)),
    slowest: slowest.map((step) => ({ instruction: step.instruction.slice(0, 80), ms: round(step.ms, 0) })),
  };
}

const createdPlainTags = [];

async function plainBuild(dir, n) {
  const tag = `${PLAIN_REPOSITORY}:${n}`;
  createdPlainTags.push(tag);
  let last = '';
  const stop = heartbeat(`docker build ${tag}`, () => last);
  // DOCKER_BUILDKIT=0: the classic builder, the one the Engine API build that Berth uses runs on.
  const run = await runTimed('docker', ['build', '--no-cache', '--network', 'host', '-t', tag, dir], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    onLine: (stream, line) => {
      last = line;
      if (/^Step \d+\/\d+ :/.test(line)) progress(`    plain ${line.slice(0, 120)}`);
    },
  }).finally(stop);
  if (run.code !== 0) throw new Error(`docker build ${tag} exited with ${run.code}:\n${(run.stdout + run.stderr).slice(-3000)}`);
  return { ms: run.ms, ...stepTimes(run.lines, run.ms) };
}

async function berthBuild(builder, inputs, codeEnv) {
  const lines = [];
  const began = performance.now();
  let last = '';
  const stop = heartbeat('Berth build', () => last);
  try {
    const result = await builder.build('code-env', inputs, {
      parentImage: BASE_IMAGE,
      codeEnvId: codeEnv.id,
      // Not the example's own berth/codeenv-<id>: a forced build there would take its tag away.
      repository: `${BENCH_REPOSITORY_PREFIX}${codeEnv.id}`,
      force: true,
      noCache: true,
      labels: TEST_LABEL,
      onProgress: ({ line }) => {
        last = line;
        lines.push({ t: since(began), line });
        if (/^Step \d+\/\d+ :/.test(line)) progress(`    berth ${line.slice(0, 120)}`);
      },
    });
    const ms = since(began);
    if (result.skipped) throw new Error('the forced Berth build was skipped');
    return { ms, ref: result.ref, ...stepTimes(lines, ms) };
  } finally {
    stop();
  }
}

async function measureCodeEnvBuild(tmp) {
  const codeEnv = benchCodeEnv();
  const templates = loadImageTemplates();
  const inputs = renderCodeEnvImage(templates, codeEnv, { parent: BASE_IMAGE });
  const dir = join(tmp, 'context');
  writeContext(inputs, dir);
  const builder = new ImageBuilder(newDocker(), { daemon: DOCKER_HOST });
  progress(
    `code-env build: ${BUILDS} round(s) of plain docker build vs Berth, no layer cache, code env ${codeEnv.id} (${CODE_ENV_CHOICE.description})`,
  );
  const samples = { floor: [], berth: [] };
  for (let i = 0; i < BUILDS; i++) {
    const order = i % 2 === 0 ? ['floor', 'berth'] : ['berth', 'floor'];
    for (const who of order) {
      const sample = who === 'floor' ? await plainBuild(dir, i + 1) : await berthBuild(builder, inputs, codeEnv);
      samples[who].push(sample);
      progress(`  round ${i + 1} ${who === 'floor' ? 'plain' : 'berth'}: ${seconds(sample.ms)} (${sample.steps} steps)`);
    }
  }
  const summary = (list) => ({
    ...summarize(list.map((s) => s.ms)),
    steps: list[0].steps,
    labelSteps: list[0].labelSteps,
    labelStepsMsP50: round(median(list.map((s) => s.labelStepsMs))),
    aptStepMsP50: round(median(list.map((s) => s.aptStepMs))),
    withoutAptStepMsP50: round(median(list.map((s) => s.ms - s.aptStepMs))),
    beforeFirstStepMsP50: round(median(list.map((s) => s.beforeFirstStepMs))),
    afterLastStepMsP50: round(median(list.map((s) => s.afterLastStepMs))),
    perRound: list.map((s) => ({
      ms: round(s.ms, 0),
      aptStepMs: round(s.aptStepMs, 0),
      labelStepsMs: round(s.labelStepsMs, 0),
      slowest: s.slowest,
    })),
  });
  return {
    codeEnv: codeEnv.id,
    codeEnvDescription: CODE_ENV_CHOICE.description,
    aptPackages: codeEnv.packages.apt,
    baseImage: BASE_IMAGE,
    floor: summary(samples.floor),
    berth: summary(samples.berth),
  };
}

// ------------------------------------------------------------------------ cleanup

/** Removes the images this bench built: Berth's by label, the plain ones by name. Shared images stay. */
async function cleanup(tmp) {
  const docker = newDocker();
  const labelled = await docker.listImages({ filters: JSON.stringify({ label: ['berth.io/test=bench-images'] }) });
  const plain = await docker.listImages({ filters: JSON.stringify({ reference: [`${PLAIN_REPOSITORY}:*`] }) });
  const ids = new Set([...labelled, ...plain].map((image) => image.Id));
  for (const id of ids) {
    try {
      await docker.getImage(id).remove({ force: true });
    } catch (error) {
      if (error.statusCode !== 404) progress(`could not remove image ${id}: ${error.message}`);
    }
  }
  if (ids.size > 0) progress(`removed ${ids.size} image(s) the bench built`);
  rmSync(tmp, { recursive: true, force: true });
}

// ------------------------------------------------------------------------ report

function buildReport(results) {
  const rows = [['metric', 'floor', 'berth', 'ratio', 'target', 'result']];
  const checks = {};
  const add = (key, metric, floor, berthValue, target, ok) => {
    const ratio = round(berthValue / floor, 3);
    rows.push([
      metric,
      round(floor, 1),
      round(berthValue, 1),
      `${ratio.toFixed(3)}x`,
      target,
      ok === undefined ? '' : ok ? 'pass' : 'FAIL',
    ]);
    checks[key] = { floor: round(floor), berth: round(berthValue), ratio, target, ...(ok === undefined ? {} : { pass: ok }) };
  };
  const { noChangeRebuild: rebuild, codeEnvBuild: build } = results;
  if (rebuild) {
    add('noChangeRebuild', `no-change rebuild, ${rebuild.images} images (ms p50)`, rebuild.floor.p50, rebuild.berth.p50, '', undefined);
    const d = rebuild.diagnostics;
    const requests = d.berthApiRequests.buildBase + d.berthApiRequests.buildCodeEnvs;
    rows.push(['  Docker API requests', rebuild.floorRoundTrips, requests, '', '', '']);
    rows.push([
      '  2 x `node -e 0` / 2 x `berth --version` (ms p50)',
      round(d.twoNodeStartsMsP50, 1),
      round(d.twoCliStartsMsP50, 1),
      '',
      '',
      '',
    ]);
    rows.push([
      `  in process: ${rebuild.floorRoundTrips} dockerode inspects / ImageBuilder skips (ms p50)`,
      round(d.inProcessInspectsMsP50, 1),
      round(d.inProcessSkipsMsP50, 1),
      `${(d.inProcessSkipsMsP50 / d.inProcessInspectsMsP50).toFixed(3)}x`,
      '',
      '',
    ]);
  }
  if (build) {
    const ok = build.berth.p50 <= TARGETS.build * build.floor.p50;
    add('codeEnvBuild', `code-env build ${build.codeEnv}, no cache (ms p50)`, build.floor.p50, build.berth.p50, `<= ${TARGETS.build}x`, ok);
    rows.push([
      '  without the apt-get RUN step (ms p50)',
      round(build.floor.withoutAptStepMsP50, 1),
      round(build.berth.withoutAptStepMsP50, 1),
      `${(build.berth.withoutAptStepMsP50 / build.floor.withoutAptStepMsP50).toFixed(3)}x`,
      '',
      '',
    ]);
    rows.push([
      '  the apt-get RUN step alone (ms p50)',
      round(build.floor.aptStepMsP50, 1),
      round(build.berth.aptStepMsP50, 1),
      '',
      '',
      '',
    ]);
    rows.push([
      '  steps (LABEL steps, their ms p50)',
      `${build.floor.steps} (${build.floor.labelSteps}, ${round(build.floor.labelStepsMsP50, 0)})`,
      `${build.berth.steps} (${build.berth.labelSteps}, ${round(build.berth.labelStepsMsP50, 0)})`,
      '',
      '',
      '',
    ]);
  }
  return { table: formatTable(rows), checks };
}

// ------------------------------------------------------------------------ main

const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-images-'));
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true;
    progress(`${signal}: cleaning up`);
    cleanup(tmp).finally(() => process.exit(130));
  });
}

const startedAt = performance.now();
const loadAverageAtStart = loadavg().map((v) => round(v, 2));
const results = {};
let dockerVersion;
try {
  progress('Docker: node scripts/ensure-docker.mjs');
  const docker = await ensureDocker();
  dockerVersion = docker.daemon.version;
  progress(
    `  dockerd ${dockerVersion} ${docker.daemon.started ? 'started' : 'already running'}; OS image ${docker.osBase.built ? 'built' : 'present'}`,
  );
  results.setup = await setup();
  if (ONLY.has('rebuild')) results.noChangeRebuild = await measureNoChangeRebuild(results.setup);
  if (ONLY.has('build')) results.codeEnvBuild = await measureCodeEnvBuild(tmp);
} catch (error) {
  if (!interrupted) {
    progress(`failed: ${error.stack ?? error}`);
    await cleanup(tmp).catch((cleanupError) => progress(`cleanup: ${cleanupError.message}`));
    process.exit(1);
  }
}
if (interrupted) await new Promise(() => {}); // the signal handler exits
await cleanup(tmp);

const { table, checks } = buildReport(results);
const judged = Object.values(checks).filter((c) => c.pass !== undefined);
const passed = judged.filter((c) => c.pass).length;
const output = {
  when: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    node: process.version,
    docker: dockerVersion,
    loadAverageAtStart,
    loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
  },
  durationSeconds: round(since(startedAt) / 1000, 1),
  options: { rebuilds: REBUILDS, builds: BUILDS, codeEnv: args['code-env'], only: [...ONLY] },
  targets: TARGETS,
  checks,
  targetsMet: `${passed}/${judged.length}`,
  results,
};
process.stdout.write(`\n${table}\n\n${passed}/${judged.length} targets met (ratios are berth/floor)`);
if (results.codeEnvBuild)
  process.stdout.write(`; code-env build measured with ${results.codeEnvBuild.codeEnv}: ${CODE_ENV_CHOICE.description}`);
process.stdout.write(`\n\n${JSON.stringify(output, null, 2)}\n`);
const resultsDir = join(REPO, 'test', 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'images-latest.json'), `${JSON.stringify(output, null, 2)}\n`);
process.exit(args.strict && passed < judged.length ? 1 : 0);
