#!/usr/bin/env node
// `npm run bench`: Berth against the raw floor (a kernel spawned directly and driven over ZeroMQ
// from Node with the same zeromq package), in one run:
//
//   start latency     Berth: POST /api/kernels → WebSocket open → kernel_info_reply over the socket
//                     floor: ports + connection file + spawn → kernel_info_reply over ZMQ
//   execute RTT       `pass`: execute_request → execute_reply and its iopub idle (JSON and v1 framing)
//   throughput        one cell writing 50 MiB in 64 KiB chunks; stream bytes until idle must be exact
//   16 at once        wall time until 16 kernels started together all answered kernel_info
//   gateway RSS       peak resident memory of the gateway process during the 50 MiB cell
//
// The same four for kernels in Docker containers (sections docker-start, docker-execute,
// docker-throughput, docker-burst; `--only docker` is all four), against a second gateway whose
// config dir has one Docker exec config on the host network and a code env without packages
// (test/bench/docker-kernels.mjs makes them, and removes every container and image it made):
//
//   start latency     Berth: as above, kernel <code-env>--bench-docker (its container, its image)
//                     floor: ports + create + start of a container of the same image with the
//                     connection JSON in its environment → kernel_info_reply over ZMQ
//                     target: Berth p50 <= floor p50 + 100 ms; the stages of Berth's starts
//                     come from the gateway's debug log ('launch progress' lines)
//   execute, 50 MiB   as above, the floor's ZMQ client on such a container kernel
//   16 at once        16 such containers + kernel_info vs 16 POST /api/kernels, all in parallel
//
// Start, execute and throughput for kernels in Kubernetes pods (sections k8s-start, k8s-execute,
// k8s-throughput; `--only kubernetes` is all three) on the Kubernetes emulator of the tests, whose
// kubelet runs pods as containers on the local Docker Engine (host network), against a third
// gateway whose config dir has one Kubernetes exec config on it and the same code env
// (test/bench/kubernetes-kernels.mjs makes them, and removes every pod, Secret and tag it made):
//
//   start latency     Berth: as above, kernel <code-env>--bench-k8s (its pod, its image)
//                     floor: ports + Secret with the connection JSON + pod of the same image,
//                     followed by a watch until its container runs → kernel_info_reply over ZMQ;
//                     also the emulator's own floor, pod created → container running, against the
//                     same span of Berth's starts ('launch progress' lines of its debug log)
//   execute, 50 MiB   as above, the floor's ZMQ client on such a pod kernel
//
// Prints a table, then one JSON object; also writes it to test/bench/results/latest.json.
//
//   node scripts/bench.mjs [--starts 10] [--executes 500] [--burst 16] [--rounds 5] [--burst-rounds 3]
//                          [--only start,execute,throughput,burst,docker,kubernetes] [--no-build] [--strict]
//   BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the gateway;
//   BENCH_KEEP_LOG=/tmp/gateway.log keeps the gateway's log (the run's temp dir is removed), and the
//   container gateway's as /tmp/gateway.log.docker, the pod gateway's as /tmp/gateway.log.k8s.
//
// --rounds is the number of 50 MiB cells per client, --burst-rounds the number of 16-kernel bursts
// per side; medians are reported. Floor and Berth samples alternate so that load from other
// processes on the machine hits both alike.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const BIG_CELL_BYTES = 800 * 65536; // 52,428,800
const BIG_CELL = "import sys; c='x'*65536\nfor _ in range(800): sys.stdout.write(c)\nsys.stdout.flush()";
const TARGETS = { start: 1.05, execute: 1.2, throughput: 0.9, burst: 1.05, rssMb: 150, dockerStartOverMs: 100 };
const LOCAL_SECTIONS = ['start', 'execute', 'throughput', 'burst'];
const DOCKER_SECTIONS = ['docker-start', 'docker-execute', 'docker-throughput', 'docker-burst'];
const KUBERNETES_SECTIONS = ['k8s-start', 'k8s-execute', 'k8s-throughput'];
/** Names that stand for several sections in --only. */
const SECTION_GROUPS = { docker: DOCKER_SECTIONS, kubernetes: KUBERNETES_SECTIONS };
const ALL_SECTIONS = [...LOCAL_SECTIONS, ...DOCKER_SECTIONS, ...KUBERNETES_SECTIONS];

const { values: args } = parseArgs({
  options: {
    starts: { type: 'string', default: '10' },
    executes: { type: 'string', default: '500' },
    burst: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '5' },
    'burst-rounds': { type: 'string', default: '3' },
    only: { type: 'string', default: [...LOCAL_SECTIONS, 'docker', 'kubernetes'].join(',') },
    'no-build': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
  },
});
const STARTS = positiveInt(args.starts, '--starts');
const EXECUTES = positiveInt(args.executes, '--executes');
const BURST = positiveInt(args.burst, '--burst');
const ROUNDS = positiveInt(args.rounds, '--rounds');
const BURST_ROUNDS = positiveInt(args['burst-rounds'], '--burst-rounds');
const ONLY = sections(args.only);

function positiveInt(value, flag) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer; got "${value}"`);
  return n;
}

/** The --only list as section names; "docker" stands for the four docker-* sections, "kubernetes" for the three k8s-* ones. */
function sections(list) {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((name) => SECTION_GROUPS[name] ?? [name]);
  const unknown = names.filter((name) => !ALL_SECTIONS.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `--only takes ${[...LOCAL_SECTIONS, ...Object.keys(SECTION_GROUPS), ...DOCKER_SECTIONS, ...KUBERNETES_SECTIONS].join(', ')}; got "${unknown}"`,
    );
  }
  return new Set(names);
}

const progress = (text) => process.stderr.write(`[bench] ${text}\n`);
const pause = (ms) => new Promise((resolvePause) => setTimeout(resolvePause, ms));

if (!args['no-build']) {
  progress('building the gateway (tsc -b gateway)');
  const built = spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(REPO, 'gateway')], {
    stdio: 'inherit',
  });
  if (built.status !== 0) {
    progress('the gateway does not build; fix the errors above (or pass --no-build to measure the existing gateway/dist)');
    process.exit(1);
  }
}

// Imported after the build: the floor uses the compiled wire codec.
const { FloorKernel, FloorPorts } = await import('../test/bench/floor-kernel.mjs');
const { BerthGateway, BerthKernel } = await import('../test/bench/berth-client.mjs');
const { executeContent } = await import('../test/bench/jupyter-client.mjs');
const { formatTable, median, round, since, summarize } = await import('../test/bench/stats.mjs');
// Only for the docker-* sections (it loads dockerode and the image builder).
const dockerBench = DOCKER_SECTIONS.some((section) => ONLY.has(section)) ? await import('../test/bench/docker-kernels.mjs') : undefined;
// Only for the k8s-* sections (it loads @kubernetes/client-node too).
const k8sBench = KUBERNETES_SECTIONS.some((section) => ONLY.has(section))
  ? await import('../test/bench/kubernetes-kernels.mjs')
  : undefined;

const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-'));
const runtimeDir = join(tmp, 'floor');
mkdirSync(runtimeDir, { mode: 0o700 });
const floorPorts = new FloorPorts();
const liveFloor = new Set();
const liveBerth = new Set();
/** The gateways this run started: `local` (no config dir), `docker` (the container config dir) and `kubernetes` (the pod one). */
const gateways = {};
/** The Docker client once the docker sections' setup began (then cleanup removes what they made). */
let docker;
/** The k8s-* sections' emulator, client and config once their setup began (cleanup removes what they made). */
let kube;

/**
 * Where kernels run, for the phases below: local processes, containers or pods. `gateway` and
 * `kernelName` are Berth's side; `launchFloor` starts a floor kernel (without its first request);
 * `floorStages` summarizes the floor's start stages and `launchStages` Berth's (from its debug log),
 * where the backend has them.
 */
function localKind(argv) {
  return {
    name: 'local',
    gateway: gateways.local,
    kernelName: 'python3',
    launchFloor: () => FloorKernel.launch({ argv, runtimeDir, ports: floorPorts, cwd: REPO }),
  };
}

function dockerKind(image) {
  return {
    name: 'docker',
    gateway: gateways.docker,
    kernelName: dockerBench.KERNEL_NAME,
    launchFloor: () => dockerBench.ContainerFloorKernel.launch({ docker, image, ports: floorPorts }),
    floorStages: dockerBench.floorStages,
    launchStages: dockerBench.launchStages,
  };
}

function kubernetesKind() {
  return {
    name: 'k8s',
    gateway: gateways.kubernetes,
    kernelName: k8sBench.KERNEL_NAME,
    launchFloor: () => kube.launchFloor(floorPorts),
    floorStages: k8sBench.floorStages,
    launchStages: k8sBench.launchStages,
  };
}

// ------------------------------------------------------------------------ one sample of each kind

/** Floor start: (ports, connection file, spawn | ports, container create + start | ports, Secret, pod until running), connect → kernel_info_reply over ZMQ. */
async function floorStart(kind) {
  const began = performance.now();
  const kernel = await kind.launchFloor();
  liveFloor.add(kernel);
  const spawnedMs = since(began);
  await kernel.request('shell', 'kernel_info_request', {}, { idle: false, timeoutMs: 120_000 });
  return { kernel, ms: since(began), spawnedMs };
}

/** Berth start: POST /api/kernels → WebSocket open → kernel_info_reply over the WebSocket. */
async function berthStart(kind, framing = 'json') {
  const began = performance.now();
  const postedAt = Date.now();
  const { status, json, text } = await kind.gateway.api('POST', 'api/kernels', { name: kind.kernelName });
  if (status !== 201) throw new Error(`POST /api/kernels (${kind.kernelName}) answered ${status}: ${text}`);
  const repliedAt = Date.now();
  const kernel = new BerthKernel(kind.gateway, json.id, framing);
  liveBerth.add(kernel);
  const postMs = since(began);
  await kernel.connect();
  const openMs = since(began);
  await kernel.request('shell', 'kernel_info_request', {}, { idle: false, timeoutMs: 120_000 });
  return {
    kernel,
    id: json.id,
    postedAt,
    repliedAt,
    ms: since(began),
    postMs,
    wsOpenMs: openMs - postMs,
    kernelInfoMs: since(began) - openMs,
  };
}

/** What the launch stages need of a Berth start: the kernel id and the bench's clock around its POST. */
function launchOf({ id, postedAt, repliedAt }) {
  return { id, postedAt, repliedAt };
}

async function stopFloor(kernel) {
  liveFloor.delete(kernel);
  await kernel.shutdown();
}

async function stopBerth(kernel) {
  liveBerth.delete(kernel);
  await kernel.shutdown();
}

/** One `pass` round trip: execute_request → execute_reply and iopub idle. */
async function executeOnce(kernel) {
  const began = performance.now();
  const { reply, errors } = await kernel.request('shell', 'execute_request', executeContent('pass'), { idle: true, timeoutMs: 30_000 });
  const ms = since(began);
  if (reply.status !== 'ok' || errors.length > 0) throw new Error(`pass failed: ${reply.status} ${errors.join('; ')}`);
  return ms;
}

/** The 50 MiB cell: seconds until reply and idle, stream bytes counted on the way. */
async function bigCell(kernel) {
  const began = performance.now();
  const { reply, streamBytes, streamMessages, errors } = await kernel.request('shell', 'execute_request', executeContent(BIG_CELL), {
    idle: true,
    timeoutMs: 600_000,
  });
  const seconds = since(began) / 1000;
  if (reply.status !== 'ok' || errors.length > 0) throw new Error(`the 50 MiB cell failed: ${reply.status} ${errors.join('; ')}`);
  return { seconds, bytes: streamBytes, messages: streamMessages, mibPerSecond: streamBytes / MiB / seconds };
}

/** Samples the gateway's VmRSS every 50 ms; the peak also counts VmHWM if it rose meanwhile. */
function watchGatewayMemory(gateway) {
  const before = gateway.memory();
  let peakKb = before.rssKb;
  const timer = setInterval(() => {
    peakKb = Math.max(peakKb, gateway.memory().rssKb);
  }, 50);
  return () => {
    clearInterval(timer);
    const after = gateway.memory();
    peakKb = Math.max(peakKb, after.rssKb);
    if (after.hwmKb > before.hwmKb) peakKb = Math.max(peakKb, after.hwmKb);
    return { beforeMb: round(before.rssKb / 1024, 1), peakMb: round(peakKb / 1024, 1), afterMb: round(after.rssKb / 1024, 1) };
  };
}

// ------------------------------------------------------------------------ the phases

async function measureStarts(kind) {
  progress(`${kind.name} start latency: ${STARTS} starts each, alternating (one warm-up each first)`);
  const floor = [];
  const berth = [];
  for (let i = -1; i < STARTS; i++) {
    // Alternate who goes first so drift (page cache, CPU frequency) hits both alike.
    const order = i % 2 === 0 ? ['floor', 'berth'] : ['berth', 'floor'];
    for (const who of order) {
      if (who === 'floor') {
        const sample = await floorStart(kind);
        await stopFloor(sample.kernel);
        if (i >= 0) floor.push(sample);
      } else {
        const sample = await berthStart(kind);
        await stopBerth(sample.kernel);
        if (i >= 0) berth.push(sample);
      }
      await pause(300); // let the shut-down kernel's exit settle before the next sample
    }
  }
  const ms = (samples) => samples.map((s) => s.ms);
  return {
    // Each Berth start next to its floor neighbour: less sensitive to load that drifts during the run.
    pairedRatioP50: round(median(berth.map((s, i) => s.ms / floor[i].ms))),
    pairedOverMsP50: round(median(berth.map((s, i) => s.ms - floor[i].ms)), 1),
    floor: {
      ...summarize(ms(floor)),
      spawnMsP50: round(median(floor.map((s) => s.spawnedMs))),
      ...(kind.floorStages ? { stagesMs: kind.floorStages(floor) } : {}),
      samples: ms(floor).map((v) => round(v, 1)),
    },
    berth: {
      ...summarize(ms(berth)),
      postMsP50: round(median(berth.map((s) => s.postMs))),
      wsOpenMsP50: round(median(berth.map((s) => s.wsOpenMs))),
      kernelInfoMsP50: round(median(berth.map((s) => s.kernelInfoMs))),
      samples: ms(berth).map((v) => round(v, 1)),
    },
    // Containers and pods: the launch stages are read from the gateway's log once it has stopped.
    ...(kind.launchStages ? { berthLaunches: berth.map(launchOf) } : {}),
  };
}

async function measureExecuteAndThroughput(kind, { execute, throughput }) {
  progress(`${kind.name}: starting one floor kernel and two Berth kernels (JSON and v1 framing)`);
  const floor = (await floorStart(kind)).kernel;
  const json = (await berthStart(kind, 'json')).kernel;
  const v1 = (await berthStart(kind, 'v1')).kernel;
  const clients = { floor, json, v1 };
  const { gateway } = kind;
  const result = {};
  try {
    if (execute) {
      progress(`${kind.name} execute round trip: ${EXECUTES} × pass per client, in interleaved blocks of 50 (50 warm-up each)`);
      const times = { floor: [], json: [], v1: [] };
      // CPU used per round trip, to tell the gateway's own cost from waiting (diagnostic).
      const cpu = { floor: { bench: 0, gateway: 0 }, json: { bench: 0, gateway: 0 }, v1: { bench: 0, gateway: 0 } };
      for (const kernel of Object.values(clients)) for (let i = 0; i < 50; i++) await executeOnce(kernel);
      for (let done = 0; done < EXECUTES; done += 50) {
        const block = Math.min(50, EXECUTES - done);
        for (const [name, kernel] of Object.entries(clients)) {
          const benchBefore = process.cpuUsage();
          const gatewayBefore = gateway.cpuMs();
          for (let i = 0; i < block; i++) times[name].push(await executeOnce(kernel));
          const bench = process.cpuUsage(benchBefore);
          cpu[name].bench += (bench.user + bench.system) / 1000;
          cpu[name].gateway += gateway.cpuMs() - gatewayBefore;
        }
      }
      const perRequest = (name) => ({ benchCpuMs: round(cpu[name].bench / EXECUTES), gatewayCpuMs: round(cpu[name].gateway / EXECUTES) });
      result.execute = {
        floor: { ...summarize(times.floor), ...perRequest('floor') },
        berthJson: { ...summarize(times.json), ...perRequest('json') },
        berthV1: { ...summarize(times.v1), ...perRequest('v1') },
      };
    }
    if (throughput) {
      progress(`${kind.name} throughput: the 50 MiB cell, ${ROUNDS} round(s) of floor, Berth JSON, Berth v1`);
      const cells = { floor: [], json: [], v1: [] };
      const memory = { json: [], v1: [] };
      for (let round_ = 0; round_ < ROUNDS; round_++) {
        for (const [name, kernel] of Object.entries(clients)) {
          const stopWatching = name === 'floor' ? undefined : watchGatewayMemory(gateway);
          const gatewayCpuBefore = gateway.cpuMs();
          const cell = await bigCell(kernel);
          cell.gatewayCpuMs = gateway.cpuMs() - gatewayCpuBefore;
          if (stopWatching) memory[name].push(stopWatching());
          cells[name].push(cell);
          progress(`  ${name}: ${round(cell.mibPerSecond, 1)} MiB/s, ${cell.bytes} bytes in ${cell.messages} stream messages`);
          await pause(500);
        }
      }
      const summary = (list) => ({
        mibPerSecond: round(median(list.map((c) => c.mibPerSecond)), 1),
        secondsP50: round(median(list.map((c) => c.seconds))),
        bytes: list.map((c) => c.bytes),
        exact: list.every((c) => c.bytes === BIG_CELL_BYTES),
        streamMessages: list.map((c) => c.messages),
        gatewayCpuMsP50: round(median(list.map((c) => c.gatewayCpuMs))),
      });
      const peak = (list) => Math.max(...list.map((m) => m.peakMb));
      result.throughput = {
        expectedBytes: BIG_CELL_BYTES,
        floor: summary(cells.floor),
        berthJson: summary(cells.json),
        berthV1: summary(cells.v1),
      };
      result.gatewayMemory = {
        peakMb: Math.max(peak(memory.json), peak(memory.v1)),
        // The first 50 MiB cell in this gateway, before any earlier big message can still be in memory.
        firstCellPeakMb: memory.json[0].peakMb,
        json: memory.json,
        v1: memory.v1,
      };
    }
  } finally {
    await Promise.all([stopFloor(floor), stopBerth(json), stopBerth(v1)]);
  }
  return result;
}

async function measureBurst(kind) {
  progress(`${kind.name}: ${BURST} kernels at once: ${BURST_ROUNDS} round(s), alternating floor and Berth`);
  const floor = [];
  const berth = [];
  const gatewayCpu = [];
  const launches = [];
  const floorSamples = [];
  for (let round_ = 0; round_ < BURST_ROUNDS; round_++) {
    const order = round_ % 2 === 0 ? ['floor', 'berth'] : ['berth', 'floor'];
    for (const who of order) {
      const gatewayCpuBefore = kind.gateway.cpuMs();
      const began = performance.now();
      const starts = Array.from({ length: BURST }, () => (who === 'floor' ? floorStart(kind) : berthStart(kind)));
      const settled = await Promise.allSettled(starts);
      const wall = since(began);
      if (who === 'berth') gatewayCpu.push(kind.gateway.cpuMs() - gatewayCpuBefore);
      const kernels = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value.kernel);
      const samples = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
      if (who === 'berth') launches.push(...samples.map(launchOf));
      else floorSamples.push(...samples);
      await Promise.all(kernels.map((kernel) => (who === 'floor' ? stopFloor(kernel) : stopBerth(kernel))));
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      (who === 'floor' ? floor : berth).push(wall);
      progress(`  ${who}: ${round(wall, 0)} ms`);
      await pause(1000);
    }
  }
  return {
    kernels: BURST,
    floor: {
      msP50: round(median(floor)),
      samples: floor.map((v) => round(v, 0)),
      ...(kind.floorStages ? { stagesMs: kind.floorStages(floorSamples) } : {}),
    },
    berth: { msP50: round(median(berth)), samples: berth.map((v) => round(v, 0)), gatewayCpuMsP50: round(median(gatewayCpu)) },
    ...(kind.launchStages ? { berthLaunches: launches } : {}),
  };
}

/** The local sections against a gateway without a config dir (python3 from its kernelspecs). */
async function measureLocal(results) {
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  gateways.local = await BerthGateway.start({
    repoRoot: REPO,
    dataDir: join(tmp, 'gateway-data'),
    logFile: join(tmp, 'gateway.log'),
    nodeArgs,
  });
  progress(`gateway pid ${gateways.local.pid} at ${gateways.local.url}`);
  const specs = await gateways.local.api('GET', 'api/kernelspecs');
  const argv = specs.json?.kernelspecs?.python3?.spec?.argv;
  if (!argv) throw new Error(`the gateway has no python3 kernelspec: ${specs.text}`);
  progress(`kernel argv (both sides): ${argv.join(' ')}`);
  results.kernelArgv = argv;
  const kind = localKind(argv);
  if (ONLY.has('start')) results.start = await measureStarts(kind);
  if (ONLY.has('execute') || ONLY.has('throughput')) {
    Object.assign(results, await measureExecuteAndThroughput(kind, { execute: ONLY.has('execute'), throughput: ONLY.has('throughput') }));
  }
  if (ONLY.has('burst')) results.burst = await measureBurst(kind);
  await gateways.local.stop();
}

/** The docker-* sections: setup, then a gateway with the bench's config dir (debug log, for the launch stages). */
async function measureDocker(results) {
  progress('docker: setup (daemon, base image tag, config dir, code-env image through the CLI)');
  const began = performance.now();
  docker = dockerBench.newDocker();
  const setup = await dockerBench.setupDockerBench({ repo: REPO, tmp, progress });
  const out = { setup: { image: setup.image, baseImage: setup.baseImage, docker: setup.dockerVersion, ...setup.timings } };
  results.docker = out;
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  gateways.docker = await BerthGateway.start({
    repoRoot: REPO,
    dataDir: join(tmp, 'docker-gateway-data'),
    logFile: join(tmp, 'docker-gateway.log'),
    nodeArgs,
    env: { BERTH_CONFIG_DIR: setup.configDir, BERTH_LOG_LEVEL: 'debug' },
  });
  out.setup.totalMs = round(since(began), 0);
  progress(`docker gateway pid ${gateways.docker.pid} at ${gateways.docker.url}; kernel ${dockerBench.KERNEL_NAME} on ${setup.image}`);
  const kind = dockerKind(setup.image);
  if (ONLY.has('docker-start')) {
    out.start = await measureStarts(kind);
    progress(`docker start, diagnostic: ${STARTS} × putArchive of one small file into a created container`);
    out.start.copyInMs = summarize(await dockerBench.measureCopyIn(docker, setup.image, STARTS));
  }
  if (ONLY.has('docker-execute') || ONLY.has('docker-throughput')) {
    Object.assign(
      out,
      await measureExecuteAndThroughput(kind, { execute: ONLY.has('docker-execute'), throughput: ONLY.has('docker-throughput') }),
    );
  }
  if (ONLY.has('docker-burst')) out.burst = await measureBurst(kind);
  await gateways.docker.stop();
  const log = readFileSync(join(tmp, 'docker-gateway.log'), 'utf8');
  for (const phase of [out.start, out.burst].filter(Boolean)) {
    phase.berth.stagesMs = kind.launchStages(log, phase.berthLaunches);
    delete phase.berthLaunches;
  }
}

/** The k8s-* sections: setup (emulator and all), then a gateway with the bench's Kubernetes config dir (debug log, for the launch stages). */
async function measureKubernetes(results) {
  progress('kubernetes: setup (daemon, base image tag, emulator, namespace, config dir, code-env image and its registry tag)');
  const began = performance.now();
  kube = new k8sBench.KubernetesBench({ repo: REPO, tmp, progress });
  const setup = await kube.setup();
  const out = { setup: { image: setup.image, baseImage: setup.baseImage, emulator: setup.emulator, ...setup.timings } };
  results.kubernetes = out;
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  gateways.kubernetes = await BerthGateway.start({
    repoRoot: REPO,
    dataDir: join(tmp, 'k8s-gateway-data'),
    logFile: join(tmp, 'k8s-gateway.log'),
    nodeArgs,
    env: { BERTH_CONFIG_DIR: kube.configDir, BERTH_LOG_LEVEL: 'debug' },
  });
  out.setup.totalMs = round(since(began), 0);
  progress(`k8s gateway pid ${gateways.kubernetes.pid} at ${gateways.kubernetes.url}; kernel ${k8sBench.KERNEL_NAME} on ${setup.image}`);
  const kind = kubernetesKind();
  if (ONLY.has('k8s-start')) out.start = await measureStarts(kind);
  if (ONLY.has('k8s-execute') || ONLY.has('k8s-throughput')) {
    Object.assign(
      out,
      await measureExecuteAndThroughput(kind, { execute: ONLY.has('k8s-execute'), throughput: ONLY.has('k8s-throughput') }),
    );
  }
  await gateways.kubernetes.stop();
  if (out.start) {
    out.start.berth.stagesMs = kind.launchStages(readFileSync(join(tmp, 'k8s-gateway.log'), 'utf8'), out.start.berthLaunches);
    delete out.start.berthLaunches;
  }
}

// ------------------------------------------------------------------------ report

function verdict(ok) {
  return ok === undefined ? '' : ok ? 'pass' : 'FAIL';
}

function buildReport(results) {
  const rows = [['metric', 'floor', 'berth', 'ratio', 'target', 'result']];
  const checks = {};
  const ratio = (berth, floor) => round(berth / floor, 3);
  const add = (key, metric, floor, berth, target, ok) => {
    const r = floor && berth !== undefined ? ratio(berth, floor) : undefined;
    rows.push([metric, floor ?? '', berth ?? '', r === undefined ? '' : `${r.toFixed(3)}x`, target, verdict(ok)]);
    if (key) checks[key] = { floor, berth, ratio: r, target, pass: ok };
  };
  // Keys and labels of the docker rows carry a prefix: dockerExecuteP50Json, "docker execute p50 JSON (ms)".
  const name = (prefix, key) => (prefix ? `${prefix}${key[0].toUpperCase()}${key.slice(1)}` : key);
  const label = (prefix, text) => (prefix ? `${prefix} ${text}` : text);
  // Stage sums for the start breakdowns ('' when a stage is missing from the log).
  const sum = (...values) =>
    values.every((v) => typeof v === 'number')
      ? round(
          values.reduce((a, v) => a + v, 0),
          1,
        )
      : '';

  const addExecute = (prefix, execute) => {
    for (const [key, text, stats] of [
      ['Json', 'JSON', execute.berthJson],
      ['V1', 'v1', execute.berthV1],
    ]) {
      add(
        name(prefix, `executeP50${key}`),
        label(prefix, `execute p50 ${text} (ms)`),
        execute.floor.p50,
        stats.p50,
        `<= ${TARGETS.execute}x`,
        stats.p50 <= TARGETS.execute * execute.floor.p50,
      );
      add(name(prefix, `executeP99${key}`), label(prefix, `execute p99 ${text} (ms)`), execute.floor.p99, stats.p99, '', undefined);
    }
  };
  const addThroughput = (prefix, throughput) => {
    for (const [key, text, stats] of [
      ['Json', 'JSON', throughput.berthJson],
      ['V1', 'v1', throughput.berthV1],
    ]) {
      const ok = stats.exact && throughput.floor.exact && stats.mibPerSecond >= TARGETS.throughput * throughput.floor.mibPerSecond;
      add(
        name(prefix, `throughput${key}`),
        label(prefix, `50 MiB cell ${text} (MiB/s)`),
        throughput.floor.mibPerSecond,
        stats.mibPerSecond,
        `>= ${TARGETS.throughput}x, exact`,
        ok,
      );
      rows.push([
        `  bytes received ${text}`,
        throughput.floor.bytes.join('/'),
        stats.bytes.join('/'),
        '',
        `${BIG_CELL_BYTES}`,
        verdict(stats.exact && throughput.floor.exact),
      ]);
    }
  };
  const addBurst = (prefix, burst) => {
    add(
      name(prefix, 'burst'),
      label(prefix, `${burst.kernels} at once (ms)`),
      burst.floor.msP50,
      burst.berth.msP50,
      `<= ${TARGETS.burst}x`,
      burst.berth.msP50 <= TARGETS.burst * burst.floor.msP50,
    );
  };

  const { start, execute, throughput, gatewayMemory, burst } = results;
  if (start) {
    add(
      'startP50',
      'start p50 (ms)',
      start.floor.p50,
      start.berth.p50,
      `<= ${TARGETS.start}x`,
      start.berth.p50 <= TARGETS.start * start.floor.p50,
    );
    add('startP90', 'start p90 (ms)', start.floor.p90, start.berth.p90, '', undefined);
  }
  if (execute) addExecute('', execute);
  if (throughput) addThroughput('', throughput);
  if (burst) addBurst('', burst);
  if (gatewayMemory) {
    const ok = gatewayMemory.peakMb <= TARGETS.rssMb;
    rows.push(['gateway peak RSS, 50 MiB cell (MiB)', '', gatewayMemory.peakMb, '', `<= ${TARGETS.rssMb}`, verdict(ok)]);
    rows.push(['  first 50 MiB cell only (MiB)', '', gatewayMemory.firstCellPeakMb, '', '', '']);
    checks.gatewayPeakRss = { berth: gatewayMemory.peakMb, target: `<= ${TARGETS.rssMb} MiB`, pass: ok };
  }

  const dockerResults = results.docker ?? {};
  if (dockerResults.start) {
    const { floor, berth } = dockerResults.start;
    add(
      'dockerStartP50',
      'docker start p50 (ms)',
      floor.p50,
      berth.p50,
      `<= floor + ${TARGETS.dockerStartOverMs} ms`,
      berth.p50 <= floor.p50 + TARGETS.dockerStartOverMs,
    );
    rows.push([
      '  berth - floor: p50s / paired p50 (ms)',
      '',
      `${round(berth.p50 - floor.p50, 1)} / ${dockerResults.start.pairedOverMsP50}`,
      '',
      '',
      '',
    ]);
    add('dockerStartP90', 'docker start p90 (ms)', floor.p90, berth.p90, '', undefined);
    // Where the time goes (ms p50 of each stage; Berth's from its debug log, ms resolution).
    const f = floor.stagesMs.p50;
    const b = berth.stagesMs.p50;
    rows.push(['  ports (berth: + request, image lookup)', f.portsMs, sum(b.requestToPortsMs, b.portsToCreateMs), '', '', '']);
    rows.push(['  container create (berth: + copy-in)', f.createMs, b.createAndCopyMs, '', '', '']);
    rows.push(['    of which copy-in alone (putArchive)', '', round(dockerResults.start.copyInMs.p50, 1), '', '', '']);
    rows.push(['  container start', f.containerStartMs, b.containerStartMs, '', '', '']);
    rows.push(['  first kernel_info reply (berth: + iopub)', f.kernelInfoMs, b.readinessMs, '', '', '']);
    rows.push([
      '  POST reply, WebSocket, kernel_info over it',
      '',
      sum(b.responseMs, berth.wsOpenMsP50, berth.kernelInfoMsP50),
      '',
      '',
      '',
    ]);
  }
  if (dockerResults.execute) addExecute('docker', dockerResults.execute);
  if (dockerResults.throughput) addThroughput('docker', dockerResults.throughput);
  if (dockerResults.burst) {
    addBurst('docker', dockerResults.burst);
    const b = dockerResults.burst.berth.stagesMs;
    const f = dockerResults.burst.floor.stagesMs;
    for (const [text, floorKey, berthKey] of [
      ['ports (berth: + request, image lookup)', 'portsMs', 'requestToPortsMs'],
      ['container create (berth: + copy-in)', 'createMs', 'createAndCopyMs'],
      ['container start', 'containerStartMs', 'containerStartMs'],
      ['first kernel_info reply (berth: + iopub)', 'kernelInfoMs', 'readinessMs'],
    ]) {
      rows.push([
        `  per kernel p50 / max: ${text}`,
        `${f.p50[floorKey]} / ${f.max[floorKey]}`,
        `${b.p50[berthKey]} / ${b.max[berthKey]}`,
        '',
        '',
        '',
      ]);
    }
  }
  if (dockerResults.gatewayMemory) {
    rows.push(['docker gateway peak RSS, 50 MiB cell (MiB)', '', dockerResults.gatewayMemory.peakMb, '', '', '']);
  }

  // Pods: start has no target of its own (its ratio is against the emulator floor of the same run); execute and throughput have the shared ones.
  const k8s = results.kubernetes ?? {};
  if (k8s.start) {
    const { floor, berth } = k8s.start;
    const f = floor.stagesMs.p50;
    const b = berth.stagesMs.p50;
    add('k8sStartP50', 'k8s start p50 (ms)', floor.p50, berth.p50, '', undefined);
    rows.push([
      '  berth - floor: p50s / paired p50 (ms)',
      '',
      `${round(berth.p50 - floor.p50, 1)} / ${k8s.start.pairedOverMsP50}`,
      '',
      '',
      '',
    ]);
    add('k8sStartP90', 'k8s start p90 (ms)', floor.p90, berth.p90, '', undefined);
    // The emulator's own floor: the pod's create answered → the watch says its container runs.
    add('k8sCreatedToRunningP50', 'k8s pod created → running p50 (ms)', f.runningMs, b.createdToRunningMs, '', undefined);
    rows.push(['  berth: created → kubelet Pulled event / → running', '', `${b.createdToKubeletMs} / ${b.kubeletToRunningMs}`, '', '', '']);
    rows.push(['  ports + Secret (berth: request, image lookup)', sum(f.portsMs, f.secretMs), b.requestToPortsMs, '', '', '']);
    rows.push(['  pod create (berth: + ports)', f.createMs, b.portsToCreatedMs, '', '', '']);
    rows.push(['  first kernel_info reply (berth: + iopub)', f.kernelInfoMs, b.readinessMs, '', '', '']);
    rows.push([
      '  POST reply, WebSocket, kernel_info over it',
      '',
      sum(b.responseMs, berth.wsOpenMsP50, berth.kernelInfoMsP50),
      '',
      '',
      '',
    ]);
  }
  if (k8s.execute) addExecute('k8s', k8s.execute);
  if (k8s.throughput) addThroughput('k8s', k8s.throughput);
  if (k8s.gatewayMemory) rows.push(['k8s gateway peak RSS, 50 MiB cell (MiB)', '', k8s.gatewayMemory.peakMb, '', '', '']);
  return { table: formatTable(rows), checks };
}

// ------------------------------------------------------------------------ cleanup

/** Kernels the bench started that are still around (via its gateways or directly): end them; then what Docker holds of the run. */
async function cleanup() {
  for (const kernel of liveFloor) kernel.kill();
  await Promise.all([...liveFloor].map((kernel) => kernel.exited.then(() => kernel.close())));
  liveFloor.clear();
  await Promise.all([...liveBerth].map((kernel) => kernel.shutdown().catch(() => undefined)));
  liveBerth.clear();
  for (const [which, gateway] of Object.entries(gateways)) {
    await gateway.stop().catch((error) => progress(`${which} gateway stop: ${error.message}`));
  }
  // Before killLeftovers: the emulator runs from this run's temp dir, and must stop by itself to remove its containers.
  if (kube) await kube.cleanup().catch((error) => progress(`kubernetes cleanup: ${error.message}`));
  killLeftovers();
  // The k8s-* sections run the docker sections' code-env image and base tag: the same cleanup removes them.
  if (docker || kube) {
    const { cleanupDocker, newDocker } = dockerBench ?? (await import('../test/bench/docker-kernels.mjs'));
    await cleanupDocker(docker ?? newDocker(), progress).catch((error) => progress(`docker cleanup: ${error.message}`));
  }
  if (process.env.BENCH_KEEP_LOG) {
    for (const [file, keep] of [
      ['gateway.log', process.env.BENCH_KEEP_LOG],
      ['docker-gateway.log', `${process.env.BENCH_KEEP_LOG}.docker`],
      ['k8s-gateway.log', `${process.env.BENCH_KEEP_LOG}.k8s`],
    ]) {
      try {
        writeFileSync(keep, readFileSync(join(tmp, file)));
      } catch {
        // no log to keep
      }
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}

/** Any process whose command line names this run's temp dir is one of ours (a kernel): SIGKILL it. */
function killLeftovers() {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes(tmp) && Number(entry) !== process.pid) {
      progress(`killing leftover process ${entry}`);
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

// ------------------------------------------------------------------------ main

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true;
    progress(`${signal}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

const startedAt = performance.now();
const loadAverageAtStart = loadavg().map((v) => round(v, 2));
const results = {};
try {
  if (LOCAL_SECTIONS.some((section) => ONLY.has(section))) await measureLocal(results);
  if (DOCKER_SECTIONS.some((section) => ONLY.has(section))) await measureDocker(results);
  if (KUBERNETES_SECTIONS.some((section) => ONLY.has(section))) await measureKubernetes(results);
} catch (error) {
  if (!interrupted) {
    progress(`failed: ${error.stack ?? error}`);
    for (const file of ['gateway.log', 'docker-gateway.log', 'k8s-gateway.log']) {
      try {
        process.stderr.write(`--- ${file} tail ---\n${readFileSync(join(tmp, file), 'utf8').slice(-4000)}\n`);
      } catch {
        // no log
      }
    }
    await cleanup();
    process.exit(1);
  }
}
if (interrupted) await new Promise(() => {}); // the signal handler exits
await cleanup();

const { kernelArgv, ...measured } = results;
const { table, checks } = buildReport(measured);
const passed = Object.values(checks).filter((c) => c.pass === true).length;
const judged = Object.values(checks).filter((c) => c.pass !== undefined).length;
const output = {
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version, loadAverageAtStart, loadAverageAtEnd: loadavg().map((v) => round(v, 2)) },
  kernelArgv,
  durationSeconds: round(since(startedAt) / 1000, 1),
  sections: [...ONLY],
  targets: TARGETS,
  checks,
  targetsMet: `${passed}/${judged}`,
  results: measured,
};
process.stdout.write(`\n${table}\n\n${passed}/${judged} targets met (ratios are berth/floor; MiB = 2^20 bytes)\n\n`);
process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
const resultsDir = join(REPO, 'test', 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(output, null, 2)}\n`);
process.exit(args.strict && passed < judged ? 1 : 0);
