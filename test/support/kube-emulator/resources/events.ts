// core/v1 Events: read through the API (list, get, watch, with the real field selectors) and written
// by the emulator's scheduler and kubelet the way theirs are: the scheduler's with eventTime,
// action and reportingComponent "default-scheduler"; the kubelet's with source, first/last
// timestamps and a count that grows when the same event repeats.
import { microTime, newUid, rfc3339 } from '../meta';
import type { ResourceHandler } from '../rest';
import type { Store } from '../store';
import type { KubeEvent, KubeObject, Pod } from '../types';

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export const eventsHandler: ResourceHandler = {
  resource: 'events',
  kind: 'Event',
  namespaced: true,
  verbs: new Set(['get', 'list', 'watch']),
  fields: {
    'involvedObject.kind': (o) => str((o as KubeEvent).involvedObject?.kind),
    'involvedObject.namespace': (o) => str((o as KubeEvent).involvedObject?.namespace),
    'involvedObject.name': (o) => str((o as KubeEvent).involvedObject?.name),
    'involvedObject.uid': (o) => str((o as KubeEvent).involvedObject?.uid),
    'involvedObject.apiVersion': (o) => str((o as KubeEvent).involvedObject?.apiVersion),
    'involvedObject.resourceVersion': (o) => str((o as KubeEvent).involvedObject?.resourceVersion),
    'involvedObject.fieldPath': (o) => str((o as KubeEvent).involvedObject?.fieldPath),
    reason: (o) => str(o.reason),
    reportingComponent: (o) => str(o.reportingComponent),
    source: (o) => str((o as KubeEvent).source?.component),
    type: (o) => str(o.type),
  },
};

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private sequence = 0;

  constructor(
    private readonly store: Store,
    private readonly nodeName: string,
  ) {}

  private name(pod: KubeObject): string {
    // The real name is the object's name and the event time in nanoseconds, in hex.
    const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
    return `${pod.metadata.name}.${nanos.toString(16)}`;
  }

  /** Events are refused, like any new content, in a namespace that is gone or terminating. */
  private namespaceOpen(pod: Pod): boolean {
    const ns = this.store.get('namespaces', undefined, pod.metadata.namespace ?? '');
    return ns !== undefined && ns.metadata.deletionTimestamp === undefined;
  }

  private involved(pod: Pod, fieldPath?: string): KubeEvent['involvedObject'] {
    const ref: KubeEvent['involvedObject'] = {
      apiVersion: 'v1',
      kind: 'Pod',
      name: pod.metadata.name ?? '',
      namespace: pod.metadata.namespace ?? '',
      uid: pod.metadata.uid ?? '',
      resourceVersion: pod.metadata.resourceVersion,
    };
    if (fieldPath !== undefined) ref.fieldPath = fieldPath;
    return ref;
  }

  /** An event of the scheduler (events.k8s.io style, seen through core/v1). */
  scheduler(pod: Pod, type: EventType, reason: string, message: string, action: string): void {
    const event: KubeEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.name(pod), namespace: pod.metadata.namespace, uid: newUid(), creationTimestamp: rfc3339() },
      involvedObject: this.involved(pod),
      reason,
      message,
      type,
      action,
      eventTime: microTime(),
      firstTimestamp: null,
      lastTimestamp: null,
      source: {},
      reportingComponent: 'default-scheduler',
      reportingInstance: `default-scheduler-${this.nodeName}`,
    };
    if (this.namespaceOpen(pod)) this.store.create('events', event);
  }

  /** An event of the kubelet; a repeat of the same one (object, field, reason, message) bumps its count. */
  kubelet(pod: Pod, type: EventType, reason: string, message: string, container?: string): void {
    const fieldPath = container === undefined ? undefined : `spec.containers{${container}}`;
    const now = rfc3339();
    const same = this.store.list('events', pod.metadata.namespace).find((e): e is KubeEvent => {
      const ev = e as KubeEvent;
      return (
        ev.involvedObject.uid === pod.metadata.uid &&
        ev.involvedObject.fieldPath === fieldPath &&
        ev.reason === reason &&
        ev.message === message &&
        ev.type === type &&
        ev.reportingComponent === 'kubelet'
      );
    });
    if (same !== undefined) {
      this.store.mutate<KubeEvent>('events', same.metadata.namespace, same.metadata.name ?? '', (e) => {
        e.count = (e.count ?? 1) + 1;
        e.lastTimestamp = now;
      });
      return;
    }
    const event: KubeEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.name(pod), namespace: pod.metadata.namespace, uid: newUid(), creationTimestamp: now },
      involvedObject: this.involved(pod, fieldPath),
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      eventTime: null,
      source: { component: 'kubelet', host: this.nodeName },
      reportingComponent: 'kubelet',
      reportingInstance: this.nodeName,
    };
    if (this.namespaceOpen(pod)) this.store.create('events', event);
  }
}
