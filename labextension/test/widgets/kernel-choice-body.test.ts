import { executionChoices } from '../../src/model/kernelspec-choices';
import { KernelChoiceBody } from '../../src/widgets/kernel-choice-body';
import { EXAMPLE_SPECS } from '../support/specs';

describe("Berth's Select Kernel dialog body", () => {
  const choices = executionChoices(EXAMPLE_SPECS);

  it('resolves to the pair of the two lists', () => {
    const body = new KernelChoiceBody(choices, EXAMPLE_SPECS, { codeEnv: 'pandas', execConfig: 'docker-small' });
    expect(body.getValue()).toEqual({ kind: 'kernel', name: 'pandas--docker-small' });
    const exec = body.node.querySelector<HTMLSelectElement>('.berth-ExecutionPicker-execConfig')!;
    exec.value = 'docker-large';
    exec.dispatchEvent(new Event('change'));
    expect(body.getValue()).toEqual({ kind: 'kernel', name: 'pandas--docker-large' });
  });

  it('offers the kernelspecs that are no pair, and no kernel', () => {
    const body = new KernelChoiceBody(choices, EXAMPLE_SPECS, {});
    const other = body.node.querySelector<HTMLSelectElement>('.berth-KernelChoice-other')!;
    expect(Array.from(other.options, (option) => option.textContent)).toEqual([
      'Use the code env and exec config above',
      'Python 3 (ipykernel)',
      'R',
      'No kernel',
    ]);
    expect(body.getValue()).toEqual({ kind: 'other' });
    other.value = 'ir';
    expect(body.getValue()).toEqual({ kind: 'kernel', name: 'ir' });
    other.value = ':none';
    expect(body.getValue()).toEqual({ kind: 'none' });
  });
});
