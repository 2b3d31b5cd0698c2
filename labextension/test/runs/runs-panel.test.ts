import { Widget } from '@lumino/widgets';
import type { RunRecord } from '../../src/model/runs';
import { outputPath, saveRunOutput, type ContentsLike } from '../../src/runs/output-notebook';
import { RunsModel } from '../../src/runs/runs-model';
import { RunsPanel } from '../../src/widgets/runs-panel';
import { clientFor, pythonNotebook } from '../support/gateway';

// Kernel starts take seconds, more on a loaded machine.
jest.setTimeout(90_000);

// The runs panel over a RunsModel whose client talks to the real Berth gateway.

/** Waits until `predicate` holds after some change of the model (or fails after 30 s). */
function until(model: RunsModel, predicate: () => boolean, timeoutMs = 60000): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      model.changed.disconnect(check);
      reject(new Error('the runs panel never reached the expected state'));
    }, timeoutMs);
    const check = (): void => {
      if (!predicate()) return;
      clearTimeout(timer);
      model.changed.disconnect(check);
      resolve();
    };
    model.changed.connect(check);
  });
}

describe('RunsPanel', () => {
  let model: RunsModel;
  let panel: RunsPanel;

  beforeEach(() => {
    model = new RunsModel();
    panel = new RunsPanel(model, { origin: 'http://127.0.0.1:8889' });
    Widget.attach(panel, document.body);
  });

  afterEach(() => {
    panel.dispose();
    model.dispose();
  });

  it('explains how to configure Berth, --allow-origin included, before it is configured', () => {
    const settings: unknown[] = [];
    panel.settingsRequested.connect(() => settings.push(1));
    const text = panel.node.textContent ?? '';
    expect(text).toContain('The Berth gateway URL is not set.');
    expect(text).toContain('Gateway URL');
    expect(text).toContain('berth serve --allow-origin http://127.0.0.1:8889');
    Array.from(panel.node.querySelectorAll('button'))
      .find((button) => button.textContent === 'Open Berth settings')!
      .click();
    expect(settings).toHaveLength(1);
  });

  it('shows the refresh error when Berth cannot be reached', async () => {
    const { BerthClient } = await import('../../src/api/berth-client');
    model.setClient(new BerthClient({ baseUrl: 'http://127.0.0.1:9/', token: 't', origin: 'http://127.0.0.1:8889' }));
    await until(model, () => model.state.kind === 'error');
    expect(panel.node.querySelector('[role="alert"]')?.textContent).toContain('--allow-origin http://127.0.0.1:8889');
  });

  it("lists the user's runs with status, exec config and duration, and follows a run's log live", async () => {
    const alice = clientFor('alice');
    model.setClient(alice);
    const notebook = pythonNotebook('steps = 3', [
      'import time\nfor i in range(steps):\n    print(f"step {i}", flush=True)\n    time.sleep(0.3)',
    ]);
    const run = await alice.submitRun({ kind: 'notebook', notebook, notebookName: 'steps.ipynb', kernel: 'python3' });
    await model.refresh();
    const row = () => panel.node.querySelector<HTMLTableRowElement>(`tr[data-run-id="${run.id}"]`);
    expect(row()?.textContent).toContain('steps.ipynb');

    row()!.click(); // select: the log follows until the run ends
    await until(model, () => model.selectedRun?.status === 'succeeded');
    const log = panel.node.querySelector('.berth-RunsPanel-log')!.textContent ?? '';
    expect(log).toContain('step 0');
    expect(log).toContain('step 2');
    const cells = Array.from(row()!.querySelectorAll('td'), (cell) => cell.textContent);
    expect(cells[0]).toBe('steps.ipynb');
    expect(cells[1]).toBe('succeeded');
    expect(cells[2]).toBe('local');
    expect(cells[3]).toMatch(/\d+(\.\d+)? ?(ms|s)/);
    expect(row()!.getAttribute('aria-selected')).toBe('true');
    // A refresh redraws the list but keeps the log element (and with it the reader's scroll position).
    const logElement = panel.node.querySelector('.berth-RunsPanel-log');
    await model.refresh();
    expect(panel.node.querySelector('.berth-RunsPanel-log')).toBe(logElement);

    const opened: RunRecord[] = [];
    panel.openOutputRequested.connect((_, record) => opened.push(record));
    Array.from(panel.node.querySelectorAll('button'))
      .find((button) => button.textContent === 'Open output')!
      .click();
    expect(opened.map((record) => record.id)).toEqual([run.id]);
  });

  it('cancels a running run from its log view', async () => {
    const alice = clientFor('alice');
    model.setClient(alice);
    const notebook = pythonNotebook('seconds = 60', ['import time\nprint("waiting", flush=True)\ntime.sleep(seconds)']);
    const run = await alice.submitRun({ kind: 'notebook', notebook, notebookName: 'slow.ipynb', kernel: 'python3' });
    await model.refresh();
    void model.select(run.id);
    await until(model, () => model.log.includes('waiting'));
    Array.from(panel.node.querySelectorAll('button'))
      .find((button) => button.textContent === 'Cancel run')!
      .click();
    await until(model, () => model.selectedRun?.status === 'cancelled');
    expect(panel.node.querySelector(`tr[data-run-id="${run.id}"] .berth-RunStatus`)?.textContent).toBe('cancelled');
    expect(Array.from(panel.node.querySelectorAll('button')).some((button) => button.textContent === 'Cancel run')).toBe(false);
  });

  it("shows bob none of alice's runs", async () => {
    model.setClient(clientFor('bob'));
    await until(model, () => model.state.kind === 'ready');
    expect(model.runs.every((run) => run.owner === 'bob')).toBe(true);
  });
});

describe('opening a run output', () => {
  it('saves the output notebook, with the injected parameters, into the Jupyter contents', async () => {
    const alice = clientFor('alice');
    const notebook = pythonNotebook('region = "north"', ['print(region)']);
    const submitted = await alice.submitRun({
      kind: 'notebook',
      notebook,
      notebookName: 'sales report.ipynb',
      parameters: { region: 'south' },
      kernel: 'python3',
    });
    const final = (await alice.followRunLog(submitted.id, () => undefined))!;
    const saved: { path: string; options: { type: string; content?: unknown } }[] = [];
    const contents: ContentsLike = {
      save: async (path, options) => {
        saved.push({ path, options });
        return { path };
      },
    };
    const path = await saveRunOutput(alice, contents, final);
    expect(path).toBe(`berth-runs/sales_report-${final.id}.ipynb`);
    expect(path).toBe(outputPath(final));
    expect(saved.map((entry) => [entry.path, entry.options.type])).toEqual([
      ['berth-runs', 'directory'],
      [path, 'notebook'],
    ]);
    const output = saved[1]!.options.content as { cells: { source: string | string[]; outputs?: { text?: string | string[] }[] }[] };
    const sources = output.cells.map((cell) => [cell.source].flat().join(''));
    expect(sources.some((source) => source.includes('region = "south"'))).toBe(true);
    const printed = output.cells.flatMap((cell) => cell.outputs ?? []).map((out) => [out.text ?? ''].flat().join(''));
    expect(printed.join('')).toContain('south');
  });

  it('says so when a run has no output notebook', async () => {
    const alice = clientFor('alice');
    const recipe = await alice.submitRun({ kind: 'recipe', script: 'print(1)\n', scriptName: 'one.py', kernel: 'python3' });
    const final = (await alice.followRunLog(recipe.id, () => undefined))!;
    const contents: ContentsLike = { save: async (path) => ({ path }) };
    await expect(saveRunOutput(alice, contents, final)).rejects.toThrow(`Run ${final.id} (succeeded) has no output notebook yet.`);
  });
});
