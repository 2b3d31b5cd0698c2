import { Signal, type ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { NO_CHOICES, findPair, type ExecutionChoices, type PairSpec } from '../model/kernelspec-choices';
import { execConfigAvailability, selectCodeEnv, selectExecConfig, type Selection } from '../model/selection';
import { h, replaceChildren, selectElement } from './dom';

/**
 * Two lists, code env and exec config, over the pairs among the kernelspecs. Picking in either
 * list moves the other to a pair that exists and asks for it (selectionRequested); whoever owns
 * the picker switches the kernel and sets the selection to what the kernel then is.
 */
export class ExecutionPicker extends Widget {
  private choices: ExecutionChoices = NO_CHOICES;
  private current: Selection = {};
  private busy = false;
  private readonly requested = new Signal<this, PairSpec>(this);

  constructor(options: { compact?: boolean } = {}) {
    super();
    this.addClass('berth-ExecutionPicker');
    if (options.compact) this.addClass('berth-mod-compact');
    this.render();
  }

  /** Emitted when the user picks a pair (never for setSelection). */
  get selectionRequested(): ISignal<this, PairSpec> {
    return this.requested;
  }

  get selection(): Selection {
    return this.current;
  }

  get hasChoices(): boolean {
    return this.choices.pairs.length > 0;
  }

  setChoices(choices: ExecutionChoices): void {
    this.choices = choices;
    this.render();
  }

  setSelection(selection: Selection): void {
    this.current = selection;
    this.render();
  }

  /** While a switch is under way the lists are disabled. */
  setBusy(busy: boolean): void {
    this.busy = busy;
    this.render();
  }

  private pick(next: Selection): void {
    this.current = next;
    this.render();
    const pair = findPair(this.choices, next.codeEnv, next.execConfig);
    if (pair) this.requested.emit(pair);
  }

  private render(): void {
    const { codeEnvs } = this.choices;
    const codeEnv = codeEnvs.some((env) => env.id === this.current.codeEnv) ? this.current.codeEnv : undefined;
    const envSelect = selectElement(
      'berth-ExecutionPicker-codeEnv',
      'Code env',
      [
        ...(codeEnv ? [] : [{ value: '', label: 'Code env…', disabled: true }]),
        ...codeEnvs.map((env) => ({ value: env.id, label: env.id, title: `${env.id} (${env.language}): ${env.execConfigs.join(', ')}` })),
      ],
      codeEnv,
    );
    envSelect.addEventListener('change', () => this.pick(selectCodeEnv(this.choices, this.current, envSelect.value)));

    const configs = execConfigAvailability(this.choices, codeEnv);
    const execConfig = configs.some((config) => config.id === this.current.execConfig && config.available)
      ? this.current.execConfig
      : undefined;
    const configSelect = selectElement(
      'berth-ExecutionPicker-execConfig',
      'Exec config',
      [
        ...(execConfig ? [] : [{ value: '', label: 'Exec config…', disabled: true }]),
        ...configs.map((config) => ({
          value: config.id,
          label: config.available ? `${config.id} — ${config.summary}` : `${config.id} — not for ${codeEnv}`,
          title: config.summary,
          disabled: !config.available,
        })),
      ],
      execConfig,
    );
    configSelect.addEventListener('change', () => this.pick(selectExecConfig(this.choices, this.current, configSelect.value)));
    envSelect.disabled = this.busy || codeEnvs.length === 0;
    configSelect.disabled = this.busy || configs.length === 0;

    replaceChildren(this.node, [
      h('label', { className: 'berth-ExecutionPicker-field' }, [
        h('span', { className: 'berth-ExecutionPicker-label', text: 'Code env' }),
        envSelect,
      ]),
      h('label', { className: 'berth-ExecutionPicker-field' }, [
        h('span', { className: 'berth-ExecutionPicker-label', text: 'Exec config' }),
        configSelect,
      ]),
    ]);
  }
}
