/**
 * Golden tests for papermill-compatible parameters. Each expectation follows papermill 2.x (nteract/papermill):
 * - declaredParameters: in the spirit of PythonTranslator.inspect (papermill/tests/test_translators.py
 *   test_inspect_python cases), returning Berth's {name, literal, value}.
 */
import type { NotebookCell } from '../../../../gateway/src/runner/notebook';
import { declaredParameters } from '../../../../gateway/src/runner/parameters/declared-parameters';
import { code, notebook } from '../../../support/notebook-cells';

describe('declaredParameters', () => {
  it('returns nothing without a parameters cell', () => {
    expect(declaredParameters(notebook([code('x = 1')]), 'python')).toEqual([]);
  });

  it('matches papermill’s inspect cases (test_translators.py test_inspect_python)', () => {
    const cases: [string, { name: string; literal: string; value?: unknown }[]][] = [
      ['a = 2', [{ name: 'a', literal: '2', value: 2 }]],
      ['a: int = 2', [{ name: 'a', literal: '2', value: 2 }]],
      ['a = 2 # type:int', [{ name: 'a', literal: '2', value: 2 }]],
      ['a = False # Nice variable a', [{ name: 'a', literal: 'False', value: false }]],
      ['a: float = 2.258 # type: int Nice variable a', [{ name: 'a', literal: '2.258', value: 2.258 }]],
      ["a = 'this is a string' # type: int Nice variable a", [{ name: 'a', literal: "'this is a string'", value: 'this is a string' }]],
      [
        "a: List[str] = ['this', 'is', 'a', 'string', 'list'] # Nice variable a",
        [{ name: 'a', literal: "['this', 'is', 'a', 'string', 'list']" }],
      ],
    ];
    for (const [source, expected] of cases) {
      expect(declaredParameters(notebook([code(source, ['parameters'])]), 'python')).toEqual(expected);
    }
  });

  it('reads the top-level Python assignments of the first parameters cell', () => {
    const source = [
      '# Parameters for the run',
      'alpha = 0.1  # learning rate',
      'epochs: int = 10',
      'name = "world"  # type: str',
      "raw_path = r'C:\\temp'",
      "msg = 'it\\'s # not a comment'",
      'flag = True',
      'nothing = None',
      'neg = -2.5e-3',
      'big = 12345678901234567890',
      'hexed = 0x_ff',
      'items = [',
      "    'a',  # first",
      "    'b',",
      ']',
      'config = dict(x=1)',
      'f = lambda x=1: x',
      'if debug:',
      '    hidden = 1',
      'else: other = 2',
      'a = b = 3',
      'x.y = 4',
      'count += 1',
      'same = a == b',
      '%matplotlib inline',
      'one = 1; two = "2"',
      'text = """multi',
      'line = 5"""',
    ].join('\n');
    const cells = [code('first = 0'), code(source, ['parameters']), code('later = 1', ['parameters'])];
    expect(declaredParameters(notebook(cells), 'python')).toEqual([
      { name: 'alpha', literal: '0.1', value: 0.1 },
      { name: 'epochs', literal: '10', value: 10 },
      { name: 'name', literal: '"world"', value: 'world' },
      { name: 'raw_path', literal: "r'C:\\temp'", value: 'C:\\temp' },
      { name: 'msg', literal: "'it\\'s # not a comment'", value: "it's # not a comment" },
      { name: 'flag', literal: 'True', value: true },
      { name: 'nothing', literal: 'None', value: null },
      { name: 'neg', literal: '-2.5e-3', value: -0.0025 },
      { name: 'big', literal: '12345678901234567890' },
      { name: 'hexed', literal: '0x_ff', value: 255 },
      { name: 'items', literal: "[\n    'a',  \n    'b',\n]" },
      { name: 'config', literal: 'dict(x=1)' },
      { name: 'f', literal: 'lambda x=1: x' },
      { name: 'same', literal: 'a == b' },
      { name: 'one', literal: '1', value: 1 },
      { name: 'two', literal: '"2"', value: '2' },
      { name: 'text', literal: '"""multi\nline = 5"""', value: 'multi\nline = 5' },
    ]);
  });

  it('reads R assignments with <- and =, and skips blocks', () => {
    const source = [
      '# defaults',
      'alpha <- 0.1',
      'epochs = 10L',
      'name <- "world" # comment',
      "quoted <- 'it\\'s'",
      'flag <- TRUE',
      'nothing <- NULL',
      'mask <- 0xFF',
      'neg <- -1.5e3',
      'items <- c(',
      '  "a", # first',
      '  "b"',
      ')',
      'if (debug) {',
      '  hidden <- 1',
      '}',
      "`odd name` <- 'x'",
      'f <- function(x) { x + 1 }',
      'total <-',
      '  5',
      'g <<- 2',
      'a <- b <- 3',
      'missing <- NA',
      'cmp <- a <= b',
    ].join('\n');
    expect(declaredParameters(notebook([code(source, ['parameters'])]), 'r')).toEqual([
      { name: 'alpha', literal: '0.1', value: 0.1 },
      { name: 'epochs', literal: '10L', value: 10 },
      { name: 'name', literal: '"world"', value: 'world' },
      { name: 'quoted', literal: "'it\\'s'", value: "it's" },
      { name: 'flag', literal: 'TRUE', value: true },
      { name: 'nothing', literal: 'NULL', value: null },
      { name: 'mask', literal: '0xFF', value: 255 },
      { name: 'neg', literal: '-1.5e3', value: -1500 },
      { name: 'items', literal: 'c(\n  "a", \n  "b"\n)' },
      { name: 'odd name', literal: "'x'", value: 'x' },
      { name: 'f', literal: 'function(x) { x + 1 }' },
      { name: 'total', literal: '5', value: 5 },
      { name: 'g', literal: '2', value: 2 },
      { name: 'missing', literal: 'NA' },
      { name: 'cmp', literal: 'a <= b' },
    ]);
  });

  it('reads a cell whose source is a list of lines', () => {
    const cell: NotebookCell = { cell_type: 'code', source: ['x = 1\n', 'y = "two"\n'], metadata: { tags: ['parameters'] } };
    expect(declaredParameters(notebook([cell]), 'python')).toEqual([
      { name: 'x', literal: '1', value: 1 },
      { name: 'y', literal: '"two"', value: 'two' },
    ]);
  });
});
