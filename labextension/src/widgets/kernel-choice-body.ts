import { Widget } from '@lumino/widgets';
import { findPair, type ExecutionChoices, type SpecsLike } from '../model/kernelspec-choices';
import type { Selection } from '../model/selection';
import { h, selectElement } from './dom';
import { ExecutionPicker } from './execution-picker';

/** What the kernel dialog resolves to: a kernelspec to start, no kernel at all, or the stock dialog. */
export type KernelChoice = { readonly kind: 'kernel'; readonly name: string } | { readonly kind: 'none' } | { readonly kind: 'other' };

/**
 * The body of Berth's "Select Kernel" dialog: the two lists of the picker for the pairs, and
 * below them the kernelspecs that are no pair (python3, ir, …) and "No kernel". The pair wins
 * unless the user picked something in the second list.
 */
export class KernelChoiceBody extends Widget {
  readonly picker = new ExecutionPicker();
  private readonly others: HTMLSelectElement;

  constructor(
    private readonly choices: ExecutionChoices,
    specs: SpecsLike,
    initial: Selection,
  ) {
    super();
    this.addClass('berth-KernelChoice');
    this.picker.setChoices(choices);
    this.picker.setSelection(initial);
    const pairNames = new Set(choices.pairs.map((pair) => pair.name));
    const plain = Object.values(specs.kernelspecs)
      .filter((spec) => spec && !pairNames.has(spec.name))
      .map((spec) => ({ value: spec!.name, label: spec!.display_name ?? spec!.name }))
      .sort((a, b) => a.label.localeCompare(b.label));
    this.others = selectElement(
      'berth-KernelChoice-other',
      'Other kernel',
      [{ value: '', label: 'Use the code env and exec config above' }, ...plain, { value: ':none', label: 'No kernel' }],
      '',
    );
    this.node.append(
      h('p', { className: 'berth-KernelChoice-intro', text: 'Pick what runs (code env) and where it runs (exec config).' }),
      this.picker.node,
      h('label', { className: 'berth-KernelChoice-field' }, [h('span', { text: 'Or another kernel' }), this.others]),
    );
    // Picking in the lists means the pair again.
    this.picker.selectionRequested.connect(() => {
      this.others.value = '';
    });
  }

  override dispose(): void {
    this.picker.dispose();
    super.dispose();
  }

  getValue(): KernelChoice {
    if (this.others.value === ':none') return { kind: 'none' };
    if (this.others.value) return { kind: 'kernel', name: this.others.value };
    const pair = findPair(this.choices, this.picker.selection.codeEnv, this.picker.selection.execConfig);
    return pair ? { kind: 'kernel', name: pair.name } : { kind: 'other' };
  }
}
