// Pod kernels for `npm run bench` (its k8s-* sections), on the Kubernetes API emulator of the
// tests (test/support/kube-emulator: an HTTPS API server and a kubelet that runs each pod as a
// container on the local Docker Engine, host network):
//
//   setup    what the docker sections use (the daemon, the base image tagged BASE_TAG, the code env
//            without packages and its image from `berth images build-code-env`), the emulator in a
//            process of its own (kube-emulator-process.mjs), namespace NAMESPACE, and a config dir
//            with one Kubernetes exec config on it; the code-env image is tagged with the exec
//            config's registry name (the emulator's "registry" is the local daemon, as in the tests)
//   floor    the same image as a pod made directly through @kubernetes/client-node with what a pod
//            kernel needs and nothing of Berth's: its connection JSON in a Secret, mounted as the
//            file the image's entrypoint reads, and its bind address from the downward API; pod
//            created → container running followed with a watch; then FloorKernel's ZeroMQ client
//            on the pod's address
//   stages   where Berth's pod starts spend their time, from the gateway's debug log
//   cleanup  every pod and Secret of the namespace, the emulator (whose kubelet removes every
//            container it started), the registry tag; the code-env image and BASE_TAG go as for the
//            docker sections (docker-kernels.mjs cleanupDocker)
//
// The floor creates the Secret first, then the pod, so the kubelet finds the Secret when it first
// mounts the pod's volumes. Berth creates the pod first: the Secret is owned by the pod (its
// ownerReference needs the pod's uid) so that Kubernetes deletes the two together.
//
// The emulator is TypeScript and node 20 runs no TypeScript. The bench does what jest does for the
// tests (ts-jest with isolatedModules: TypeScript's transpileModule file by file, no type check,
// test/tsconfig.json's options) with the repository's own typescript, into the run's temp dir,
// where a node_modules link to the repository's lets its requires resolve: no build output in the
// repository, nothing to install, about a second (most of it loading typescript).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import {
  BASE_TAG,
  CODE_ENV,
  buildCodeEnvImage,
  launchStages as stagesFromLog,
  newDocker,
  prepareBaseImage,
  writeCodeEnv,
} from './docker-kernels.mjs';
import { FloorKernel } from './floor-kernel.mjs';
import { median, round, since } from './stats.mjs';

const require = createRequire(import.meta.url);
const { newConnection } = require('../../gateway/dist/provisioners/local/connection-file.js');
const { nameInRegistry } = require('../../gateway/dist/images/image-names.js');

const HERE = dirname(fileURLToPath(import.meta.url));
export const EXEC_CONFIG = 'bench-k8s';
/** The kernelspec the gateway offers for the pair: `<code-env>--<exec-config>`. */
export const KERNEL_NAME = `${CODE_ENV}--${EXEC_CONFIG}`;
/** The namespace of every pod the bench starts, its own and the gateway's. */
export const NAMESPACE = 'berth-bench';
/** A registry name nothing is pulled from: the emulator's kubelet finds the image on the local daemon. */
export const REGISTRY = 'registry.bench.test/berth-bench';
const FLOOR_LABELS = { 'berth.io/test': 'bench-k8s' };
/**
 * The CPU request of every pod, the floor's and Berth's. A pod without one is BestEffort, whose
 * container the emulator's kubelet runs with cpu.shares 2 on this host, next to the gateway and the
 * bench at 1024 (on a real node the gateway is not among the kernel's neighbours): the kernel would
 * then wait whenever the gateway works. 500m gives it shares 512 and lets the node's 2 CPUs hold
 * the three pods the execute phase runs at once.
 */
const CPU_REQUEST = '500m';
/** Where the floor pod mounts its connection Secret (any path does: the entrypoint is told by BERTH_CONNECTION_FILE). */
const FLOOR_CONNECTION_DIR = '/tmp/kernel-connection';
const FLOOR_CONNECTION_KEY = 'connection.json';
/** Kubelet container states that mean the container will not run without someone changing something. */
const WAITING_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);
/** The emulator's label on every Docker container its kubelet makes, with the emulator's pid. */
const EMULATOR_OWNER_LABEL = 'kube-emulator.test/owner-pid';

/**
 * Transpiles test/support/kube-emulator into `outDir`/kube-emulator with the options jest uses
 * (test/tsconfig.json, as ts-jest's isolatedModules does) and links `outDir`/node_modules to the
 * repository's. Resolves with the directory holding index.js.
 */
export function transpileEmulator(repo, outDir) {
  const ts = createRequire(join(repo, 'package.json'))('typescript');
  const tsconfigPath = join(repo, 'test', 'tsconfig.json');
  const read = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  if (read.error) throw new Error(`${tsconfigPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  const { options } = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(tsconfigPath));
  const compilerOptions = { ...options, noEmit: false, declaration: false, sourceMap: false, inlineSourceMap: false };
  const source = join(repo, 'test', 'support', 'kube-emulator');
  const target = join(outDir, 'kube-emulator');
  const files = typescriptFiles(source);
  for (const file of files) {
    const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions,
      reportDiagnostics: true,
    });
    if (diagnostics.length > 0) {
      throw new Error(`${file}: ${diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`);
    }
    const output = join(target, relative(source, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, outputText);
  }
  symlinkSync(join(repo, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  return { dir: target, files: files.length };
}

function typescriptFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typescriptFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** kube-emulator-process.mjs as a child process: resolves once its API server answers. */
class EmulatorProcess {
  static async start(compiledDir) {
    // Its own process group: a Ctrl-C of the bench must not stop the cluster before the gateway has deleted its pods.
    const child = spawn(process.execPath, [join(HERE, 'kube-emulator-process.mjs'), compiledDir], {
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true,
    });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const info = await new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error('the Kubernetes emulator did not start within 60 s')), 60_000);
      child.stdout.on('data', (chunk) => {
        seen += chunk.toString('utf8');
        const newline = seen.indexOf('\n');
        if (newline < 0) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(seen.slice(0, newline)));
        } catch (error) {
          reject(new Error(`the Kubernetes emulator printed ${JSON.stringify(seen.slice(0, 200))}: ${error.message}`));
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`the Kubernetes emulator exited during start (${signal ?? code})`));
      });
    }).catch(async (error) => {
      child.kill('SIGKILL');
      await exited;
      throw error;
    });
    return new EmulatorProcess(child, exited, info);
  }

  constructor(child, exited, info) {
    this.child = child;
    this.pid = child.pid;
    this.exited = exited;
    this.kubeconfigPath = info.kubeconfigPath;
    this.context = info.context;
    this.url = info.url;
  }

  /** SIGTERM: the emulator removes its containers and files and exits; SIGKILL after `graceMs`. */
  async stop(graceMs = 60_000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

/** The status of a pod's first container, as the kubelet last wrote it. */
function containerState(pod) {
  return pod?.status?.containerStatuses?.[0]?.state ?? {};
}

/**
 * One pod followed with a watch from the resourceVersion its create returned (so no change is
 * missed), standing in for FloorKernel's child process: 'exit' once its container has terminated
 * or the pod is gone. `running` resolves with the pod's address when its container runs
 * (`runningAt` is the performance.now() of that event), and rejects if it ends or fails first.
 */
class PodWatch extends EventEmitter {
  exitCode = null;
  signalCode = null;
  runningAt = undefined;
  #controller;
  #stopped = false;
  #settleRunning;
  #resolveGone;

  static async open(watcher, pod) {
    const follower = new PodWatch(pod);
    follower.#controller = await watcher.watch(
      `/api/v1/namespaces/${NAMESPACE}/pods`,
      { fieldSelector: `metadata.name=${pod.metadata.name}`, resourceVersion: pod.metadata.resourceVersion },
      (type, object) => follower.#onEvent(type, object),
      (error) => follower.#onEnd(error),
    );
    if (follower.#stopped) follower.#controller.abort();
    return follower;
  }

  constructor(pod) {
    super();
    this.name = pod.metadata.name;
    this.pid = `pod ${this.name}`;
    this.running = new Promise((resolve, reject) => {
      this.#settleRunning = (error, podIP) => {
        this.#settleRunning = () => undefined;
        if (error) reject(error);
        else resolve(podIP);
      };
    });
    this.running.catch(() => undefined);
    this.gone = new Promise((resolve) => (this.#resolveGone = resolve));
  }

  #onEvent(type, pod) {
    if (type === 'BOOKMARK') return;
    if (type === 'ERROR') {
      this.#onEnd(new Error(`the watch of pod ${this.name} failed: ${pod?.message ?? JSON.stringify(pod)}`));
      return;
    }
    if (type === 'DELETED') {
      this.#settleRunning(new Error(`pod ${this.name} was deleted before its container ran`));
      this.#exit(-1);
      this.#resolveGone();
      return;
    }
    const state = containerState(pod);
    if (state.running && this.runningAt === undefined) {
      this.runningAt = performance.now();
      this.#settleRunning(undefined, pod.status.podIP);
    } else if (state.terminated) {
      const { exitCode, reason, message } = state.terminated;
      this.#settleRunning(
        new Error(`the container of pod ${this.name} ended (${reason}, exit code ${exitCode}) before it ran: ${message ?? ''}`),
      );
      this.#exit(exitCode);
    } else if (WAITING_FAILURES.has(state.waiting?.reason)) {
      this.#settleRunning(
        new Error(`the container of pod ${this.name} cannot start: ${state.waiting.reason}: ${state.waiting.message ?? ''}`),
      );
    }
  }

  /** The watch ended (stopped, or the API server went away): nothing more will be heard of the pod. */
  #onEnd(error) {
    if (!this.#stopped) this.#settleRunning(error ?? new Error(`the watch of pod ${this.name} ended`));
    this.#exit(-1);
    this.#resolveGone();
  }

  #exit(code) {
    if (this.exitCode !== null) return;
    this.exitCode = code;
    this.emit('exit', code, null);
  }

  stop() {
    this.#stopped = true;
    this.#controller?.abort();
  }
}

/** The floor for pod kernels: FloorKernel's ZeroMQ client on a kernel in a pod made directly through the API. */
export class PodFloorKernel extends FloorKernel {
  /**
   * Ports, the connection Secret, the pod; then its watch until the container runs. The caller
   * times this together with the first kernel_info, as for the other floors.
   */
  static async launch({ core, watcher, image, ports }) {
    const began = performance.now();
    const name = `berth-bench-floor-${randomBytes(4).toString('hex')}`;
    const secretName = `${name}-connection`;
    // Every interface in the file; the entrypoint binds the pod's address (BERTH_KERNEL_IP) instead.
    const connection = newConnection('0.0.0.0', await ports.allocate(5), 'python3');
    const portsMs = since(began);
    await core.createNamespacedSecret({ namespace: NAMESPACE, body: floorSecret(secretName, connection) });
    const secretMs = since(began) - portsMs;
    const removeAll = () => removeFloorObjects(core, name, secretName);
    let pod;
    try {
      pod = await core.createNamespacedPod({ namespace: NAMESPACE, body: floorPod(name, secretName, image) });
    } catch (error) {
      await removeAll();
      throw error;
    }
    const createdAt = performance.now();
    const createMs = since(began) - portsMs - secretMs;
    let follower;
    let podIP;
    try {
      follower = await PodWatch.open(watcher, pod);
      podIP = await withTimeout(follower.running, 120_000, `pod ${name} did not run within 120 s`);
    } catch (error) {
      follower?.stop();
      await removeAll();
      throw error;
    }
    const stages = { portsMs, secretMs, createMs, runningMs: follower.runningAt - createdAt };
    return new PodFloorKernel({ ...connection, ip: podIP }, { core, name, secretName, follower }, stages);
  }

  constructor(connection, pod, stages) {
    super(connection, pod.follower, []);
    this.pod = pod;
    this.stages = stages;
  }

  /** As a SIGKILL: the pod deleted without grace (the kernel's exit then comes from the watch). */
  kill() {
    this.pod.core.deleteNamespacedPod({ namespace: NAMESPACE, name: this.pod.name, gracePeriodSeconds: 0 }).catch(() => undefined);
  }

  /** shutdown_request as for a local kernel (deletion without grace if it lingers), then the pod and Secret are deleted, the pod waited for. */
  async shutdown(graceMs) {
    await super.shutdown(graceMs);
    await removeFloorObjects(this.pod.core, this.pod.name, this.pod.secretName);
    await withTimeout(this.pod.follower.gone, 30_000, `pod ${this.pod.name} was not gone 30 s after its deletion`).finally(() =>
      this.pod.follower.stop(),
    );
  }
}

function floorSecret(name, connection) {
  return {
    metadata: { name, labels: FLOOR_LABELS },
    type: 'Opaque',
    immutable: true,
    data: { [FLOOR_CONNECTION_KEY]: Buffer.from(JSON.stringify(connection)).toString('base64') },
  };
}

/** A pod that runs the image's kernel entrypoint on the mounted connection file, as its user (the image's, 1000). */
function floorPod(name, secretName, image) {
  return {
    metadata: { name, labels: FLOOR_LABELS },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // Secret files belong to root: the fsGroup makes the connection file readable by the kernel's group.
      securityContext: { fsGroup: 1000 },
      containers: [
        {
          name: 'kernel',
          image,
          imagePullPolicy: 'IfNotPresent',
          env: [
            { name: 'BERTH_CONNECTION_FILE', value: `${FLOOR_CONNECTION_DIR}/${FLOOR_CONNECTION_KEY}` },
            { name: 'BERTH_KERNEL_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          resources: { requests: { cpu: CPU_REQUEST } },
          volumeMounts: [{ name: 'connection', mountPath: FLOOR_CONNECTION_DIR, readOnly: true }],
        },
      ],
      volumes: [{ name: 'connection', secret: { secretName, defaultMode: 0o400 } }],
    },
  };
}

const ignoreNotFound = (error) => {
  if (error?.code !== 404) throw error;
};

async function removeFloorObjects(core, name, secretName) {
  await Promise.all([
    core.deleteNamespacedPod({ namespace: NAMESPACE, name, gracePeriodSeconds: 0 }).catch(ignoreNotFound),
    core.deleteNamespacedSecret({ namespace: NAMESPACE, name: secretName }).catch(ignoreNotFound),
  ]);
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * What the k8s-* sections make and remove: the emulator process, a Kubernetes client of it, the
 * config dir and the code-env image under the exec config's registry name. `cleanup` removes
 * whatever `setup` got to make, also after a failure half-way.
 */
export class KubernetesBench {
  emulator;
  core;
  watcher;
  configDir;
  /** The code-env image as pods name it (the registry tag). */
  image;

  constructor({ repo, tmp, progress }) {
    this.repo = repo;
    this.tmp = tmp;
    this.progress = progress;
  }

  async setup() {
    const { repo, tmp, progress } = this;
    const { docker, base, timings } = await prepareBaseImage(progress);

    let began = performance.now();
    const compiled = transpileEmulator(repo, join(tmp, 'kube-emulator-js'));
    timings.transpileEmulatorMs = round(since(began), 0);
    began = performance.now();
    this.emulator = await EmulatorProcess.start(compiled.dir);
    timings.emulatorStartMs = round(since(began), 0);
    progress(
      `  emulator pid ${this.emulator.pid} at ${this.emulator.url} (${compiled.files} files transpiled in ${timings.transpileEmulatorMs} ms)`,
    );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(this.emulator.kubeconfigPath);
    kubeConfig.setCurrentContext(this.emulator.context);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.watcher = new Watch(kubeConfig);
    await this.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });

    this.configDir = join(tmp, 'k8s-config');
    mkdirSync(join(this.configDir, 'execution-configs'), { recursive: true });
    writeFileSync(
      join(this.configDir, 'execution-configs', `${EXEC_CONFIG}.yaml`),
      [
        'displayName: Bench (Kubernetes emulator)',
        'backend: kubernetes',
        `baseImage: ${BASE_TAG}`,
        'kubernetes:',
        `  kubeconfig: ${JSON.stringify(this.emulator.kubeconfigPath)}`,
        `  context: ${JSON.stringify(this.emulator.context)}`,
        `  namespace: ${NAMESPACE}`,
        `  registry: ${REGISTRY}`,
        '  requests:',
        `    cpu: ${CPU_REQUEST}`,
        '',
      ].join('\n'),
    );
    writeCodeEnv(this.configDir, EXEC_CONFIG);
    const built = await buildCodeEnvImage({ repo, configDir: this.configDir, docker, progress });
    timings.codeEnvImageMs = built.ms;
    const image = nameInRegistry(REGISTRY, built.image);
    const colon = image.lastIndexOf(':');
    await docker.getImage(built.image).tag({ repo: image.slice(0, colon), tag: image.slice(colon + 1) });
    this.image = image;
    progress(`  tagged ${image}`);
    return { image, localImage: built.image, baseImage: base.ref, emulator: this.emulator.url, timings };
  }

  /** Starts a floor pod kernel (without its first request). */
  launchFloor(ports) {
    return PodFloorKernel.launch({ core: this.core, watcher: this.watcher, image: this.image, ports });
  }

  /**
   * Every pod and Secret left in the namespace (floor pods of an interrupted run, a gateway's that
   * did not stop cleanly) deleted and waited for, the emulator stopped (its kubelet removes the
   * containers it made; any a killed emulator left are removed here), the registry tag removed.
   */
  async cleanup() {
    const { progress } = this;
    let pods = 0;
    let secrets = 0;
    if (this.core && this.emulator && this.emulator.child.exitCode === null) {
      try {
        const left = await this.core.listNamespacedPod({ namespace: NAMESPACE });
        const leftSecrets = await this.core.listNamespacedSecret({ namespace: NAMESPACE });
        pods = left.items.length;
        secrets = leftSecrets.items.length;
        await Promise.all([
          ...left.items.map((pod) =>
            this.core.deleteNamespacedPod({ namespace: NAMESPACE, name: pod.metadata.name, gracePeriodSeconds: 0 }).catch(ignoreNotFound),
          ),
          ...leftSecrets.items.map((secret) =>
            this.core.deleteNamespacedSecret({ namespace: NAMESPACE, name: secret.metadata.name }).catch(ignoreNotFound),
          ),
        ]);
        const deadline = Date.now() + 30_000;
        while ((await this.core.listNamespacedPod({ namespace: NAMESPACE })).items.length > 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      } catch (error) {
        progress(`kubernetes cleanup: ${error.message}`);
      }
    }
    const docker = newDocker();
    if (this.emulator) {
      const { code, signal } = await this.emulator.stop();
      if (code !== 0) progress(`kubernetes cleanup: the emulator exited with ${signal ?? code}`);
      // What the kubelet of an emulator that could not stop cleanly left behind.
      const owned = await docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [`${EMULATOR_OWNER_LABEL}=${this.emulator.pid}`] }),
      });
      for (const container of owned)
        await docker
          .getContainer(container.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined);
      if (owned.length > 0) progress(`kubernetes cleanup: removed ${owned.length} container(s) the emulator left`);
    }
    if (this.image) {
      await docker
        .getImage(this.image)
        .remove()
        .catch((error) => {
          if (error.statusCode !== 404) progress(`could not untag ${this.image}: ${error.message}`);
        });
    }
    progress(
      `kubernetes cleanup: deleted ${pods} pod(s) and ${secrets} Secret(s) left in ${NAMESPACE}, emulator stopped${this.image ? `, untagged ${this.image}` : ''}`,
    );
  }
}

/**
 * Where Berth's pod starts went, per stage (ms p50 and max), from the gateway's debug log ('launch
 * progress' lines, 'kernel started') and the bench's clock around the POST:
 *
 *   request → ports          HTTP, placement, the image's name (the base image inspected on Docker)
 *   ports → created          port allocation and the pod's create call
 *   created → running        the events watch, the Secret, the kubelet (volumes, container create
 *                            and start) and the pod watch reporting the container running
 *     created → kubelet      … until the kubelet's first event about the container (Pulled)
 *     kubelet → running      … from there
 *   running → started        the gateway's kernel_info until the reply and an iopub message
 *   started → POST reply     the HTTP response
 */
export function launchStages(logText, samples) {
  return stagesFromLog(logText, samples, [
    ['requestToPortsMs', 'posted', 'allocating-ports'],
    ['portsToCreatedMs', 'allocating-ports', 'scheduling'],
    ['createdToRunningMs', 'scheduling', 'waiting-for-kernel'],
    ['createdToKubeletMs', 'scheduling', 'starting-container'],
    ['kubeletToRunningMs', 'starting-container', 'waiting-for-kernel'],
    ['readinessMs', 'waiting-for-kernel', 'started'],
    ['responseMs', 'started', 'replied'],
  ]);
}

/** The floor's own stages (ms p50 and max): ports, Secret, pod create, created → running, then kernel_info until the reply. */
export function floorStages(samples) {
  const picks = {
    portsMs: (s) => s.kernel.stages.portsMs,
    secretMs: (s) => s.kernel.stages.secretMs,
    createMs: (s) => s.kernel.stages.createMs,
    runningMs: (s) => s.kernel.stages.runningMs,
    kernelInfoMs: (s) => s.ms - s.spawnedMs,
  };
  const each = (stat) => Object.fromEntries(Object.entries(picks).map(([name, pick]) => [name, round(stat(samples.map(pick)), 1)]));
  return { p50: each(median), max: each((list) => Math.max(...list)) };
}
