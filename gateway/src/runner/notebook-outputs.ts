import type { NotebookOutput } from './notebook';
import type { IopubMessage } from './kernel-link';

/**
 * Turns a cell's iopub messages into nbformat outputs the way nbclient does, so a notebook run by
 * Berth reads the same as one run by nbclient or papermill: `clear_output(wait=True)` clears
 * before the next output, display ids are followed across cells (`update_display_data` rewrites
 * every output shown with that id), and execute_input/status/comm messages add no output.
 */
export class NotebookOutputs {
  /** display_id → where outputs with it were shown (cell index → output indexes). */
  private readonly displays = new Map<string, Map<number, number[]>>();
  private clearBeforeNext = false;

  constructor(private readonly cellOutputs: (cellIndex: number) => NotebookOutput[]) {}

  /** Starts a cell: nbclient forgets a pending `clear_output(wait=True)` between cells. */
  beginCell(): void {
    this.clearBeforeNext = false;
  }

  /** Applies one iopub message of cell `cellIndex`; returns the execution count it carried, if any. */
  apply(cellIndex: number, message: IopubMessage): number | undefined {
    const type = message.header.msg_type;
    const content = message.content;
    const displayId = (content['transient'] as { display_id?: string } | undefined)?.display_id;
    if (displayId && (type === 'execute_result' || type === 'display_data' || type === 'update_display_data')) {
      this.updateDisplays(displayId, content);
    }
    const count = typeof content['execution_count'] === 'number' ? content['execution_count'] : undefined;
    if (type === 'clear_output') {
      if (content['wait']) this.clearBeforeNext = true;
      else this.clear(cellIndex);
      return count;
    }
    const output = outputFromMessage(type, content);
    if (!output) return count;
    const outputs = this.cellOutputs(cellIndex);
    if (this.clearBeforeNext) {
      this.clear(cellIndex);
      this.clearBeforeNext = false;
    }
    if (displayId) {
      const byCell = this.displays.get(displayId) ?? new Map<number, number[]>();
      this.displays.set(displayId, byCell);
      byCell.set(cellIndex, [...(byCell.get(cellIndex) ?? []), outputs.length]);
    }
    outputs.push(output);
    return count;
  }

  private clear(cellIndex: number): void {
    this.cellOutputs(cellIndex).length = 0;
    for (const byCell of this.displays.values()) if (byCell.has(cellIndex)) byCell.set(cellIndex, []);
  }

  private updateDisplays(displayId: string, content: Record<string, unknown>): void {
    const byCell = this.displays.get(displayId);
    if (!byCell) return;
    for (const [cellIndex, indexes] of byCell) {
      const outputs = this.cellOutputs(cellIndex);
      for (const index of indexes) {
        const output = outputs[index];
        if (output && (output.output_type === 'display_data' || output.output_type === 'execute_result')) {
          output['data'] = content['data'] ?? {};
          output['metadata'] = content['metadata'] ?? {};
        }
      }
    }
  }
}

/** nbformat's output_from_msg: the output an iopub message adds, or undefined for the others. */
export function outputFromMessage(type: string, content: Record<string, unknown>): NotebookOutput | undefined {
  switch (type) {
    case 'stream':
      return { output_type: 'stream', name: content['name'], text: content['text'] };
    case 'display_data':
      return { output_type: 'display_data', data: content['data'] ?? {}, metadata: content['metadata'] ?? {} };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        data: content['data'] ?? {},
        metadata: content['metadata'] ?? {},
        execution_count: content['execution_count'] ?? null,
      };
    case 'error':
      return { output_type: 'error', ename: content['ename'], evalue: content['evalue'], traceback: content['traceback'] ?? [] };
    default:
      return undefined;
  }
}
