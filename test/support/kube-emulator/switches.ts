// Failure switches for tests: the cluster conditions a product must report, produced the way the real
// components produce them (the kubelet's pull errors and OOM kills, the scheduler's Unschedulable,
// a namespace ResourceQuota).
import type { Rest } from './rest';
import type { ResourceList, ResourceQuota } from './types';

/** What a cordoned single-node cluster's scheduler says. */
export const DEFAULT_UNSCHEDULABLE =
  '0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';

/** docker.io/library/busybox:latest for busybox; how containerd names an image in its errors. */
export function normalizeImage(image: string): string {
  let ref = image;
  const slash = ref.indexOf('/');
  const first = slash === -1 ? '' : ref.slice(0, slash);
  if (slash === -1) ref = `docker.io/library/${ref}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') ref = `docker.io/${ref}`;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  if (!last.includes(':') && !ref.includes('@')) ref = `${ref}:latest`;
  return ref;
}

export function pullAccessDenied(image: string): string {
  const ref = normalizeImage(image);
  return (
    `rpc error: code = Unknown desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ` +
    'pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed'
  );
}

export class Switches {
  private readonly pullFailures = new Map<string, string>();
  private unschedulableMessage: string | undefined;
  private readonly ooms: number[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly rest: Rest) {}

  /** Pulls of `image` fail (ErrImagePull, then ImagePullBackOff) with `message`, the runtime's error, until reset(). */
  pullFails(image: string, message: string = pullAccessDenied(image)): void {
    this.pullFailures.set(normalizeImage(image), message);
  }

  /** The pull error the switches set for `image`, if any. */
  pullFailure(image: string): string | undefined {
    return this.pullFailures.get(normalizeImage(image));
  }

  /** The scheduler cannot place pods (Pending, PodScheduled=False/Unschedulable, FailedScheduling) until reset(). */
  unschedulable(message: string = DEFAULT_UNSCHEDULABLE): void {
    this.unschedulableMessage = message;
    this.changed();
  }

  get unschedulableReason(): string | undefined {
    return this.unschedulableMessage;
  }

  /** The next container to start is OOM-killed `afterMs` after it started (exit 137, reason OOMKilled). */
  oomNext(afterMs = 0): void {
    this.ooms.push(afterMs);
  }

  /** For the kubelet: the OOM delay for the container starting now, if one was asked for. */
  takeOom(): number | undefined {
    return this.ooms.shift();
  }

  /** Creates ResourceQuota `name` in `namespace` with `hard` (e.g. { cpu: '1', memory: '1Gi', pods: '2' }), as an admin would. */
  quota(namespace: string, hard: ResourceList, name = 'kube-emulator-quota'): ResourceQuota {
    return this.rest.create('resourcequotas', namespace, { metadata: { name }, spec: { hard } }) as ResourceQuota;
  }

  /** Clears the pull failures, unschedulability and pending OOMs (quotas stay: delete them through the API). */
  reset(): void {
    this.pullFailures.clear();
    this.unschedulableMessage = undefined;
    this.ooms.length = 0;
    this.changed();
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
