import type { IDisposable } from '@lumino/disposable';
import { executionChoices, pairByKernelName, type ExecutionChoices, type PairSpec } from '../model/kernelspec-choices';
import { METADATA_KEY, notebookChoiceFor, readNotebookChoice, sameChoice } from '../model/notebook-choice';
import type { ExecutionPicker } from '../widgets/execution-picker';
import type { MetadataLike, SessionContextLike } from './session-types';
import type { StartFailures } from './start-failures';

/**
 * Ties one notebook's session to a picker: the picker shows the pair the kernel is, a pick
 * switches the kernel (sessionContext.changeKernel), and every change to a pair kernel, whoever
 * made it (the picker, JupyterLab's own kernel dialog, a restored session), is written to the
 * notebook's metadata.berth.
 */
export class ExecutionSession implements IDisposable {
  private disposed = false;

  constructor(
    private readonly context: SessionContextLike,
    private readonly metadata: () => MetadataLike | null,
    readonly picker: ExecutionPicker,
    private readonly failures: StartFailures,
  ) {
    context.specsManager.specsChanged.connect(this.onSpecs, this);
    context.kernelChanged.connect(this.onKernelChanged, this);
    picker.selectionRequested.connect(this.onPicked, this);
    this.onSpecs();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  get choices(): ExecutionChoices {
    return executionChoices(this.context.specsManager.specs);
  }

  /** The pair the session's kernel is, if it is one. */
  get currentPair(): PairSpec | undefined {
    return pairByKernelName(this.choices, this.context.session?.kernel?.name);
  }

  /**
   * Switches the kernel to `pair` and records the choice. Resolves false when the start failed
   * (the reason goes to StartFailures, for the status bar); never rejects.
   */
  async switchTo(pair: PairSpec): Promise<boolean> {
    if (this.context.session?.kernel?.name === pair.name) {
      this.remember(pair);
      return true;
    }
    this.failures.clear(this.context);
    this.picker.setBusy(true);
    try {
      await this.context.changeKernel({ name: pair.name });
      this.remember(pair);
      return true;
    } catch (error) {
      this.failures.report(this.context, `${pair.name} did not start: ${error instanceof Error ? error.message : String(error)}`);
      this.showKernel();
      return false;
    } finally {
      if (!this.disposed) this.picker.setBusy(false);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.context.specsManager.specsChanged.disconnect(this.onSpecs, this);
    this.context.kernelChanged.disconnect(this.onKernelChanged, this);
    this.picker.selectionRequested.disconnect(this.onPicked, this);
  }

  private onSpecs(): void {
    const choices = this.choices;
    this.picker.setChoices(choices);
    // Hidden where Berth publishes no pairs: a plain Jupyter server, or a user allowed none.
    this.picker.setHidden(choices.pairs.length === 0);
    this.showKernel();
  }

  private onKernelChanged(): void {
    this.showKernel();
    // A kernel came up (whichever): an earlier failed switch is history. A failing switch reports
    // after changeKernel rejects, so after any kernel change it causes.
    if (this.context.session?.kernel) this.failures.clear(this.context);
    const pair = this.currentPair;
    if (pair) this.remember(pair);
  }

  private onPicked(_: ExecutionPicker, pair: PairSpec): void {
    void this.switchTo(pair);
  }

  private showKernel(): void {
    const pair = this.currentPair;
    this.picker.setSelection(pair ? { codeEnv: pair.codeEnv, execConfig: pair.execConfig } : {});
  }

  /** Writes metadata.berth when it differs (an unchanged notebook stays clean). */
  private remember(pair: PairSpec): void {
    const model = this.metadata();
    if (!model) return;
    const previous = model.getMetadata(METADATA_KEY);
    if (sameChoice(readNotebookChoice(previous), pair)) return;
    model.setMetadata(METADATA_KEY, notebookChoiceFor(pair, previous));
  }
}
