import { exitStatus, recipeFileName, recipeLanguage } from '../../../gateway/src/runner/recipe-job';

describe('recipes', () => {
  test('the extension picks the language; the staged file is the base name', () => {
    expect(recipeLanguage('train.py')).toBe('python');
    expect(recipeLanguage('report.R')).toBe('r');
    expect(recipeFileName('jobs/nightly/train.py')).toBe('train.py');
  });

  test('exit statuses: ok is 0; sys.exit(n) is n; an R exit status from its message; any other error is 1', () => {
    expect(exitStatus('python', { status: 'ok' })).toBe(0);
    expect(exitStatus('python', { status: 'error', ename: 'RecipeExit', evalue: '3' })).toBe(3);
    expect(exitStatus('python', { status: 'error', ename: 'ValueError', evalue: 'bad' })).toBe(1);
    expect(exitStatus('r', { status: 'error', ename: 'ERROR', evalue: 'Error: the recipe exited with status 2\n' })).toBe(2);
    expect(exitStatus('r', { status: 'error', ename: 'ERROR', evalue: 'Error in f(): boom\n' })).toBe(1);
  });
});
