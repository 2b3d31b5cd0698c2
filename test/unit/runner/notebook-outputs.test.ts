import type { IopubMessage } from '../../../gateway/src/runner/kernel-link';
import type { NotebookOutput } from '../../../gateway/src/runner/notebook';
import { NotebookOutputs } from '../../../gateway/src/runner/notebook-outputs';

/** nbclient 0.7's output rules (nbclient/client.py: process_message, output, clear_output, _update_display_id). */
function message(type: string, content: Record<string, unknown>): IopubMessage {
  return {
    header: { msg_id: 'm', msg_type: type, session: 's', username: 'u', date: '2026-01-01T00:00:00Z', version: '5.3' },
    parent_header: {},
    metadata: {},
    content,
  };
}

describe('NotebookOutputs (nbclient semantics)', () => {
  let cells: NotebookOutput[][];
  let outputs: NotebookOutputs;
  beforeEach(() => {
    cells = [[], []];
    outputs = new NotebookOutputs((index) => cells[index]!);
  });

  test('streams, results and errors become nbformat outputs; streams are not merged', () => {
    outputs.apply(0, message('stream', { name: 'stdout', text: 'a' }));
    outputs.apply(0, message('stream', { name: 'stdout', text: 'b' }));
    expect(outputs.apply(0, message('execute_result', { data: { 'text/plain': '1' }, metadata: {}, execution_count: 4 }))).toBe(4);
    outputs.apply(0, message('error', { ename: 'E', evalue: 'v', traceback: ['t'] }));
    expect(cells[0]).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a' },
      { output_type: 'stream', name: 'stdout', text: 'b' },
      { output_type: 'execute_result', data: { 'text/plain': '1' }, metadata: {}, execution_count: 4 },
      { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['t'] },
    ]);
  });

  test('execute_input and status add nothing but report the execution count', () => {
    expect(outputs.apply(0, message('execute_input', { code: 'x', execution_count: 7 }))).toBe(7);
    expect(outputs.apply(0, message('status', { execution_state: 'busy' }))).toBeUndefined();
    expect(cells[0]).toEqual([]);
  });

  test('clear_output clears at once; with wait=True just before the next output', () => {
    outputs.apply(0, message('stream', { name: 'stdout', text: 'old' }));
    outputs.apply(0, message('clear_output', { wait: true }));
    expect(cells[0]).toHaveLength(1);
    outputs.apply(0, message('stream', { name: 'stdout', text: 'new' }));
    expect(cells[0]).toEqual([{ output_type: 'stream', name: 'stdout', text: 'new' }]);
    outputs.apply(0, message('clear_output', { wait: false }));
    expect(cells[0]).toEqual([]);
  });

  test('a pending clear_output(wait=True) is forgotten when the next cell starts', () => {
    outputs.apply(0, message('stream', { name: 'stdout', text: 'kept' }));
    outputs.apply(0, message('clear_output', { wait: true }));
    outputs.beginCell();
    outputs.apply(1, message('stream', { name: 'stdout', text: 'next' }));
    expect(cells[0]).toHaveLength(1);
    expect(cells[1]).toHaveLength(1);
  });

  test('update_display_data rewrites every output shown with the display id, in any cell, and adds none', () => {
    const shown = { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'd' } };
    outputs.apply(0, message('display_data', shown));
    outputs.apply(1, message('display_data', shown));
    outputs.apply(1, message('update_display_data', { data: { 'text/plain': 'v2' }, metadata: { m: 1 }, transient: { display_id: 'd' } }));
    expect(cells[0]).toEqual([{ output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: { m: 1 } }]);
    expect(cells[1]).toEqual([{ output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: { m: 1 } }]);
    outputs.apply(1, message('update_display_data', { data: { 'text/plain': 'x' }, metadata: {}, transient: { display_id: 'unknown' } }));
    expect(cells[1]).toHaveLength(1);
  });

  test('a cleared cell no longer takes updates of its display ids', () => {
    outputs.apply(0, message('display_data', { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'd' } }));
    outputs.apply(0, message('clear_output', { wait: false }));
    outputs.apply(0, message('stream', { name: 'stdout', text: 'after' }));
    outputs.apply(0, message('update_display_data', { data: { 'text/plain': 'v2' }, metadata: {}, transient: { display_id: 'd' } }));
    expect(cells[0]).toEqual([{ output_type: 'stream', name: 'stdout', text: 'after' }]);
  });
});
