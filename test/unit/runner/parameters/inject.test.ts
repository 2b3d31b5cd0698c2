/**
 * Golden tests for papermill-compatible parameters. Each expectation follows papermill 2.x (nteract/papermill):
 * - injectParameters: papermill/parameterize.py (parameterize_notebook), papermill/utils.py
 *   (find_first_tagged_cell_index) and papermill/tests/test_parameterize.py; metadata.papermill as
 *   papermill/iorw.py load_notebook_node creates it.
 */
import type { NotebookCell } from '../../../../gateway/src/runner/notebook';
import { injectParameters } from '../../../../gateway/src/runner/parameters/inject';
import type { Parameters } from '../../../../gateway/src/runner/parameters/parameter-value';
import { code, notebook } from '../../../support/notebook-cells';

describe('injectParameters', () => {
  const parameters: Parameters = { msg: 'Hello', n: 3 };
  const source = '# Parameters\nmsg = "Hello"\nn = 3\n';

  it('inserts the injected cell right after the first parameters cell', () => {
    const input = notebook([
      code('import os', [], 'c0'),
      code('msg = "x"', ['parameters', 'some tag'], 'c1'),
      code('print(msg)', [], 'c2'),
    ]);
    const output = injectParameters(input, parameters, 'python');
    expect(output.cells.map((cell) => cell.id)).toEqual(['c0', 'c1', output.cells[2]!.id, 'c2']);
    const injected = output.cells[2]!;
    expect(injected).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}$/),
      cell_type: 'code',
      execution_count: null,
      metadata: { tags: ['injected-parameters'] },
      outputs: [],
      source,
    });
    // Tags are not copied from the parameters cell (test_no_tag_copying).
    expect(output.cells[1]!.metadata).toEqual({ tags: ['parameters', 'some tag'] });
  });

  it('injects at the top when no cell is tagged parameters', () => {
    const output = injectParameters(notebook([code('a = 1'), code('b = 2')]), parameters, 'r');
    expect(output.cells).toHaveLength(3);
    expect(output.cells[0]!.metadata).toEqual({ tags: ['injected-parameters'] });
    expect(output.cells[0]!.source).toBe('# Parameters\nmsg = "Hello"\nn = 3\n');
  });

  it('replaces the first injected-parameters cell where it stands (a re-run keeps one injected cell)', () => {
    const first = injectParameters(notebook([code('x = 1', ['parameters']), code('y = 2')]), { x: 5 }, 'python');
    const second = injectParameters(first, { x: 6 }, 'python');
    expect(second.cells.map((cell) => cellTagsOf(cell))).toEqual([['parameters'], ['injected-parameters'], []]);
    expect(second.cells[1]!.source).toBe('# Parameters\nx = 6\n');

    // papermill replaces the first injected cell in place, even when it is not after the parameters cell,
    // and leaves any later injected cells alone.
    const odd = notebook([
      code('old = 1', ['injected-parameters'], 'i0'),
      code('x = 1', ['parameters'], 'p0'),
      code('old = 2', ['injected-parameters'], 'i1'),
    ]);
    const output = injectParameters(odd, { x: 7 }, 'python');
    expect(output.cells.map((cell) => cell.source)).toEqual(['# Parameters\nx = 7\n', 'x = 1', 'old = 2']);
    expect(output.cells[0]!.id).not.toBe('i0');
  });

  it('gives the new cell an id only from nbformat 4.5, never one already used', () => {
    const old = injectParameters(notebook([code('x = 1', ['parameters'])], 4), parameters, 'python');
    expect(old.cells[1]).not.toHaveProperty('id');
    expect(old.nbformat_minor).toBe(4);
    const ids = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      const output = injectParameters(notebook([code('x = 1', ['parameters'], 'p')]), parameters, 'python');
      ids.add(output.cells[1]!.id!);
      expect(output.cells[1]!.id).not.toBe('p');
    }
    expect(ids.size).toBeGreaterThan(1);
  });

  it('records the parameters in metadata.papermill and leaves the input untouched', () => {
    const input = notebook([code('x = 1', ['parameters'])], 5, { kernelspec: { name: 'python3', language: 'python' } });
    const given: Parameters = { x: 2, nested: { list: [1] } };
    const before = structuredClone(input);
    const output = injectParameters(input, given, 'python');
    expect(input).toEqual(before);
    expect(output.metadata).toEqual({
      kernelspec: { name: 'python3', language: 'python' },
      papermill: { default_parameters: {}, parameters: { x: 2, nested: { list: [1] } }, environment_variables: {} },
    });
    (given['nested'] as { list: number[] }).list.push(2);
    expect((output.metadata['papermill'] as { parameters: Parameters }).parameters).toEqual({ x: 2, nested: { list: [1] } });
    output.cells[0]!.metadata['tags'] = [];
    expect(input.cells[0]!.metadata).toEqual({ tags: ['parameters'] });
  });

  it('keeps existing papermill metadata and replaces its parameters', () => {
    const input = notebook([code('x = 1', ['parameters'])], 5, {
      papermill: { parameters: { x: 1 }, version: '2.6.0', input_path: 'in.ipynb' },
    });
    const output = injectParameters(input, { x: 3 }, 'python');
    expect(output.metadata['papermill']).toEqual({ parameters: { x: 3 }, version: '2.6.0', input_path: 'in.ipynb' });
    expect((input.metadata['papermill'] as { parameters: Parameters }).parameters).toEqual({ x: 1 });
  });
});

function cellTagsOf(cell: NotebookCell): unknown {
  return cell.metadata['tags'] ?? [];
}
