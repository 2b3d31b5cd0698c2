// Pod conditions as the scheduler and the kubelet write them: a condition keeps its
// lastTransitionTime while its status stays the same, and they are listed in the kubelet's order.
import { rfc3339 } from './meta';
import type { PodCondition, PodStatus } from './types';

const ORDER = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

export function setCondition(status: PodStatus, type: string, value: PodCondition['status'], reason?: string, message?: string): void {
  const conditions = status.conditions ?? [];
  const existing = conditions.find((c) => c.type === type);
  const next: PodCondition = {
    type,
    status: value,
    lastProbeTime: null,
    lastTransitionTime: existing !== undefined && existing.status === value ? existing.lastTransitionTime : rfc3339(),
  };
  if (reason !== undefined) next.reason = reason;
  if (message !== undefined) next.message = message;
  status.conditions = [...conditions.filter((c) => c.type !== type), next].sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
}

export function conditionOf(status: PodStatus | undefined, type: string): PodCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}
