import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../common/logger';
import { KubeApiError, type KubeApi, type WatchEventType, type WatchHandle } from './kube-api';

/**
 * Follows one pod with a watch from a resourceVersion the gateway has seen (the created pod's, or a
 * read one's), so no change in between is missed: every new version goes to the listeners, and
 * `gone` once the pod is deleted. When the watch ends (the API server closes watches after a
 * while, networks drop) it is opened again from the last version seen; when that version is too
 * old (410 Expired) the pod is read once and followed from there. A watch the server keeps
 * refusing is retried with a growing delay. No polling: between changes nothing is sent.
 */

export type PodListener = (pod: V1Pod, gone: boolean) => void;

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
/** A watch that ends sooner than this without an event counts as a failure (a server closing it at once must not make a hot loop). */
const SHORT_WATCH_MS = 1000;

export class PodFollower {
  /** The newest version seen. */
  private current: V1Pod;
  private deleted = false;
  private stopped = false;
  private watch: WatchHandle | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  private readonly listeners = new Set<PodListener>();
  private readonly uid: string;
  private readonly name: string;

  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    from: V1Pod,
    private readonly log?: Logger,
  ) {
    this.current = from;
    this.uid = from.metadata?.uid ?? '';
    this.name = from.metadata?.name ?? '';
    void this.run();
  }

  get pod(): V1Pod {
    return this.current;
  }

  get gone(): boolean {
    return this.deleted;
  }

  /** Calls `listener` with the newest version now and with every later one; returns the unsubscribe. */
  listen(listener: PodListener): () => void {
    this.listeners.add(listener);
    listener(this.current, this.deleted);
    return () => this.listeners.delete(listener);
  }

  /** Closes the watch; listeners hear nothing more. */
  stop(): void {
    this.stopped = true;
    this.listeners.clear();
    this.watch?.stop();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
  }

  private publish(pod: V1Pod, gone: boolean): void {
    if (this.stopped || this.deleted) return;
    this.current = pod;
    this.deleted = gone;
    for (const listener of [...this.listeners]) listener(pod, gone);
    if (gone) this.stop();
  }

  private onEvent(type: WatchEventType, pod: V1Pod): void {
    const version = pod.metadata?.resourceVersion;
    if (type === 'BOOKMARK') {
      if (version !== undefined) this.current = { ...this.current, metadata: { ...this.current.metadata, resourceVersion: version } };
      return;
    }
    if (pod.metadata?.uid !== this.uid) return; // another pod of the same name: not ours
    this.publish(pod, type === 'DELETED');
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeRetry = resolve;
      this.retryTimer = setTimeout(resolve, ms);
    });
  }

  /** Reads the pod after a version became too old; false when it cannot be read now. */
  private async resync(): Promise<boolean> {
    try {
      const pod = await this.api.readPod(this.namespace, this.name);
      if (pod === undefined || pod.metadata?.uid !== this.uid) this.publish(this.current, true);
      else this.publish(pod, false);
      return true;
    } catch (error) {
      this.log?.warn({ pod: this.name, namespace: this.namespace, err: (error as Error).message }, 'cannot read a kernel pod');
      return false;
    }
  }

  private async run(): Promise<void> {
    let retryMs = RETRY_FIRST_MS;
    let needsResync = false;
    while (!this.stopped) {
      if (needsResync) {
        if (!(await this.resync())) {
          await this.delay(retryMs);
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
          continue;
        }
        needsResync = false;
        if (this.stopped) return;
      }
      const opened = Date.now();
      const versionBefore = this.current.metadata?.resourceVersion;
      let ended: unknown;
      try {
        this.watch = await this.api.watchPods(
          this.namespace,
          { fieldSelector: `metadata.name=${this.name}`, ...(versionBefore === undefined ? {} : { resourceVersion: versionBefore }) },
          (type, pod) => this.onEvent(type, pod),
        );
        if (this.stopped) this.watch.stop();
        ended = await this.watch.ended;
      } catch (error) {
        ended = error;
      }
      this.watch = undefined;
      if (this.stopped) return;
      if (ended instanceof KubeApiError && (ended.status === 410 || ended.reason === 'Expired' || ended.reason === 'Gone')) {
        needsResync = true;
        continue;
      }
      const progressed = this.current.metadata?.resourceVersion !== versionBefore;
      if (ended === undefined && (progressed || Date.now() - opened >= SHORT_WATCH_MS)) {
        retryMs = RETRY_FIRST_MS; // closed by the server after a while: open it again from where it was
        continue;
      }
      if (ended !== undefined) {
        this.log?.warn(
          { pod: this.name, namespace: this.namespace, err: (ended as Error).message ?? String(ended) },
          'the watch of a kernel pod ended; opening it again',
        );
      }
      await this.delay(retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      // After an error the version may be too old, or the pod gone without a DELETED seen: read it once.
      needsResync = ended !== undefined;
    }
  }
}
