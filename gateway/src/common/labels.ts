/**
 * Labels and markers Berth puts on everything it starts, so it can find what it owns
 * (reattach, orphan reaping) and tests can clean up after themselves.
 */
export const LABELS = {
  managedBy: 'berth.io/managed-by',
  kernelId: 'berth.io/kernel-id',
  gatewayId: 'berth.io/gateway-id',
} as const;

export const MANAGED_BY_VALUE = 'berth';
