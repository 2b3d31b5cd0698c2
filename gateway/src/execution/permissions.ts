import type { Identity } from './identity';

/** Who may use an exec config: members of any listed group, or any listed user. */
export interface AccessList {
  readonly groups?: readonly string[];
  readonly users?: readonly string[];
}

/**
 * The gateway's permission rules in one place. Admins may do everything; everyone else acts
 * only on what they own, and uses only the exec configs their name or groups are allowed.
 */
export class Permissions {
  /** Kernels (and the sessions on them) are visible to their owner and to admins. */
  canSeeKernel(identity: Identity, kernel: { readonly owner: string }): boolean {
    return identity.admin || kernel.owner === identity.name;
  }

  /**
   * The hook for exec configs: `permissions` with no lists (or empty ones), or the group "*"
   * (the exec-config schema's default), means everyone; otherwise the caller's name or one of
   * their groups must be listed. Admins may use any.
   */
  canUseExecConfig(identity: Identity, execConfig: { readonly permissions?: AccessList }): boolean {
    const groups = execConfig.permissions?.groups ?? [];
    const users = execConfig.permissions?.users ?? [];
    if (identity.admin || groups.includes('*') || (groups.length === 0 && users.length === 0)) return true;
    return users.includes(identity.name) || identity.groups.some((group) => groups.includes(group));
  }

  /**
   * The owner recorded for a kernel `identity` starts. It is the identity's name; only an admin
   * (the shared token: typically a Jupyter Server starting kernels for its users) may name
   * another owner through KERNEL_USERNAME. An admin may act on every kernel anyway, so this
   * grants nothing a client could not already do; a non-admin's KERNEL_USERNAME is ignored.
   */
  kernelOwner(identity: Identity, env: Readonly<Record<string, string>>): string {
    const requested = env['KERNEL_USERNAME'];
    return identity.admin && requested ? requested : identity.name;
  }
}
