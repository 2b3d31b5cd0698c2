import type { ExecConfig } from '../execution/execution-config';

/**
 * Exec config quotas as pure arithmetic: what the running kernels of an exec config use together
 * (kernels, CPU limits, memory limits), overall and per user, and whether one more kernel fits.
 * The counts cover every daemon, since they come from the gateway's own kernels.
 */

export interface KernelUse {
  readonly owner: string;
  readonly execConfigId: string;
  readonly cpus: number;
  readonly memory: number;
}

export type QuotaLimit = 'maxKernels' | 'cpus' | 'memory';

export interface Holder {
  readonly owner: string;
  readonly kernels: number;
  readonly cpus: number;
  readonly memory: number;
}

export interface QuotaProblem {
  /** "exec config": all users together; "user": the starting user's own kernels. */
  readonly scope: 'exec config' | 'user';
  readonly limit: QuotaLimit;
  readonly max: number;
  readonly used: number;
  /** What the new kernel adds. */
  readonly requested: number;
  /** Who holds what counts against the limit, largest first. */
  readonly holders: readonly Holder[];
}

/** What one kernel of the exec config counts. */
export function useOf(execConfig: ExecConfig, owner: string): KernelUse {
  return { owner, execConfigId: execConfig.id, cpus: execConfig.resources.cpus ?? 0, memory: execConfig.resources.memory ?? 0 };
}

function holders(uses: readonly KernelUse[]): Holder[] {
  const byOwner = new Map<string, { kernels: number; cpus: number; memory: number }>();
  for (const use of uses) {
    const entry = byOwner.get(use.owner) ?? { kernels: 0, cpus: 0, memory: 0 };
    entry.kernels += 1;
    entry.cpus += use.cpus;
    entry.memory += use.memory;
    byOwner.set(use.owner, entry);
  }
  return [...byOwner.entries()]
    .map(([owner, held]) => ({ owner, ...held }))
    .sort((a, b) => b.kernels - a.kernels || a.owner.localeCompare(b.owner));
}

function exceeded(
  scope: QuotaProblem['scope'],
  limits: { maxKernels?: number; cpus?: number; memory?: number },
  uses: readonly KernelUse[],
  next: KernelUse,
): QuotaProblem | undefined {
  const sum = (pick: (use: KernelUse) => number): number => uses.reduce((total, use) => total + pick(use), 0);
  const checks: [QuotaLimit, number | undefined, number, number][] = [
    ['maxKernels', limits.maxKernels, uses.length, 1],
    ['cpus', limits.cpus, sum((use) => use.cpus), next.cpus],
    ['memory', limits.memory, sum((use) => use.memory), next.memory],
  ];
  for (const [limit, max, used, requested] of checks) {
    // A tiny epsilon: fractional CPUs add up with floating-point error.
    if (max !== undefined && used + requested > max + 1e-9) return { scope, limit, max, used, requested, holders: holders(uses) };
  }
  return undefined;
}

/** The first quota one more kernel of `owner` on `execConfig` would exceed, or undefined when it fits. */
export function quotaProblem(execConfig: ExecConfig, owner: string, running: readonly KernelUse[]): QuotaProblem | undefined {
  const next = useOf(execConfig, owner);
  const mine = running.filter((use) => use.execConfigId === execConfig.id);
  return (
    exceeded('exec config', execConfig.quotas, mine, next) ??
    exceeded(
      'user',
      execConfig.quotas.perUser,
      mine.filter((use) => use.owner === owner),
      next,
    )
  );
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function amount(limit: QuotaLimit, value: number): string {
  if (limit === 'maxKernels') return `${value} kernel${value === 1 ? '' : 's'}`;
  if (limit === 'cpus') return `${Number(value.toFixed(3))} CPU${value === 1 ? '' : 's'}`;
  return value >= GIB ? `${Number((value / GIB).toFixed(2))} GiB` : `${Number((value / MIB).toFixed(1))} MiB`;
}

/**
 * The 429 message: the limit, what is in use and by whom, and what the start needs. Non-admins see
 * their own kernels by name and everyone else's only as a total.
 */
export function describeQuotaProblem(problem: QuotaProblem, execConfigId: string, viewer: { name: string; admin: boolean }): string {
  const { limit } = problem;
  const whose = problem.scope === 'user' ? `per user (you, ${viewer.name})` : 'for all its kernels together';
  const shown = viewer.admin ? problem.holders : problem.holders.filter((holder) => holder.owner === viewer.name);
  const others = problem.holders.filter((holder) => !shown.includes(holder));
  const describe = (who: string, held: { kernels: number; cpus: number; memory: number }): string =>
    `${who}: ${amount('maxKernels', held.kernels)}${limit === 'maxKernels' ? '' : `, ${amount(limit, limit === 'cpus' ? held.cpus : held.memory)}`}`;
  const parts = shown.map((holder) => describe(holder.owner === viewer.name ? `${holder.owner} (you)` : holder.owner, holder));
  if (others.length > 0) {
    const total = others.reduce(
      (sum, held) => ({ kernels: sum.kernels + held.kernels, cpus: sum.cpus + held.cpus, memory: sum.memory + held.memory }),
      {
        kernels: 0,
        cpus: 0,
        memory: 0,
      },
    );
    parts.push(describe('other users', total));
  }
  return (
    `Exec config "${execConfigId}" allows at most ${amount(limit, problem.max)} ${whose}; ${amount(limit, problem.used)} ${limit === 'maxKernels' ? (problem.used === 1 ? 'is running' : 'are running') : 'are in use'}` +
    `${parts.length > 0 ? ` (${parts.join('; ')})` : ''}${limit === 'maxKernels' ? '' : ` and this kernel needs ${amount(limit, problem.requested)}`}. ` +
    `Shut down a kernel you no longer need, try again later, or ask an admin to raise quotas${problem.scope === 'user' ? '.perUser' : ''}.`
  );
}
