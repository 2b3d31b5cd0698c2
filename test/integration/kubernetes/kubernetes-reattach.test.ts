// A gateway process (`berth serve`) killed with SIGKILL while two kernels run in pods on the
// Kubernetes emulator: the pods keep running, and the next gateway on the same data dir reattaches
// to both (same ids, same pods, variables kept), removes a kernel pod of its own that no record
// knows (with its connection Secret), and leaves a pod of another gateway alone. The code env image
// is the provisioner contract's Python one (shared, keyed by content hash, kept as a cache).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreV1Api, V1Pod, V1Secret } from '@kubernetes/client-node';
import Dockerode from 'dockerode';
import { MANAGED_BY_VALUE } from '../../../gateway/src/common/labels';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import {
  CONNECTION_KEY,
  POD_ANNOTATIONS,
  POD_LABELS,
  connectionSecretName,
  kernelPodName,
} from '../../../gateway/src/provisioners/kubernetes/pod-spec';
import { startCliGateway, stopCliGateway, type CliGateway } from '../../support/cli-gateway';
import { executeOnce } from '../../support/kernel-socket';
import { makeKubeCodeEnv } from '../../support/kube-code-env';
import { start as startEmulator, type KubeEmulator } from '../../support/kube-emulator';
import { coreApi, gatewaySelector, kernelObjects, kernelPods, TEST_TIMINGS } from '../../support/kube-kernels';
import { CONTRACT_CODE_ENVS } from '../../support/provisioner-contract';
import { removeImageNames } from '../../support/test-images';

const EXEC_CONFIG = 'berth-test-k8s-reattach';
const NAMESPACE = 'berth-reattach';
/** A registry name only this file uses: nothing is pulled from it, the emulator finds its images on the local daemon. */
const REGISTRY = 'registry.berth.test/k8s-reattach';
const CODE_ENV = CONTRACT_CODE_ENVS.working;
const KERNEL = `${CODE_ENV}--${EXEC_CONFIG}`;
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
const dataDir = mkdtempSync(join(tmpdir(), 'berth-k8s-reattach-'));
const token = `reattach-${randomUUID()}`;
const gateways: CliGateway[] = [];
let kube: KubeEmulator | undefined;
let core: CoreV1Api;
let configDir: string | undefined;
let registryImage: string | undefined;

async function startGateway(): Promise<CliGateway> {
  const gateway = await startCliGateway({ dataDir, token, args: ['--config-dir', configDir!] });
  gateways.push(gateway);
  return gateway;
}

async function execute(gateway: CliGateway, kernelId: string, code: string): Promise<string | undefined> {
  return (await executeOnce(gateway.wsUrl, token, kernelId, code)).result;
}

/** The labels and annotations Berth puts on a kernel pod of gateway `gatewayId` (see pod-spec.ts). */
function kernelMetadata(gatewayId: string, kernelId: string): Pick<NonNullable<V1Pod['metadata']>, 'labels' | 'annotations'> {
  return {
    labels: {
      [POD_LABELS.managedBy]: MANAGED_BY_VALUE,
      [POD_LABELS.gatewayId]: gatewayId,
      [POD_LABELS.kernelId]: kernelId,
      [POD_LABELS.execConfig]: EXEC_CONFIG,
      [POD_LABELS.codeEnv]: CODE_ENV,
      [POD_LABELS.owner]: 'default',
    },
    annotations: { [POD_ANNOTATIONS.kernelId]: kernelId, [POD_ANNOTATIONS.owner]: 'default' },
  };
}

/** A pod labelled as a kernel pod of gateway `gatewayId`, running a sleep. */
function strayPod(name: string, gatewayId: string, kernelId: string): V1Pod {
  return {
    metadata: { name, ...kernelMetadata(gatewayId, kernelId) },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'kernel', image: 'berth/os-bookworm:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '300'] }],
    },
  };
}

/** The connection Secret of a stray pod, not owned by it (so only the gateway can remove it with the pod). */
function straySecret(podName: string, gatewayId: string, kernelId: string): V1Secret {
  return {
    metadata: { name: connectionSecretName(podName), labels: kernelMetadata(gatewayId, kernelId).labels },
    type: 'Opaque',
    data: { [CONNECTION_KEY]: Buffer.from('{}').toString('base64') },
  };
}

async function names(kind: 'pods' | 'secrets'): Promise<string[]> {
  const selector = { namespace: NAMESPACE, labelSelector: `${POD_LABELS.managedBy}=${MANAGED_BY_VALUE}` };
  const items = kind === 'pods' ? (await core.listNamespacedPod(selector)).items : (await core.listNamespacedSecret(selector)).items;
  return items.map((item) => item.metadata!.name!).sort();
}

beforeAll(async () => {
  kube = await startEmulator({ timings: TEST_TIMINGS });
  core = coreApi(kube);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const base = await new ImageBuilder(docker).buildBase();
  const made = await makeKubeCodeEnv(docker, kube, {
    codeEnv: CODE_ENV,
    language: 'python',
    execConfig: EXEC_CONFIG,
    baseImage: base.ref,
    namespace: NAMESPACE,
    registry: REGISTRY,
  });
  configDir = made.configDir;
  registryImage = made.image;
}, 600_000);

afterAll(async () => {
  for (const gateway of gateways) await stopCliGateway(gateway, 'SIGKILL');
  // The emulator removes its pods' containers when it stops.
  await kube?.stop();
  if (registryImage !== undefined) await removeImageNames(docker, registryImage);
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

test('after SIGKILL the next gateway reattaches to both kernel pods with their state, removes its own unknown pod, and leaves another gateway’s', async () => {
  const first = await startGateway();
  const ids: string[] = [];
  for (const value of [41, 99]) {
    const response = await first.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: KERNEL }) });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    ids.push(id);
    expect(await execute(first, id, `kept = ${value} + 1; kept`)).toBe(String(value + 1));
  }
  const podsBefore = await Promise.all(ids.map((id) => kernelPods(core, NAMESPACE, id)));
  expect(podsBefore.map((pods) => pods.length)).toEqual([1, 1]);
  const kernelPodNames = podsBefore.map((pods) => pods[0]!.metadata!.name!);
  const uids = podsBefore.map((pods) => pods[0]!.metadata!.uid);

  expect(await stopCliGateway(first, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  // The pods run on without the gateway.
  for (const [i, id] of ids.entries()) {
    const pods = await kernelPods(core, NAMESPACE, id);
    expect(pods.map((pod) => [pod.metadata?.uid, pod.status?.phase])).toEqual([[uids[i], 'Running']]);
  }

  // What a gateway killed between creating a pod and recording its kernel leaves: a pod (and its
  // Secret) with its labels and no record; and a kernel pod of another gateway in the same namespace.
  const gatewayId = readFileSync(join(dataDir, 'gateway-id'), 'utf8').trim();
  const orphanKernel = randomUUID();
  const orphan = kernelPodName(orphanKernel, 'orphan');
  await core.createNamespacedPod({ namespace: NAMESPACE, body: strayPod(orphan, gatewayId, orphanKernel) });
  await core.createNamespacedSecret({ namespace: NAMESPACE, body: straySecret(orphan, gatewayId, orphanKernel) });
  // One killed between creating a kernel's Secret and its pod: a Secret of its own that no pod owns.
  const unbornKernel = randomUUID();
  const unborn = kernelPodName(unbornKernel, 'unborn');
  await core.createNamespacedSecret({ namespace: NAMESPACE, body: straySecret(unborn, gatewayId, unbornKernel) });
  const foreignGateway = randomUUID();
  const foreignKernel = randomUUID();
  const foreign = kernelPodName(foreignKernel, 'foreign');
  await core.createNamespacedPod({ namespace: NAMESPACE, body: strayPod(foreign, foreignGateway, foreignKernel) });
  await core.createNamespacedSecret({ namespace: NAMESPACE, body: straySecret(foreign, foreignGateway, foreignKernel) });
  expect(await names('pods')).toEqual([...kernelPodNames, orphan, foreign].sort());
  expect(await names('secrets')).toEqual(
    expect.arrayContaining([connectionSecretName(orphan), connectionSecretName(unborn), connectionSecretName(foreign)]),
  );

  // The next gateway reattaches and reaps before it listens.
  const second = await startGateway();
  const listed = (await (await second.api('api/kernels')).json()) as { id: string }[];
  expect(listed.map((kernel) => kernel.id).sort()).toEqual([...ids].sort());
  expect(await execute(second, ids[0]!, 'kept')).toBe('42');
  expect(await execute(second, ids[1]!, 'kept')).toBe('100');
  for (const [i, id] of ids.entries()) {
    expect((await kernelPods(core, NAMESPACE, id)).map((pod) => pod.metadata?.uid)).toEqual([uids[i]]);
  }
  expect(await names('pods')).toEqual([...kernelPodNames, foreign].sort());
  expect(await names('secrets')).not.toContain(connectionSecretName(orphan));
  expect(await names('secrets')).not.toContain(connectionSecretName(unborn));
  expect(await names('secrets')).toContain(connectionSecretName(foreign));
  // The kernels' own Secrets were made their pods' when they started.
  for (const name of kernelPodNames) {
    const secret = await core.readNamespacedSecret({ namespace: NAMESPACE, name: connectionSecretName(name) });
    expect(secret.metadata?.ownerReferences?.map((owner) => [owner.kind, owner.name])).toEqual([['Pod', name]]);
  }

  for (const id of ids) expect((await second.api(`api/kernels/${id}`, { method: 'DELETE' })).status).toBe(204);
  expect(await kernelObjects(core, NAMESPACE, gatewaySelector(gatewayId))).toEqual([]);
  expect(await names('pods')).toEqual([foreign]);
}, 240_000);
