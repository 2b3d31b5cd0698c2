import { resolve } from 'node:path';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../common/errors';
import type { CodeEnv } from '../execution/code-env';
import type { ConfigRegistry } from '../execution/config-registry';
import { chooseExecConfig, describeAccess } from '../execution/exec-config-choice';
import type { ContainerExecConfig, ExecConfig } from '../execution/execution-config';
import type { Identity } from '../execution/identity';
import { execConfigsForCodeEnv } from '../execution/kernel-pairs';
import { Permissions } from '../execution/permissions';
import type { KernelSpecCatalog } from './catalog';
import type { ResolvedKernelSpec } from './kernelspec';
import { baseKernelName, interruptModeOn, pairKernelspec } from './pair-specs';

export interface KernelTargetDefaults {
  /** The gateway's defaultKernelName: a plain spec, or a `<code-env>--<exec-config>` pair. */
  readonly defaultKernelName?: string;
  readonly defaultExecutionConfig: string;
  readonly groupDefaults: Readonly<Record<string, string>>;
}

/** What a start request resolves to: the spec to launch, its exec config and the kernel's env (the client's KERNEL_* variables). */
export interface KernelTarget {
  readonly spec: ResolvedKernelSpec;
  readonly execConfig: ExecConfig;
  /** The code env of a `<code-env>--<exec-config>` spec. */
  readonly codeEnv?: CodeEnv;
  readonly env: Record<string, string>;
}

/** The client variable naming the exec config of a kernel started from a plain kernelspec. */
export const EXEC_CONFIG_ENV = 'KERNEL_EXECUTION_CONFIG';

/**
 * The kernelspecs a caller sees and may start: the plain specs of the catalog (python3, ir: run
 * with the exec config the default cascade picks) and one spec per code env × exec config pair
 * whose exec config the caller may use.
 */
export class KernelTargets {
  private readonly permissions = new Permissions();

  constructor(
    private readonly catalog: KernelSpecCatalog,
    private readonly registry: ConfigRegistry,
    private readonly defaults: KernelTargetDefaults,
  ) {}

  /** The configured default when it is a pair the caller may use, else the catalog's default (a plain spec). */
  defaultSpecName(identity?: Identity): string {
    const configured = this.defaults.defaultKernelName;
    const pair = configured === undefined ? undefined : this.findPair(configured);
    if (pair && (!identity || this.permissions.canUseExecConfig(identity, pair.execConfig))) return configured!;
    return this.catalog.defaultSpecName();
  }

  /** Plain specs, then the pairs `identity` may use (all pairs without an identity: the CLI). */
  list(identity: Identity | undefined): Map<string, ResolvedKernelSpec> {
    const plain = this.catalog.list();
    const all = new Map(plain);
    for (const { codeEnv, execConfig } of this.pairs()) {
      if (identity && !this.permissions.canUseExecConfig(identity, execConfig)) continue;
      const base = plain.get(baseKernelName(codeEnv));
      if (base) all.set(pairKernelspec(codeEnv, execConfig, base).name, pairKernelspec(codeEnv, execConfig, base));
    }
    return all;
  }

  /** A spec by name; a pair whose exec config the caller may not use is 403 naming who may. */
  get(identity: Identity | undefined, name: string): ResolvedKernelSpec {
    const pair = this.findPair(name);
    if (!pair) return this.catalog.get(name);
    if (identity) this.checkUse(identity, pair.execConfig, `Kernel spec "${name}" runs on exec config "${pair.execConfig.id}"`);
    const base = this.catalog.get(baseKernelName(pair.codeEnv));
    return pairKernelspec(pair.codeEnv, pair.execConfig, base);
  }

  resourcePath(identity: Identity | undefined, name: string, fileName: string): string {
    const spec = this.get(identity, name);
    if (!spec.resourceFiles.includes(fileName)) throw new NotFoundError(`Kernel spec "${name}" has no resource "${fileName}".`);
    return resolve(spec.resourceDir, fileName);
  }

  /**
   * Resolves a start request. A pair names its exec config; a plain spec takes the one the
   * cascade picks (gateway default → group default → KERNEL_EXECUTION_CONFIG). The caller must be
   * allowed to use it. Without an identity (internal callers) no permission is checked. Kernels in
   * Kubernetes pods are interrupted by message, whatever a plain kernelspec says.
   */
  resolveStart(name: string | undefined, identity: Identity | undefined, env: Readonly<Record<string, string>>): KernelTarget {
    const specName = name || this.defaultSpecName(identity);
    const pair = this.findPair(specName);
    let execConfig: ExecConfig;
    let spec: ResolvedKernelSpec;
    if (pair) {
      spec = this.get(identity, specName);
      execConfig = pair.execConfig;
    } else {
      spec = this.catalog.get(specName);
      const choice = chooseExecConfig({
        requested: env[EXEC_CONFIG_ENV],
        groups: identity?.groups ?? [],
        groupDefaults: this.defaults.groupDefaults,
        gatewayDefault: this.defaults.defaultExecutionConfig,
      });
      const found = this.registry.findExecConfig(choice.id);
      if (!found) {
        const known = this.registry
          .execConfigs()
          .filter((config) => !identity || this.permissions.canUseExecConfig(identity, config))
          .map((config) => config.id);
        const from = { request: `${EXEC_CONFIG_ENV}`, group: 'groupDefaults in the gateway config', gateway: 'defaultExecutionConfig' };
        throw new InvalidInputError(
          `No exec config "${choice.id}" (from ${from[choice.source]}); exec configs you may use: ${known.join(', ') || 'none'}.`,
          { details: { executionConfig: choice.id } },
        );
      }
      execConfig = found;
      if (identity) this.checkUse(identity, execConfig, `Exec config "${execConfig.id}"`);
    }
    const interruptMode = interruptModeOn(execConfig, spec.spec.interrupt_mode);
    if (interruptMode !== spec.spec.interrupt_mode) spec = { ...spec, spec: { ...spec.spec, interrupt_mode: interruptMode } };
    return { spec, execConfig, ...(pair ? { codeEnv: pair.codeEnv } : {}), env: { ...env } };
  }

  /** Every valid code env × container exec config pair. */
  private pairs(): { codeEnv: CodeEnv; execConfig: ContainerExecConfig }[] {
    const execConfigs = this.registry.execConfigs();
    return this.registry
      .codeEnvs()
      .flatMap((codeEnv) => execConfigsForCodeEnv(codeEnv, execConfigs).map((execConfig) => ({ codeEnv, execConfig })));
  }

  private findPair(name: string): { codeEnv: CodeEnv; execConfig: ContainerExecConfig } | undefined {
    const separator = name.indexOf('--');
    if (separator < 0) return undefined;
    const codeEnv = this.registry.findCodeEnv(name.slice(0, separator));
    const execConfigId = name.slice(separator + 2);
    if (!codeEnv) return undefined;
    const execConfig = execConfigsForCodeEnv(codeEnv, this.registry.execConfigs()).find((config) => config.id === execConfigId);
    return execConfig && { codeEnv, execConfig };
  }

  private checkUse(identity: Identity, execConfig: ExecConfig, subject: string): void {
    if (this.permissions.canUseExecConfig(identity, execConfig)) return;
    const groups = execConfig.permissions.groups.filter((group) => group !== '*');
    throw new ForbiddenError(
      `${subject}, which only ${describeAccess({ groups, users: execConfig.permissions.users })} may use; user "${identity.name}" is in ${identity.groups.length > 0 ? `the groups ${identity.groups.join(', ')}` : 'no group'}. Ask an admin to add you to one of these groups.`,
      { details: { executionConfig: execConfig.id, groups, users: execConfig.permissions.users } },
    );
  }
}
