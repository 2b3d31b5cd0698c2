import { ConflictError, describeError, InvalidInputError, NotFoundError, QuotaExceededError } from '../common/errors';
import { newId } from '../common/ids';
import type { Logger } from '../common/logger';
import type { Identity } from '../execution/identity';
import { Permissions } from '../execution/permissions';
import type { KernelTargets } from '../kernelspecs/kernel-targets';
import type { KernelManager } from '../kernels/kernel-manager';
import type { ManagedKernel } from '../kernels/managed-kernel';
import type { RunFilter, RunRecords } from '../store/run-records';
import { formatIssues } from '../config/load';
import { KernelFiles, type KernelLanguage } from './kernel-files';
import { KernelLink } from './kernel-link';
import { notebookLanguage, type Notebook } from './notebook';
import { notebookJob, prepareNotebook, writePendingNotebook } from './notebook-job';
import { recipeFileName, recipeJob, recipeLanguage } from './recipe-job';
import { FINAL_STATUSES, runRequestSchema, type RunFailure, type RunRecord, type RunRequest, type RunStatus } from './run';
import { chooseRunKernel } from './run-kernel-choice';
import { RunFiles } from './run-files';
import type { RunJob, RunJobOutcome } from './run-job';
import { RunLogs, type RunLogEntry } from './run-log';
import { RunStop } from './run-stop';
import type { MlRuns } from './ml/ml-runs';

export interface RunLimits {
  /** Runs executing at once on this gateway (0: unlimited). */
  readonly maxConcurrent: number;
  readonly maxConcurrentPerUser: number;
  readonly maxConcurrentPerExecConfig: number;
}

export interface RunServiceDeps {
  readonly kernels: KernelManager;
  readonly targets: KernelTargets;
  readonly records: RunRecords;
  readonly runsDir: string;
  readonly limits: RunLimits;
  /** The exec config a code env runs on when a request names none (the caller's default cascade). */
  readonly defaultExecConfig: (identity: Identity | undefined) => string;
  readonly ml: MlRuns;
  readonly log: Logger;
}

/** Extra hooks for an in-process caller (the CLI): it writes the output notebook as the run goes. */
export interface SubmitOptions {
  readonly onNotebook?: (notebook: Notebook) => void;
}

interface ActiveRun {
  readonly controller: AbortController;
  readonly done: Promise<void>;
  kernelId?: string;
}

const KERNEL_LOG_TAIL_BYTES = 4096;
/** How long bringing back outputs after the job may take before the run gives up on them. */
const COLLECT_TIMEOUT_MS = 60_000;

function withTimeout<T>(promise: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${why} for ${ms / 1000} s`)), ms)));
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Batch runs: accepts them (checked against permissions before anything is kept), keeps them in
 * the store with their input files, runs them in order under concurrency limits (and the
 * kernels' own quotas), and records how each one ended. Each run starts its own kernel through
 * the kernel manager, so it goes wherever an interactive kernel of the same pair would.
 */
export class RunService {
  readonly logs: RunLogs;
  private readonly queue: string[] = [];
  private readonly active = new Map<string, ActiveRun>();
  private readonly hooks = new Map<string, SubmitOptions>();
  private readonly waiters = new Map<string, ((record: RunRecord) => void)[]>();
  /** Runs refused by a kernel quota wait for some kernel to go before they are tried again. */
  private readonly waitingForRoom = new Set<string>();
  private readonly permissions = new Permissions();
  private readonly log: Logger;
  private stopping = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: RunServiceDeps) {
    this.log = deps.log.child({ component: 'runs' });
    this.logs = new RunLogs((runId) => this.files(runId).logPath);
    this.unsubscribe = deps.kernels.events.subscribe((event) => {
      if ((event.type === 'shutdown' || event.type === 'dead' || event.type === 'failed') && this.waitingForRoom.size > 0) {
        this.waitingForRoom.clear();
        this.pump();
      }
    });
  }

  files(runId: string): RunFiles {
    return new RunFiles(this.deps.runsDir, runId);
  }

  /** Validates and queues a run; resolves once it is kept (inputs on disk), not when it ends. */
  async submit(body: unknown, identity: Identity, options: SubmitOptions = {}): Promise<RunRecord> {
    const parsed = runRequestSchema.safeParse(body);
    if (!parsed.success) throw new InvalidInputError(`Invalid run request: ${formatIssues(parsed.error)}`);
    const request = parsed.data;
    // A notebook is checked now (nbformat, parameters for its language): a bad one is refused, not queued.
    if (request.kind === 'notebook') prepareNotebook(request.notebook, request.notebookName, request.parameters);
    const prepared = await this.deps.ml.prepare(request, identity);
    const language = requestLanguage(prepared);
    const choice = chooseRunKernel(
      prepared,
      language,
      prepared.kind === 'notebook' ? (prepared.notebook['metadata'] as Record<string, unknown> | undefined) : undefined,
      () => this.deps.defaultExecConfig(identity),
    );
    // Resolving now checks the name, the exec config and the caller's permission: a run that could
    // never start is refused with the reason instead of failing later.
    const target = this.deps.targets.resolveStart(choice.name, identity, choice.env);
    const id = newId();
    const files = this.files(id);
    for (const input of prepared.inputs) files.saveInput(input.path, Buffer.from(input.content, 'base64'));
    const record: RunRecord = {
      id,
      kind: prepared.kind,
      name: runName(prepared),
      status: 'queued',
      owner: identity.name,
      kernelName: target.spec.name,
      execConfig: target.execConfig.id,
      ...(target.codeEnv ? { codeEnv: target.codeEnv.id } : {}),
      parameters: prepared.kind === 'notebook' ? (prepared.parameters as RunRecord['parameters']) : {},
      createdAt: new Date().toISOString(),
      request: {
        ...prepared,
        env: target.env,
        inputs: prepared.inputs.map((input) => ({ path: input.path, bytes: Buffer.byteLength(input.content, 'base64') })),
      } as RunRecord['request'],
    };
    this.deps.records.save(record);
    this.hooks.set(id, options);
    this.logs.append(id, { type: 'status', at: record.createdAt, status: 'queued' });
    this.queue.push(id);
    this.log.info({ runId: id, kind: record.kind, owner: record.owner, kernelName: record.kernelName }, 'run queued');
    this.pump();
    return record;
  }

  /** The runs `identity` may see (its own; all for admins), newest first. */
  list(identity: Identity, filter: RunFilter): RunRecord[] {
    const owner = identity.admin ? filter.owner : identity.name;
    return this.deps.records.list({ ...filter, ...(owner ? { owner } : {}) });
  }

  /** A run `identity` may see; another user's run is 404, exactly like a missing one. */
  get(identity: Identity | undefined, id: string): RunRecord {
    const record = this.deps.records.get(id);
    if (!record || (identity && !this.permissions.canSeeKernel(identity, record)))
      throw new NotFoundError(`Run ${id} does not exist. GET /api/berth/runs lists your runs.`, { details: { runId: id } });
    return record;
  }

  /** Resolves with the run's record once it has ended (at once if it has). */
  whenDone(id: string): Promise<RunRecord> {
    const record = this.get(undefined, id);
    if (FINAL_STATUSES.has(record.status)) return Promise.resolve(record);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  /** Cancels a queued run at once; a starting or running one is interrupted and ends `cancelled`. */
  cancel(identity: Identity | undefined, id: string): RunRecord {
    const record = this.get(identity, id);
    if (FINAL_STATUSES.has(record.status))
      throw new ConflictError(`Run ${id} has already ended (${record.status}); there is nothing to cancel.`);
    const queued = this.queue.indexOf(id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      return this.finish(record, 'cancelled', { message: `Cancelled by ${identity?.name ?? 'the gateway'} while queued.` });
    }
    this.active.get(id)?.controller.abort(new RunStop('cancelled', `Cancelled by ${identity?.name ?? 'the gateway'}.`));
    return record;
  }

  /**
   * After a gateway (re)start: queued runs are queued again, in their order; runs that were
   * executing when the gateway went away are failed with that reason (their kernels are shut
   * down), never left "running".
   */
  async recover(): Promise<{ requeued: number; failed: number }> {
    let failed = 0;
    for (const record of this.deps.records.inStatus(['starting', 'running'])) {
      if (record.kernelId && this.deps.kernels.list().some((kernel) => kernel.id === record.kernelId)) {
        await this.deps.kernels.shutdown(record.kernelId).catch(() => undefined);
      }
      this.finish(record, 'failed', {
        message: `The gateway restarted while this run was ${record.status}; its kernel and its progress are gone. Submit it again.`,
      });
      failed++;
    }
    const queued = this.deps.records.inStatus(['queued']);
    for (const record of queued) if (!this.queue.includes(record.id)) this.queue.push(record.id);
    this.pump();
    return { requeued: queued.length, failed };
  }

  /** Gateway stopping: executing runs end `failed` (their notebooks written), queued ones stay for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe();
    for (const run of this.active.values())
      run.controller.abort(new RunStop('failed', 'The gateway stopped while this run was executing. Submit it again.'));
    await Promise.all([...this.active.values()].map((run) => run.done));
  }

  /** Starts every queued run there is room for, oldest first. */
  private pump(): void {
    if (this.stopping) return;
    for (const id of [...this.queue]) {
      if (this.waitingForRoom.has(id)) continue;
      const record = this.deps.records.get(id);
      if (!record) continue;
      if (!this.hasRoom(record)) continue;
      this.queue.splice(this.queue.indexOf(id), 1);
      const controller = new AbortController();
      const active: ActiveRun = { controller, done: Promise.resolve() };
      this.active.set(id, active);
      (active as { done: Promise<void> }).done = this.execute(record, active).finally(() => {
        this.active.delete(id);
        this.pump();
      });
    }
  }

  private hasRoom(record: RunRecord): boolean {
    const { maxConcurrent, maxConcurrentPerUser, maxConcurrentPerExecConfig } = this.deps.limits;
    const running = [...this.active.keys()].map((id) => this.deps.records.get(id)).filter((run): run is RunRecord => Boolean(run));
    if (maxConcurrent > 0 && running.length >= maxConcurrent) return false;
    if (maxConcurrentPerUser > 0 && running.filter((run) => run.owner === record.owner).length >= maxConcurrentPerUser) return false;
    if (
      maxConcurrentPerExecConfig > 0 &&
      running.filter((run) => run.execConfig === record.execConfig).length >= maxConcurrentPerExecConfig
    )
      return false;
    return true;
  }

  private async execute(queued: RunRecord, active: ActiveRun): Promise<void> {
    const { controller } = active;
    const request = this.loadRequest(queued);
    let record = this.update(queued, { status: 'starting', startedAt: new Date().toISOString() });
    let timer: NodeJS.Timeout | undefined;
    if (request.timeoutSeconds !== undefined) {
      timer = setTimeout(
        () => controller.abort(new RunStop('timed-out', `The run did not finish within ${request.timeoutSeconds} s (its timeout).`)),
        request.timeoutSeconds * 1000,
      );
    }
    let kernel: ManagedKernel | undefined;
    let stopFollowing: (() => void) | undefined;
    let link: KernelLink | undefined;
    try {
      writePendingNotebook(request, this.files(record.id), this.hooks.get(record.id)?.onNotebook);
      try {
        kernel = await this.deps.kernels.start({ name: record.kernelName, env: request.env, owner: record.owner });
      } catch (error) {
        if (error instanceof QuotaExceededError && !controller.signal.aborted) {
          // Runs wait for room under the kernels' quotas instead of failing: back to the front of the queue.
          this.output(record.id, 'system', `Waiting for room: ${error.message}\n`);
          this.update(record, { status: 'queued', startedAt: undefined });
          this.queue.unshift(record.id);
          this.waitingForRoom.add(record.id);
          return;
        }
        throw error;
      }
      active.kernelId = kernel.id;
      record = this.update(record, { status: 'running', kernelId: kernel.id });
      stopFollowing = this.followKernel(kernel, controller);
      if (controller.signal.aborted) throw RunStop.from(controller.signal.reason);
      link = await KernelLink.open(kernel);
      const outcome = await this.work(record, request, kernel, link, controller.signal);
      const status: RunStatus = outcome.stop?.status ?? (outcome.failure ? 'failed' : 'succeeded');
      this.finish(this.current(record), status, outcome.failure);
    } catch (error) {
      const stop = error instanceof RunStop ? error : controller.signal.aborted ? RunStop.from(controller.signal.reason) : undefined;
      const message = stop ? stop.message : describeError(error);
      this.finish(this.current(record), stop?.status ?? 'failed', { message });
    } finally {
      clearTimeout(timer);
      stopFollowing?.();
      link?.detach();
      if (kernel) await this.deps.kernels.shutdown(kernel.id).catch(() => undefined);
    }
  }

  /** The run's own work in the kernel: working directory, inputs in, the job, outputs back. */
  private async work(
    record: RunRecord,
    request: RunRequest,
    kernel: ManagedKernel,
    link: KernelLink,
    signal: AbortSignal,
  ): Promise<RunJobOutcome> {
    const files = new KernelFiles(link, kernelLanguage(kernel), signal);
    const runFiles = this.files(record.id);
    const workdir = await files.enterWorkdir(request.cwd, record.id);
    this.output(record.id, 'system', `Kernel ${kernel.name} (${record.execConfig}) ready; working directory ${workdir}\n`);
    for (const input of request.inputs) await files.put(input.path, runFiles.readInput(input.path));
    if (request.kind === 'recipe') await files.put(recipeFileName(request.scriptName), Buffer.from(request.script, 'utf8'));
    if (request.inputs.length > 0) this.output(record.id, 'system', `Staged ${request.inputs.length} input file(s)\n`);
    const job: RunJob = request.kind === 'notebook' ? notebookJob : request.kind === 'recipe' ? recipeJob : this.deps.ml.job;
    const hooks = this.hooks.get(record.id);
    let outcome: RunJobOutcome | undefined;
    try {
      outcome = await job({
        run: record,
        request,
        link,
        files,
        runFiles,
        signal,
        interrupt: () => this.deps.kernels.interrupt(kernel.id),
        output: (stream, text) => this.output(record.id, stream, text),
        progress: (progress) => this.logs.append(record.id, { type: 'progress', at: new Date().toISOString(), ...progress }),
        ...(hooks?.onNotebook ? { onNotebook: hooks.onNotebook } : {}),
      });
      return outcome;
    } finally {
      // Whatever ended the job, a kernel that still lives gives back the declared outputs (they
      // help to see what went wrong) and loses the working directory the run made.
      if (!outcome?.stop?.kernelGone && !(RunStop.from(signal.reason).kernelGone && signal.aborted)) {
        // Bounded: a kernel that ignored the interrupt is still busy and would never answer.
        // Its own transfers: the run's signal may be aborted by now (cancel, timeout), the kernel still answers.
        const collecting = new KernelFiles(link, files.language);
        await withTimeout(this.collect(record, request, collecting, runFiles, workdir), COLLECT_TIMEOUT_MS, 'the kernel stayed busy').catch(
          (error: unknown) => this.output(record.id, 'system', `Could not bring back the output files: ${describeError(error)}\n`),
        );
      }
    }
  }

  private async collect(record: RunRecord, request: RunRequest, files: KernelFiles, runFiles: RunFiles, workdir: string): Promise<void> {
    for (const path of await files.list(request.outputs)) runFiles.saveArtifact(`files/${path}`, await files.get(path));
    if (request.cwd === undefined) await files.removeWorkdir(workdir);
    this.log.debug({ runId: record.id }, 'outputs collected');
  }

  /** A kernel that dies or restarts under a run ends it: its state is gone. */
  private followKernel(kernel: ManagedKernel, controller: AbortController): () => void {
    return this.deps.kernels.events.subscribe((event) => {
      if (event.kernelId !== kernel.id || controller.signal.aborted) return;
      if (event.type !== 'dead' && event.type !== 'restarting' && event.type !== 'shutdown') return;
      const tail = event.logTail ? `\nKernel log (last lines):\n${event.logTail.slice(-KERNEL_LOG_TAIL_BYTES)}` : '';
      const why = event.type === 'shutdown' ? 'was shut down by someone else' : `died (${event.message ?? 'no reason given'})`;
      controller.abort(new RunStop('failed', `The kernel ${why} while the run was executing.${tail}`, true));
    });
  }

  private loadRequest(record: RunRecord): RunRequest {
    const files = this.files(record.id);
    return {
      ...record.request,
      inputs: record.request.inputs.map((input) => ({ path: input.path, content: files.readInput(input.path).toString('base64') })),
    } as RunRequest;
  }

  private output(runId: string, stream: 'stdout' | 'stderr' | 'system', text: string): void {
    this.logs.append(runId, { type: 'output', at: new Date().toISOString(), stream, text });
  }

  private current(record: RunRecord): RunRecord {
    return this.deps.records.get(record.id) ?? record;
  }

  private update(record: RunRecord, changes: Partial<RunRecord>, message?: string): RunRecord {
    const next = { ...record, ...changes } as RunRecord;
    this.deps.records.save(next);
    if (changes.status && changes.status !== record.status) {
      const entry: RunLogEntry = { type: 'status', at: new Date().toISOString(), status: changes.status, ...(message ? { message } : {}) };
      this.logs.append(record.id, entry);
    }
    return next;
  }

  private finish(record: RunRecord, status: RunStatus, failure: RunFailure | undefined): RunRecord {
    const done = this.update(record, { status, endedAt: new Date().toISOString(), ...(failure ? { failure } : {}) }, failure?.message);
    this.log.info({ runId: record.id, status, ...(failure ? { reason: failure.message } : {}) }, 'run ended');
    this.hooks.delete(record.id);
    this.logs.ended(record.id);
    for (const resolve of this.waiters.get(record.id) ?? []) resolve(done);
    this.waiters.delete(record.id);
    return done;
  }
}

/** The language a run needs before any kernel is chosen (notebook metadata, script extension, ML: Python). */
function requestLanguage(request: RunRequest): string | undefined {
  if (request.kind === 'recipe') return recipeLanguage(request.scriptName);
  if (request.kind === 'ml') return 'python';
  const metadata = request.notebook['metadata'] as Record<string, unknown> | undefined;
  return notebookLanguage({ metadata: metadata ?? {} } as Notebook);
}

function kernelLanguage(kernel: ManagedKernel): KernelLanguage {
  return kernel.spec.spec.language.toLowerCase() === 'r' ? 'r' : 'python';
}

function runName(request: RunRequest): string {
  if (request.kind === 'notebook') return request.notebookName;
  if (request.kind === 'recipe') return request.scriptName;
  return `ml ${request.ml.action} ${request.ml.action === 'train' ? request.ml.modelName : request.ml.model}`;
}
