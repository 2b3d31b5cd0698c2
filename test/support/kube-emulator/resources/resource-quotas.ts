// ResourceQuotas: the API (create, get, list, watch, delete), the quota controller that keeps
// status.hard/status.used current, and the ResourceQuota admission plugin that refuses a pod or
// secret with 403 Forbidden ("exceeded quota: …" / "failed quota: …: must specify …") exactly as
// pkg/quota/v1 words it.
import { errors, FieldError } from '../status';
import type { ResourceHandler } from '../rest';
import type { Store } from '../store';
import { addQuantities, formatQuantity, parseQuantity, quantityProblem, ZERO, type Quantity } from '../quantity';
import { dns1123Subdomain, validateObjectMeta } from '../validation';
import type { KubeObject, Pod, ResourceList, ResourceQuota, Secret } from '../types';

type Usage = Map<string, Quantity>;

const ONE: Quantity = { nanos: 1_000_000_000n, format: 'DecimalSI' };
const STANDARD = new Set([
  'pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'secrets',
  'configmaps',
  'services',
  'persistentvolumeclaims',
  'requests.storage',
  'resourcequotas',
  'replicationcontrollers',
  'services.loadbalancers',
  'services.nodeports',
]);
/** The resources whose quota makes every container state them (the backward-compatibility rule). */
const MUST_SPECIFY = ['cpu', 'limits.cpu', 'limits.memory', 'memory', 'requests.cpu', 'requests.memory'];

function add(usage: Usage, name: string, q: Quantity): void {
  usage.set(name, addQuantities(usage.get(name) ?? ZERO, q));
}

function quantities(list: ResourceList | undefined): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [name, value] of Object.entries(list ?? {})) {
    const q = parseQuantity(value);
    if (q !== undefined) out.set(name, q);
  }
  return out;
}

/** What one container contributes (podComputeUsageHelper). */
function containerUsage(requests: Map<string, Quantity>, limits: Map<string, Quantity>): Usage {
  const usage: Usage = new Map();
  for (const [name, q] of requests) {
    if (name === 'cpu' || name === 'memory' || name === 'ephemeral-storage') {
      add(usage, name, q);
      add(usage, `requests.${name}`, q);
    } else if (name.includes('/')) add(usage, `requests.${name}`, q);
  }
  for (const [name, q] of limits) if (name === 'cpu' || name === 'memory' || name === 'ephemeral-storage') add(usage, `limits.${name}`, q);
  return usage;
}

export function podUsage(pod: Pod): Usage {
  const usage: Usage = new Map([
    ['pods', ONE],
    ['count/pods', ONE],
  ]);
  for (const c of pod.spec.containers) {
    for (const [name, q] of containerUsage(quantities(c.resources?.requests), quantities(c.resources?.limits))) add(usage, name, q);
  }
  return usage;
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function pretty(usage: Usage, names: string[]): string {
  return names.map((n) => `${n}=${formatQuantity(usage.get(n) ?? ZERO)}`).join(',');
}

export class Quotas {
  constructor(private readonly store: Store) {}

  private quotas(namespace: string | undefined): ResourceQuota[] {
    return this.store.list('resourcequotas', namespace) as ResourceQuota[];
  }

  /** What the namespace uses now, for every resource a quota can count. */
  private used(namespace: string): Usage {
    const usage: Usage = new Map();
    for (const pod of this.store.list('pods', namespace) as Pod[]) {
      if (isTerminal(pod)) continue;
      for (const [name, q] of podUsage(pod)) add(usage, name, q);
    }
    const secrets = this.store.list('secrets', namespace).length;
    const count: Quantity = { nanos: BigInt(secrets) * ONE.nanos, format: 'DecimalSI' };
    usage.set('secrets', count);
    usage.set('count/secrets', count);
    return usage;
  }

  /** Refuses `delta` (the usage of an object being created) when a quota of `namespace` would be exceeded. */
  private check(
    resource: string,
    name: string,
    namespace: string,
    delta: Usage,
    constraints?: (hard: string[]) => string | undefined,
  ): void {
    const used = this.used(namespace);
    for (const quota of this.quotas(namespace)) {
      const hard = quantities(quota.spec.hard);
      const hardNames = [...hard.keys()];
      const missing = constraints?.(hardNames);
      if (missing !== undefined) throw errors.forbidden(resource, name, `failed quota: ${quota.metadata.name}: ${missing}`);
      const exceeded = hardNames
        .filter((n) => delta.has(n) && (used.get(n) ?? ZERO).nanos + delta.get(n)!.nanos > hard.get(n)!.nanos)
        .sort();
      if (exceeded.length > 0) {
        throw errors.forbidden(
          resource,
          name,
          `exceeded quota: ${quota.metadata.name}, requested: ${pretty(delta, exceeded)}, used: ${pretty(used, exceeded)}, limited: ${pretty(hard, exceeded)}`,
        );
      }
    }
  }

  admitPod(pod: Pod): void {
    const constraints = (hardNames: string[]): string | undefined => {
      const required = MUST_SPECIFY.filter((n) => hardNames.includes(n));
      const missing = new Map<string, string[]>();
      for (const c of pod.spec.containers) {
        const has = containerUsage(quantities(c.resources?.requests), quantities(c.resources?.limits));
        for (const r of required) if (!has.has(r)) missing.set(r, [...(missing.get(r) ?? []), c.name]);
      }
      if (missing.size === 0) return undefined;
      const parts = [...missing.keys()].sort().map((r) => `${r} for: ${missing.get(r)!.sort().join(',')}`);
      return `must specify ${parts.join('; ')}`;
    };
    this.check('pods', pod.metadata.name ?? '', pod.metadata.namespace ?? '', podUsage(pod), constraints);
  }

  admitSecret(secret: Secret): void {
    const delta: Usage = new Map([
      ['secrets', ONE],
      ['count/secrets', ONE],
    ]);
    this.check('secrets', secret.metadata.name ?? '', secret.metadata.namespace ?? '', delta);
  }

  /** The quota controller: writes status.hard and status.used of the quotas of `namespace` when they changed. */
  refresh(namespace: string): void {
    const quotas = this.quotas(namespace);
    if (quotas.length === 0) return;
    const used = this.used(namespace);
    for (const quota of quotas) {
      const hard = quantities(quota.spec.hard);
      const status = { hard: {} as Record<string, string>, used: {} as Record<string, string> };
      for (const [name, q] of hard) {
        status.hard[name] = formatQuantity(q);
        status.used[name] = formatQuantity(used.get(name) ?? ZERO);
      }
      this.store.mutate<ResourceQuota>('resourcequotas', namespace, quota.metadata.name ?? '', (rq) => {
        rq.status = status;
      });
    }
  }

  /** Keeps the statuses current as pods, secrets and quotas change. */
  startController(): () => void {
    return this.store.onChange((change) => {
      if (['pods', 'secrets', 'resourcequotas'].includes(change.resource) && change.object.metadata.namespace !== undefined) {
        if (change.resource === 'resourcequotas' && change.type !== 'ADDED') return;
        this.refresh(change.object.metadata.namespace);
      }
    });
  }

  handler(): ResourceHandler {
    return {
      resource: 'resourcequotas',
      kind: 'ResourceQuota',
      namespaced: true,
      verbs: new Set(['create', 'get', 'list', 'watch', 'delete']),
      prepare(object: KubeObject): KubeObject {
        const quota = object as ResourceQuota;
        quota.spec = quota.spec ?? {};
        const errs = validateObjectMeta(quota.metadata, dns1123Subdomain);
        for (const [name, value] of Object.entries(quota.spec.hard ?? {})) {
          const problem = quantityProblem(value);
          if (problem !== undefined) throw errors.undecodable('ResourceQuota', problem);
          const q = parseQuantity(value)!;
          const field = `spec.hard[${name}]`;
          if (!STANDARD.has(name) && !name.startsWith('count/') && !name.includes('/')) {
            errs.push(FieldError.invalid(field, name, 'must be a standard resource for quota'));
          }
          if (q.nanos < 0n) errs.push(FieldError.invalid(field, String(value), 'must be greater than or equal to 0'));
        }
        if (quota.spec.scopes !== undefined) errs.push(FieldError.unsupportedByEmulator('spec.scopes'));
        if (quota.spec.scopeSelector !== undefined) errs.push(FieldError.unsupportedByEmulator('spec.scopeSelector'));
        if (errs.length > 0) throw errors.invalid('ResourceQuota', quota.metadata.name ?? '', errs);
        quota.status = {};
        return quota;
      },
    };
  }
}
