/** Where the exec config of a kernel started from a plain kernelspec came from. */
export type ExecConfigChoiceSource = 'request' | 'group' | 'gateway';

export interface ExecConfigChoiceInput {
  /** KERNEL_EXECUTION_CONFIG from the start request, if any. */
  readonly requested?: string;
  /** The caller's groups, in the order the identity lists them. */
  readonly groups: readonly string[];
  /** `groupDefaults` from the gateway config: group → exec config id. */
  readonly groupDefaults: Readonly<Record<string, string>>;
  /** `defaultExecutionConfig` from the gateway config. */
  readonly gatewayDefault: string;
}

/**
 * The default cascade for plain kernelspecs (python3, ir): the gateway default, overridden by the
 * default of the caller's first group that has one, overridden by the request's
 * KERNEL_EXECUTION_CONFIG. Permission is checked afterwards, on whichever id wins.
 */
export function chooseExecConfig(input: ExecConfigChoiceInput): { id: string; source: ExecConfigChoiceSource } {
  const requested = input.requested?.trim();
  if (requested) return { id: requested, source: 'request' };
  const group = input.groups.find((name) => Object.hasOwn(input.groupDefaults, name));
  if (group !== undefined) return { id: input.groupDefaults[group]!, source: 'group' };
  return { id: input.gatewayDefault, source: 'gateway' };
}

/** Words for who may use an exec config: "members of the groups data-science, or the users ann". */
export function describeAccess(permissions: { readonly groups?: readonly string[]; readonly users?: readonly string[] }): string {
  const groups = permissions.groups ?? [];
  const users = permissions.users ?? [];
  const parts = [
    groups.length > 0 ? `members of the group${groups.length === 1 ? '' : 's'} ${groups.join(', ')}` : undefined,
    users.length > 0 ? `the user${users.length === 1 ? '' : 's'} ${users.join(', ')}` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', or ') : 'admins';
}
