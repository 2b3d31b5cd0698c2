// The emulator's etcd: every object by resource/namespace/name, one revision counter shared by all
// resources (an object's resourceVersion is the revision of its last write), a bounded history of
// changes for watches that resume from a resourceVersion, and the fan-out of each change to the
// watches (synchronously, in revision order) and to the controllers (on a microtask, so that a
// controller writing in reaction never reorders what watches see).
import { clone } from './meta';
import { errors } from './status';
import type { KubeObject } from './types';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  revision: number;
  type: ChangeType;
  resource: string;
  object: KubeObject;
  /** The object before a MODIFIED or DELETED change. */
  previous?: KubeObject;
}

type Listener = (change: Change) => void;

function key(resource: string, namespace: string | undefined, name: string): string {
  return `${resource}/${namespace ?? ''}/${name}`;
}

export class Store {
  private revision = 0;
  private compacted = 0;
  private readonly objects = new Map<string, { resource: string; object: KubeObject }>();
  private readonly keysByUid = new Map<string, string>();
  private readonly history: Change[] = [];
  private readonly watchers = new Set<{ resource: string; listener: Listener }>();
  private readonly controllers = new Set<Listener>();

  constructor(private readonly historyLimit = 20_000) {}

  /** The current revision, as a list's metadata.resourceVersion. */
  get resourceVersion(): string {
    return String(this.revision);
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const entry = this.objects.get(key(resource, namespace, name));
    return entry === undefined ? undefined : clone(entry.object);
  }

  /** Objects of `resource` (in `namespace`, or all), in key order like an etcd range read. */
  list(resource: string, namespace?: string): KubeObject[] {
    const prefix = namespace === undefined ? `${resource}/` : key(resource, namespace, '');
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, entry]) => clone(entry.object));
  }

  /** The object with metadata.uid `uid`, of any resource. */
  byUid(uid: string): { resource: string; object: KubeObject } | undefined {
    const k = this.keysByUid.get(uid);
    const entry = k === undefined ? undefined : this.objects.get(k);
    return entry === undefined ? undefined : { resource: entry.resource, object: clone(entry.object) };
  }

  create<T extends KubeObject>(resource: string, object: T): T {
    const k = key(resource, object.metadata.namespace, object.metadata.name ?? '');
    if (this.objects.has(k)) throw errors.alreadyExists(resource, object.metadata.name ?? '');
    return this.write(resource, k, 'ADDED', object, undefined);
  }

  update<T extends KubeObject>(resource: string, object: T): T {
    const k = key(resource, object.metadata.namespace, object.metadata.name ?? '');
    const existing = this.objects.get(k);
    if (existing === undefined) throw errors.notFound(resource, object.metadata.name ?? '');
    return this.write(resource, k, 'MODIFIED', object, existing.object);
  }

  /** Applies `change` to a copy of the object and writes it when anything but its resourceVersion differs. */
  mutate<T extends KubeObject>(resource: string, namespace: string | undefined, name: string, change: (object: T) => void): T | undefined {
    const existing = this.objects.get(key(resource, namespace, name));
    if (existing === undefined) return undefined;
    const next = clone(existing.object) as T;
    change(next);
    if (JSON.stringify(next) === JSON.stringify(existing.object)) return clone(next);
    return this.update(resource, next);
  }

  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const k = key(resource, namespace, name);
    const existing = this.objects.get(k);
    if (existing === undefined) return undefined;
    return this.write(resource, k, 'DELETED', existing.object, existing.object);
  }

  private write<T extends KubeObject>(resource: string, k: string, type: ChangeType, object: T, previous: KubeObject | undefined): T {
    const stored = clone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    if (type === 'DELETED') {
      this.objects.delete(k);
      this.keysByUid.delete(stored.metadata.uid ?? '');
    } else {
      this.objects.set(k, { resource, object: stored });
      if (stored.metadata.uid !== undefined) this.keysByUid.set(stored.metadata.uid, k);
    }
    const change: Change = { revision: this.revision, type, resource, object: stored, previous };
    this.history.push(change);
    if (this.history.length > this.historyLimit) this.compacted = this.history.shift()!.revision;
    for (const w of this.watchers) if (w.resource === resource) w.listener(change);
    for (const c of this.controllers) queueMicrotask(() => c(change));
    return clone(stored);
  }

  /**
   * Replays the changes of `resource` after revision `since` (none when undefined) and subscribes to
   * the next ones. Throws 410 Expired when `since` is older than the history kept.
   */
  watch(resource: string, since: number | undefined, listener: Listener): () => void {
    if (since !== undefined) {
      if (since < this.compacted) throw errors.expired(`too old resource version: ${since} (${this.compacted + 1})`);
      for (const change of this.history) if (change.revision > since && change.resource === resource) listener(change);
    }
    const watcher = { resource, listener };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Calls `listener` (on a microtask) for every change: for controllers. */
  onChange(listener: Listener): () => void {
    this.controllers.add(listener);
    return () => this.controllers.delete(listener);
  }
}
