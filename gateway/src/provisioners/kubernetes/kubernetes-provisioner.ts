import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { settlesWithin } from '../../common/async';
import {
  BackendUnavailableError,
  GatewayError,
  InvalidInputError,
  KernelLaunchError,
  LaunchTimeoutError,
  QuotaExceededError,
} from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { ExecConfig } from '../../execution/execution-config';
import { DEFAULT_DOCKER_HOST, dockerFor } from '../../images/docker-client';
import { unreachableCode } from '../../images/docker-stream';
import type { ImageTemplates } from '../../images/dockerfile';
import { loadImageTemplates } from '../../images/image-templates';
import type { ConnectionInfo } from '../../protocol/connection-info';
import { connectionPorts, newConnection } from '../local/connection-file';
import type { PortAllocator } from '../local/port-allocator';
import type { KernelProvisioner, LaunchRequest, LaunchStage, ProvisionedKernel, ProvisionerRecord } from '../types';
import { KubeApiError, resolveClusterRef, type ClusterRef, type KubeApi, type WatchHandle } from './kube-api';
import type { KubeClients } from './kube-client';
import { PodFollower } from './pod-follower';
import { podImage, type PodImageLookup } from './pod-image';
import { PodKernel, type PodState } from './pod-kernel';
import {
  POD_ANNOTATIONS,
  POD_LABELS,
  connectionSecret,
  connectionSecretName,
  kernelPod,
  secretOwner,
  kernelPodName,
  podLabelSelector,
  type KubernetesExecConfig,
  type PodPlan,
} from './pod-spec';
import { clause, describePodState, launchProgress, type PodFailure } from './pod-status';

export interface KubernetesProvisionerOptions {
  /**
   * The gateway's kernel ports, shared with the other backends. Pods get theirs from it too: on a
   * cluster any port does (each pod has its own address), and where pods share the host's network
   * (the test emulator, hostNetwork nodes) two kernels never collide.
   */
  readonly ports: PortAllocator;
  /** This gateway's id, on every pod it starts (reattach and orphan reaping look only at its own). */
  readonly gatewayId: string;
  /** Relative kubeconfig paths and code env files resolve against it. */
  readonly configDir: string;
  /** Every exec config now, to find the clusters and namespaces to reap. */
  readonly execConfigs: () => readonly ExecConfig[];
  readonly log: Logger;
  readonly templates?: ImageTemplates;
  /**
   * How clusters are reached (default: @kubernetes/client-node, one client per kubeconfig and
   * context, loaded with the first Kubernetes kernel: gateways without one never load it).
   */
  readonly clients?: KubeClients;
  /** The Docker daemon code-env images are built on, which knows their tags (default: the local socket). */
  readonly buildDaemonHost?: string;
}

/**
 * The address in the connection file of the Secret: every interface of the pod. The kernel
 * entrypoint binds the pod's own address instead when the pod tells it (BERTH_KERNEL_IP, from
 * status.podIP), which keeps kernels off other interfaces where pods share the node's network.
 */
const POD_BIND_ALL = '0.0.0.0';

/** The stages of a pod's start, in order; a stage seen late (events lag the pod's status) is not reported. */
const STAGE_ORDER: readonly LaunchStage[] = ['allocating-ports', 'scheduling', 'pulling-image', 'starting-container', 'waiting-for-kernel'];

/** Kubelet events about the kernel container and the stage each one starts. */
const EVENT_STAGES: Readonly<Record<string, LaunchStage>> = {
  Pulling: 'pulling-image',
  Pulled: 'starting-container',
  Created: 'starting-container',
  Started: 'starting-container',
};

/** How long a launch that is given up waits for its pod's creation to answer before deleting the pod. */
const CREATE_SETTLE_MS = 10_000;

class StageReporter {
  private last = -1;

  constructor(private readonly onProgress: (stage: LaunchStage) => void) {}

  report(stage: LaunchStage): void {
    const index = STAGE_ORDER.indexOf(stage);
    if (index <= this.last) return;
    this.last = index;
    this.onProgress(stage);
  }
}

/** A pod that cannot start, with the status that says why. */
class PodStartFailure extends Error {
  constructor(
    readonly failure: PodFailure | { readonly kind: 'deleted' },
    readonly pod: V1Pod,
  ) {
    super(failure.kind);
  }
}

/** Resolves with the pod's address once its kernel container runs; rejects as soon as the pod shows it never will. */
function untilRunning(follower: PodFollower, signal: AbortSignal, stages: StageReporter, eventsFollowed: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    // The listener hears the current version at once, before listen() returns its unsubscribe.
    const subscription: { unlisten?: () => void } = {};
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      subscription.unlisten?.();
      settle();
    };
    const onAbort = (): void => finish(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) return onAbort();
    subscription.unlisten = follower.listen((pod, gone) => {
      if (done) return;
      const progress = launchProgress(pod);
      if (progress.state === 'failed') return finish(() => reject(new PodStartFailure(progress.failure, pod)));
      if (gone) return finish(() => reject(new PodStartFailure({ kind: 'deleted' }, pod)));
      if (progress.state === 'running') return finish(() => resolve(progress.podIP));
      // Bound to a node: with the kubelet's events followed, they say when it pulls and starts.
      if (progress.stage === 'scheduling' || !eventsFollowed) stages.report(progress.stage);
    });
    if (done) subscription.unlisten();
  });
}

/** Resolves as `promise` does, or rejects with the signal's reason once it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/** Where a launch happens and what it saw of its pod, for messages and error details. */
interface Place {
  readonly execConfig: KubernetesExecConfig;
  readonly api: KubeApi;
  readonly namespace: string;
  readonly podName: string;
  /** The newest version of the pod, once created. */
  pod?: V1Pod;
  /** The cluster's last Warning event about the pod ("FailedMount: …"). */
  lastWarning?: string;
}

/**
 * The `kubernetes` backend: one pod per kernel (kernelPod: the exec config's namespace,
 * resources, scheduling, labels and a non-root, capability-free container), its connection file in
 * a Secret owned by the pod, followed with watches from creation to deletion. A pod that cannot
 * start fails the launch as soon as the cluster says why (image pull, scheduling, container
 * configuration, a crash, a quota), with the cluster's own reason; nothing is left behind.
 */
export class KubernetesProvisioner implements KernelProvisioner {
  readonly name = 'kubernetes' as const;
  private clients: Promise<KubeClients> | undefined;
  private readonly imageLookup: PodImageLookup;
  /** The image each live kernel started on, which its restarts run. */
  private readonly images = new Map<string, string>();

  constructor(private readonly options: KubernetesProvisionerOptions) {
    if (options.clients !== undefined) this.clients = Promise.resolve(options.clients);
    const buildDaemonHost = options.buildDaemonHost ?? DEFAULT_DOCKER_HOST;
    this.imageLookup = {
      configDir: options.configDir,
      templates: options.templates ?? loadImageTemplates(),
      buildDaemon: dockerFor(buildDaemonHost),
      buildDaemonHost,
    };
  }

  private clusterOf(execConfig: KubernetesExecConfig): ClusterRef {
    return resolveClusterRef(execConfig.kubernetes, this.options.configDir);
  }

  /** The client of a cluster; a kubeconfig that cannot be used is a 503 naming the exec config. */
  private async api(cluster: ClusterRef, execConfigId?: string): Promise<KubeApi> {
    this.clients ??= import('./kube-client').then(({ KubeClients }) => new KubeClients());
    const clients = await this.clients;
    try {
      return clients.for(cluster);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      throw new BackendUnavailableError(
        `${execConfigId === undefined ? 'A kernel' : `Exec config "${execConfigId}"`} cannot reach its Kubernetes cluster: ${error.message}`,
        { cause: error, details: { ...error.details, ...(execConfigId === undefined ? {} : { executionConfig: execConfigId }) } },
      );
    }
  }

  async launch(request: LaunchRequest, signal: AbortSignal, onProgress: (stage: LaunchStage) => void): Promise<ProvisionedKernel> {
    const execConfig = request.execConfig;
    if (execConfig.backend !== 'kubernetes')
      throw new Error(`KubernetesProvisioner: exec config ${execConfig.id} is ${execConfig.backend}`);
    const cluster = this.clusterOf(execConfig);
    const api = await this.api(cluster, execConfig.id);
    const namespace = execConfig.kubernetes.namespace;
    // A restart runs the image the kernel started on: a rebuild in between (a new base image id gives
    // a new tag, maybe not pushed yet) must not turn a restart into a failed pull.
    const previousImage = request.reuseConnection === undefined ? undefined : this.images.get(request.kernelId);
    const image = previousImage === undefined ? await podImage(this.imageLookup, execConfig, request.codeEnv) : { ref: previousImage };
    if (image.stale !== undefined) this.options.log.warn({ kernelId: request.kernelId, image: image.ref }, image.stale);

    const stages = new StageReporter(onProgress);
    stages.report('allocating-ports');
    const connection = request.reuseConnection ?? newConnection(POD_BIND_ALL, await this.options.ports.allocate(5), request.spec.name);
    const releasePorts = (): void => this.options.ports.release(connectionPorts(connection));
    const podName = kernelPodName(request.kernelId, Date.now().toString(36));
    const place: Place = { execConfig, api, namespace, podName };
    const plan: PodPlan = {
      kernelId: request.kernelId,
      image: image.ref,
      ...(request.codeEnv === undefined ? {} : { codeEnvId: request.codeEnv.id }),
      owner: request.owner,
      gatewayId: this.options.gatewayId,
      language: request.spec.spec.language,
      env: { ...execConfig.env, ...(request.codeEnv?.env ?? {}), ...request.spec.spec.env, ...request.env },
      name: podName,
      execConfig,
      secretName: connectionSecretName(podName),
      ports: {
        shell_port: connection.shell_port,
        iopub_port: connection.iopub_port,
        stdin_port: connection.stdin_port,
        control_port: connection.control_port,
        hb_port: connection.hb_port,
      },
    };

    let creating: Promise<V1Pod> | undefined;
    let creatingSecret: Promise<V1Secret> | undefined;
    let follower: PodFollower | undefined;
    let events: WatchHandle | undefined;
    try {
      let body: V1Pod;
      try {
        body = kernelPod(plan);
      } catch (error) {
        throw new InvalidInputError(`${(error as Error).message}: an admin fixes the exec config.`, {
          details: { executionConfig: execConfig.id },
        });
      }
      if (signal.aborted) throw signal.reason;
      // The Secret before the pod: the kubelet mounts it as soon as the pod is on its node, and
      // tries a Secret it does not find again only 500 ms later.
      const inside: ConnectionInfo = { ...connection, ip: POD_BIND_ALL };
      creatingSecret = api.createSecret(namespace, connectionSecret(plan, JSON.stringify(inside)));
      await abortable(creatingSecret, signal);
      creating = api.createPod(namespace, body);
      const pod = await abortable(creating, signal);
      const podUid = pod.metadata?.uid ?? '';
      // Owned by its pod from now on: Kubernetes deletes it with the pod, whatever becomes of this gateway.
      const owned = api.patchSecret(namespace, plan.secretName, secretOwner(plan, { name: podName, uid: podUid }));
      owned.catch(() => undefined); // awaited below; a launch given up meanwhile must not leave it unhandled
      stages.report('scheduling');
      follower = new PodFollower(api, namespace, pod, this.options.log);
      const unlisten = follower.listen((latest) => (place.pod = latest));
      events = await this.followEvents(place, podUid, stages);
      await abortable(owned, signal);
      const podIP = await untilRunning(follower, signal, stages, events !== undefined);
      stages.report('waiting-for-kernel');
      const state: PodState = { cluster, namespace, podName, podUid, secretName: plan.secretName, image: image.ref };
      unlisten();
      this.images.set(request.kernelId, image.ref);
      const kernel = new PodKernel({ ...connection, ip: podIP }, api, follower, state, request.kernelId, () =>
        this.forget(request.kernelId, connection),
      );
      follower = undefined;
      return kernel;
    } catch (error) {
      follower?.stop();
      const described = await this.describe(error, place);
      // A create still under way when the launch was given up may yet make its object: wait for it, then delete.
      if (creating !== undefined) {
        await settlesWithin(creating, CREATE_SETTLE_MS);
        await api.deletePod(namespace, podName, 0).catch(() => undefined);
      }
      if (creatingSecret !== undefined) {
        await settlesWithin(creatingSecret, CREATE_SETTLE_MS);
        await api.deleteSecret(namespace, plan.secretName).catch(() => undefined);
      }
      if (request.reuseConnection === undefined) releasePorts();
      throw described;
    } finally {
      events?.stop();
    }
  }

  /**
   * Follows the cluster's events about the pod: the kubelet's say when it pulls and starts, and the
   * last warning says what a slow start waits for. Undefined when events cannot be watched.
   */
  private async followEvents(place: Place, podUid: string, stages: StageReporter): Promise<WatchHandle | undefined> {
    const { api, namespace, podName } = place;
    try {
      const handle = await api.watchEvents(namespace, { fieldSelector: `involvedObject.name=${podName}` }, (type, event) => {
        if (type !== 'ADDED' && type !== 'MODIFIED') return;
        if (event.involvedObject.uid !== undefined && event.involvedObject.uid !== podUid) return;
        if (event.type === 'Warning') place.lastWarning = `${event.reason ?? 'Warning'}: ${event.message ?? ''}`;
        const stage = event.reason === undefined ? undefined : EVENT_STAGES[event.reason];
        if (stage !== undefined) stages.report(stage);
      });
      return handle;
    } catch (error) {
      this.options.log.debug({ namespace, err: (error as Error).message }, 'cannot watch events; start stages come from the pod alone');
      return undefined;
    }
  }

  /** The last lines of the kernel container's log, while its pod still exists. */
  private async podLog(place: Place): Promise<string> {
    return place.api.readPodLog(place.namespace, place.podName, { tailLines: 50 }).catch(() => '');
  }

  /** Any launch error as a GatewayError whose message names the cluster's reason and what to do. */
  private async describe(error: unknown, place: Place): Promise<Error> {
    const { execConfig, api, namespace, podName } = place;
    const where = `pod ${namespace}/${podName} in ${api.cluster}`;
    const details = { executionConfig: execConfig.id, namespace, pod: podName, cluster: api.cluster };
    if (error instanceof PodStartFailure) {
      const failure = error.failure;
      switch (failure.kind) {
        case 'image':
          return new KernelLaunchError(
            `Kubernetes cannot pull the kernel image ${failure.image} (${failure.reason}): ${clause(failure.message)}. Check that the registry has it (an admin builds and pushes code env images with \`berth images build-code-env <code-env> --exec-config ${execConfig.id} --push\`) and that kubernetes.imagePullSecrets of exec config "${execConfig.id}" give the nodes access to it.`,
            { details: { ...details, reason: failure.reason, image: failure.image, clusterMessage: failure.message } },
          );
        case 'unschedulable':
          return new BackendUnavailableError(
            `Kubernetes cannot place the kernel pod (Unschedulable): ${clause(failure.message)}. Choose an exec config with fewer resources, shut down kernels you no longer need, or ask an admin to add nodes or fix the node selector and tolerations of exec config "${execConfig.id}".`,
            { details: { ...details, reason: failure.reason, clusterMessage: failure.message } },
          );
        case 'container-config':
          return new KernelLaunchError(
            `Kubernetes cannot create the kernel container (${failure.reason}): ${clause(failure.message)}. An admin fixes exec config "${execConfig.id}" (security context, service account, image) or the namespace.`,
            { details: { ...details, reason: failure.reason, clusterMessage: failure.message } },
          );
        case 'terminated': {
          const tail = failure.message !== '' ? failure.message : await this.podLog(place);
          const advice =
            failure.exit.restartable === false
              ? ` Choose an exec config with more memory, or ask an admin to raise resources.memory of "${execConfig.id}".`
              : ' Its output is in the error details.';
          return new KernelLaunchError(`The kernel container ${failure.exit.reason} while starting (${failure.reason}).${advice}`, {
            details: { ...details, reason: failure.reason, exitCode: failure.exit.code, stderrTail: tail },
          });
        }
        case 'deleted':
          return new KernelLaunchError(`The kernel ${where} was deleted while it started (not by this gateway). Start the kernel again.`, {
            details,
          });
      }
    }
    if (error instanceof KubeApiError) {
      const refused = `Kubernetes refused the kernel ${where}`;
      if (error.status === 403 && /quota/i.test(error.message)) {
        return new QuotaExceededError(
          `${refused}: ${clause(error.message)}. Shut down kernels you no longer need in namespace ${namespace}, choose an exec config with fewer resources, or ask an admin to raise the namespace's ResourceQuota.`,
          { cause: error, details: { ...details, reason: error.reason, clusterMessage: error.message } },
        );
      }
      if (error.status === 401 || error.status === 403) {
        return new BackendUnavailableError(
          `${refused}: ${clause(error.message)}. The gateway's credentials (kubeconfig or service account) must allow pods, pods/log, secrets and events in namespace ${namespace}: an admin fixes its Role (see gateway/deploy/kubernetes).`,
          { cause: error, details: { ...details, reason: error.reason, clusterMessage: error.message } },
        );
      }
      if (error.status === 404) {
        return new BackendUnavailableError(
          `${refused}: ${clause(error.message)}. An admin creates namespace ${namespace} or fixes kubernetes.namespace of exec config "${execConfig.id}".`,
          { cause: error, details: { ...details, reason: error.reason, clusterMessage: error.message } },
        );
      }
      if (error.status === 400 || error.status === 422) {
        return new KernelLaunchError(`${refused}: ${clause(error.message)}. An admin fixes exec config "${execConfig.id}".`, {
          cause: error,
          details: { ...details, reason: error.reason, clusterMessage: error.message },
        });
      }
      return new BackendUnavailableError(`${refused} (HTTP ${error.status}): ${clause(error.message)}. Try again later.`, {
        cause: error,
        details: { ...details, reason: error.reason, clusterMessage: error.message },
      });
    }
    if (error instanceof LaunchTimeoutError && place.pod !== undefined) {
      // Given up while the pod was still on its way: say where it was, and what the cluster last warned about.
      const warning = place.lastWarning === undefined ? '' : `; the cluster's last warning: ${clause(place.lastWarning)}`;
      return new LaunchTimeoutError(
        `The kernel ${where} did not start within the startup timeout: it is ${describePodState(place.pod)}${warning}. If the cluster is only slow (a large image to pull, nodes being added), raise the startup timeout; else ask an admin.`,
        { cause: error, details: { ...details, ...(place.lastWarning === undefined ? {} : { clusterMessage: place.lastWarning }) } },
      );
    }
    if (error instanceof GatewayError) return error;
    const code = unreachableCode(error);
    if (code !== undefined) {
      return new BackendUnavailableError(
        `The Kubernetes API of exec config "${execConfig.id}" (${api.cluster}) is unreachable (${code}): check that the cluster is up and kubernetes.kubeconfig and kubernetes.context of the exec config point at it.`,
        { cause: error, details },
      );
    }
    return new KernelLaunchError(`The kernel ${where} did not start: ${(error as Error).message ?? String(error)}`, {
      cause: error,
      details,
    });
  }

  async reattach(record: ProvisionerRecord): Promise<ProvisionedKernel | undefined> {
    const state = record.state as unknown as PodState;
    const api = await this.api(state.cluster);
    const pod = await api.readPod(state.namespace, state.podName);
    if (pod === undefined || pod.metadata?.uid !== state.podUid || pod.metadata.deletionTimestamp !== undefined) return undefined;
    if (launchProgress(pod).state !== 'running') return undefined;
    this.options.ports.claim(connectionPorts(record.connection));
    if (state.image !== undefined) this.images.set(record.kernelId, state.image);
    const follower = new PodFollower(api, state.namespace, pod, this.options.log);
    return new PodKernel(record.connection, api, follower, state, record.kernelId, () => this.forget(record.kernelId, record.connection));
  }

  /** What a kernel gone for good held: its ports and the image its restarts would run. */
  private forget(kernelId: string, connection: ConnectionInfo): void {
    this.images.delete(kernelId);
    this.options.ports.release(connectionPorts(connection));
  }

  /** Deletes a record's pod and Secret; a cluster that cannot be reached leaves them to orphan reaping later. */
  async discard(record: ProvisionerRecord): Promise<void> {
    const state = record.state as unknown as PodState;
    try {
      const api = await this.api(state.cluster);
      await api.deletePod(state.namespace, state.podName, 0);
      await api.deleteSecret(state.namespace, state.secretName);
    } catch (error) {
      this.options.log.warn(
        { namespace: state.namespace, pod: state.podName, err: (error as Error).message },
        'cannot delete a kernel pod',
      );
    }
  }

  /** Deletes this gateway's kernel pods that no record knows, in every namespace of every Kubernetes exec config. */
  async reapOrphans(knownKernelIds: ReadonlySet<string>): Promise<number> {
    const places = new Map<string, { cluster: ClusterRef; namespace: string }>();
    for (const config of this.options.execConfigs()) {
      if (config.backend !== 'kubernetes') continue;
      const cluster = this.clusterOf(config);
      const namespace = config.kubernetes.namespace;
      places.set(JSON.stringify([cluster.kubeconfig ?? '', cluster.context ?? '', namespace]), { cluster, namespace });
    }
    let reaped = 0;
    for (const { cluster, namespace } of places.values()) {
      let api: KubeApi;
      let pods: V1Pod[];
      try {
        api = await this.api(cluster);
        pods = (await api.listPods(namespace, podLabelSelector(this.options.gatewayId))).items;
      } catch (error) {
        this.options.log.warn({ namespace, err: (error as Error).message }, 'cannot list kernel pods to reap');
        continue;
      }
      const kept = new Set<string>();
      for (const pod of pods) {
        const kernelId = pod.metadata?.annotations?.[POD_ANNOTATIONS.kernelId] ?? pod.metadata?.labels?.[POD_LABELS.kernelId];
        const name = pod.metadata?.name ?? '';
        if (kernelId !== undefined && knownKernelIds.has(kernelId)) {
          kept.add(connectionSecretName(name));
          continue;
        }
        await api.deletePod(namespace, name, 0).catch(() => undefined);
        await api.deleteSecret(namespace, connectionSecretName(name)).catch(() => undefined);
        this.options.log.info({ cluster: api.cluster, namespace, pod: name, kernelId }, 'removed a kernel pod no record knows');
        reaped += 1;
      }
      // A gateway stopped between creating a Secret and its pod leaves a Secret no pod owns.
      const secrets = await api.listSecrets(namespace, podLabelSelector(this.options.gatewayId)).catch(() => ({ items: [] }));
      for (const secret of secrets.items) {
        const name = secret.metadata?.name ?? '';
        if (kept.has(name) || (secret.metadata?.ownerReferences ?? []).length > 0) continue;
        await api.deleteSecret(namespace, name).catch(() => undefined);
        this.options.log.info({ cluster: api.cluster, namespace, secret: name }, 'removed a connection Secret whose pod was never created');
      }
    }
    return reaped;
  }
}
