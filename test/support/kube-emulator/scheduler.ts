// The scheduler of a one-node cluster: binds each new pod of schedulerName default-scheduler to the
// node (spec.nodeName, PodScheduled=True, a Scheduled event) unless it does not fit: the
// unschedulable switch, a nodeSelector the node's labels do not satisfy, or requests beyond the
// node's allocatable (cpu, memory, pods, extended resources such as nvidia.com/gpu, which the node
// has none of unless configured). Then the pod stays Pending with PodScheduled=False/Unschedulable
// and a FailedScheduling event worded like the real one; it is tried again when pods go away or
// the switches change.
import { conditionOf, setCondition } from './pod-conditions';
import { addQuantities, ZERO, type Quantity } from './quantity';
import { containerResources } from './resources/pods';
import type { EventRecorder } from './resources/events';
import type { Store } from './store';
import type { Switches } from './switches';
import type { Pod } from './types';

export interface NodeInfo {
  name: string;
  ip: string;
  labels: Record<string, string>;
  allocatable: Map<string, Quantity>;
}

const ONE_POD: Quantity = { nanos: 1_000_000_000n, format: 'DecimalSI' };

function podRequests(pod: Pod): Map<string, Quantity> {
  const total = new Map<string, Quantity>([['pods', ONE_POD]]);
  for (const c of pod.spec.containers) {
    for (const [name, q] of containerResources(c).requests) total.set(name, addQuantities(total.get(name) ?? ZERO, q));
  }
  return total;
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export class Scheduler {
  private readonly waiting = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly events: EventRecorder,
    private readonly switches: Switches,
    private readonly node: NodeInfo,
  ) {}

  start(): () => void {
    this.switches.onChange(() => this.retry());
    return this.store.onChange((change) => {
      if (change.resource !== 'pods') return;
      const pod = change.object as Pod;
      if (change.type === 'ADDED' && !pod.spec.nodeName) this.attempt(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
      else if (change.type === 'DELETED' || (isTerminal(pod) && !isTerminal(change.previous as Pod))) this.retry();
    });
  }

  private retry(): void {
    for (const key of [...this.waiting]) {
      const [namespace, name] = key.split('/');
      this.attempt(namespace, name);
    }
  }

  /** Why the node cannot take `pod`, in the scheduler's words, or undefined when it can. */
  private unfit(pod: Pod): string | undefined {
    const switched = this.switches.unschedulableReason;
    if (switched !== undefined) return switched;
    const selector = Object.entries(pod.spec.nodeSelector ?? {});
    if (selector.some(([k, v]) => this.node.labels[k] !== v)) {
      return "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    }
    const used = new Map<string, Quantity>();
    for (const other of this.store.list('pods') as Pod[]) {
      if (other.spec.nodeName !== this.node.name || isTerminal(other)) continue;
      for (const [name, q] of podRequests(other)) used.set(name, addQuantities(used.get(name) ?? ZERO, q));
    }
    const reasons: string[] = [];
    for (const [name, q] of podRequests(pod)) {
      if (q.nanos === 0n) continue;
      const free = (this.node.allocatable.get(name)?.nanos ?? 0n) - (used.get(name)?.nanos ?? 0n);
      if (q.nanos > free) reasons.push(name === 'pods' ? '1 Too many pods' : `1 Insufficient ${name}`);
    }
    if (reasons.length === 0) return undefined;
    return `0/1 nodes are available: ${reasons.sort().join(', ')}. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.`;
  }

  private attempt(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const pod = this.store.get('pods', namespace, name) as Pod | undefined;
    if (
      pod === undefined ||
      pod.spec.nodeName ||
      pod.metadata.deletionTimestamp !== undefined ||
      pod.spec.schedulerName !== 'default-scheduler'
    ) {
      this.waiting.delete(key);
      return;
    }
    const reason = this.unfit(pod);
    if (reason !== undefined) {
      this.waiting.add(key);
      const before = conditionOf(pod.status, 'PodScheduled')?.message;
      const updated = this.store.mutate<Pod>('pods', namespace, name, (p) =>
        setCondition(p.status, 'PodScheduled', 'False', 'Unschedulable', reason),
      );
      if (updated !== undefined && before !== reason) this.events.scheduler(updated, 'Warning', 'FailedScheduling', reason, 'Scheduling');
      return;
    }
    this.waiting.delete(key);
    const bound = this.store.mutate<Pod>('pods', namespace, name, (p) => {
      p.spec.nodeName = this.node.name;
      setCondition(p.status, 'PodScheduled', 'True');
    });
    if (bound !== undefined)
      this.events.scheduler(bound, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${this.node.name}`, 'Binding');
  }
}
