// Kernels in Kubernetes pods through a real gateway and the Kubernetes API emulator
// (test/support/kube-emulator), whose kubelet runs the pods on the local Docker Engine: a code
// env's image built by `berth images` and named in the exec config's registry (tagged locally:
// the emulator's "registry" is the local daemon), the pod spec as configured, execute, interrupt
// by message, restart in a new pod, shutdown leaving no pod or Secret, each failure the cluster can
// report turned into an error naming its reason within seconds. Reattach after the gateway process
// is killed, with orphan reaping: kubernetes-reattach.test.ts. scripts/test.mjs starts the daemon
// and makes the OS image first.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import type { CoreV1Api, V1Pod, V1Secret } from '@kubernetes/client-node';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import { buildCodeEnvImage, makeConfigDir, removeCodeEnvArtifacts } from '../../support/docker-code-env';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { crashAndAwaitRestart, KernelSocket } from '../../support/kernel-socket';
import { kubeExecConfig, tagIntoRegistry } from '../../support/kube-code-env';
import { start as startEmulator, type KubeEmulator } from '../../support/kube-emulator';
import { coreApi, kernelPods as podsOfKernel, TEST_TIMINGS } from '../../support/kube-kernels';
import { removeImageNames } from '../../support/test-images';
import { collectKernelEvents, type KernelEventData } from '../../support/kernel-events';

const BASE_TAG = 'berth-test/k8s-kernels-base:latest';
const CODE_ENV = 'berth-test-k8s';
const NO_R = 'berth-test-k8s-no-r';
const KERNEL = `${CODE_ENV}--k8s-test`;
/** A registry name only this test uses: nothing is pulled from it, the emulator finds its images on the local daemon. */
const REGISTRY = 'registry.berth.test/k8s-kernels';
const NS = 'berth-kernels';
const QUOTA_NS = 'berth-quota';
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });

let kube: KubeEmulator;
let core: CoreV1Api;
let configDir: string;
let gw: TestGateway;
/** The code env's image as the exec config's registry names it. */
let registryRef: string;
const registryTags: string[] = [];

interface KernelModel {
  id: string;
  name: string;
  execution_state: string;
  reason?: string;
}

interface ErrorModel {
  message: string;
  code: string;
  traceback?: string;
  details?: Record<string, unknown>;
}

function start(name: string): Promise<Response> {
  return gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name }) });
}

function kernelPods(kernelId: string, namespace = NS): Promise<V1Pod[]> {
  return podsOfKernel(core, namespace, kernelId);
}

async function kernelSecrets(kernelId: string, namespace = NS): Promise<V1Secret[]> {
  return (await core.listNamespacedSecret({ namespace, labelSelector: `berth.io/kernel-id=${kernelId}` })).items;
}

/** Berth's pods and secrets left in the test's namespaces. */
async function leftovers(): Promise<string[]> {
  const names: string[] = [];
  for (const namespace of [NS, QUOTA_NS]) {
    const selector = { namespace, labelSelector: 'berth.io/managed-by=berth' };
    names.push(...(await core.listNamespacedPod(selector)).items.map((pod) => `pod ${pod.metadata?.name}`));
    names.push(...(await core.listNamespacedSecret(selector)).items.map((secret) => `secret ${secret.metadata?.name}`));
  }
  return names;
}

/** Resolves once `check` holds (deletions finish asynchronously in a cluster), false after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** Reads the kernel's Server-Sent Events (a late subscriber gets the history) until `until` holds. */
async function kernelEvents(kernelId: string, until: (events: KernelEventData[]) => boolean) {
  const controller = new AbortController();
  const response = await gw.api(`api/berth/kernels/${kernelId}/events`, { signal: controller.signal });
  return collectKernelEvents(response, controller, until);
}

function execConfig(namespace: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return kubeExecConfig(kube, {
    baseImage: BASE_TAG,
    namespace,
    registry: REGISTRY,
    resources: { cpus: 1, memory: '256m' },
    kubernetes: {
      labels: { team: 'data' },
      annotations: { 'example.com/cost-centre': '42' },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      ...extra,
    },
  });
}

beforeAll(async () => {
  kube = await startEmulator({ timings: TEST_TIMINGS });
  core = coreApi(kube);
  for (const name of [NS, QUOTA_NS]) await core.createNamespace({ body: { metadata: { name } } });

  configDir = makeConfigDir('berth-k8s-kernels', {
    execConfigs: {
      'k8s-test': execConfig(NS),
      'k8s-always': execConfig(NS, { pullPolicy: 'Always' }),
      'k8s-quota': execConfig(QUOTA_NS),
    },
    codeEnvs: {
      [CODE_ENV]: { language: 'python', packages: { apt: ['python3-six'] }, availableFor: ['k8s-test', 'k8s-always', 'k8s-quota'] },
      // An R code env on a base without R: its container exits at once, with a message in its log.
      [NO_R]: { language: 'r', availableFor: ['k8s-test'] },
    },
  });
  await new ImageBuilder(docker).buildBase({ extraTags: [BASE_TAG] });
  // Named in the test registry, as `berth images build-code-env --push` would put them there.
  for (const codeEnv of [CODE_ENV, NO_R]) {
    registryTags.push(await tagIntoRegistry(docker, REGISTRY, await buildCodeEnvImage(configDir, codeEnv, 'k8s-test')));
  }
  registryRef = registryTags[0]!;
  gw = await startTestGateway({ configDir } as never);
}, 600_000);

afterAll(async () => {
  await gw?.stop();
  await kube?.stop();
  await removeImageNames(docker, ...registryTags);
  for (const codeEnv of [CODE_ENV, NO_R]) await removeCodeEnvArtifacts(docker, codeEnv);
  await removeImageNames(docker, BASE_TAG);
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
});

test('a code-env kernel runs in a pod as configured, answers, interrupts by message, restarts in a new pod, and leaves no pod or Secret', async () => {
  const started = await start(KERNEL);
  expect(started.status).toBe(201);
  const kernel = (await started.json()) as KernelModel;
  expect(kernel.execution_state).toBe('idle');

  const events = await kernelEvents(kernel.id, (all) => all.some((e) => e.type === 'ready'));
  expect(events.map((e) => e.stage ?? e.type)).toEqual([
    'launching',
    'allocating-ports',
    'scheduling',
    'starting-container',
    'waiting-for-kernel',
    'ready',
  ]);
  // Each names the kernelspec, so a client that asked for a start knows its kernel before it knows the id.
  expect(new Set(events.map((e) => e.name))).toEqual(new Set([KERNEL]));

  const [pod, ...others] = await kernelPods(kernel.id);
  expect(others).toEqual([]);
  expect(pod!.metadata?.labels).toEqual({
    team: 'data',
    'berth.io/managed-by': 'berth',
    'berth.io/gateway-id': readFileSync(join(gw.dataDir, 'gateway-id'), 'utf8').trim(),
    'berth.io/kernel-id': kernel.id,
    'berth.io/exec-config': 'k8s-test',
    'berth.io/code-env': CODE_ENV,
    'berth.io/owner': 'default',
  });
  expect(pod!.metadata?.annotations).toMatchObject({ 'example.com/cost-centre': '42', 'berth.io/kernel-id': kernel.id });
  expect(pod!.spec?.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
  const container = pod!.spec!.containers[0]!;
  expect(container.image).toBe(registryRef);
  expect(container.image).toMatch(new RegExp(`^${REGISTRY}/berth/codeenv-${CODE_ENV}:[0-9a-f]{12}$`));
  expect(container.resources).toEqual({ limits: { cpu: '1', memory: '256Mi' }, requests: { cpu: '1', memory: '256Mi' } });
  expect(pod!.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  expect(container.securityContext?.capabilities?.drop).toEqual(['ALL']);
  expect(pod!.status?.qosClass).toBe('Guaranteed');
  // The connection (with its key) is in a Secret the pod owns, never in the pod.
  const [secret] = await kernelSecrets(kernel.id);
  expect(secret?.metadata?.ownerReferences).toEqual([
    expect.objectContaining({ kind: 'Pod', name: pod!.metadata?.name, uid: pod!.metadata?.uid }),
  ]);
  const connection = JSON.parse(Buffer.from(secret!.data!['connection.json']!, 'base64').toString('utf8')) as {
    key: string;
    shell_port: number;
  };
  expect(connection.key).toMatch(/^[0-9a-f-]{36}$/);
  expect(JSON.stringify(pod)).not.toContain(connection.key);
  expect(container.ports?.find((port) => port.name === 'shell')?.containerPort).toBe(connection.shell_port);

  const metrics = await (await gw.api('metrics')).text();
  expect(metrics).toContain('berth_kernels{state="idle",exec_config="k8s-test",backend="kubernetes"} 1');

  const socket = await KernelSocket.open(gw.wsUrl, gw.token, kernel.id);
  try {
    // The code env's package is there; the kernel runs as the image's user and bound to its pod's address.
    const inside = await socket.execute('import os, six; print(os.getuid(), os.environ["BERTH_KERNEL_IP"])');
    expect(inside.reply.content.status).toBe('ok');
    expect(inside.stdout).toBe('1000 127.0.0.1\n');

    const sleeping = socket.sendExecute('import time; time.sleep(120)', { stopOnError: false });
    await socket.waitFor(
      (m) => m.header.msg_type === 'status' && m.parent_header.msg_id === sleeping && m.content.execution_state === 'busy',
      'busy',
    );
    expect((await gw.api(`api/kernels/${kernel.id}/interrupt`, { method: 'POST' })).status).toBe(204);
    const interrupted = await socket.outcome(sleeping);
    expect(interrupted.reply.content.ename).toBe('KeyboardInterrupt');

    expect((await gw.api(`api/kernels/${kernel.id}/restart`, { method: 'POST' })).status).toBe(200);
    const after = await kernelPods(kernel.id);
    expect(after.map((p) => p.metadata?.name)).not.toContain(pod!.metadata?.name);
    expect(after.filter((p) => p.metadata?.deletionTimestamp === undefined)).toHaveLength(1);
    expect((await socket.execute('1 + 1')).result).toBe('2');
  } finally {
    await socket.close();
  }

  expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  expect(await eventually(async () => (await kernelPods(kernel.id)).length === 0)).toBe(true);
  expect(await kernelSecrets(kernel.id)).toEqual([]);
}, 180_000);

test('each failure the cluster reports fails the start within 10 s with the cluster’s reason, leaving nothing behind', async () => {
  const failing = async (name: string): Promise<{ status: number; body: ErrorModel; ms: number }> => {
    const t0 = Date.now();
    const response = await start(name);
    return { status: response.status, body: (await response.json()) as ErrorModel, ms: Date.now() - t0 };
  };

  kube.switches.pullFails(registryRef);
  const pull = await failing(`${CODE_ENV}--k8s-always`);
  expect(pull.status).toBe(500);
  expect(pull.body.message).toContain('ErrImagePull');
  expect(pull.body.message).toContain(registryRef);
  expect(pull.body.message).toContain('pull access denied');
  expect(pull.body.message).toContain('--exec-config k8s-always --push');
  expect(pull.ms).toBeLessThan(10_000);

  const scheduler = '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.';
  kube.switches.unschedulable(scheduler);
  const unschedulable = await failing(KERNEL);
  expect(unschedulable.status).toBe(503);
  expect(unschedulable.body.message).toContain('Unschedulable');
  expect(unschedulable.body.message).toContain(scheduler);
  expect(unschedulable.ms).toBeLessThan(10_000);
  kube.switches.reset();

  kube.switches.oomNext(0);
  const oom = await failing(KERNEL);
  expect(oom.status).toBe(500);
  expect(oom.body.message).toContain('OOMKilled');
  expect(oom.ms).toBeLessThan(10_000);

  const crash = await failing(`${NO_R}--k8s-test`);
  expect(crash.status).toBe(500);
  expect(crash.body.message).toMatch(/exited with code 64/);
  expect(crash.body.traceback).toContain('R is not installed in this image');
  expect(crash.ms).toBeLessThan(10_000);

  kube.switches.quota(QUOTA_NS, { 'limits.memory': '100Mi' });
  const quota = await failing(`${CODE_ENV}--k8s-quota`);
  expect(quota.status).toBe(429);
  expect(quota.body.code).toBe('quota-exceeded');
  expect(quota.body.message).toContain('exceeded quota: kube-emulator-quota');
  expect(quota.body.message).toContain('limits.memory=256Mi');
  expect(quota.ms).toBeLessThan(10_000);

  await eventually(async () => (await leftovers()).length === 0);
  expect(await leftovers()).toEqual([]);
  expect((await gw.api('api/status')).status).toBe(200);
}, 120_000);

test('a kernel whose pod dies is restarted in a new pod; one past its memory limit stays dead with reason OOMKilled', async () => {
  const kernel = (await (await start(KERNEL)).json()) as KernelModel;
  const [before] = await kernelPods(kernel.id);
  const socket = await KernelSocket.open(gw.wsUrl, gw.token, kernel.id);
  try {
    await crashAndAwaitRestart(socket);
    expect((await socket.execute('1 + 1')).result).toBe('2');
    const after = (await kernelPods(kernel.id)).filter((p) => p.metadata?.deletionTimestamp === undefined);
    expect(after.map((p) => p.metadata?.name)).not.toContain(before!.metadata?.name);
    expect(after).toHaveLength(1);

    socket.sendExecute('block = bytearray(1024 * 1024 * 1024)', { stopOnError: false });
    await socket.waitFor((m) => m.header.msg_type === 'status' && m.content.execution_state === 'dead', 'dead status');
  } finally {
    await socket.close();
  }
  const model = (await (await gw.api(`api/kernels/${kernel.id}`)).json()) as KernelModel;
  expect(model.execution_state).toBe('dead');
  expect(model.reason).toMatch(/OOMKilled: it used more memory than its limit \(256Mi\)/);
  expect(await eventually(async () => (await kernelPods(kernel.id)).length === 0)).toBe(true);
  expect((await gw.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
}, 120_000);
