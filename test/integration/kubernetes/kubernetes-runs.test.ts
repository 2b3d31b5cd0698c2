// Batch runs in Kubernetes pods through an in-process gateway and the Kubernetes API emulator
// (test/support/kube-emulator), whose kubelet runs each pod's container on the local Docker Engine
// (host network): one Kubernetes exec config, one Python code env with Debian's scikit-learn and
// pandas (the ML packages docker-runs.test.ts uses, so the daemon's apt layer serves both), its
// image built by `berth images build-code-env` and named in the exec config's registry. A notebook
// run with a parameter, an input and a declared output, and an ML run that trains then one that
// scores; each run's kernel is a pod the cluster lists with the run's kernel id, its files travel
// through the kernel (the pod mounts only its connection Secret), and once the run is over no pod
// or Secret of it is left. scripts/test.mjs starts the daemon and makes the OS image first. The
// registry name and the test's base tag are removed afterwards; the code env's image stays as a
// cache (rebuilt only when the code env or its base changes), as docker-runs keeps its own.
import { rmSync } from 'node:fs';
import Dockerode from 'dockerode';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import type { RunRecord } from '../../../gateway/src/runner/run';
import type { RunLogEntry } from '../../../gateway/src/runner/run-log';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { followKernelEvents, type KernelEventFollower } from '../../support/kernel-events';
import { makeKubeCodeEnv, removeRegistryNames } from '../../support/kube-code-env';
import { start as startEmulator, type KubeEmulator } from '../../support/kube-emulator';
import { coreApi, kernelObjects, TEST_TIMINGS } from '../../support/kube-kernels';
import { watchPods, type PodEvent } from '../../support/kube-watch';
import { csv, dataset, ML_APT_PACKAGES, parseCsv } from '../../support/ml-data';
import { artifactText, base64, cell, notebook, outputNotebook, runToEnd, streamText } from '../../support/runs';
import { removeImageNames } from '../../support/test-images';

const BASE_TAG = 'berth-test/k8s-runs-base:latest';
const CODE_ENV = 'berth-test-k8s-runs';
const EXEC_CONFIG = 'berth-test-k8s-runs-exec';
const KERNEL = `${CODE_ENV}--${EXEC_CONFIG}`;
/** A registry name only this test uses: nothing is pulled from it, the emulator finds its images on the local daemon. */
const REGISTRY = 'registry.berth.test/k8s-runs';
const NS = 'berth-runs';
const BERTH_OBJECTS = 'berth.io/managed-by=berth';
/** The pod's memory limit, as the exec config's resources give it (1g) and as the kernel's cgroup reports it. */
const MEMORY_LIMIT_BYTES = 1024 ** 3;
/** The base (cached after the first build) and the code env's apt step for scikit-learn and pandas. */
const SETUP_TIMEOUT_MS = 900_000;
const RUN_TIMEOUT_MS = 240_000;
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });

let kube: KubeEmulator | undefined;
let core: CoreV1Api;
let configDir: string | undefined;
/** The code env's image as the exec config's registry names it. */
let image: string;
let gw: TestGateway | undefined;
let kernelEvents: KernelEventFollower | undefined;

/** The gateway, once beforeAll made it. */
function gateway(): TestGateway {
  if (gw === undefined) throw new Error('the test gateway did not start');
  return gw;
}

function emulator(): KubeEmulator {
  if (kube === undefined) throw new Error('the Kubernetes emulator did not start');
  return kube;
}

/** Berth's pods and Secrets in the namespace (of one kernel, or all), as the cluster lists them. */
function berthObjects(kernelId?: string): Promise<string[]> {
  return kernelObjects(core, NS, kernelId === undefined ? BERTH_OBJECTS : `${BERTH_OBJECTS},berth.io/kernel-id=${kernelId}`);
}

interface PodRun {
  readonly record: RunRecord;
  readonly entries: RunLogEntry[];
  /** The run kernel's pods as the cluster announced them (ADDED). */
  readonly pods: V1Pod[];
  /** The start stages the gateway reported for the run's kernel. */
  readonly stages: string[];
}

/**
 * Runs in this file's code env on its Kubernetes exec config, following the namespace's pods
 * meanwhile. A run ends before its kernel is shut down: this resolves once the cluster said the
 * kernel's pod was deleted and the gateway said the kernel shut down (after deleting its pod and
 * its Secret).
 */
async function runInPod(body: Record<string, unknown>): Promise<PodRun> {
  const watch = await watchPods(emulator().kubeconfigPath, NS, BERTH_OBJECTS);
  try {
    const { record, entries } = await runToEnd(gateway(), { codeEnv: CODE_ENV, execConfig: EXEC_CONFIG, ...body });
    const kernelId = record.kernelId;
    if (kernelId === undefined) throw new Error(`run ${record.id} ended ${record.status} without a kernel: ${record.failure?.message}`);
    const ofKernel = (event: PodEvent): boolean => event.pod.metadata?.labels?.['berth.io/kernel-id'] === kernelId;
    await watch.log.until((events) => events.some((e) => e.type === 'DELETED' && ofKernel(e)), `the deletion of kernel ${kernelId}'s pod`);
    await kernelEvents!.log.until(
      (events) => events.some((e) => e.type === 'shutdown' && e.kernelId === kernelId),
      `the shutdown of kernel ${kernelId}`,
    );
    return {
      record,
      entries,
      pods: watch.log.events.filter((e) => e.type === 'ADDED' && ofKernel(e)).map((e) => e.pod),
      stages: kernelEvents!.log.events.filter((e) => e.kernelId === kernelId && e.type === 'stage').map((e) => e.stage ?? ''),
    };
  } finally {
    watch.stop();
  }
}

/** What every run here shows of its pod: one pod, of the run's kernel, as the exec config says, mounting only its connection Secret. */
function expectRunPod(run: PodRun): void {
  expect(run.stages).toEqual(['launching', 'allocating-ports', 'scheduling', 'starting-container', 'waiting-for-kernel']);
  expect(run.pods).toHaveLength(1);
  const pod = run.pods[0]!;
  expect(pod.metadata?.namespace).toBe(NS);
  expect(pod.metadata?.labels).toMatchObject({
    'berth.io/kernel-id': run.record.kernelId,
    'berth.io/code-env': CODE_ENV,
    'berth.io/exec-config': EXEC_CONFIG,
  });
  const container = pod.spec!.containers[0]!;
  expect(container.image).toBe(image);
  expect(container.resources?.limits).toEqual({ cpu: '1', memory: '1Gi' });
  expect(pod.spec?.volumes).toEqual([
    expect.objectContaining({ name: 'connection', secret: expect.objectContaining({ secretName: `${pod.metadata?.name}-connection` }) }),
  ]);
  expect(container.volumeMounts?.map((mount) => mount.name)).toEqual(['connection']);
}

beforeAll(async () => {
  kube = await startEmulator({ timings: TEST_TIMINGS });
  core = coreApi(kube);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  // What a run that crashed before its cleanup left: the code env's names in the test registry.
  await removeRegistryNames(docker, REGISTRY, CODE_ENV);
  await new ImageBuilder(docker).buildBase({ extraTags: [BASE_TAG] });
  const codeEnv = await makeKubeCodeEnv(docker, kube, {
    codeEnv: CODE_ENV,
    language: 'python',
    apt: ML_APT_PACKAGES,
    execConfig: EXEC_CONFIG,
    baseImage: BASE_TAG,
    namespace: NS,
    registry: REGISTRY,
    resources: { cpus: 1, memory: '1g' },
  });
  configDir = codeEnv.configDir;
  image = codeEnv.image;
  gw = await startTestGateway({ configDir });
  kernelEvents = await followKernelEvents(gw.api);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await kernelEvents?.stop();
  await gw?.stop();
  await kube?.stop();
  await removeRegistryNames(docker, REGISTRY, CODE_ENV);
  await removeImageNames(docker, BASE_TAG);
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
}, 60_000);

test(
  'a notebook run with a parameter runs in a pod, reads its input through the kernel and brings its output back; nothing of it is left',
  async () => {
    const run = await runInPod({
      kind: 'notebook',
      notebookName: 'sum.ipynb',
      notebook: notebook([
        cell('factor = 1\nlabel = "local"', ['parameters']),
        cell(
          'import json, os\nnumbers = [int(n) for n in open("data/numbers.txt").read().split()]\ntotal = sum(numbers) * factor\nprint(f"{label}: total={total}")',
        ),
        cell(
          [
            'def memory_limit():',
            '    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):',
            '        if os.path.exists(path):',
            '            return open(path).read().strip()',
            'print("uid", os.getuid(), "api port", os.environ.get("KUBERNETES_SERVICE_PORT"), "pod ip", os.environ.get("BERTH_KERNEL_IP"), "memory", memory_limit())',
          ].join('\n'),
        ),
        cell(
          'os.makedirs("out", exist_ok=True)\nwith open("out/result.json", "w") as f:\n    json.dump({"label": label, "total": total, "count": len(numbers)}, f)',
        ),
      ]),
      parameters: { factor: 3, label: 'kube' },
      inputs: [{ path: 'data/numbers.txt', content: base64('1 2 3 4 5\n6 7 8 9 10\n') }],
      outputs: ['out/*.json'],
    });
    const { record } = run;
    expect(record.failure).toBeUndefined();
    expect(record.status).toBe('succeeded');
    expect(record).toMatchObject({
      kernelName: KERNEL,
      execConfig: EXEC_CONFIG,
      codeEnv: CODE_ENV,
      parameters: { factor: 3, label: 'kube' },
    });
    expectRunPod(run);

    const output = await outputNotebook(gateway(), record.id);
    expect(output.cells.map((c) => c['metadata'].tags ?? [])).toEqual([['parameters'], ['injected-parameters'], [], [], []]);
    expect(output.cells[1]!['source']).toContain('factor = 3');
    // 55 · 3: the injected parameters, not the defaults, did the sum, on the input the kernel was given.
    expect(output.cells[2]!['outputs']).toEqual([{ output_type: 'stream', name: 'stdout', text: 'kube: total=165\n' }]);
    // Started by the emulator's kubelet: the cluster's service variables, the pod's IP from the
    // downward API, the pod's memory limit on the kernel's cgroup, the image's user.
    const apiPort = new URL(emulator().url).port;
    expect(output.cells[3]!['outputs']).toEqual([
      { output_type: 'stream', name: 'stdout', text: `uid 1000 api port ${apiPort} pod ip 127.0.0.1 memory ${MEMORY_LIMIT_BYTES}\n` },
    ]);
    expect(streamText(run.entries, 'stdout')).toContain('kube: total=165\n');

    const artifacts = (await (await gateway().api(`api/berth/runs/${record.id}/artifacts`)).json()) as { artifacts: { path: string }[] };
    expect(artifacts.artifacts.map((a) => a.path)).toEqual(['files/out/result.json', 'output.ipynb']);
    expect(JSON.parse(await artifactText(gateway(), record.id, 'files/out/result.json'))).toEqual({ label: 'kube', total: 165, count: 10 });

    expect(await berthObjects(record.kernelId)).toEqual([]);
    expect(await berthObjects()).toEqual([]);
  },
  RUN_TIMEOUT_MS,
);

test(
  'ML in pods: a random forest trained in one run scores new rows in the next; nothing of either run is left',
  async () => {
    const server = gateway();
    const train = await runInPod({
      kind: 'ml',
      ml: {
        action: 'train',
        dataset: 'train.csv',
        target: 'y',
        algorithm: 'random_forest',
        params: { n_estimators: 50 },
        modelName: 'k8s-rf',
      },
      inputs: [{ path: 'train.csv', content: base64(csv(dataset(300, 1), true)) }],
    });
    const trained = train.record;
    expect(trained.failure).toBeUndefined();
    expect(trained).toMatchObject({ status: 'succeeded', kernelName: KERNEL, execConfig: EXEC_CONFIG });
    expectRunPod(train);
    const artifacts = (await (await server.api(`api/berth/runs/${trained.id}/artifacts`)).json()) as { artifacts: { path: string }[] };
    expect(artifacts.artifacts.map((a) => a.path)).toEqual(['feature_importances.json', 'metrics.json', 'model.json', 'model.pkl']);
    const metrics = JSON.parse(await artifactText(server, trained.id, 'metrics.json')) as { accuracy: number };
    expect(metrics).toMatchObject({ task: 'classification', evaluatedOn: 'holdout', trainRows: 240, testRows: 60 });
    expect(metrics.accuracy).toBeGreaterThan(0.8);
    expect(JSON.parse(await artifactText(server, trained.id, 'model.json'))).toMatchObject({
      modelName: 'k8s-rf',
      version: 1,
      estimator: 'RandomForestClassifier',
    });
    expect(await berthObjects(trained.kernelId)).toEqual([]);

    // Score rows without labels in a new pod: the model comes from the gateway, one prediction per row, in order.
    const fresh = dataset(50, 2);
    const score = await runInPod({
      kind: 'ml',
      ml: { action: 'score', dataset: 'new.csv', model: 'k8s-rf' },
      inputs: [{ path: 'new.csv', content: base64(csv(fresh, false)) }],
    });
    const scored = score.record;
    expect(scored.failure).toBeUndefined();
    expect(scored.status).toBe('succeeded');
    expectRunPod(score);
    expect(score.pods[0]!.metadata?.name).not.toBe(train.pods[0]!.metadata?.name);
    const predictions = parseCsv(await artifactText(server, scored.id, 'predictions.csv'));
    expect(predictions.header.slice(0, 5)).toEqual(['x1', 'x2', 'color', 'noise', 'prediction']);
    expect(predictions.rows).toHaveLength(fresh.length);
    expect(predictions.rows.map((row) => row[2])).toEqual(fresh.map((r) => r.color));
    const predicted = predictions.rows.map((row) => Number(row[4]));
    expect(predicted.every((p) => p === 0 || p === 1)).toBe(true);
    expect(predicted.filter((p, i) => p === fresh[i]!.y).length / fresh.length).toBeGreaterThan(0.8);

    expect(await berthObjects(scored.kernelId)).toEqual([]);
    expect(await berthObjects()).toEqual([]);
  },
  2 * RUN_TIMEOUT_MS,
);
