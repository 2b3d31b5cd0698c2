// An R kernel in a Kubernetes pod through a real gateway and the Kubernetes API emulator
// (test/support/kube-emulator), whose kubelet runs the pod's container on the local Docker Engine
// (host network). The R base is built through the CLI (`berth images build-base --with-r`): its R
// layer is named by content hash, so it is the image r-docker-kernel.test.ts uses, built by
// whichever test runs first. On it an R code env with a Debian R package (r-cran-r6, which the R
// base lacks), built by `berth images build-code-env` and named in the exec config's registry.
// The kernel is started, driven, interrupted and shut down through the gateway's API and kernel
// WebSocket. scripts/test.mjs starts the daemon and makes the OS image first. The code env's
// image, its registry name and the test's base tag are removed afterwards; the shared R layer
// (berth/base-r:<hash>) and base (berth/base:<hash>) stay as caches.
import { rmSync } from 'node:fs';
import Dockerode from 'dockerode';
import type { CoreV1Api } from '@kubernetes/client-node';
import { buildRBase, removeCodeEnvArtifacts } from '../../support/docker-code-env';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { KernelSocket } from '../../support/kernel-socket';
import { makeKubeCodeEnv, removeRegistryNames } from '../../support/kube-code-env';
import { start as startEmulator, type KubeEmulator } from '../../support/kube-emulator';
import { coreApi, kernelObjects, kernelPods, TEST_TIMINGS } from '../../support/kube-kernels';
import { removeImageNames } from '../../support/test-images';

const BASE_TAG = 'berth-test/k8s-r-kernel-base:latest';
const CODE_ENV = 'berth-test-k8s-r';
const EXEC_CONFIG = 'berth-test-k8s-r-exec';
const KERNEL = `${CODE_ENV}--${EXEC_CONFIG}`;
/** A registry name only this test uses: nothing is pulled from it, the emulator finds its images on the local daemon. */
const REGISTRY = 'registry.berth.test/k8s-r-kernel';
const NS = 'berth-r-kernels';
/** The limits (from the exec config's resources: 1 CPU, 512m) and the smaller requests its kubernetes block sets. */
const LIMITS = { cpu: '1', memory: '512Mi' };
const REQUESTS = { cpu: '250m', memory: '256Mi' };
const MEMORY_LIMIT_BYTES = 512 * 1024 ** 2;
/** The R layer (apt r-base-core, IRkernel) and the code env's apt step on a cold machine: minutes. */
const SETUP_TIMEOUT_MS = 900_000;
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });

let kube: KubeEmulator | undefined;
let core: CoreV1Api;
let configDir: string | undefined;
/** The code env's image as the exec config's registry names it. */
let image: string;
let gw: TestGateway | undefined;

interface KernelModel {
  id: string;
  name: string;
  execution_state: string;
}

function gateway(): TestGateway {
  if (gw === undefined) throw new Error('the test gateway did not start');
  return gw;
}

async function startKernel(): Promise<KernelModel> {
  const started = await gateway().api('api/kernels', { method: 'POST', body: JSON.stringify({ name: KERNEL }) });
  expect(started.status).toBe(201);
  const kernel = (await started.json()) as KernelModel;
  expect(kernel).toMatchObject({ name: KERNEL, execution_state: 'idle' });
  return kernel;
}

/** Shuts the kernel down through the API: the gateway answers once it deleted the pod and its Secret. */
async function shutDown(kernelId: string): Promise<void> {
  expect((await gateway().api(`api/kernels/${kernelId}`, { method: 'DELETE' })).status).toBe(204);
  expect(await kernelObjects(core, NS, `berth.io/kernel-id=${kernelId}`)).toEqual([]);
}

beforeAll(async () => {
  // What a run that crashed before its cleanup left: the code env's images (and their registry names).
  await removeCodeEnvArtifacts(docker, CODE_ENV);
  kube = await startEmulator({ timings: TEST_TIMINGS });
  core = coreApi(kube);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await buildRBase(BASE_TAG);
  const codeEnv = await makeKubeCodeEnv(docker, kube, {
    codeEnv: CODE_ENV,
    language: 'r',
    apt: ['r-cran-r6'],
    execConfig: EXEC_CONFIG,
    baseImage: BASE_TAG,
    namespace: NS,
    registry: REGISTRY,
    resources: { cpus: 1, memory: '512m' },
    kubernetes: { requests: REQUESTS },
  });
  configDir = codeEnv.configDir;
  image = codeEnv.image;
  gw = await startTestGateway({ configDir });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await gw?.stop();
  await kube?.stop();
  await removeRegistryNames(docker, REGISTRY, CODE_ENV);
  await removeCodeEnvArtifacts(docker, CODE_ENV);
  await removeImageNames(docker, BASE_TAG);
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
}, 60_000);

test('an R code env kernel runs in a pod with the requested resources, answers as IRkernel, runs R within its limits, and leaves no pod or Secret', async () => {
  const spec = await gateway().api(`api/kernelspecs/${KERNEL}`);
  expect(spec.status).toBe(200);
  expect(await spec.json()).toMatchObject({
    name: KERNEL,
    spec: {
      language: 'R',
      interrupt_mode: 'message',
      metadata: { berth: { codeEnv: CODE_ENV, executionConfig: EXEC_CONFIG, backend: 'kubernetes' } },
    },
  });

  const kernel = await startKernel();
  const pods = await kernelPods(core, NS, kernel.id);
  expect(pods).toHaveLength(1);
  const pod = pods[0]!;
  expect(pod.metadata?.labels).toMatchObject({ 'berth.io/code-env': CODE_ENV, 'berth.io/exec-config': EXEC_CONFIG });
  const container = pod.spec!.containers[0]!;
  expect(container.image).toBe(image);
  expect(container.resources).toEqual({ limits: LIMITS, requests: REQUESTS });
  expect(container.env).toContainEqual({ name: 'BERTH_KERNEL_LANGUAGE', value: 'r' });
  expect(pod.status?.phase).toBe('Running');
  expect(pod.status?.qosClass).toBe('Burstable');

  const socket = await KernelSocket.open(gateway().wsUrl, gateway().token, kernel.id);
  try {
    const infoRequest = socket.send('shell', 'kernel_info_request', {});
    const info = await socket.waitFor(
      (m) => m.channel === 'shell' && m.header.msg_type === 'kernel_info_reply' && m.parent_header.msg_id === infoRequest,
      'kernel_info_reply',
    );
    expect(info.content).toMatchObject({ status: 'ok', implementation: 'IRkernel', language_info: { name: 'R' } });

    // Started by the emulator's kubelet (the cluster's service variables, the pod's IP from the
    // downward API), as the image's user, in a container with the pod's limits on its cgroup.
    const inside = await socket.execute(
      [
        'first <- function(...) { path <- Filter(file.exists, c(...))[1]; strsplit(trimws(readLines(path, warn = FALSE)[1]), " ")[[1]] }',
        'memory <- first("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")',
        'quota <- as.numeric(first("/sys/fs/cgroup/cpu.max", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")[1])',
        'period <- as.numeric(tail(first("/sys/fs/cgroup/cpu.max", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"), 1))',
        'cat(Sys.getenv("KUBERNETES_SERVICE_PORT"), Sys.getenv("BERTH_KERNEL_IP"), system("id -u", intern = TRUE), memory, quota / period)',
      ].join('\n'),
    );
    expect(inside.reply.content.status).toBe('ok');
    expect(inside.stdout).toBe(`${new URL(kube!.url).port} 127.0.0.1 1000 ${MEMORY_LIMIT_BYTES} 1`);

    // R6 comes from the code env's apt packages (the R base has none of it).
    const r6 = await socket.execute(
      'library(R6); Greeter <- R6Class("Greeter", public = list(hi = function() "hi from a pod")); cat(Greeter$new()$hi())',
    );
    expect(r6.reply.content.status).toBe('ok');
    expect(r6.stdout).toBe('hi from a pod');
  } finally {
    await socket.close();
  }

  await shutDown(kernel.id);
}, 120_000);

test('an R kernel in a pod is interrupted by message: Sys.sleep(60) stops and the kernel stays usable', async () => {
  const kernel = await startKernel();
  const socket = await KernelSocket.open(gateway().wsUrl, gateway().token, kernel.id);
  try {
    const sleeping = socket.sendExecute('cat("sleeping\\n")\nSys.sleep(60)\ncat("woke\\n")', { stopOnError: false });
    await socket.waitFor(
      (m) => m.header.msg_type === 'stream' && m.parent_header.msg_id === sleeping && String(m.content.text).includes('sleeping'),
      'the sleeping line',
    );
    const interrupt = await gateway().api(`api/kernels/${kernel.id}/interrupt`, { method: 'POST' });
    expect({ status: interrupt.status, body: interrupt.status === 204 ? '' : await interrupt.text() }).toEqual({ status: 204, body: '' });
    const interrupted = await socket.outcome(sleeping);
    // IRkernel answers an interrupted execution with status "abort"; the sleep never finished.
    expect(interrupted.reply.content.status).toBe('abort');
    expect(interrupted.stdout).toBe('sleeping\n');

    const after = await socket.execute('cat(2 + 2)');
    expect(after.reply.content.status).toBe('ok');
    expect(after.stdout).toBe('4');
  } finally {
    await socket.close();
    await shutDown(kernel.id);
  }
}, 120_000);
