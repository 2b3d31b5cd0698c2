import { notebookLanguage, notebookParameters, parametersSource, parseParameters } from '../../src/model/parameters';

describe('parameters cell, Python', () => {
  it('reads simple name = literal assignments, with annotations and comments', () => {
    const source = [
      '# defaults for the report',
      'region = "north"  # where',
      'rate: float = 0.5',
      'limit = 10; verbose = False',
      'columns = [',
      '    "a",  # first',
      '    "b",',
      ']',
      'start = pd.Timestamp("2024-01-01")',
      'import math',
      'if limit > 5:',
      '    inner = 1',
      'a = b = 2',
      'x == 3',
      'counter += 1',
    ].join('\n');
    expect(parseParameters(source, 'python')).toEqual([
      { name: 'region', literal: '"north"', value: 'north' },
      { name: 'rate', literal: '0.5', value: 0.5 },
      { name: 'limit', literal: '10', value: 10 },
      { name: 'verbose', literal: 'False', value: false },
      { name: 'columns', literal: '[\n    "a",  \n    "b",\n]', value: ['a', 'b'] },
      { name: 'start', literal: 'pd.Timestamp("2024-01-01")' },
    ]);
  });

  it('keeps # and ; inside strings', () => {
    expect(parseParameters("tag = '#1; ok'", 'python')).toEqual([{ name: 'tag', literal: "'#1; ok'", value: '#1; ok' }]);
  });

  it('reads an empty cell as no parameters', () => {
    expect(parseParameters('', 'python')).toEqual([]);
    expect(parseParameters('# nothing yet\n', 'python')).toEqual([]);
  });
});

describe('parameters cell, R', () => {
  it('reads <- and = assignments', () => {
    const source = ['region <- "north"', 'rate = 0.5', 'ids <- c(1, 2,', '  3)', 'opts <- list(a = TRUE)', 'n <- nrow(df)', 'x == 1'].join(
      '\n',
    );
    expect(parseParameters(source, 'r')).toEqual([
      { name: 'region', literal: '"north"', value: 'north' },
      { name: 'rate', literal: '0.5', value: 0.5 },
      { name: 'ids', literal: 'c(1, 2,\n  3)', value: [1, 2, 3] },
      { name: 'opts', literal: 'list(a = TRUE)', value: { a: true } },
      { name: 'n', literal: 'nrow(df)' },
    ]);
  });
});

describe('notebooks', () => {
  const notebook = (language: string, cells: unknown[]) => ({ metadata: { kernelspec: { name: 'k', language } }, cells }) as never;

  it('finds the first code cell tagged parameters (source as a string or lines)', () => {
    const nb = notebook('python', [
      { cell_type: 'markdown', metadata: { tags: ['parameters'] }, source: 'x = 1' },
      { cell_type: 'code', metadata: {}, source: 'y = 0' },
      { cell_type: 'code', metadata: { tags: ['parameters'] }, source: ['alpha = 0.1\n', 'beta = "b"\n'] },
      { cell_type: 'code', metadata: { tags: ['parameters'] }, source: 'gamma = 3' },
    ]);
    expect(parametersSource(nb)).toBe('alpha = 0.1\nbeta = "b"\n');
    expect(notebookParameters(nb)).toEqual({
      language: 'python',
      parameters: [
        { name: 'alpha', literal: '0.1', value: 0.1 },
        { name: 'beta', literal: '"b"', value: 'b' },
      ],
    });
  });

  it('takes the language from the kernelspec, else language_info', () => {
    expect(notebookLanguage(notebook('R', []))).toBe('r');
    expect(notebookLanguage({ metadata: { language_info: { name: 'python' } } })).toBe('python');
    expect(notebookLanguage({ metadata: { kernelspec: { language: 'julia' } } })).toBeUndefined();
  });

  it('has no parameters without a parameters cell', () => {
    expect(notebookParameters(notebook('python', [{ cell_type: 'code', metadata: {}, source: 'a = 1' }])).parameters).toEqual([]);
  });
});
