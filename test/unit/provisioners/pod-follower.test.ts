import type { V1Pod } from '@kubernetes/client-node';
import {
  KubeApiError,
  type KubeApi,
  type WatchEventType,
  type WatchHandle,
  type WatchOptions,
} from '../../../gateway/src/provisioners/kubernetes/kube-api';
import { PodFollower } from '../../../gateway/src/provisioners/kubernetes/pod-follower';

/** One watch the follower opened: what it asked for, and the test's hands on it. */
interface OpenWatch {
  readonly options: WatchOptions;
  send(type: WatchEventType, pod: V1Pod): void;
  end(error?: unknown): void;
  stopped: boolean;
}

/** A KubeApi with only the calls a follower makes: watches the test drives, and reads it answers. */
class FakeApi {
  readonly watches: OpenWatch[] = [];
  readonly reads: string[] = [];
  readResult: V1Pod | undefined;
  private opened: (() => void) | undefined;

  watchPods(_namespace: string, options: WatchOptions, onEvent: (type: WatchEventType, pod: V1Pod) => void): Promise<WatchHandle> {
    let finish!: (error: unknown) => void;
    const ended = new Promise<unknown>((resolve) => (finish = resolve));
    const watch: OpenWatch = {
      options,
      send: (type, pod) => onEvent(type, pod),
      end: (error) => finish(error),
      stopped: false,
    };
    this.watches.push(watch);
    this.opened?.();
    return Promise.resolve({
      stop: () => {
        watch.stopped = true;
        finish(undefined);
      },
      ended,
    });
  }

  readPod(_namespace: string, name: string): Promise<V1Pod | undefined> {
    this.reads.push(name);
    return Promise.resolve(this.readResult);
  }

  /** Resolves once the follower has opened `count` watches. */
  async watchCount(count: number): Promise<OpenWatch> {
    while (this.watches.length < count) await new Promise<void>((resolve) => (this.opened = resolve));
    return this.watches[count - 1]!;
  }
}

function version(resourceVersion: string, phase = 'Running', uid = 'uid-1'): V1Pod {
  return { metadata: { name: 'kernel-pod', uid, resourceVersion }, status: { phase } };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('follows from the version it was given, hears changes in order, and stops at DELETED', async () => {
  const api = new FakeApi();
  const seen: string[] = [];
  const follower = new PodFollower(api as unknown as KubeApi, 'ns', version('10', 'Pending'));
  follower.listen((pod, gone) => seen.push(`${pod.metadata?.resourceVersion}${gone ? ' gone' : ''}`));
  const watch = await api.watchCount(1);
  expect(watch.options).toEqual({ fieldSelector: 'metadata.name=kernel-pod', resourceVersion: '10' });
  watch.send('MODIFIED', version('11'));
  watch.send('MODIFIED', version('12', 'Running', 'uid-of-another-pod')); // same name, not ours
  watch.send('DELETED', version('13', 'Succeeded'));
  expect(seen).toEqual(['10', '11', '13 gone']);
  expect(follower.gone).toBe(true);
  expect(watch.stopped).toBe(true);
  await settle();
  expect(api.watches).toHaveLength(1);
});

test('a watch the server closes is opened again from the last version or bookmark seen', async () => {
  const api = new FakeApi();
  const follower = new PodFollower(api as unknown as KubeApi, 'ns', version('10'));
  const first = await api.watchCount(1);
  first.send('MODIFIED', version('11'));
  first.send('BOOKMARK', { metadata: { resourceVersion: '25' } });
  first.end(undefined);
  const second = await api.watchCount(2);
  expect(second.options.resourceVersion).toBe('25');
  expect(follower.pod.status?.phase).toBe('Running');
  expect(api.reads).toEqual([]);
  follower.stop();
  expect(second.stopped).toBe(true);
});

test('410 Expired: the pod is read once and followed from its version; a pod that is gone by then ends it', async () => {
  const api = new FakeApi();
  const seen: string[] = [];
  const follower = new PodFollower(api as unknown as KubeApi, 'ns', version('10'));
  follower.listen((pod, gone) => seen.push(`${pod.metadata?.resourceVersion}${gone ? ' gone' : ''}`));
  const first = await api.watchCount(1);
  api.readResult = version('40', 'Running');
  first.end(new KubeApiError(410, 'Expired', 'too old resource version: 10 (35)'));
  const second = await api.watchCount(2);
  expect(api.reads).toEqual(['kernel-pod']);
  expect(second.options.resourceVersion).toBe('40');
  api.readResult = undefined;
  second.end(new KubeApiError(410, 'Expired', 'too old resource version: 40 (50)'));
  await settle();
  await settle();
  expect(seen).toEqual(['10', '40', '40 gone']);
  expect(follower.gone).toBe(true);
  expect(api.watches).toHaveLength(2);
});
