// A Kubernetes API server emulator for tests, faithful in what it implements (see
// ../../../../shared/design/ENVIRONMENT.md, "Kubernetes"): a one-node cluster whose kubelet runs
// pods' containers on the local Docker Engine (host network). Products talk to it only through a
// Kubernetes client and the kubeconfig it writes.
//
//   const kube = await start({ timings: { restartBackoffMs: 200 } });
//   // KubeConfig.loadFromFile(kube.kubeconfigPath) ... kube.switches.pullFails('img', 'denied')
//   await kube.stop();   // closes the server, removes every container it started and its files
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { makeCertificates } from './certificates';
import { LABEL_INSTANCE, LABEL_OWNER_PID } from './container-config';
import { startGarbageCollector } from './garbage-collector';
import { Kubelet } from './kubelet';
import { writeKubeconfig } from './kubeconfig';
import { parseQuantity, type Quantity } from './quantity';
import { EventRecorder, eventsHandler } from './resources/events';
import { INITIAL_NAMESPACES, namespacesHandler, startNamespaceController } from './resources/namespaces';
import { podsHandler } from './resources/pods';
import { Quotas } from './resources/resource-quotas';
import { secretsHandler } from './resources/secrets';
import { Rest } from './rest';
import { Scheduler, type NodeInfo } from './scheduler';
import { ApiServer } from './server';
import { Store } from './store';
import { Switches } from './switches';
import { REAL_TIMINGS, type ResourceList, type Timings } from './types';

export { Switches } from './switches';
export type { Timings } from './types';

export interface StartOptions {
  /** The bearer token the kubeconfig carries (random by default). */
  token?: string;
  /** The kubeconfig's context name (default kube-emulator). */
  context?: string;
  /** The context's namespace (default "default"). */
  namespace?: string;
  nodeName?: string;
  /** Allocatable resources added to or replacing the node's (cpu = this machine's CPUs, memory = its RAM, pods = 110). */
  nodeAllocatable?: ResourceList;
  nodeLabels?: Record<string, string>;
  /** Kubelet and API server delays; the defaults are the real ones, tests usually shorten them. */
  timings?: Partial<Timings>;
  dockerSocket?: string;
}

export interface KubeEmulator {
  kubeconfigPath: string;
  /** https://127.0.0.1:PORT */
  url: string;
  token: string;
  context: string;
  /** The CA certificate the server's certificate chains to (also inline in the kubeconfig). */
  caPath: string;
  nodeName: string;
  switches: Switches;
  stop(): Promise<void>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes containers left by emulators whose process died before stop(). */
async function removeLeftovers(docker: Dockerode): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [LABEL_OWNER_PID] }) });
  const dead = containers.filter((c) => !pidAlive(Number(c.Labels[LABEL_OWNER_PID])));
  await Promise.all(
    dead.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
}

function nodeInfo(options: StartOptions): NodeInfo {
  const name = options.nodeName ?? 'kube-emulator-node';
  const allocatable = new Map<string, Quantity>([
    ['cpu', parseQuantity(cpus().length)!],
    ['memory', { ...parseQuantity(totalmem())!, format: 'BinarySI' }],
    ['pods', parseQuantity(110)!],
  ]);
  for (const [resource, value] of Object.entries(options.nodeAllocatable ?? {})) {
    const q = parseQuantity(value);
    if (q === undefined) throw new Error(`kube emulator: bad quantity for node resource ${resource}: ${value}`);
    allocatable.set(resource, q);
  }
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const labels = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': arch,
    ...options.nodeLabels,
  };
  return { name, ip: '127.0.0.1', labels, allocatable };
}

export async function start(options: StartOptions = {}): Promise<KubeEmulator> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-emulator-'));
  const token = options.token ?? randomBytes(24).toString('hex');
  const context = options.context ?? 'kube-emulator';
  const timings: Timings = { ...REAL_TIMINGS, ...options.timings };
  const docker = new Dockerode({ socketPath: options.dockerSocket ?? '/var/run/docker.sock' });
  const node = nodeInfo(options);
  const [certificates] = await Promise.all([makeCertificates(dir), removeLeftovers(docker)]);

  const store = new Store();
  const rest = new Rest(store);
  const quotas = new Quotas(store);
  const events = new EventRecorder(store, node.name);
  const switches = new Switches(rest);
  rest.register(namespacesHandler(rest));
  rest.register(podsHandler(store, (pod) => quotas.admitPod(pod)));
  rest.register(secretsHandler((secret) => quotas.admitSecret(secret)));
  rest.register(eventsHandler);
  rest.register(quotas.handler());
  for (const name of INITIAL_NAMESPACES) rest.create('namespaces', undefined, { metadata: { name } });

  let port = 0;
  const instance = randomBytes(6).toString('hex');
  const kubelet = new Kubelet({
    docker,
    store,
    events,
    switches,
    node,
    timings,
    volumeRoot: join(dir, 'pods'),
    instanceLabels: { [LABEL_INSTANCE]: instance, [LABEL_OWNER_PID]: String(process.pid) },
    serviceEnv: () => ({
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(port),
      KUBERNETES_SERVICE_PORT_HTTPS: String(port),
      KUBERNETES_PORT: `tcp://127.0.0.1:${port}`,
      [`KUBERNETES_PORT_${port}_TCP`]: `tcp://127.0.0.1:${port}`,
      [`KUBERNETES_PORT_${port}_TCP_PROTO`]: 'tcp',
      [`KUBERNETES_PORT_${port}_TCP_PORT`]: String(port),
      [`KUBERNETES_PORT_${port}_TCP_ADDR`]: '127.0.0.1',
    }),
  });
  const stops = [
    startNamespaceController(rest),
    startGarbageCollector(rest),
    quotas.startController(),
    new Scheduler(store, events, switches, node).start(),
    kubelet.start(),
  ];
  const server = new ApiServer({ rest, docker, token, bookmarkIntervalMs: timings.bookmarkIntervalMs }, certificates);
  port = await server.listen();
  const url = `https://127.0.0.1:${port}`;
  const kubeconfigPath = await writeKubeconfig(dir, {
    server: url,
    ca: certificates.ca,
    token,
    context,
    namespace: options.namespace ?? 'default',
  });

  let stopped: Promise<void> | undefined;
  return {
    kubeconfigPath,
    url,
    token,
    context,
    caPath: certificates.caPath,
    nodeName: node.name,
    switches,
    stop: () => {
      stopped ??= (async () => {
        for (const s of stops) s();
        await server.close();
        await kubelet.stop();
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
