import { Widget } from '@lumino/widgets';
import { executionChoices, type PairSpec } from '../../src/model/kernelspec-choices';
import { ExecutionPicker } from '../../src/widgets/execution-picker';
import { EXAMPLE_SPECS } from '../support/specs';

function pick(select: HTMLSelectElement, value: string): void {
  select.value = value;
  select.dispatchEvent(new Event('change'));
}

describe('ExecutionPicker', () => {
  let picker: ExecutionPicker;
  let requested: PairSpec[];
  const codeEnv = () => picker.node.querySelector<HTMLSelectElement>('.berth-ExecutionPicker-codeEnv')!;
  const execConfig = () => picker.node.querySelector<HTMLSelectElement>('.berth-ExecutionPicker-execConfig')!;

  beforeEach(() => {
    picker = new ExecutionPicker({ compact: true });
    Widget.attach(picker, document.body);
    picker.setChoices(executionChoices(EXAMPLE_SPECS));
    requested = [];
    picker.selectionRequested.connect((_, pair) => requested.push(pair));
  });

  afterEach(() => picker.dispose());

  it('shows the code envs and the exec configs with their resources', () => {
    expect(Array.from(codeEnv().options, (option) => option.value)).toEqual(['', 'pandas', 'r-tables', 'torch']);
    const configs = Array.from(execConfig().options).map((option) => option.textContent);
    expect(configs).toEqual([
      'Exec config…',
      'docker-large — docker · 8 CPUs · 32 GiB',
      'docker-small — docker · 1 CPU · 2 GiB',
      'gpu — docker · 4 CPUs · 16 GiB · 1 GPU',
    ]);
  });

  it('shows the current pair and disables the exec configs its code env cannot use', () => {
    picker.setSelection({ codeEnv: 'pandas', execConfig: 'docker-small' });
    expect(codeEnv().value).toBe('pandas');
    expect(execConfig().value).toBe('docker-small');
    const gpu = Array.from(execConfig().options).find((option) => option.value === 'gpu')!;
    expect(gpu.disabled).toBe(true);
    expect(gpu.textContent).toBe('gpu — not for pandas');
  });

  it('asks for the pair the user picks, moving the other list to a pair that exists', () => {
    picker.setSelection({ codeEnv: 'pandas', execConfig: 'docker-small' });
    pick(execConfig(), 'docker-large');
    expect(requested.map((pair) => pair.name)).toEqual(['pandas--docker-large']);
    pick(codeEnv(), 'torch');
    expect(requested.map((pair) => pair.name)).toEqual(['pandas--docker-large', 'torch--gpu']);
    expect(execConfig().value).toBe('gpu');
  });

  it('does not ask when the selection is set from outside', () => {
    picker.setSelection({ codeEnv: 'r-tables', execConfig: 'docker-large' });
    expect(requested).toEqual([]);
  });

  it('disables both lists while busy', () => {
    picker.setBusy(true);
    expect(codeEnv().disabled && execConfig().disabled).toBe(true);
    picker.setBusy(false);
    expect(codeEnv().disabled || execConfig().disabled).toBe(false);
  });
});
