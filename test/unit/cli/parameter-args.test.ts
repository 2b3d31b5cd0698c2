import { takeParameterArgs } from '../../../gateway/src/cli/run/parameter-args';

describe('takeParameterArgs (papermill -p/-r NAME VALUE)', () => {
  test('takes the pairs out, in order, and leaves the rest for commander', () => {
    const taken = takeParameterArgs([
      'node',
      'berth',
      'run',
      'nb.ipynb',
      '-p',
      'alpha',
      '0.5',
      '-o',
      'out.ipynb',
      '-r',
      'when',
      '2024-01-01',
      '--parameters',
      'n',
      '3',
    ]);
    expect(taken.argv).toEqual(['node', 'berth', 'run', 'nb.ipynb', '-o', 'out.ipynb']);
    expect(taken.pairs).toEqual([
      { name: 'alpha', value: '0.5', raw: false },
      { name: 'when', value: '2024-01-01', raw: true },
      { name: 'n', value: '3', raw: false },
    ]);
  });

  test('a script argument after -- is not a parameter', () => {
    expect(takeParameterArgs(['run', 's.py', '--', '-p', 'x', 'y']).pairs).toEqual([]);
  });

  test('-p with one value is an error that shows the form', () => {
    expect(() => takeParameterArgs(['run', 'nb.ipynb', '-p', 'alpha'])).toThrow('-p NAME VALUE');
  });
});
