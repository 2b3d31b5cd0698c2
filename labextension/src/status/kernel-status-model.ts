import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import { executionChoices, NO_CHOICES } from '../model/kernelspec-choices';
import type { KernelEventLedger } from '../model/kernel-events';
import type { IopubMessageLike, SessionContextLike } from '../notebook/session-types';
import type { StartFailures } from '../notebook/start-failures';
import { HIDDEN_STATUS, type StatusView } from '../widgets/status-item';
import { statusView } from './status-view';

const STARTING = new Set(['starting', 'initializing', 'restarting', 'autorestarting']);

/**
 * The status bar's state for the current notebook. What it can know depends on the setup:
 * - always (kernelspecs and the kernel connection, through the Jupyter server): the pair, the
 *   kernel's status, and during a restart Berth's `berth_stage` on iopub status messages;
 * - with Berth's URL and token (the events feed): the stages of a first start, which happen before
 *   the browser has a kernel to listen to, and Berth's reason when a start fails or a kernel dies.
 * - the picker's own failed switches (StartFailures), with the Jupyter server's message.
 */
export class KernelStatusModel implements IDisposable {
  private context: SessionContextLike | null = null;
  private ledger: KernelEventLedger | null = null;
  private iopubStage: string | undefined;
  private pendingSince: number | undefined;
  private current: StatusView = HIDDEN_STATUS;
  private disposed = false;
  private readonly signal = new Signal<this, StatusView>(this);

  constructor(
    private readonly failures: StartFailures,
    private readonly knownKernelIds: () => ReadonlySet<string> = () => new Set(),
    private readonly now: () => number = Date.now,
  ) {
    failures.changed.connect(this.onFailure, this);
  }

  get changed(): ISignal<this, StatusView> {
    return this.signal;
  }

  get view(): StatusView {
    return this.current;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Follows another notebook's session (or none). */
  setContext(context: SessionContextLike | null): void {
    if (context === this.context) return;
    this.disconnect();
    this.context = context;
    this.iopubStage = undefined;
    this.pendingSince = undefined;
    if (context) {
      context.kernelChanged.connect(this.onKernelChanged, this);
      context.statusChanged.connect(this.update, this);
      context.connectionStatusChanged.connect(this.update, this);
      context.iopubMessage.connect(this.onIopub, this);
      context.specsManager.specsChanged.connect(this.update, this);
      context.disposed.connect(this.onContextDisposed, this);
    }
    this.update();
  }

  /** Berth's kernel events, when the extension can reach Berth's API (else null). */
  setLedger(ledger: KernelEventLedger | null): void {
    this.ledger = ledger;
    this.update();
  }

  /** Recomputes the view (the events feed calls this on every event). */
  update(): void {
    if (this.disposed) return;
    const view = this.compute();
    const same =
      view.visible === this.current.visible &&
      view.text === this.current.text &&
      view.title === this.current.title &&
      view.tone === this.current.tone;
    this.current = view;
    if (!same) this.signal.emit(view);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disconnect();
    this.failures.changed.disconnect(this.onFailure, this);
    this.disposed = true;
  }

  private compute(): StatusView {
    const context = this.context;
    if (!context || context.isDisposed) return HIDDEN_STATUS;
    const kernel = context.session?.kernel ?? null;
    const displayStatus = context.kernelDisplayStatus;
    const starting = STARTING.has(displayStatus);
    if (starting && this.pendingSince === undefined) this.pendingSince = this.now();
    if (!starting && kernel) this.pendingSince = undefined;

    // A start in progress: the kernel's own events once its id is known, else the newest start
    // of a kernel no session knows yet that began after this one was asked for.
    let progress = this.ledger?.forKernel(kernel?.id);
    if ((!progress || progress.done) && this.pendingSince !== undefined && this.ledger) {
      const known = new Set(this.knownKernelIds());
      if (kernel) known.add(kernel.id);
      progress = this.ledger.pendingStart(this.pendingSince, known, context.kernelPreference.name) ?? progress;
    }
    const stage = this.iopubStage ?? (progress && !progress.done && progress.stage ? progress.stage : undefined);
    const failure = progress?.failure && (!kernel || displayStatus === 'dead' || starting) ? progress.failure : this.failures.get(context);
    return statusView({
      choices: context.specsManager.specs ? executionChoices(context.specsManager.specs) : NO_CHOICES,
      ...(kernel ? { kernelName: kernel.name } : {}),
      ...(starting ? { pendingDisplayName: context.kernelDisplayName } : {}),
      displayStatus,
      ...(stage && (starting || !kernel) ? { stage } : {}),
      ...(failure ? { failure } : {}),
    });
  }

  private onKernelChanged(): void {
    this.iopubStage = undefined;
    this.update();
  }

  /** `berth_stage` rides on iopub status "starting" during restarts; any other status ends it. */
  private onIopub(_: unknown, message: IopubMessageLike): void {
    if (message.header.msg_type !== 'status') return;
    const content = (message.content ?? {}) as { execution_state?: unknown; berth_stage?: unknown };
    const stage = typeof content.berth_stage === 'string' ? content.berth_stage : undefined;
    if (stage === this.iopubStage) return;
    if (stage || content.execution_state === 'idle' || content.execution_state === 'busy') {
      this.iopubStage = stage;
      this.update();
    }
  }

  private onFailure(_: StartFailures, context: object): void {
    if (context === this.context) this.update();
  }

  private onContextDisposed(): void {
    this.setContext(null);
  }

  private disconnect(): void {
    const context = this.context;
    if (!context) return;
    context.kernelChanged.disconnect(this.onKernelChanged, this);
    context.statusChanged.disconnect(this.update, this);
    context.connectionStatusChanged.disconnect(this.update, this);
    context.iopubMessage.disconnect(this.onIopub, this);
    context.specsManager.specsChanged.disconnect(this.update, this);
    context.disposed.disconnect(this.onContextDisposed, this);
  }
}
