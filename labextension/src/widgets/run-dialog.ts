import { Widget } from '@lumino/widgets';
import type { ExecConfigSummary } from '../api/berth-client';
import { NO_CHOICES, type ExecutionChoices } from '../model/kernelspec-choices';
import { inputValue, type LiteralValue, type ParameterLanguage } from '../model/literals';
import type { NotebookParameter } from '../model/parameters';
import { describeExecConfig } from '../model/resources';
import type { RunChoice } from '../runs/run-request';
import { h, replaceChildren, selectElement, type OptionSpec } from './dom';

export interface RunDialogOptions {
  readonly notebookName: string;
  readonly language: ParameterLanguage | undefined;
  readonly parameters: readonly NotebookParameter[];
  /** The pairs this user may run (from Berth's kernelspecs). */
  readonly choices: ExecutionChoices;
  /** Exec configs for a run without a code env (Berth's exec config list). */
  readonly execConfigs: readonly ExecConfigSummary[];
  /** The notebook's current choice (metadata.berth or its pair kernel). */
  readonly initial: { readonly codeEnv?: string; readonly execConfig?: string };
}

/**
 * The body of "Run notebook as batch job…": one field per declared parameter, prefilled with
 * its literal, and where to run (code env and exec config). getValue gives the parameters the
 * user changed, read as literals of the notebook's language (see literals.ts).
 */
export class RunDialogBody extends Widget {
  private readonly inputs = new Map<string, HTMLInputElement>();
  private readonly placement = h('div', { className: 'berth-RunDialog-placement' });
  private codeEnv: string;
  private execConfig: string;

  constructor(private readonly options: RunDialogOptions) {
    super();
    this.addClass('berth-RunDialog');
    const choices = options.choices ?? NO_CHOICES;
    this.codeEnv =
      options.initial.codeEnv && choices.codeEnvs.some((env) => env.id === options.initial.codeEnv) ? options.initial.codeEnv : '';
    this.execConfig = options.initial.execConfig ?? '';
    this.node.append(
      h('p', { className: 'berth-RunDialog-intro', text: `Runs ${options.notebookName} as a batch job on Berth, with these parameters.` }),
      this.parametersSection(),
      this.placement,
    );
    this.renderPlacement();
  }

  getValue(): RunChoice {
    const parameters: Record<string, LiteralValue> = {};
    const language = this.options.language ?? 'python';
    for (const parameter of this.options.parameters) {
      const text = this.inputs.get(parameter.name)?.value ?? parameter.literal;
      if (text.trim() === parameter.literal.trim()) continue;
      parameters[parameter.name] = inputValue(text, language);
    }
    return {
      parameters,
      ...(this.codeEnv ? { codeEnv: this.codeEnv } : {}),
      ...(this.execConfig ? { execConfig: this.execConfig } : {}),
    };
  }

  private parametersSection(): HTMLElement {
    if (this.options.parameters.length === 0) {
      return h('p', {
        className: 'berth-RunDialog-none',
        text: 'This notebook has no parameters (no code cell tagged "parameters" with name = value lines).',
      });
    }
    const rows = this.options.parameters.map((parameter) => {
      const input = h('input', {
        className: 'berth-RunDialog-input',
        attrs: { type: 'text', name: parameter.name, 'aria-label': parameter.name, spellcheck: 'false' },
      });
      input.value = parameter.literal;
      this.inputs.set(parameter.name, input);
      return h('label', { className: 'berth-RunDialog-parameter' }, [
        h('span', { className: 'berth-RunDialog-name', text: parameter.name }),
        input,
      ]);
    });
    return h('fieldset', { className: 'berth-RunDialog-parameters' }, [h('legend', { text: 'Parameters' }), ...rows]);
  }

  /** Code env first; the exec config list depends on it (the pairs of that code env, or every exec config). */
  private renderPlacement(): void {
    const { choices } = this.options;
    const envOptions: OptionSpec[] = [
      { value: '', label: "None: the notebook's plain kernel" },
      ...choices.codeEnvs.map((env) => ({ value: env.id, label: `${env.id} (${env.language})` })),
    ];
    const envSelect = selectElement('berth-RunDialog-codeEnv', 'Code env', envOptions, this.codeEnv);
    envSelect.addEventListener('change', () => {
      this.codeEnv = envSelect.value;
      const env = choices.codeEnvs.find((option) => option.id === this.codeEnv);
      if (env && !env.execConfigs.includes(this.execConfig)) this.execConfig = env.execConfigs[0] ?? '';
      this.renderPlacement();
    });

    const env = choices.codeEnvs.find((option) => option.id === this.codeEnv);
    const configOptions: OptionSpec[] = env
      ? env.execConfigs.map((id) => {
          const config = choices.execConfigs.find((option) => option.id === id);
          return { value: id, label: config ? `${id} — ${config.summary}` : id };
        })
      : [
          { value: '', label: "The gateway's default" },
          ...this.options.execConfigs.map((config) => ({
            value: config.id,
            label: `${config.id} — ${describeExecConfig(config.backend, config.resources ?? {})}`,
            ...(config.displayName ? { title: config.displayName } : {}),
          })),
        ];
    if (!configOptions.some((option) => option.value === this.execConfig)) this.execConfig = configOptions[0]?.value ?? '';
    const configSelect = selectElement('berth-RunDialog-execConfig', 'Exec config', configOptions, this.execConfig);
    configSelect.addEventListener('change', () => {
      this.execConfig = configSelect.value;
    });

    replaceChildren(this.placement, [
      h('label', { className: 'berth-RunDialog-field' }, [h('span', { text: 'Code env' }), envSelect]),
      h('label', { className: 'berth-RunDialog-field' }, [h('span', { text: 'Exec config' }), configSelect]),
    ]);
  }
}
