import { executionChoices } from '../../src/model/kernelspec-choices';
import { execConfigAvailability, isComplete, selectCodeEnv, selectExecConfig } from '../../src/model/selection';
import { EXAMPLE_SPECS } from '../support/specs';

describe('picker selection', () => {
  const choices = executionChoices(EXAMPLE_SPECS);

  it('keeps the exec config when the new code env pairs with it', () => {
    expect(selectCodeEnv(choices, { codeEnv: 'r-tables', execConfig: 'docker-large' }, 'pandas')).toEqual({
      codeEnv: 'pandas',
      execConfig: 'docker-large',
    });
  });

  it("moves to the code env's first exec config otherwise", () => {
    expect(selectCodeEnv(choices, { codeEnv: 'pandas', execConfig: 'docker-small' }, 'r-tables')).toEqual({
      codeEnv: 'r-tables',
      execConfig: 'docker-large',
    });
    expect(selectCodeEnv(choices, {}, 'torch')).toEqual({ codeEnv: 'torch', execConfig: 'gpu' });
  });

  it('keeps the code env when it pairs with the new exec config, else takes the first that does', () => {
    expect(selectExecConfig(choices, { codeEnv: 'pandas', execConfig: 'docker-large' }, 'docker-small')).toEqual({
      codeEnv: 'pandas',
      execConfig: 'docker-small',
    });
    expect(selectExecConfig(choices, { codeEnv: 'pandas', execConfig: 'docker-large' }, 'gpu')).toEqual({
      codeEnv: 'torch',
      execConfig: 'gpu',
    });
  });

  it('ignores ids that are not among the choices', () => {
    const current = { codeEnv: 'pandas', execConfig: 'docker-small' };
    expect(selectCodeEnv(choices, current, 'nope')).toBe(current);
    expect(selectExecConfig(choices, current, 'nope')).toBe(current);
  });

  it('marks the exec configs a code env cannot use', () => {
    expect(execConfigAvailability(choices, 'pandas').map((config) => [config.id, config.available])).toEqual([
      ['docker-large', true],
      ['docker-small', true],
      ['gpu', false],
    ]);
    expect(execConfigAvailability(choices, undefined).every((config) => config.available)).toBe(true);
  });

  it('knows a complete selection', () => {
    expect(isComplete(choices, { codeEnv: 'pandas', execConfig: 'docker-small' })).toBe(true);
    expect(isComplete(choices, { codeEnv: 'pandas', execConfig: 'gpu' })).toBe(false);
    expect(isComplete(choices, {})).toBe(false);
  });
});
