import { settlesWithin } from '../common/async';
import {
  ConflictError,
  describeError,
  GatewayError,
  KernelLaunchError,
  LaunchTimeoutError,
  NotFoundError,
  QuotaExceededError,
} from '../common/errors';
import { jupyterTimestamp, newId } from '../common/ids';
import type { Logger } from '../common/logger';
import type { Identity } from '../execution/identity';
import { Permissions } from '../execution/permissions';
import type { KernelSpecCatalog } from '../kernelspecs/catalog';
import type { KernelTargets } from '../kernelspecs/kernel-targets';
import type { GatewayMetrics, KernelLabels } from '../metrics/gateway-metrics';
import type { ConnectionInfo } from '../protocol/connection-info';
import { pingHeartbeat } from '../protocol/kernel-channels';
import { MessageSigner } from '../protocol/wire';
import { defaultLocalExecConfig, type ExecConfig } from '../execution/execution-config';
import type { KernelBackends } from '../provisioners/provisioner-router';
import type { ProvisionedKernel } from '../provisioners/types';
import type { KernelPlacement, KernelRecords } from '../store/kernel-records';
import type { BufferLimits } from './client-session';
import { KernelClient } from './kernel-client';
import { describeQuotaProblem, quotaProblem, useOf, type KernelUse, type QuotaProblem } from './exec-config-quotas';
import { KernelEventLog } from './kernel-events';
import { ManagedKernel } from './managed-kernel';
import { RestartBudget } from './restart-budget';
import { StartQueue } from './start-queue';

export interface KernelManagerOptions {
  readonly startupTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly restartLimit: number;
  readonly restartWindowMs: number;
  readonly maxKernels: number;
  readonly maxKernelsPerUser: number;
  readonly buffer: BufferLimits;
}

export interface KernelManagerDeps {
  readonly catalog: KernelSpecCatalog;
  /** Resolves start requests (pairs, exec config cascade, permissions); without it, plain catalog specs. */
  readonly targets?: KernelTargets;
  /** The backends: one provisioner, or a router choosing by exec config. */
  readonly provisioner: KernelBackends;
  readonly records: KernelRecords;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  readonly options: KernelManagerOptions;
  /** Called after a kernel is removed (sessions pointing at it go too). */
  readonly onRemoved?: (kernelId: string) => void;
}

export interface StartKernelRequest {
  readonly name?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly owner: string;
  /** Who asks (checked against the exec config's permissions); absent for internal callers. */
  readonly identity?: Identity;
}

const STDERR_TAIL_BYTES = 4096;
const REATTACH_HEARTBEAT_MS = 3000;

/**
 * Owns every kernel's lifecycle and the policy around it: readiness (kernel_info within the
 * startup timeout), shutdown escalation (shutdown_request → SIGTERM → SIGKILL → cleanup),
 * requested and automatic restarts, quotas, persistence and reattach after a gateway restart.
 * Provisioners only do the mechanics of one backend.
 */
export class KernelManager {
  private readonly kernels = new Map<string, ManagedKernel>();
  private readonly restartBudget: RestartBudget;
  /** Starts waiting for room under an exec config's quotas. */
  private readonly startQueue = new StartQueue();
  /** Start stages and state changes of every kernel, for /api/berth/kernels/…/events. */
  readonly events = new KernelEventLog();
  private readonly log: Logger;
  private readonly permissions = new Permissions();

  constructor(private readonly deps: KernelManagerDeps) {
    this.restartBudget = new RestartBudget(deps.options.restartLimit, deps.options.restartWindowMs);
    this.log = deps.log.child({ component: 'kernel-manager' });
  }

  list(): ManagedKernel[] {
    return [...this.kernels.values()];
  }

  get(id: string): ManagedKernel {
    const kernel = this.kernels.get(id);
    if (!kernel)
      throw new NotFoundError(`Kernel does not exist: ${id}. GET /api/kernels lists the running kernels.`, { details: { kernelId: id } });
    return kernel;
  }

  /** The kernels `identity` may see: its own, or all for an admin. */
  listFor(identity: Identity): ManagedKernel[] {
    return this.list().filter((kernel) => this.permissions.canSeeKernel(identity, kernel));
  }

  /**
   * The kernel, if `identity` may see it. Another user's kernel is reported exactly like a
   * missing one (404, same message): a 403 would confirm that the id exists and is in use,
   * letting anyone probe for other users' kernels; a 404 reveals nothing.
   */
  getFor(identity: Identity, id: string): ManagedKernel {
    const kernel = this.kernels.get(id);
    if (!kernel || !this.permissions.canSeeKernel(identity, kernel))
      throw new NotFoundError(`Kernel does not exist: ${id}. GET /api/kernels lists the running kernels.`, { details: { kernelId: id } });
    return kernel;
  }

  /** Starts waiting for room under the exec config's quotas. */
  waitingStarts(execConfigId: string): number {
    return this.startQueue.size(execConfigId);
  }

  /** Starts a kernel and resolves once it answered kernel_info; rejects with the kernel's stderr tail. */
  async start(request: StartKernelRequest): Promise<ManagedKernel> {
    const target = this.deps.targets
      ? this.deps.targets.resolveStart(request.name, request.identity, request.env)
      : {
          spec: this.deps.catalog.get(request.name || this.deps.catalog.defaultSpecName()),
          env: request.env,
          execConfig: defaultLocalExecConfig(),
        };
    const { spec, env } = target;
    const placement: KernelPlacement = {
      execConfig: target.execConfig,
      ...('codeEnv' in target && target.codeEnv ? { codeEnv: target.codeEnv } : {}),
    };
    this.checkQuota(request.owner);
    // Checked and taken in one synchronous step (no await between the check and the kernel being
    // counted), so racing starts cannot overshoot; a start let through the queue checks again.
    for (let waiting = this.admission(target.execConfig, request.owner, request.identity); waiting !== undefined;) {
      await waiting;
      this.checkQuota(request.owner);
      waiting = this.admission(target.execConfig, request.owner, request.identity);
    }
    const id = newId();
    const kernel = new ManagedKernel({
      id,
      spec,
      owner: request.owner,
      env,
      placement,
      createdAt: jupyterTimestamp(),
      bufferLimits: this.deps.options.buffer,
      log: this.log.child({ kernelId: id }),
    });
    this.kernels.set(kernel.id, kernel);
    this.startQueue.wake(target.execConfig.id); // this kernel counts now: the next waiter may be checked
    const began = process.hrtime.bigint();
    try {
      await this.launch(kernel, undefined);
    } catch (error) {
      this.kernels.delete(kernel.id);
      this.startQueue.wake(target.execConfig.id);
      this.events.emit({ kernelId: kernel.id, owner: kernel.owner, name: kernel.name, type: 'failed', message: describeError(error) });
      throw error;
    }
    this.deps.metrics.startLatency.labels(kernelLabels(kernel)).observe(Number(process.hrtime.bigint() - began) / 1e9);
    this.log.info({ kernelId: kernel.id, kernelName: spec.name, owner: request.owner }, 'kernel started');
    return kernel;
  }

  /** Restarts in place: same id, same ports and key, clients stay connected (restarting → idle). */
  async restart(id: string): Promise<ManagedKernel> {
    const kernel = this.get(id);
    if (kernel.phase === 'starting' || kernel.phase === 'restarting' || kernel.phase === 'terminating') {
      throw new ConflictError(`Kernel ${id} is ${kernel.phase}; wait until it is idle, then restart.`);
    }
    this.deps.metrics.restarts.labels({ kind: 'requested', ...kernelLabels(kernel) }).inc();
    await this.relaunch(kernel, 'restart requested');
    return kernel;
  }

  /** Interrupts by signal or by interrupt_request, as the spec's interrupt_mode says. */
  async interrupt(id: string): Promise<void> {
    const kernel = this.get(id);
    if (kernel.phase !== 'running' || !kernel.provisioned)
      throw new ConflictError(`Kernel ${id} is ${kernel.phase}; only a running kernel can be interrupted.`);
    if (kernel.spec.spec.interrupt_mode === 'message') {
      await kernel.client!.request('control', 'interrupt_request', {}, INTERRUPT_REPLY_MS).catch((error: unknown) => {
        throw new ConflictError(
          `Kernel ${id} did not answer interrupt_request within ${INTERRUPT_REPLY_MS / 1000} s (${describeError(error)}): its kernelspec says interrupt_mode "message", which this kernel may not support. It is still running; restart it to stop what it is doing.`,
          { cause: error },
        );
      });
    } else {
      await kernel.provisioned.interrupt();
    }
  }

  /** Shuts down with escalation and forgets the kernel. */
  async shutdown(id: string): Promise<void> {
    const kernel = this.get(id);
    if (kernel.phase === 'terminating') return;
    kernel.phase = 'terminating';
    try {
      if (kernel.provisioned) await this.stopProcess(kernel, kernel.provisioned, false);
    } finally {
      kernel.client?.close();
      await kernel.provisioned?.cleanup({ keepForRestart: false });
      await kernel.broadcastStatus('dead').catch(() => undefined);
      kernel.closeClients(1000, 'kernel shut down');
      this.forget(kernel);
      this.events.emit({ kernelId: kernel.id, owner: kernel.owner, name: kernel.name, type: 'shutdown' });
      this.log.info({ kernelId: id }, 'kernel shut down');
    }
  }

  async shutdownAll(): Promise<void> {
    await Promise.all(
      this.list().map((kernel) =>
        this.shutdown(kernel.id).catch((error) => this.log.warn({ kernelId: kernel.id, err: describeError(error) }, 'shutdown failed')),
      ),
    );
  }

  /** Closes the gateway's sockets but leaves kernels running, for a restarted gateway to reattach. */
  detachAll(): void {
    for (const kernel of this.kernels.values()) {
      this.persist(kernel);
      kernel.phase = 'terminating'; // exits seen from now on are not ours to handle
      kernel.client?.close();
      kernel.closeClients(1001, 'gateway stopping');
      void kernel.provisioned?.cleanup({ keepForRestart: true });
    }
    this.kernels.clear();
  }

  /** At gateway start: reattach to kernels that still run, clean up the rest. */
  async reattachAll(): Promise<{ reattached: number; discarded: number }> {
    let reattached = 0;
    let discarded = 0;
    for (const record of this.deps.records.list()) {
      const provisioned = await this.deps.provisioner.reattach(record.provisionerRecord).catch(() => undefined);
      const kernel = new ManagedKernel({
        id: record.id,
        spec: record.spec,
        owner: record.owner,
        env: record.env,
        placement: record.placement ?? { execConfig: defaultLocalExecConfig() },
        createdAt: record.createdAt,
        bufferLimits: this.deps.options.buffer,
        log: this.log.child({ kernelId: record.id }),
      });
      kernel.lastActivity = Date.parse(record.lastActivity) || Date.now();
      if (
        provisioned &&
        (await this.connect(kernel, provisioned, 'heartbeat').then(
          () => true,
          () => false,
        ))
      ) {
        this.kernels.set(kernel.id, kernel);
        reattached++;
        this.log.info({ kernelId: kernel.id }, 'reattached kernel');
        continue;
      }
      if (provisioned) {
        await provisioned.kill();
        await provisioned.cleanup({ keepForRestart: false });
      } else {
        await this.deps.provisioner.discard(record.provisionerRecord);
      }
      this.deps.records.remove(record.id);
      this.deps.onRemoved?.(record.id);
      discarded++;
      this.log.info({ kernelId: record.id }, 'kernel from a previous run is gone; cleaned up');
    }
    // Containers this gateway started whose records are gone (e.g. killed between start and save).
    discarded += (await this.deps.provisioner.reapOrphans?.(new Set(this.kernels.keys())).catch(() => 0)) ?? 0;
    return { reattached, discarded };
  }

  /** Saves last_activity of every kernel (called periodically and at stop). */
  persistActivity(): void {
    for (const kernel of this.kernels.values()) this.deps.records.touch(kernel.id, new Date(kernel.lastActivity).toISOString());
  }

  /** What the live kernels use, for exec config quotas. */
  private uses(): KernelUse[] {
    return this.list()
      .filter((kernel) => kernel.phase !== 'dead')
      .map((kernel) => useOf(kernel.placement.execConfig, kernel.owner));
  }

  /**
   * Exec config quotas (kernels, CPUs, memory; overall and per user): undefined when the start fits
   * now; else a 429 saying what is in use and by whom, or (with a queue) a promise of room.
   */
  private admission(execConfig: ExecConfig, owner: string, identity: Identity | undefined): Promise<void> | undefined {
    const problem = quotaProblem(execConfig, owner, this.uses());
    if (problem === undefined) return undefined;
    const viewer = { name: owner, admin: identity?.admin ?? true };
    const refusal = (current: QuotaProblem, note = ''): QuotaExceededError =>
      new QuotaExceededError(`${describeQuotaProblem(current, execConfig.id, viewer)}${note}`, {
        details: {
          executionConfig: execConfig.id,
          scope: current.scope,
          limit: current.limit,
          max: current.max,
          used: current.used,
          requested: current.requested,
          inUse: viewer.admin ? current.holders : current.holders.filter((holder) => holder.owner === owner),
        },
      });
    const queue = execConfig.quotas.queue;
    if (queue === undefined) throw refusal(problem);
    return this.startQueue.wait(
      execConfig.id,
      () => quotaProblem(execConfig, owner, this.uses()) === undefined,
      { maxWaiting: queue.maxWaiting, timeoutMs: queue.timeoutSeconds * 1000 },
      (why) =>
        refusal(
          quotaProblem(execConfig, owner, this.uses()) ?? problem,
          why === 'full'
            ? ` ${queue.maxWaiting} start${queue.maxWaiting === 1 ? '' : 's'} already wait for room, the most this exec config allows.`
            : ` This start waited ${queue.timeoutSeconds} s for room.`,
        ),
    );
  }

  private checkQuota(owner: string): void {
    const { maxKernels, maxKernelsPerUser } = this.deps.options;
    const live = this.list().filter((kernel) => kernel.phase !== 'dead');
    if (maxKernels > 0 && live.length >= maxKernels) {
      throw new QuotaExceededError(
        `The gateway runs its maximum of ${maxKernels} kernels. Shut down a kernel you no longer need, or ask an admin to raise maxKernels.`,
      );
    }
    if (maxKernelsPerUser > 0 && live.filter((kernel) => kernel.owner === owner).length >= maxKernelsPerUser) {
      throw new QuotaExceededError(`User "${owner}" already runs the maximum of ${maxKernelsPerUser} kernels. Shut one down first.`);
    }
  }

  /**
   * Launches the kernel's process and waits until it is ready. On any failure everything the
   * launch created is removed and the error carries the kernel's stderr tail.
   */
  private async launch(kernel: ManagedKernel, reuseConnection: ConnectionInfo | undefined): Promise<void> {
    this.events.emit({ kernelId: kernel.id, owner: kernel.owner, name: kernel.name, type: 'stage', stage: 'launching' });
    // The exec config's own startup timeout (a cluster pulling large images needs more) over the gateway's.
    const ownSeconds = kernel.placement.execConfig.timeouts.startupSeconds;
    const timeoutMs = launchTimeoutMs(kernel.env, ownSeconds === undefined ? this.deps.options.startupTimeoutMs : ownSeconds * 1000);
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new LaunchTimeoutError(
            `Kernel "${kernel.name}" did not answer kernel_info within ${timeoutMs / 1000} s. Its output is in the error details; raise the startup timeout if it is just slow.`,
          ),
        ),
      timeoutMs,
    );
    let provisioned: ProvisionedKernel | undefined;
    try {
      provisioned = await this.deps.provisioner.launch(
        {
          kernelId: kernel.id,
          spec: kernel.spec,
          env: kernel.env,
          reuseConnection,
          execConfig: kernel.placement.execConfig,
          ...(kernel.placement.codeEnv === undefined ? {} : { codeEnv: kernel.placement.codeEnv }),
          owner: kernel.owner,
        },
        controller.signal,
        (stage) => {
          this.log.debug({ kernelId: kernel.id, stage }, 'launch progress');
          this.events.emit({ kernelId: kernel.id, owner: kernel.owner, name: kernel.name, type: 'stage', stage });
          if (kernel.phase === 'restarting') void kernel.broadcastStage(stage);
        },
      );
      const launched = provisioned;
      void launched.exited.then((exit) =>
        controller.abort(
          new KernelLaunchError(`Kernel "${kernel.name}" ${exit.reason} while starting. Its output is in the error details.`),
        ),
      );
      await this.connect(kernel, launched, controller.signal);
      this.events.emit({ kernelId: kernel.id, owner: kernel.owner, name: kernel.name, type: 'ready' });
    } catch (error) {
      kernel.client?.close();
      kernel.client = undefined;
      const stderrTail = provisioned ? await this.discardLaunch(provisioned) : '';
      throw withStderr(error, stderrTail, kernel.name);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Connects the gateway's client, waits for readiness, then binds the kernel and watches its exit. */
  /**
   * Connects the gateway's client and binds the kernel. A fresh launch must answer kernel_info
   * (until `signal` aborts). A reattached kernel need only answer the heartbeat: it may be busy
   * with a long cell, and then its shell cannot reply, but it is alive and must not be killed.
   */
  private async connect(kernel: ManagedKernel, provisioned: ProvisionedKernel, readiness: AbortSignal | 'heartbeat'): Promise<void> {
    if (readiness === 'heartbeat' && !(await pingHeartbeat(provisioned.connection, REATTACH_HEARTBEAT_MS))) {
      throw new KernelLaunchError(`Kernel ${kernel.id} does not answer its heartbeat.`);
    }
    const client = new KernelClient(provisioned.connection, new MessageSigner(provisioned.connection.key), kernel.onIopub, this.log);
    kernel.client = client;
    try {
      if (readiness === 'heartbeat')
        void this.refreshReattachedState(kernel, client); // execution_state, once the shell is free
      else await client.waitReady(readiness);
      // Shut down (or the gateway detached) while this process started, e.g. during an automatic
      // restart: it is nobody's kernel now, and the launch's failure path removes it.
      if (isShutDown(kernel)) throw new KernelLaunchError(`Kernel ${kernel.id} was shut down while it started.`);
    } catch (error) {
      client.close();
      kernel.client = undefined;
      throw error;
    }
    kernel.provisioned = provisioned;
    kernel.phase = 'running';
    kernel.reason = undefined;
    // After reattach the state is unknown until the kernel's next status message.
    kernel.executionState = readiness === 'heartbeat' ? 'unknown' : 'idle';
    if (readiness !== 'heartbeat') kernel.touch();
    this.persist(kernel);
    void provisioned.exited.then((exit) => this.onExit(kernel, provisioned, exit.reason, exit.restartable !== false));
  }

  /** An exit we did not ask for: mark dead, tell clients, and restart within the budget. */
  private async onExit(kernel: ManagedKernel, provisioned: ProvisionedKernel, reason: string, restartable: boolean): Promise<void> {
    if (kernel.provisioned !== provisioned || kernel.phase !== 'running') return; // expected, or an older generation
    this.log.warn({ kernelId: kernel.id, reason }, 'kernel died');
    kernel.phase = 'dead';
    kernel.reason = `Kernel died: ${reason}`;
    // Read before cleanup removes it: whoever follows the kernel (a batch run) reports why it died.
    const logTail = (await provisioned.logTail(STDERR_TAIL_BYTES).catch(() => '')) || undefined;
    if (!restartable) {
      // Restarting would end the same way (e.g. the memory limit): stay dead and say why.
      const why = `Kernel died: it ${reason}. It was not restarted automatically; restart it by hand (its variables are lost) or shut it down.`;
      return this.stayDead(kernel, provisioned, why, logTail);
    }
    if (!this.restartBudget.tryConsume(kernel.id)) {
      const why = `Kernel died (${reason}) and was not restarted: it reached ${this.restartBudget.describe()}. Restart it by hand or shut it down.`;
      return this.stayDead(kernel, provisioned, why, logTail);
    }
    this.deps.metrics.restarts.labels({ kind: 'automatic', ...kernelLabels(kernel) }).inc();
    await this.relaunch(kernel, `automatic restart after: ${reason}`, logTail).catch((error) =>
      this.log.error({ kernelId: kernel.id, err: describeError(error) }, 'automatic restart failed'),
    );
  }

  /** A kernel that died and is not restarted: its process cleaned up, clients told why, its quota given back. */
  private async stayDead(kernel: ManagedKernel, provisioned: ProvisionedKernel, why: string, logTail: string | undefined): Promise<void> {
    kernel.client?.close();
    kernel.client = undefined;
    await provisioned.cleanup({ keepForRestart: false });
    kernel.provisioned = undefined;
    kernel.reason = why;
    await kernel.broadcastStatus('dead');
    this.events.emit({
      kernelId: kernel.id,
      owner: kernel.owner,
      name: kernel.name,
      type: 'dead',
      message: why,
      ...(logTail ? { logTail } : {}),
    });
    this.startQueue.wake(kernel.placement.execConfig.id); // a dead kernel holds no quota
  }

  /** Stops the current process (if any) keeping its ports and key, then launches again. */
  private async relaunch(kernel: ManagedKernel, why: string, logTail?: string): Promise<void> {
    const previous = kernel.provisioned;
    kernel.phase = 'restarting';
    this.events.emit({
      kernelId: kernel.id,
      owner: kernel.owner,
      name: kernel.name,
      type: 'restarting',
      message: why,
      ...(logTail ? { logTail } : {}),
    });
    await kernel.broadcastStatus('restarting');
    this.log.info({ kernelId: kernel.id, why }, 'restarting kernel');
    if (previous) {
      await this.stopProcess(kernel, previous, true);
      await previous.cleanup({ keepForRestart: true });
    }
    kernel.client?.close();
    kernel.client = undefined;
    try {
      await this.launch(kernel, previous?.connection);
    } catch (error) {
      if (isShutDown(kernel)) return; // shut down meanwhile: the new process is gone already, nothing to report
      kernel.phase = 'dead';
      kernel.provisioned = undefined;
      kernel.reason = `Restart failed: ${describeError(error)}`;
      await kernel.broadcastStatus('dead');
      this.events.emit({ kernelId: kernel.id, owner: kernel.owner, name: kernel.name, type: 'dead', message: kernel.reason });
      throw error;
    }
  }

  /** shutdown_request, then SIGTERM, then SIGKILL, each given half the grace period. */
  private async stopProcess(kernel: ManagedKernel, provisioned: ProvisionedKernel, restart: boolean): Promise<void> {
    const half = this.deps.options.shutdownGraceMs / 2;
    if ((await provisioned.status()) === 'dead') return;
    await kernel.client?.send('control', 'shutdown_request', { restart }).catch(() => undefined);
    if (await settlesWithin(provisioned.exited, half)) return;
    this.log.warn({ kernelId: kernel.id }, 'kernel ignored shutdown_request; sending SIGTERM');
    await provisioned.terminate();
    if (await settlesWithin(provisioned.exited, half)) return;
    this.log.warn({ kernelId: kernel.id }, 'kernel ignored SIGTERM; sending SIGKILL');
    await provisioned.kill();
    await settlesWithin(provisioned.exited, 5000);
  }

  /** Kills a kernel whose launch failed and returns its output tail. */
  private async discardLaunch(provisioned: ProvisionedKernel): Promise<string> {
    await provisioned.kill().catch(() => undefined);
    await settlesWithin(provisioned.exited, 5000);
    const tail = await provisioned.logTail(STDERR_TAIL_BYTES).catch(() => '');
    await provisioned.cleanup({ keepForRestart: false }).catch(() => undefined);
    return tail;
  }

  /**
   * Asks a reattached kernel for kernel_info. Its status messages for the request may be sent
   * before the new iopub subscription has joined (ZMQ's slow joiner) and be lost, so the reply
   * itself settles a state still unknown: a kernel that answers on shell was idle. A kernel busy
   * for longer than the wait reports its state with the status that ends the busy cell.
   */
  private async refreshReattachedState(kernel: ManagedKernel, client: KernelClient): Promise<void> {
    try {
      await client.request('shell', 'kernel_info_request', {}, this.deps.options.startupTimeoutMs);
    } catch {
      return; // client closed, or still busy
    }
    if (kernel.client === client && kernel.executionState === 'unknown') kernel.executionState = 'idle';
  }

  private persist(kernel: ManagedKernel): void {
    if (!kernel.provisioned) return;
    this.deps.records.save({
      id: kernel.id,
      name: kernel.name,
      spec: kernel.spec,
      owner: kernel.owner,
      provisionerRecord: kernel.provisioned.record,
      env: kernel.env,
      placement: kernel.placement,
      createdAt: kernel.createdAt,
      lastActivity: new Date(kernel.lastActivity).toISOString(),
    });
  }

  private forget(kernel: ManagedKernel): void {
    this.kernels.delete(kernel.id);
    this.startQueue.wake(kernel.placement.execConfig.id);
    this.restartBudget.forget(kernel.id);
    this.deps.records.remove(kernel.id);
    this.deps.onRemoved?.(kernel.id);
  }
}

/** KERNEL_LAUNCH_TIMEOUT (seconds, sent by Jupyter Server) may shorten or extend up to the configured limit. */
/** How long an interrupt by message waits for the kernel's interrupt_reply. */
const INTERRUPT_REPLY_MS = 5000;

/** Whether a shutdown (or detach) began; read through a call, as awaits may have changed the phase. */
function isShutDown(kernel: ManagedKernel): boolean {
  return kernel.phase === 'terminating';
}

function launchTimeoutMs(env: Readonly<Record<string, string>>, configuredMs: number): number {
  const requested = Number(env['KERNEL_LAUNCH_TIMEOUT']);
  return Number.isFinite(requested) && requested > 0 ? Math.min(requested * 1000, Math.max(configuredMs, 1000)) : configuredMs;
}

function withStderr(error: unknown, stderrTail: string, kernelName: string): GatewayError {
  // A backend that saw the kernel fail before handing it over may have read its output itself.
  const own = error instanceof GatewayError ? error.details?.['stderrTail'] : undefined;
  const details = { kernelName, stderrTail: stderrTail || (typeof own === 'string' ? own : '') };
  if (error instanceof GatewayError) {
    return new (error.constructor as new (message: string, options: object) => GatewayError)(error.message, {
      cause: error.cause,
      details: { ...error.details, ...details },
    });
  }
  return new KernelLaunchError(`Kernel "${kernelName}" failed to start: ${describeError(error)}`, { cause: error, details });
}

/** Where a kernel runs, as metric labels. */
export function kernelLabels(kernel: ManagedKernel): KernelLabels {
  return { exec_config: kernel.placement.execConfig.id, backend: kernel.placement.execConfig.backend };
}
