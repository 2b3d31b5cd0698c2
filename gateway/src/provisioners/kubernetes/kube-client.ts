import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type CoreV1Event,
  type V1Pod,
  type V1Secret,
  type V1Status,
} from '@kubernetes/client-node';
import { InvalidInputError } from '../../common/errors';
import {
  KubeApiError,
  isNotFound,
  type ClusterRef,
  type KubeApi,
  type Listed,
  type PodLogOptions,
  type WatchEventType,
  type WatchHandle,
  type WatchOptions,
} from './kube-api';

/**
 * KubeApi over @kubernetes/client-node: one client per (kubeconfig, context), so exec configs may
 * name several clusters at once. Refusals of the API server become KubeApiError with the Status
 * the server sent; network errors pass through as they are (with their socket error code).
 */

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Whether the gateway runs in a pod with a service account (what loadFromCluster needs). */
function inCluster(): boolean {
  return process.env['KUBERNETES_SERVICE_HOST'] !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN);
}

/** The KubeConfig for `ref`, or an InvalidInputError saying which file or context is wrong. */
export function loadKubeConfig(ref: ClusterRef): KubeConfig {
  const config = new KubeConfig();
  if (ref.kubeconfig === undefined && ref.context === undefined && inCluster()) {
    config.loadFromCluster();
    return config;
  }
  const file = ref.kubeconfig ?? join(homedir(), '.kube', 'config');
  if (!existsSync(file)) {
    throw new InvalidInputError(
      ref.kubeconfig === undefined
        ? `No kubeconfig: the gateway does not run in a cluster, and ${file} does not exist. Set kubernetes.kubeconfig of the exec config, or run the gateway in the cluster.`
        : `The kubeconfig ${file} does not exist: fix kubernetes.kubeconfig of the exec config.`,
      { details: { kubeconfig: file } },
    );
  }
  try {
    config.loadFromFile(file);
  } catch (error) {
    throw new InvalidInputError(`The kubeconfig ${file} cannot be read: ${(error as Error).message}`, {
      cause: error,
      details: { kubeconfig: file },
    });
  }
  if (ref.context !== undefined) {
    if (config.getContextObject(ref.context) === null) {
      const known = config.getContexts().map((context) => context.name);
      throw new InvalidInputError(
        `The kubeconfig ${file} has no context "${ref.context}" (contexts: ${known.join(', ') || 'none'}): fix kubernetes.context of the exec config.`,
        { details: { kubeconfig: file, context: ref.context } },
      );
    }
    config.setCurrentContext(ref.context);
  }
  if (config.getCurrentCluster() === null) {
    throw new InvalidInputError(`The kubeconfig ${file} names no cluster for context "${config.getCurrentContext()}".`, {
      details: { kubeconfig: file },
    });
  }
  return config;
}

/** The Status in an ApiException's body (client-node 1.x keeps the raw body, a string, for refusals). */
function statusOf(error: ApiException<unknown>): Partial<V1Status> {
  const body = error.body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as Partial<V1Status>;
    } catch {
      return { message: body };
    }
  }
  return typeof body === 'object' && body !== null ? (body as Partial<V1Status>) : {};
}

/** Refusals as KubeApiError; anything else unchanged. */
function translate(error: unknown): unknown {
  if (error instanceof KubeApiError || !(error instanceof ApiException)) return error;
  const status = statusOf(error as ApiException<unknown>);
  const code = (error as ApiException<unknown>).code;
  return new KubeApiError(code, status.reason, status.message ?? `HTTP ${code}`, { cause: error });
}

async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw translate(error);
  }
}

const ignoreNotFound = (error: unknown): void => {
  if (!isNotFound(error)) throw error;
};

class ClientNodeKubeApi implements KubeApi {
  readonly cluster: string;
  private readonly core: CoreV1Api;
  private readonly watcher: Watch;

  constructor(config: KubeConfig) {
    this.core = config.makeApiClient(CoreV1Api);
    this.watcher = new Watch(config);
    this.cluster = `context ${config.getCurrentContext()} (${config.getCurrentCluster()?.server ?? 'no server'})`;
  }

  createPod(namespace: string, pod: V1Pod): Promise<V1Pod> {
    return call(() => this.core.createNamespacedPod({ namespace, body: pod }));
  }

  async readPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    try {
      return await call(() => this.core.readNamespacedPod({ namespace, name }));
    } catch (error) {
      ignoreNotFound(error);
      return undefined;
    }
  }

  async deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void> {
    await call(() =>
      this.core.deleteNamespacedPod({ namespace, name, ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }) }),
    ).catch(ignoreNotFound);
  }

  async listPods(namespace: string, labelSelector: string): Promise<Listed<V1Pod>> {
    const list = await call(() => this.core.listNamespacedPod({ namespace, labelSelector }));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  watchPods(namespace: string, options: WatchOptions, onEvent: (type: WatchEventType, pod: V1Pod) => void): Promise<WatchHandle> {
    return this.watch(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, options, onEvent);
  }

  async readPodLog(namespace: string, name: string, options: PodLogOptions = {}): Promise<string> {
    return call(() =>
      this.core.readNamespacedPodLog({
        namespace,
        name,
        ...(options.container === undefined ? {} : { container: options.container }),
        ...(options.tailLines === undefined ? {} : { tailLines: options.tailLines }),
        ...(options.limitBytes === undefined ? {} : { limitBytes: options.limitBytes }),
        ...(options.previous === undefined ? {} : { previous: options.previous }),
      }),
    );
  }

  createSecret(namespace: string, secret: V1Secret): Promise<V1Secret> {
    return call(() => this.core.createNamespacedSecret({ namespace, body: secret }));
  }

  async patchSecret(namespace: string, name: string, patch: V1Secret): Promise<void> {
    await call(() =>
      this.core.patchNamespacedSecret({ namespace, name, body: patch }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    );
  }

  async listSecrets(namespace: string, labelSelector: string): Promise<Listed<V1Secret>> {
    const list = await call(() => this.core.listNamespacedSecret({ namespace, labelSelector }));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    await call(() => this.core.deleteNamespacedSecret({ namespace, name })).catch(ignoreNotFound);
  }

  async listEvents(namespace: string, fieldSelector: string): Promise<Listed<CoreV1Event>> {
    const list = await call(() => this.core.listNamespacedEvent({ namespace, fieldSelector }));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  watchEvents(namespace: string, options: WatchOptions, onEvent: (type: WatchEventType, event: CoreV1Event) => void): Promise<WatchHandle> {
    return this.watch(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, options, onEvent);
  }

  /**
   * A watch with bookmarks. An ERROR event (e.g. 410 Expired: the version is too old) ends it with
   * that Status as a KubeApiError; a refused request (401, 403, 404 …) ends it with its HTTP code.
   */
  private async watch<T>(path: string, options: WatchOptions, onEvent: (type: WatchEventType, object: T) => void): Promise<WatchHandle> {
    let settle!: (error: unknown) => void;
    const ended = new Promise<unknown>((resolvePromise) => {
      let settled = false;
      settle = (error) => {
        if (settled) return;
        settled = true;
        resolvePromise(error);
      };
    });
    let failure: unknown;
    let stopped = false;
    const query: Record<string, string | boolean> = { allowWatchBookmarks: true };
    if (options.labelSelector !== undefined) query['labelSelector'] = options.labelSelector;
    if (options.fieldSelector !== undefined) query['fieldSelector'] = options.fieldSelector;
    if (options.resourceVersion !== undefined) query['resourceVersion'] = options.resourceVersion;
    // Set once the request is under way; events and stop() may come before.
    const open: { controller?: AbortController } = {};
    const stop = (): void => {
      stopped = true;
      open.controller?.abort();
      settle(undefined);
    };
    open.controller = await this.watcher.watch(
      path,
      query,
      (type: string, object: unknown) => {
        if (stopped || failure !== undefined) return;
        if (type === 'ERROR') {
          const status = object as Partial<V1Status>;
          failure = new KubeApiError(status.code ?? 500, status.reason, status.message ?? 'watch error');
          open.controller?.abort();
          settle(failure);
          return;
        }
        onEvent(type as WatchEventType, object as T);
      },
      (error: unknown) => {
        if (stopped) return settle(undefined);
        const code = (error as { statusCode?: number } | null)?.statusCode;
        settle(
          failure ??
            (code !== undefined
              ? new KubeApiError(code, undefined, `the watch of ${path} was refused with HTTP ${code}`, { cause: error })
              : (error ?? undefined)),
        );
      },
    );
    if (stopped || failure !== undefined) open.controller.abort();
    return { stop, ended };
  }
}

/**
 * One KubeApi per (kubeconfig, context), made on first use. A kubeconfig that cannot be used is
 * not remembered: the next launch reads it again (an admin may have fixed it).
 */
export class KubeClients {
  private readonly clients = new Map<string, KubeApi>();

  constructor(private readonly factory: (ref: ClusterRef) => KubeApi = (ref) => new ClientNodeKubeApi(loadKubeConfig(ref))) {}

  for(ref: ClusterRef): KubeApi {
    const key = JSON.stringify([ref.kubeconfig ?? '', ref.context ?? '']);
    let client = this.clients.get(key);
    if (client === undefined) {
      client = this.factory(ref);
      this.clients.set(key, client);
    }
    return client;
  }
}
