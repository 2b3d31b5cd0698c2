// The Kubernetes API emulator (test/support/kube-emulator), driven only through
// @kubernetes/client-node as a product would drive a cluster: kubeconfig, CoreV1Api, Watch, Log.
// Pods run on the local Docker Engine from the OS image `node scripts/ensure-docker.mjs` makes
// (nothing can be pulled here); every container the emulator starts is removed by stop().
import { PassThrough } from 'node:stream';
import Dockerode from 'dockerode';
import * as k8s from '@kubernetes/client-node';
import type { CoreV1Api, KubeConfig, CoreV1Event, V1Pod, V1Status } from '@kubernetes/client-node';
import { start, type KubeEmulator } from '../support/kube-emulator';

const IMAGE = 'berth/os-bookworm:latest';
const NS = 'emu-test';
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });

let kube: KubeEmulator;
let kc: KubeConfig;
let core: CoreV1Api;

interface WatchEvent<T> {
  type: string;
  object: T;
}

/** Events of one watch, kept in order, with a way to wait for the one that matches. */
class WatchLog<T> {
  readonly events: WatchEvent<T>[] = [];
  private wake: (() => void) | undefined;
  controller: AbortController | undefined;
  ended: unknown = 'open';

  push(type: string, object: T): void {
    this.events.push({ type, object });
    this.wake?.();
  }

  async until(match: (e: WatchEvent<T>) => boolean, what: string, timeoutMs = 20_000): Promise<WatchEvent<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; saw ${this.events.map((e) => e.type).join(' ')}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  stop(): void {
    this.controller?.abort();
  }
}

async function watch<T>(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<WatchLog<T>> {
  const log = new WatchLog<T>();
  log.controller = await new k8s.Watch(kc).watch(
    path,
    query,
    (type, object) => log.push(type, object as T),
    (err) => {
      log.ended = err;
    },
  );
  return log;
}

/** The Status body of a refused call (client-node 1.x: ApiException with the raw body as a string). */
async function refusal(call: Promise<unknown>): Promise<{ code: number; status: V1Status }> {
  const err = await call.then(
    () => {
      throw new Error('the call succeeded');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof k8s.ApiException)) throw err;
  const body = err.body as string | undefined;
  return { code: err.code, status: (body ? JSON.parse(body) : {}) as V1Status };
}

function podPhase(e: WatchEvent<V1Pod>): string | undefined {
  return e.object.status?.phase;
}

function named(name: string): (e: WatchEvent<V1Pod>) => boolean {
  return (e) => e.object.metadata?.name === name;
}

async function podEvents(name: string): Promise<CoreV1Event[]> {
  const list = await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${name}` });
  return list.items;
}

async function waitForEvent(name: string, reason: string, timeoutMs = 20_000): Promise<CoreV1Event> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await podEvents(name)).find((e) => e.reason === reason);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${reason} event for ${name}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function shPod(name: string, script: string, extra: Partial<V1Pod['spec']> = {}, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, labels },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script] }],
      ...extra,
    },
  };
}

async function dockerContainersOf(name: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`kube-emulator.test/pod=${NS}/${name}`] }) });
}

/** Resolves once `check` holds (polling), false after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

beforeAll(async () => {
  kube = await start({
    timings: { restartBackoffMs: 300, imagePullBackoffMs: 300, podSyncMs: 100, mountRetryMs: 100, bookmarkIntervalMs: 300 },
  });
  kc = new k8s.KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
});

afterAll(async () => {
  await kube?.stop();
  if (kube !== undefined) {
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ label: ['kube-emulator.test/pod'] }) });
    expect(left.filter((c) => c.Labels['kube-emulator.test/owner-pid'] === String(process.pid))).toEqual([]);
  }
});

test('kubeconfig: the named context over HTTPS with the CA, bearer token; a bad token is 401', async () => {
  expect(kc.getCurrentContext()).toBe(kube.context);
  expect(kc.getCurrentCluster()?.server).toBe(kube.url);
  expect(kube.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const bad = new k8s.KubeConfig();
  bad.loadFromOptions({
    clusters: [{ name: 'c', server: kube.url, caFile: kube.caPath }],
    users: [{ name: 'u', token: 'not-the-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const { code } = await refusal(bad.makeApiClient(k8s.CoreV1Api).listNamespace());
  expect(code).toBe(401);
  const w = await new Promise<unknown>((resolve) => {
    void new k8s.Watch(bad).watch('/api/v1/namespaces', {}, () => undefined, resolve);
  });
  expect((w as { statusCode?: number }).statusCode).toBe(401);
});

test('namespaces: create, get, list; 409 AlreadyExists and 422 Invalid as Status objects', async () => {
  const ns = await core.readNamespace({ name: NS });
  expect(ns.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
  expect(ns.metadata?.creationTimestamp).toBeInstanceOf(Date);
  expect(ns.metadata?.labels).toEqual({ 'kubernetes.io/metadata.name': NS });
  expect(ns.status?.phase).toBe('Active');
  const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
  expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', NS]));

  const dup = await refusal(core.createNamespace({ body: { metadata: { name: NS } } }));
  expect(dup.code).toBe(409);
  expect(dup.status).toMatchObject({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    reason: 'AlreadyExists',
    message: `namespaces "${NS}" already exists`,
    details: { name: NS, kind: 'namespaces' },
    code: 409,
  });
  const bad = await refusal(core.createNamespace({ body: { metadata: { name: 'Bad_Name' } } }));
  expect(bad.code).toBe(422);
  expect(bad.status.reason).toBe('Invalid');
  expect(bad.status.message).toMatch(
    /^Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label/,
  );
  expect(bad.status.details?.causes).toEqual([expect.objectContaining({ reason: 'FieldValueInvalid', field: 'metadata.name' })]);
});

test('a pod goes Pending → Running → Succeeded, with its secret volume, secret env, user, limits and log', async () => {
  const pods = await watch<V1Pod>(`/api/v1/namespaces/${NS}/pods`);
  const script = [
    'echo hello; id -u; id -G; pwd; stat -c %a /etc/kernel/conn/connection.json',
    'cat /etc/kernel/conn/connection.json; echo',
    'echo "key=$KERNEL_KEY pod=$POD_NAME greeting=$GREETING"; echo bye',
  ].join('; ');
  const pod = await core.createNamespacedPod({
    namespace: NS,
    body: shPod('lifecycle', script, {
      securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000 },
      volumes: [
        {
          name: 'conn',
          secret: { secretName: 'lifecycle-conn', items: [{ key: 'connection.json', path: 'conn/connection.json', mode: 0o400 }] },
        },
      ],
      containers: [
        {
          name: 'main',
          image: IMAGE,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', script],
          workingDir: '/tmp',
          env: [
            { name: 'KERNEL_KEY', valueFrom: { secretKeyRef: { name: 'lifecycle-conn', key: 'key' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'GREETING', value: 'hi-$(POD_NAME)' },
          ],
          volumeMounts: [{ name: 'conn', mountPath: '/etc/kernel' }],
          resources: { limits: { cpu: '500m', memory: '256Mi' } },
        },
      ],
    }),
  });
  expect(pod.status?.phase).toBe('Pending');
  expect(pod.status?.qosClass).toBe('Guaranteed');
  expect(pod.spec?.containers[0].resources?.requests).toEqual({ cpu: '500m', memory: '256Mi' });
  expect(pod.metadata?.resourceVersion).toMatch(/^\d+$/);
  // The product's order: the pod first, then its connection secret owned by it.
  const secret = await core.createNamespacedSecret({
    namespace: NS,
    body: {
      metadata: {
        name: 'lifecycle-conn',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'lifecycle', uid: pod.metadata!.uid!, controller: true }],
      },
      stringData: { 'connection.json': '{"shell_port": 1}', key: 's3cr3t' },
    },
  });
  expect(secret.type).toBe('Opaque');
  expect(secret.data).toEqual({
    'connection.json': Buffer.from('{"shell_port": 1}').toString('base64'),
    key: Buffer.from('s3cr3t').toString('base64'),
  });

  await pods.until((e) => named('lifecycle')(e) && e.object.spec?.nodeName === kube.nodeName, 'scheduled');
  const running = await pods.until((e) => named('lifecycle')(e) && podPhase(e) === 'Running', 'Running');
  const status = running.object.status!;
  expect(status.podIP).toBe('127.0.0.1');
  expect(status.hostIP).toBe('127.0.0.1');
  const cs = status.containerStatuses![0];
  expect(cs).toMatchObject({ name: 'main', ready: true, started: true, restartCount: 0, image: IMAGE });
  expect(cs.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
  // As the kubelet reports it: docker-pullable://repo@sha256:… once the image has a registry digest.
  expect(cs.imageID).toMatch(/^(docker:\/\/sha256:|docker-pullable:\/\/.+@sha256:)/);
  expect(cs.state?.running?.startedAt).toBeDefined();
  expect(Object.fromEntries(status.conditions!.map((c) => [c.type, c.status]))).toEqual({
    PodReadyToStartContainers: 'True',
    Initialized: 'True',
    Ready: 'True',
    ContainersReady: 'True',
    PodScheduled: 'True',
  });
  const [container] = await dockerContainersOf('lifecycle');
  const inspect = await docker.getContainer(container.Id).inspect();
  expect(inspect.HostConfig).toMatchObject({ NetworkMode: 'host', NanoCpus: 500_000_000, Memory: 256 * 1024 * 1024 });
  expect(inspect.Config.User).toBe('1000:1000');

  const done = await pods.until((e) => named('lifecycle')(e) && podPhase(e) === 'Succeeded', 'Succeeded');
  const terminated = done.object.status!.containerStatuses![0].state!.terminated!;
  expect(terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  expect(done.object.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  pods.stop();

  const log = await core.readNamespacedPodLog({ name: 'lifecycle', namespace: NS });
  expect(log).toBe('hello\n1000\n1000 2000\n/tmp\n440\n{"shell_port": 1}\nkey=s3cr3t pod=lifecycle greeting=hi-lifecycle\nbye\n');
  expect(await core.readNamespacedPodLog({ name: 'lifecycle', namespace: NS, tailLines: 1 })).toBe('bye\n');
  expect(await core.readNamespacedPodLog({ name: 'lifecycle', namespace: NS, limitBytes: 5 })).toBe('hello');
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => out.on('end', r));
  await new k8s.Log(kc).log(NS, 'lifecycle', 'main', out, { tailLines: 2 });
  await ended;
  expect(Buffer.concat(chunks).toString()).toBe('key=s3cr3t pod=lifecycle greeting=hi-lifecycle\nbye\n');

  const reasons = (await podEvents('lifecycle')).map((e) => e.reason);
  expect(reasons).toEqual(expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']));
  const scheduled = (await podEvents('lifecycle')).find((e) => e.reason === 'Scheduled')!;
  expect(scheduled).toMatchObject({
    type: 'Normal',
    message: `Successfully assigned ${NS}/lifecycle to ${kube.nodeName}`,
    reportingComponent: 'default-scheduler',
  });
  const started = (await podEvents('lifecycle')).find((e) => e.reason === 'Started')!;
  expect(started).toMatchObject({ message: 'Started container main', source: { component: 'kubelet', host: kube.nodeName } });
  expect(started.involvedObject).toMatchObject({
    kind: 'Pod',
    name: 'lifecycle',
    uid: pod.metadata!.uid,
    fieldPath: 'spec.containers{main}',
  });
  expect((await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.uid=${pod.metadata!.uid}` })).items.length).toBe(
    reasons.length,
  );

  // Deleting the pod garbage-collects the secret it owns.
  await core.deleteNamespacedPod({ name: 'lifecycle', namespace: NS });
  const secretGone = async (): Promise<boolean> =>
    (await refusal(core.readNamespacedSecret({ name: 'lifecycle-conn', namespace: NS })).catch(() => ({ code: 200 }))).code === 404;
  expect(await eventually(secretGone)).toBe(true);
  expect(await eventually(async () => (await dockerContainersOf('lifecycle')).length === 0)).toBe(true);
});

test('list with label and field selectors, limit/continue; watch from a resourceVersion with bookmarks', async () => {
  const before = await core.listNamespacedPod({ namespace: NS });
  const rv = before.metadata!.resourceVersion!;
  // Bound to another node, these pods never run: cheap objects for the selectors.
  const off = (name: string, labels: Record<string, string>): Promise<V1Pod> =>
    core.createNamespacedPod({ namespace: NS, body: shPod(name, 'true', { nodeName: 'elsewhere' }, labels) });
  await off('sel-a', { app: 'sel', tier: 'a' });
  await off('sel-b', { app: 'sel', tier: 'b' });
  await off('sel-none', { app: 'sel' });
  await off('other', { app: 'other' });
  // Only this test's pods: an earlier test's pod may still be terminating (graceful delete) in the namespace.
  const names = async (labelSelector?: string, fieldSelector?: string): Promise<string[]> =>
    (await core.listNamespacedPod({ namespace: NS, labelSelector, fieldSelector })).items
      .map((p) => p.metadata!.name!)
      .filter((name) => name.startsWith('sel-') || name === 'other');
  expect(await names('app=sel')).toEqual(['sel-a', 'sel-b', 'sel-none']);
  expect(await names('app=sel,tier')).toEqual(['sel-a', 'sel-b']);
  expect(await names('app=sel,tier!=a')).toEqual(['sel-b', 'sel-none']);
  expect(await names('app==sel,!tier')).toEqual(['sel-none']);
  expect(await names('tier in (a, b)')).toEqual(['sel-a', 'sel-b']);
  expect(await names('app notin (sel)')).toEqual(['other']);
  expect(await names('app=sel', 'metadata.name=sel-b')).toEqual(['sel-b']);
  expect(await names(undefined, 'spec.nodeName=elsewhere,metadata.name!=other')).toEqual(['sel-a', 'sel-b', 'sel-none']);
  const badLabel = await refusal(core.listNamespacedPod({ namespace: NS, labelSelector: 'app=a b' }));
  expect(badLabel.status).toMatchObject({ reason: 'BadRequest', code: 400 });
  expect(badLabel.status.message).toMatch(/^unable to parse requirement: /);
  const badField = await refusal(core.listNamespacedPod({ namespace: NS, fieldSelector: 'spec.nope=1' }));
  expect(badField.status).toMatchObject({ reason: 'BadRequest', message: 'field label not supported: spec.nope', code: 400 });

  const page1 = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=sel', limit: 2 });
  expect(page1.items.map((p) => p.metadata!.name)).toEqual(['sel-a', 'sel-b']);
  expect(page1.metadata?.remainingItemCount).toBe(1);
  const page2 = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=sel', limit: 2, _continue: page1.metadata!._continue });
  expect(page2.items.map((p) => p.metadata!.name)).toEqual(['sel-none']);
  expect(page2.metadata?._continue).toBeUndefined();

  const replay = await watch<V1Pod>(`/api/v1/namespaces/${NS}/pods`, {
    resourceVersion: rv,
    allowWatchBookmarks: true,
    labelSelector: 'app=sel',
  });
  await replay.until((e) => e.type === 'BOOKMARK', 'a bookmark');
  expect(replay.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata!.name)).toEqual(['sel-a', 'sel-b', 'sel-none']);
  const bookmark = replay.events.find((e) => e.type === 'BOOKMARK')!;
  expect(bookmark.object).toMatchObject({ kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
  for (const name of ['sel-a', 'sel-b', 'sel-none', 'other'])
    await core.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 0 });
  await replay.until((e) => e.type === 'DELETED' && e.object.metadata?.name === 'sel-none', 'DELETED sel-none');
  expect(replay.events.some((e) => e.object.metadata?.name === 'other')).toBe(false);
  replay.stop();
});

test('deleting a running pod: Killing, docker stop with the grace period, final status, DELETED', async () => {
  const pods = await watch<V1Pod>(`/api/v1/namespaces/${NS}/pods`, { fieldSelector: 'metadata.name=doomed' });
  await core.createNamespacedPod({ namespace: NS, body: shPod('doomed', "trap 'echo term; exit 0' TERM; echo ready; sleep 300 & wait") });
  await pods.until((e) => podPhase(e) === 'Running', 'Running');
  // Running means the process started; the trap is set once it says so.
  expect(await eventually(async () => (await core.readNamespacedPodLog({ name: 'doomed', namespace: NS })) === 'ready\n')).toBe(true);
  const deleted = await core.deleteNamespacedPod({ name: 'doomed', namespace: NS, gracePeriodSeconds: 5 });
  expect(deleted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
  expect(deleted.metadata?.deletionGracePeriodSeconds).toBe(5);
  const gone = await pods.until((e) => e.type === 'DELETED', 'DELETED');
  expect(gone.object.status?.phase).toBe('Succeeded');
  expect(gone.object.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  const killing = await waitForEvent('doomed', 'Killing');
  expect(killing).toMatchObject({ type: 'Normal', message: 'Stopping container main' });
  pods.stop();
  expect((await refusal(core.readNamespacedPod({ name: 'doomed', namespace: NS }))).code).toBe(404);
  expect(await eventually(async () => (await dockerContainersOf('doomed')).length === 0)).toBe(true);
});

test('restartPolicy Always: CrashLoopBackOff with lastState, BackOff events and the previous log', async () => {
  const pods = await watch<V1Pod>(`/api/v1/namespaces/${NS}/pods`, { fieldSelector: 'metadata.name=crashy' });
  await core.createNamespacedPod({ namespace: NS, body: shPod('crashy', 'echo crash; exit 3', { restartPolicy: 'Always' }) });
  const looping = await pods.until(
    (e) => e.object.status?.containerStatuses?.[0].state?.waiting?.reason === 'CrashLoopBackOff',
    'CrashLoopBackOff',
  );
  const cs = looping.object.status!.containerStatuses![0];
  expect(looping.object.status?.phase).toBe('Running');
  expect(cs.restartCount).toBeGreaterThanOrEqual(1);
  expect(cs.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  expect(cs.state?.waiting?.message).toMatch(/^back-off \d+ms restarting failed container=main pod=crashy_emu-test\(/);
  const backOff = await waitForEvent('crashy', 'BackOff');
  expect(backOff).toMatchObject({
    type: 'Warning',
    message: expect.stringMatching(/^Back-off restarting failed container main in pod crashy_emu-test\(/),
  });
  expect(await core.readNamespacedPodLog({ name: 'crashy', namespace: NS, previous: true })).toBe('crash\n');
  await core.deleteNamespacedPod({ name: 'crashy', namespace: NS, gracePeriodSeconds: 0 });
  await pods.until((e) => e.type === 'DELETED', 'DELETED');
  pods.stop();
});

test('switches: pull failure, missing image, unschedulable, insufficient GPU, OOM kill', async () => {
  const pods = await watch<V1Pod>(`/api/v1/namespaces/${NS}/pods`, { labelSelector: 'switch' });
  const waitingReason = (name: string, reason: string) => (e: WatchEvent<V1Pod>) =>
    named(name)(e) && e.object.status?.containerStatuses?.[0].state?.waiting?.reason === reason;
  const create = (name: string, spec: Partial<V1Pod['spec']>, image = IMAGE, script = 'sleep 30'): Promise<V1Pod> => {
    const body = shPod(name, script, spec, { switch: name });
    body.spec!.containers[0].image = image;
    return core.createNamespacedPod({ namespace: NS, body });
  };

  const privateImage = 'registry.example.com/team/kernel:1.0';
  kube.switches.pullFails(
    privateImage,
    'pull access denied for registry.example.com/team/kernel, repository does not exist or may require authorization',
  );
  await create('pull-denied', {}, privateImage);
  await create('no-image', {}, 'berth-test/never-built:1');
  const denied = await pods.until(waitingReason('pull-denied', 'ErrImagePull'), 'ErrImagePull');
  expect(denied.object.status?.containerStatuses?.[0].state?.waiting?.message).toBe(
    'pull access denied for registry.example.com/team/kernel, repository does not exist or may require authorization',
  );
  const backoff = await pods.until(waitingReason('pull-denied', 'ImagePullBackOff'), 'ImagePullBackOff');
  expect(backoff.object.status?.containerStatuses?.[0].state?.waiting?.message).toMatch(
    /^Back-off pulling image "registry.example.com\/team\/kernel:1.0": ErrImagePull: pull access denied/,
  );
  expect(backoff.object.status?.phase).toBe('Pending');
  const failed = (await podEvents('pull-denied')).filter((e) => e.reason === 'Failed').map((e) => e.message);
  expect(failed).toEqual(
    expect.arrayContaining([
      `Failed to pull image "${privateImage}": pull access denied for registry.example.com/team/kernel, repository does not exist or may require authorization`,
      'Error: ErrImagePull',
    ]),
  );
  const missing = await pods.until(waitingReason('no-image', 'ErrImagePull'), 'ErrImagePull (missing image)');
  expect(missing.object.status?.containerStatuses?.[0].state?.waiting?.message).toBe(
    'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/berth-test/never-built:1": failed to resolve reference "docker.io/berth-test/never-built:1": docker.io/berth-test/never-built:1: not found',
  );
  const logRefusal = await refusal(core.readNamespacedPodLog({ name: 'no-image', namespace: NS }));
  expect(logRefusal.code).toBe(400);
  expect(logRefusal.status.message).toMatch(
    /^container "main" in pod "no-image" is waiting to start: (image can't be pulled|trying and failing to pull image)$/,
  );

  kube.switches.unschedulable('0/1 nodes are available: 1 Insufficient nvidia.com/gpu.');
  await create('unschedulable', {}, IMAGE, 'true');
  const pending = await pods.until(
    (e) =>
      named('unschedulable')(e) &&
      e.object.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') === true,
    'Unschedulable',
  );
  expect(pending.object.status?.phase).toBe('Pending');
  expect(pending.object.status?.conditions).toEqual([
    expect.objectContaining({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.',
    }),
  ]);
  expect(await waitForEvent('unschedulable', 'FailedScheduling')).toMatchObject({
    type: 'Warning',
    message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.',
  });
  kube.switches.reset();
  await pods.until((e) => named('unschedulable')(e) && podPhase(e) === 'Succeeded', 'the pod scheduled once the switch is reset');

  const gpuPod = shPod('gpu', 'true', {}, { switch: 'gpu' });
  gpuPod.spec!.containers[0].resources = { limits: { 'nvidia.com/gpu': '1' } };
  await core.createNamespacedPod({ namespace: NS, body: gpuPod });
  const gpu = await waitForEvent('gpu', 'FailedScheduling');
  expect(gpu.message).toBe(
    '0/1 nodes are available: 1 Insufficient nvidia.com/gpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
  );

  kube.switches.oomNext(200);
  await create('oom', {});
  const oom = await pods.until((e) => named('oom')(e) && podPhase(e) === 'Failed', 'OOMKilled');
  expect(oom.object.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });

  for (const name of ['pull-denied', 'no-image', 'unschedulable', 'gpu', 'oom']) await core.deleteNamespacedPod({ name, namespace: NS });
  pods.stop();
});

test('quota refusal: 403 Forbidden with the admission messages; status.used', async () => {
  await core.createNamespace({ body: { metadata: { name: 'emu-quota' } } });
  kube.switches.quota('emu-quota', { 'limits.cpu': '1', 'limits.memory': '1Gi', pods: '5' });
  const quota = await core.readNamespacedResourceQuota({ name: 'kube-emulator-quota', namespace: 'emu-quota' });
  expect(quota.status).toEqual({
    hard: { 'limits.cpu': '1', 'limits.memory': '1Gi', pods: '5' },
    used: { 'limits.cpu': '0', 'limits.memory': '0', pods: '0' },
  });
  const big = shPod('big', 'true');
  big.spec!.containers[0].resources = { limits: { cpu: '500m', memory: '2Gi' } };
  const refused = await refusal(core.createNamespacedPod({ namespace: 'emu-quota', body: big }));
  expect(refused.code).toBe(403);
  expect(refused.status).toMatchObject({
    reason: 'Forbidden',
    message:
      'pods "big" is forbidden: exceeded quota: kube-emulator-quota, requested: limits.memory=2Gi, used: limits.memory=0, limited: limits.memory=1Gi',
    details: { name: 'big', kind: 'pods' },
  });
  const unbounded = await refusal(core.createNamespacedPod({ namespace: 'emu-quota', body: shPod('unbounded', 'true') }));
  expect(unbounded.status.message).toBe(
    'pods "unbounded" is forbidden: failed quota: kube-emulator-quota: must specify limits.cpu for: main; limits.memory for: main',
  );
  await core.deleteNamespace({ name: 'emu-quota' });
});

test('Status errors: 404 NotFound, 409 AlreadyExists, 422 Invalid with causes, 400 bad quantity, unknown path 404', async () => {
  const missing = await refusal(core.readNamespacedPod({ name: 'nope', namespace: NS }));
  expect(missing).toEqual({
    code: 404,
    status: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' },
      code: 404,
    },
  });
  expect((await refusal(core.readNamespacedPod({ name: 'x', namespace: 'no-such-ns' }))).status.message).toBe('pods "x" not found');
  expect((await refusal(core.createNamespacedPod({ namespace: 'no-such-ns', body: shPod('x', 'true') }))).status.message).toBe(
    'namespaces "no-such-ns" not found',
  );

  await core.createNamespacedPod({ namespace: NS, body: shPod('twice', 'true', { nodeName: 'elsewhere' }) });
  const twice = await refusal(core.createNamespacedPod({ namespace: NS, body: shPod('twice', 'true', { nodeName: 'elsewhere' }) }));
  expect(twice.status).toMatchObject({ reason: 'AlreadyExists', message: 'pods "twice" already exists', code: 409 });
  await core.deleteNamespacedPod({ name: 'twice', namespace: NS, gracePeriodSeconds: 0 });

  const invalid = await refusal(
    core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'Bad.Pod_' },
        spec: {
          restartPolicy: 'Sometimes',
          containers: [
            { name: 'main', image: '' },
            { name: 'main', image: 'x' },
          ],
        },
      },
    }),
  );
  expect(invalid.code).toBe(422);
  expect(invalid.status.message).toMatch(
    /^Pod "Bad.Pod_" is invalid: \[metadata.name: Invalid value: "Bad.Pod_": a lowercase RFC 1123 subdomain/,
  );
  expect(invalid.status.details?.causes?.map((c) => [c.reason, c.field])).toEqual([
    ['FieldValueInvalid', 'metadata.name'],
    ['FieldValueRequired', 'spec.containers[0].image'],
    ['FieldValueDuplicate', 'spec.containers[1].name'],
    ['FieldValueNotSupported', 'spec.restartPolicy'],
  ]);
  expect(invalid.status.details?.causes?.[3].message).toBe(
    'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  );
  const noContainers = await refusal(
    core.createNamespacedPod({ namespace: NS, body: { metadata: { generateName: 'empty-' }, spec: { containers: [] } } }),
  );
  expect(noContainers.status.message).toMatch(/^Pod "empty-[a-z0-9]{5}" is invalid: spec.containers: Required value$/);

  const quantity = shPod('badq', 'true');
  quantity.spec!.containers[0].resources = { limits: { memory: '1GB' } };
  const badQuantity = await refusal(core.createNamespacedPod({ namespace: NS, body: quantity }));
  expect(badQuantity.status).toMatchObject({
    reason: 'BadRequest',
    code: 400,
    message: `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
  });
  const requests = shPod('overcommit', 'true');
  requests.spec!.containers[0].resources = { requests: { cpu: '2' }, limits: { cpu: '1' } };
  const overcommit = await refusal(core.createNamespacedPod({ namespace: NS, body: requests }));
  expect(overcommit.status.message).toBe(
    'Pod "overcommit" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
  );

  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const unknown = await refusal(custom.listClusterCustomObject({ group: 'nope.example.com', version: 'v1', plural: 'things' }));
  expect(unknown.status).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource', code: 404 });
});
