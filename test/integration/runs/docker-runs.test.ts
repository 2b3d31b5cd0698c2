// Batch runs in Docker kernels through an in-process gateway and the real Docker Engine (host
// network): one Docker exec config without mounts, one Python code env with Debian's
// scikit-learn and pandas, its image built once by `berth images build-code-env`. A notebook
// run with a parameter and files in and out, proof that nothing of the host is shared with the
// run's container (files travel through the kernel), a recipe with arguments and an exit status,
// and an ML chain (train → score → evaluate → retrain) on a synthetic dataset. scripts/test.mjs
// starts the daemon and makes the OS image before jest runs. The code env's containers and image
// and the test tag are removed afterwards; the shared base (berth/base:<hash>) stays as a cache.
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import type { RunRecord } from '../../../gateway/src/runner/run';
import type { RunLogEntry } from '../../../gateway/src/runner/run-log';
import { codeEnvContainers, makeDockerCodeEnv, removeCodeEnvContainers } from '../../support/docker-code-env';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { csv, dataset, ML_APT_PACKAGES, parseCsv } from '../../support/ml-data';
import { artifactText, base64, cell, followRun, notebook, outputNotebook, runToEnd, streamText, submitRun } from '../../support/runs';

const BASE_TAG = 'berth-test/docker-runs-base:latest';
const CODE_ENV = 'berth-test-docker-runs';
const EXEC_CONFIG = 'berth-test-docker-runs-exec';
const KERNEL = `${CODE_ENV}--${EXEC_CONFIG}`;
/** Where the Docker provisioner puts the connection file inside a kernel container (container-spec.ts). */
const CONNECTION_FILE = '/tmp/berth-kernel/connection.json';
/** The base (cached after the first build) and the code env's apt step for scikit-learn and pandas. */
const SETUP_TIMEOUT_MS = 900_000;
const RUN_TIMEOUT_MS = 180_000;
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
let configDir: string | undefined;
let gw: TestGateway | undefined;
/** Every run this file made: none of their kernels' containers may remain. */
const kernelIds: string[] = [];

/** The gateway, once beforeAll made it. */
function gateway(): TestGateway {
  if (gw === undefined) throw new Error('the test gateway did not start');
  return gw;
}

/** Containers of one kernel (running or not), by the label the Docker provisioner puts on them. */
function kernelContainers(kernelId: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`berth.io/kernel-id=${kernelId}`] }) });
}

/** Runs in this file's code env on its Docker exec config; remembers the run's kernel for the final check. */
async function runInDocker(body: Record<string, unknown>): Promise<{ record: RunRecord; entries: RunLogEntry[] }> {
  const result = await runToEnd(gateway(), { codeEnv: CODE_ENV, execConfig: EXEC_CONFIG, ...body });
  if (result.record.kernelId !== undefined) kernelIds.push(result.record.kernelId);
  return result;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  // What a run that crashed before its cleanup left: the code env's containers. Its image is kept
  // between runs (scikit-learn and pandas take minutes to install); makeDockerCodeEnv rebuilds it
  // only when the code env or its base changed.
  await removeCodeEnvContainers(docker, CODE_ENV);
  await new ImageBuilder(docker).buildBase({ extraTags: [BASE_TAG] });
  configDir = await makeDockerCodeEnv({
    codeEnv: CODE_ENV,
    language: 'python',
    apt: ML_APT_PACKAGES,
    execConfig: EXEC_CONFIG,
    baseImage: BASE_TAG,
  });
  gw = await startTestGateway({ configDir });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await gw?.stop();
  await removeCodeEnvContainers(docker, CODE_ENV);
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
}, 60_000);

test(
  'a notebook run with a parameter runs in the container, reads its input and brings its output back',
  async () => {
    const { record, entries } = await runInDocker({
      kind: 'notebook',
      notebookName: 'sum.ipynb',
      notebook: notebook([
        cell('factor = 1\nlabel = "local"', ['parameters']),
        cell(
          'import json, os\nnumbers = [int(n) for n in open("data/numbers.txt").read().split()]\ntotal = sum(numbers) * factor\nprint(f"{label}: total={total}")',
        ),
        cell(
          'print("uid", os.getuid(), "dockerenv", os.path.exists("/.dockerenv"), "pid1", open("/proc/1/cmdline").read().split("\\0")[0])',
        ),
        cell(
          'os.makedirs("out", exist_ok=True)\nwith open("out/result.json", "w") as f:\n    json.dump({"label": label, "total": total, "count": len(numbers)}, f)',
        ),
      ]),
      parameters: { factor: 3, label: 'docker' },
      inputs: [{ path: 'data/numbers.txt', content: base64('1 2 3 4 5\n6 7 8 9 10\n') }],
      outputs: ['out/*.json'],
    });
    expect(record.failure).toBeUndefined();
    expect(record.status).toBe('succeeded');
    expect(record).toMatchObject({
      kernelName: KERNEL,
      execConfig: EXEC_CONFIG,
      codeEnv: CODE_ENV,
      parameters: { factor: 3, label: 'docker' },
    });

    const output = await outputNotebook(gateway(), record.id);
    expect(output.cells.map((c) => c['metadata'].tags ?? [])).toEqual([['parameters'], ['injected-parameters'], [], [], []]);
    expect(output.cells[1]!['source']).toContain('factor = 3');
    // 55 · 3: the injected parameters, not the defaults, did the sum.
    expect(output.cells[2]!['outputs']).toEqual([{ output_type: 'stream', name: 'stdout', text: 'docker: total=165\n' }]);
    // The kernel runs as the image's user 1000, in a Docker container whose PID 1 is the image's tini.
    expect(output.cells[3]!['outputs'][0].text).toBe('uid 1000 dockerenv True pid1 /usr/bin/tini\n');
    expect(streamText(entries, 'stdout')).toContain('docker: total=165\n');

    const artifacts = (await (await gateway().api(`api/berth/runs/${record.id}/artifacts`)).json()) as { artifacts: { path: string }[] };
    expect(artifacts.artifacts.map((a) => a.path)).toEqual(['files/out/result.json', 'output.ipynb']);
    expect(JSON.parse(await artifactText(gateway(), record.id, 'files/out/result.json'))).toEqual({
      label: 'docker',
      total: 165,
      count: 10,
    });
  },
  RUN_TIMEOUT_MS,
);

test(
  'nothing is shared with the run container: only the read-only connection file is mounted, inputs travel through the kernel',
  async () => {
    const server = gateway();
    const secret = `secret-${Math.random().toString(36).slice(2)}\n`;
    const submitted = await submitRun(server, {
      kind: 'notebook',
      codeEnv: CODE_ENV,
      execConfig: EXEC_CONFIG,
      notebook: notebook([
        cell('host_data_dir = ""', ['parameters']),
        cell(
          'import os, time\nprint("input staged", open("data/secret.txt").read().strip() != "", flush=True)\n' +
            'print("host data dir visible", os.path.exists(host_data_dir), flush=True)\ntime.sleep(6)',
        ),
        cell('print(sorted(os.listdir("/tmp/berth-kernel")))'),
      ]),
      parameters: { host_data_dir: server.dataDir },
      inputs: [{ path: 'data/secret.txt', content: base64(secret) }],
    });
    const following = followRun(server, submitted.id);
    try {
      // While the cell sleeps: the run has its kernel, its working directory and its input.
      const log = await waitFor('the input to be staged in the kernel', async () => {
        const text = await (await server.api(`api/berth/runs/${submitted.id}/logs`)).text();
        return text.includes('input staged True') ? text : undefined;
      });
      const running = (await (await server.api(`api/berth/runs/${submitted.id}`)).json()) as RunRecord;
      expect(running.status).toBe('running');
      const kernelId = running.kernelId!;
      kernelIds.push(kernelId);
      const workdir = /working directory (\/\S+)/.exec(log)?.[1];
      expect(workdir).toMatch(/^\/tmp\/berth-run-/);

      const containers = await kernelContainers(kernelId);
      expect(containers).toHaveLength(1);
      expect(containers[0]!.State).toBe('running');
      expect(containers[0]!.Labels).toMatchObject({
        'berth.io/managed-by': 'berth',
        'berth.io/kernel-id': kernelId,
        'berth.io/code-env': CODE_ENV,
        'berth.io/exec-config': EXEC_CONFIG,
      });
      const info = await docker.getContainer(containers[0]!.Id).inspect();
      // The one mount: the kernel's connection file (on a local daemon it is bind-mounted read-only
      // from the gateway's 0700 runtime dir), a file, never a folder. No volume, no bind, no tmpfs else.
      const connectionFile = join(server.dataDir, 'runtime', `container-${kernelId}.json`);
      expect(info.HostConfig.Binds ?? []).toEqual([]);
      expect(info.HostConfig.Mounts).toEqual([{ Type: 'bind', Source: connectionFile, Target: CONNECTION_FILE, ReadOnly: true }]);
      expect(info.HostConfig.Tmpfs ?? {}).toEqual({});
      expect(info.HostConfig.VolumesFrom ?? []).toEqual([]);
      expect(info.Mounts).toEqual([
        expect.objectContaining({ Type: 'bind', Source: connectionFile, Destination: CONNECTION_FILE, RW: false }),
      ]);
      expect(statSync(connectionFile).isFile()).toBe(true);

      // The gateway keeps the input in its data dir; the container sees neither that file nor any
      // folder of the data dir, and the kernel's working directory is the container's, not the host's.
      const kept = join(server.dataDir, 'runs', submitted.id, 'inputs', 'data', 'secret.txt');
      expect(existsSync(kept)).toBe(true);
      for (const mount of info.Mounts) {
        expect(statSync(mount.Source).isDirectory()).toBe(false);
        expect(mount.Source).not.toBe(kept);
        expect(mount.Source.includes('secret')).toBe(false);
      }
      expect(existsSync(workdir!)).toBe(false);
      expect(existsSync(join(workdir!, 'data', 'secret.txt'))).toBe(false);
    } finally {
      // The run ends on its own once the cell has slept; a failure above must not leave it unawaited.
      await following.catch(() => undefined);
    }
    const { record } = await following;
    expect(record.failure).toBeUndefined();
    expect(record.status).toBe('succeeded');
    const output = await outputNotebook(server, submitted.id);
    expect(output.cells[2]!['outputs'].map((o: { text: string }) => o.text).join('')).toBe(
      'input staged True\nhost data dir visible False\n',
    );
    expect(output.cells[3]!['outputs'][0].text).toBe("['connection.json']\n");
  },
  RUN_TIMEOUT_MS,
);

test(
  'a Python recipe in the container: stdout and stderr in the log, its arguments, and sys.exit(3) fails the run with exit code 3',
  async () => {
    const { record, entries } = await runToEnd(gateway(), {
      kind: 'recipe',
      kernel: KERNEL,
      scriptName: 'job.py',
      script: [
        'import os, sys',
        'print("args", sys.argv[1:])',
        'print("uid", os.getuid(), "pid1", open("/proc/1/cmdline").read().split("\\0")[0])',
        'print("warning: about to exit", file=sys.stderr)',
        'sys.exit(3)',
        'print("never")',
      ].join('\n'),
      args: ['--alpha', '0.5', 'two words'],
    });
    if (record.kernelId !== undefined) kernelIds.push(record.kernelId);
    expect(record).toMatchObject({ status: 'failed', kernelName: KERNEL, execConfig: EXEC_CONFIG, codeEnv: CODE_ENV });
    expect(record.failure).toEqual({ exitCode: 3, message: 'job.py exited with status 3' });
    const stdout = streamText(entries, 'stdout');
    expect(stdout).toContain("args ['--alpha', '0.5', 'two words']\n");
    expect(stdout).toContain('uid 1000 pid1 /usr/bin/tini\n');
    expect(stdout).not.toContain('never');
    expect(streamText(entries, 'stderr')).toContain('warning: about to exit\n');
  },
  RUN_TIMEOUT_MS,
);

test('ML in the container: train a random forest, score new data, evaluate on labelled data; retraining makes version 2', async () => {
  const server = gateway();
  const train = {
    kind: 'ml',
    ml: {
      action: 'train',
      dataset: 'train.csv',
      target: 'y',
      algorithm: 'random_forest',
      params: { n_estimators: 100 },
      modelName: 'docker-rf',
    },
    inputs: [{ path: 'train.csv', content: base64(csv(dataset(300, 1), true)) }],
  };
  const trained = (await runInDocker(train)).record;
  expect(trained.failure).toBeUndefined();
  expect(trained).toMatchObject({ status: 'succeeded', kernelName: KERNEL, codeEnv: CODE_ENV });
  const artifacts = (await (await server.api(`api/berth/runs/${trained.id}/artifacts`)).json()) as {
    artifacts: { path: string; bytes: number }[];
  };
  expect(artifacts.artifacts.map((a) => a.path)).toEqual(['feature_importances.json', 'metrics.json', 'model.json', 'model.pkl']);
  expect(artifacts.artifacts.find((a) => a.path === 'model.pkl')!.bytes).toBeGreaterThan(1000);
  const metrics = JSON.parse(await artifactText(server, trained.id, 'metrics.json')) as {
    task: string;
    accuracy: number;
    evaluatedOn: string;
  };
  expect(metrics).toMatchObject({ task: 'classification', evaluatedOn: 'holdout', trainRows: 240, testRows: 60 });
  expect(metrics.accuracy).toBeGreaterThan(0.8);
  const importances = JSON.parse(await artifactText(server, trained.id, 'feature_importances.json')) as { feature: string }[];
  expect(importances.map((i) => i.feature).sort()).toEqual(['color', 'noise', 'x1', 'x2']);
  expect(importances[0]!.feature).toBe('x1');
  expect(importances.at(-1)!.feature).toBe('noise');
  expect(JSON.parse(await artifactText(server, trained.id, 'model.json'))).toMatchObject({
    modelName: 'docker-rf',
    version: 1,
    estimator: 'RandomForestClassifier',
  });

  // Score: new rows without labels; one prediction per row, in the rows' order.
  const fresh = dataset(50, 2);
  const scored = (
    await runInDocker({
      kind: 'ml',
      ml: { action: 'score', dataset: 'new.csv', model: 'docker-rf' },
      inputs: [{ path: 'new.csv', content: base64(csv(fresh, false)) }],
    })
  ).record;
  expect(scored.failure).toBeUndefined();
  expect(scored.status).toBe('succeeded');
  const predictions = parseCsv(await artifactText(server, scored.id, 'predictions.csv'));
  expect(predictions.header.slice(0, 5)).toEqual(['x1', 'x2', 'color', 'noise', 'prediction']);
  expect(predictions.rows).toHaveLength(fresh.length);
  const predicted = predictions.rows.map((row) => Number(row[predictions.header.indexOf('prediction')]));
  expect(predicted.every((p) => p === 0 || p === 1)).toBe(true);
  expect(predictions.rows.map((row) => row[2])).toEqual(fresh.map((r) => r.color));
  expect(predicted.filter((p, i) => p === fresh[i]!.y).length / fresh.length).toBeGreaterThan(0.8);

  // Evaluate version 1 by name:version on labelled rows it never saw.
  const evaluated = (
    await runInDocker({
      kind: 'ml',
      ml: { action: 'evaluate', dataset: 'labelled.csv', model: 'docker-rf:1' },
      inputs: [{ path: 'labelled.csv', content: base64(csv(dataset(200, 3), true)) }],
    })
  ).record;
  expect(evaluated.failure).toBeUndefined();
  expect(evaluated.status).toBe('succeeded');
  const evaluation = JSON.parse(await artifactText(server, evaluated.id, 'metrics.json')) as { accuracy: number };
  expect(evaluation).toMatchObject({ evaluatedOn: 'dataset', rows: 200, modelName: 'docker-rf', version: 1 });
  expect(evaluation.accuracy).toBeGreaterThan(0.8);

  const retrained = (await runInDocker(train)).record;
  expect(retrained.status).toBe('succeeded');
  expect(JSON.parse(await artifactText(server, retrained.id, 'model.json'))).toMatchObject({ modelName: 'docker-rf', version: 2 });
  const models = ((await (await server.api('api/berth/models')).json()) as { models: { name: string; version: number; runId: string }[] })
    .models;
  expect(models.filter((m) => m.name === 'docker-rf').map((m) => [m.version, m.runId])).toEqual(
    expect.arrayContaining([
      [1, trained.id],
      [2, retrained.id],
    ]),
  );
  expect(models.filter((m) => m.name === 'docker-rf')).toHaveLength(2);
}, 600_000);

test('no container of these runs remains', async () => {
  expect(kernelIds).toHaveLength(7);
  await waitFor(
    'the run kernels to be removed',
    async () => ((await codeEnvContainers(docker, CODE_ENV)).length === 0 ? true : undefined),
    30_000,
  );
  for (const kernelId of kernelIds) expect(await kernelContainers(kernelId)).toEqual([]);
});
