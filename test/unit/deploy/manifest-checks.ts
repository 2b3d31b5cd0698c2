// Checks of the deployment manifests, each returning the problems it finds (empty: fine), so the
// tests can show every one of them failing on a broken copy.
import type { V1Container, V1Deployment, V1PodSpec, V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { buildProgram } from '../../../gateway/src/cli/main';
import { loadConfig } from '../../../gateway/src/config/load';
import { permission, type Permission } from './client-rbac';

/** Problems of a Role against the permissions the client needs: wildcards, anything missing, anything more. */
export function roleProblems(role: V1Role, needed: ReadonlySet<Permission>): string[] {
  const problems: string[] = [];
  const granted = new Set<Permission>();
  (role.rules ?? []).forEach((rule, index) => {
    const lists = { apiGroups: rule.apiGroups ?? [], resources: rule.resources ?? [], verbs: rule.verbs };
    for (const [field, values] of Object.entries(lists)) {
      if (values.some((value) => value.includes('*'))) problems.push(`rules[${index}].${field} has a wildcard`);
    }
    if (rule.resourceNames !== undefined)
      problems.push(`rules[${index}] limits resourceNames, which kernels' generated names cannot match`);
    if (rule.nonResourceURLs !== undefined) problems.push(`rules[${index}] grants nonResourceURLs`);
    for (const group of lists.apiGroups)
      for (const resource of lists.resources) for (const verb of lists.verbs) granted.add(permission(group, resource, verb));
  });
  for (const need of needed) if (!granted.has(need)) problems.push(`missing ${need}`);
  for (const grant of granted) if (!needed.has(grant)) problems.push(`grants ${grant}, which the client never uses`);
  return problems;
}

/** Problems of the binding between the Role, the ServiceAccount and the pod that runs as it. */
export function bindingProblems(
  binding: V1RoleBinding,
  role: V1Role,
  account: V1ServiceAccount,
  deployment: V1Deployment,
  namespace: string | undefined,
): string[] {
  const problems: string[] = [];
  const { roleRef } = binding;
  if (roleRef.kind !== 'Role' || roleRef.name !== role.metadata?.name || roleRef.apiGroup !== 'rbac.authorization.k8s.io') {
    problems.push(`roleRef ${roleRef.kind}/${roleRef.name} is not the Role ${role.metadata?.name}`);
  }
  const subjects = binding.subjects ?? [];
  if (subjects.length !== 1) problems.push(`${subjects.length} subjects, expected the gateway's ServiceAccount only`);
  const subject = subjects[0];
  if (subject?.kind !== 'ServiceAccount' || subject.name !== account.metadata?.name) {
    problems.push(`the subject ${subject?.kind}/${subject?.name} is not the ServiceAccount ${account.metadata?.name}`);
  }
  // Left out, kustomize sets the account's namespace; given, it must be that one.
  if (subject?.namespace !== undefined && subject.namespace !== namespace) {
    problems.push(`the subject's namespace ${subject.namespace} is not the kustomization's ${namespace}`);
  }
  const pod = deployment.spec?.template.spec;
  if (pod?.serviceAccountName !== account.metadata?.name) {
    problems.push(`the Deployment runs as ${pod?.serviceAccountName ?? 'the default account'}, not ${account.metadata?.name}`);
  }
  if (pod?.automountServiceAccountToken === false || account.automountServiceAccountToken === false) {
    problems.push("the account's token is not mounted: the gateway's in-cluster config needs it");
  }
  return problems;
}

/** The flags `berth serve` accepts, from the command itself. */
export function serveFlags(): string[] {
  return (buildProgram().commands.find((command) => command.name() === 'serve')?.options ?? []).flatMap((option) =>
    [option.long, option.short].filter((flag): flag is string => flag !== undefined),
  );
}

/** Whether the gateway's config reads an environment variable: setting it alone changes the config (or is refused). */
export function readsEnv(name: string, value: string): boolean {
  const without = JSON.stringify(loadConfig({ env: {} }));
  try {
    return JSON.stringify(loadConfig({ env: { [name]: value } })) !== without;
  } catch {
    return true; // refused as a bad value of a variable it reads
  }
}

/**
 * Problems of the gateway container's command line and environment: a subcommand the CLI has, only
 * flags `berth serve` defines (parsed by its own commander definition), only variables the config
 * reads, and the token from a Secret, never a literal.
 */
export function commandLineProblems(container: V1Container): string[] {
  const problems: string[] = [];
  if (container.command !== undefined) problems.push('command replaces the image entrypoint (berth.js)');
  const [subcommand, ...flags] = container.args ?? [];
  const program = buildProgram();
  const command = program.commands.find((candidate) => candidate.name() === subcommand);
  if (command === undefined) {
    problems.push(`args start with "${subcommand}", not a berth command (${program.commands.map((c) => c.name()).join(', ')})`);
  } else {
    // Errors as exceptions, not an exit, and not printed: they become problems.
    command.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    try {
      const parsed = command.parseOptions(flags);
      if (parsed.unknown.length > 0) problems.push(`berth ${subcommand} does not accept ${parsed.unknown.join(' ')}`);
      if (parsed.operands.length > 0) problems.push(`berth ${subcommand} takes no operands: ${parsed.operands.join(' ')}`);
    } catch (error) {
      problems.push(`berth ${subcommand} refuses its args: ${(error as Error).message}`);
    }
  }
  if (flags.some((flag) => flag === '--token' || flag.startsWith('--token=')))
    problems.push('the token is a flag (visible in ps and the pod spec)');
  for (const variable of container.env ?? []) {
    const sample = variable.value ?? 'a-value-from-a-secret';
    if (!readsEnv(variable.name, sample)) problems.push(`env ${variable.name} is read by no gateway setting`);
  }
  const token = (container.env ?? []).find((variable) => variable.name === 'BERTH_TOKEN');
  if (token === undefined) problems.push('no BERTH_TOKEN: the gateway refuses a non-loopback address without a token');
  else if (
    token.value !== undefined ||
    token.valueFrom?.secretKeyRef?.name === undefined ||
    token.valueFrom.secretKeyRef.key === undefined
  ) {
    problems.push('BERTH_TOKEN does not come from a secretKeyRef');
  }
  return problems;
}

/** Problems of the pod's security: it must run as a non-root user with nothing to escalate to. */
export function securityProblems(pod: V1PodSpec, container: V1Container): string[] {
  const problems: string[] = [];
  const podContext = pod.securityContext ?? {};
  const own = container.securityContext ?? {};
  if ((own.runAsNonRoot ?? podContext.runAsNonRoot) !== true) problems.push('runAsNonRoot is not true');
  const user = own.runAsUser ?? podContext.runAsUser;
  if (user === undefined || user === 0) problems.push(`runAsUser is ${user ?? 'unset'}`);
  if (own.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');
  if (own.privileged === true) problems.push('the container is privileged');
  if (!(own.capabilities?.drop ?? []).includes('ALL') || (own.capabilities?.add ?? []).length > 0) {
    problems.push('capabilities are not all dropped');
  }
  if ((own.seccompProfile ?? podContext.seccompProfile)?.type !== 'RuntimeDefault') problems.push('no RuntimeDefault seccomp profile');
  if (pod.hostNetwork === true || pod.hostPID === true || pod.hostIPC === true) problems.push("the pod shares the node's namespaces");
  return problems;
}
