import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { RunRecord } from '../../../gateway/src/runner/run';
import { parseNotebook, serializeNotebook } from '../../../gateway/src/runner/notebook';
import { injectParameters } from '../../../gateway/src/runner/parameters/inject';
import { parameterLanguage } from '../../../gateway/src/runner/parameters/notebook-language';
import type { Parameters } from '../../../gateway/src/runner/parameters/parameter-value';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { executeWithNbclient } from '../../support/nbclient';
import { normaliseNotebook, PLACEHOLDERS, type NormalisedCell, type NormalisedOutput } from '../../support/normalise-notebook';
import { outputNotebook, runToEnd } from '../../support/runs';

/**
 * `berth run` executes notebooks exactly as nbclient does. Every notebook of the corpus
 * (test/fixtures/notebooks) runs once through Berth's REST API (one in-process gateway, local
 * kernels) and once under Debian's nbclient, on the same kernelspec, each in a fresh working
 * directory; the two executed notebooks must normalise (test/support/normalise-notebook.ts) to the
 * same cells. The parameterized notebooks run a second time with parameters: Berth injects them
 * itself, nbclient gets the notebook as injectParameters (papermill's injection) writes it.
 * Spot checks on Berth's output then prove the comparison compared something, and the tests of
 * the normaliser itself close the file.
 */

jest.setTimeout(300_000);

const CORPUS = join(__dirname, '..', '..', 'fixtures', 'notebooks');
/** Two executions at a time (a Berth run or an nbclient run, each a kernel), on a 2-core machine. */
const CONCURRENCY = 2;
/** The per-cell timeout, the same for both executors. */
const CELL_TIMEOUT_SECONDS = 60;
/**
 * Each side's whole run is bounded well below jest's test timeout, so a stuck run fails with its
 * own message (which side, which notebook, what it was doing) instead of a bare jest timeout.
 */
const RUN_TIMEOUT_SECONDS = 150;

/** The parameterized notebooks, and what each runs with the second time. */
const PARAMETERS: Record<string, Parameters> = {
  'py-parameters.ipynb': { alpha: 0.25, name: 'Berth', n: 4, flags: [3, 4, 5] },
  'r-parameters.ipynb': { alpha: 0.25, name: 'Berth', n: 4 },
};

interface CorpusNotebook {
  file: string;
  path: string;
  kernelName: string;
  json: Record<string, unknown> & { cells: unknown[] };
}

/** One comparison: a notebook, and the parameters both executors run it with (none: its defaults). */
interface Case {
  label: string;
  notebook: CorpusNotebook;
  parameters?: Parameters;
}

interface BerthRun {
  record: RunRecord;
  output: Awaited<ReturnType<typeof outputNotebook>>;
  cells: NormalisedCell[];
}

const notebooks: CorpusNotebook[] = readdirSync(CORPUS)
  .filter((file) => file.endsWith('.ipynb'))
  .sort()
  .map((file) => {
    const path = join(CORPUS, file);
    const json = JSON.parse(readFileSync(path, 'utf8')) as CorpusNotebook['json'] & { metadata: { kernelspec: { name: string } } };
    return { file, path, kernelName: json.metadata.kernelspec.name, json };
  });

const cases: Case[] = [
  ...notebooks.map((notebook) => ({ label: notebook.file, notebook })),
  ...notebooks
    .filter((notebook) => PARAMETERS[notebook.file])
    .map((notebook) => ({ label: `${notebook.file} with parameters`, notebook, parameters: PARAMETERS[notebook.file]! })),
];

const scratch = mkdtempSync(join(tmpdir(), 'berth-corpus-equivalence-'));
let gw: TestGateway;
const berthRuns = new Map<string, Promise<BerthRun>>();
const nbclientRuns = new Map<string, Promise<NormalisedCell[]>>();

/** Runs `tasks` in order, at most `limit` at once. */
function limited<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T>[] {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    active -= 1;
    waiting.shift()?.();
  };
  return tasks.map(async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      release();
    }
  });
}

function stem(item: Case): string {
  return `${item.notebook.file.replace(/\.ipynb$/, '')}${item.parameters ? '-params' : ''}`;
}

async function runWithBerth(item: Case): Promise<BerthRun> {
  const cwd = mkdtempSync(join(scratch, `${stem(item)}-berth-`));
  const { record } = await runToEnd(gw, {
    kind: 'notebook',
    notebook: item.notebook.json,
    notebookName: item.notebook.file,
    ...(item.parameters ? { parameters: item.parameters } : {}),
    cwd,
    cellTimeoutSeconds: CELL_TIMEOUT_SECONDS,
    timeoutSeconds: RUN_TIMEOUT_SECONDS,
  });
  if (record.status !== 'succeeded') {
    const log = await (await gw.api(`api/berth/runs/${record.id}/logs`)).text();
    throw new Error(`Berth's run of ${stem(item)} ended ${record.status}: ${record.failure?.message}\nits log:\n${log.slice(-4000)}`);
  }
  const output = await outputNotebook(gw, record.id);
  return { record, output, cells: normaliseNotebook(output) };
}

async function runWithNbclient(item: Case): Promise<NormalisedCell[]> {
  const cwd = mkdtempSync(join(scratch, `${stem(item)}-nbclient-`));
  let path = item.notebook.path;
  if (item.parameters) {
    // The notebook papermill would hand to nbclient: the same injection Berth does, written out.
    const notebook = parseNotebook(item.notebook.json, item.notebook.file);
    const injected = injectParameters(notebook, item.parameters, parameterLanguage(notebook));
    path = join(mkdtempSync(join(scratch, `${stem(item)}-input-`)), item.notebook.file);
    writeFileSync(path, serializeNotebook(injected));
  }
  const executed = await executeWithNbclient(path, {
    kernelName: item.notebook.kernelName,
    cwd,
    timeoutSeconds: CELL_TIMEOUT_SECONDS,
    overallTimeoutSeconds: RUN_TIMEOUT_SECONDS,
  });
  return normaliseNotebook(executed);
}

beforeAll(async () => {
  gw = await startTestGateway({ runs: { maxConcurrent: CONCURRENCY } } as never);
  // Berth's and nbclient's runs of one case side by side, case after case.
  const pending = limited<unknown>(
    CONCURRENCY,
    cases.flatMap((item) => [() => runWithBerth(item), () => runWithNbclient(item)]),
  );
  cases.forEach((item, index) => {
    berthRuns.set(item.label, pending[2 * index] as Promise<BerthRun>);
    nbclientRuns.set(item.label, pending[2 * index + 1] as Promise<NormalisedCell[]>);
  });
  // Each failure is reported by the tests that await it, not as an unhandled rejection.
  for (const run of pending) run.catch(() => undefined);
});

afterAll(async () => {
  await Promise.allSettled([...berthRuns.values(), ...nbclientRuns.values()]);
  await gw?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Berth's run of a case (a corpus file name, or "<file> with parameters"). */
function berth(label: string): Promise<BerthRun> {
  const run = berthRuns.get(label);
  if (!run) throw new Error(`${label} is not a case of this test`);
  return run;
}

/** The normalised cells of Berth's output notebook. */
async function executed(label: string): Promise<NormalisedCell[]> {
  return (await berth(label)).cells;
}

/** Fails on the first cell that differs, naming it. */
function expectSameCells(actual: NormalisedCell[], expected: NormalisedCell[]): void {
  expect(actual.map((cell) => cell.cell_type)).toEqual(expected.map((cell) => cell.cell_type));
  expected.forEach((cell, index) => {
    const mine = actual[index]!;
    const [mineJson, cellJson] = [JSON.stringify(mine), JSON.stringify(cell)];
    if (mineJson.length + cellJson.length < 200_000) {
      expect({ cell: index, ...mine }).toEqual({ cell: index, ...cell });
    } else if (!isDeepStrictEqual(mine, cell)) {
      // A megabyte diff helps nobody: where the JSON of the two cells first parts, and around it.
      let at = 0;
      while (at < mineJson.length && mineJson[at] === cellJson[at]) at++;
      const around = (json: string) => json.slice(Math.max(0, at - 100), at + 100);
      expect({ cell: index, at, around: around(mineJson), length: mineJson.length }).toEqual({
        cell: index,
        at,
        around: around(cellJson),
        length: cellJson.length,
      });
    }
  });
}

/** The one cell whose source contains `snippet`. */
function cellWith(cells: NormalisedCell[], snippet: string): NormalisedCell {
  const matches = cells.filter((cell) => cell.source.includes(snippet));
  if (matches.length !== 1) throw new Error(`expected one cell containing ${JSON.stringify(snippet)}, found ${matches.length}`);
  return matches[0]!;
}

function outputsOf(cell: NormalisedCell): NormalisedOutput[] {
  expect(cell.outputs).toBeDefined();
  return cell.outputs!;
}

function streamText(cell: NormalisedCell, name: 'stdout' | 'stderr'): string {
  return outputsOf(cell)
    .filter((output) => output.output_type === 'stream' && output['name'] === name)
    .map((output) => String(output['text']))
    .join('');
}

function dataOf(output: NormalisedOutput | undefined): Record<string, unknown> {
  expect(output).toBeDefined();
  return output!['data'] as Record<string, unknown>;
}

describe('notebook corpus: Berth against nbclient', () => {
  it('holds at least 14 notebooks, Python and R, each nbformat 4.5 with cell ids and kernel metadata', () => {
    expect(notebooks.length).toBeGreaterThanOrEqual(14);
    expect(new Set(notebooks.map((notebook) => notebook.kernelName))).toEqual(new Set(['python3', 'ir']));
    expect(Object.keys(PARAMETERS).every((file) => notebooks.some((notebook) => notebook.file === file))).toBe(true);
    for (const notebook of notebooks) {
      const json = notebook.json as unknown as {
        nbformat: number;
        nbformat_minor: number;
        metadata: { kernelspec: { name: string; language: string }; language_info: { name: string } };
        cells: { id?: string }[];
      };
      expect([json.nbformat, json.nbformat_minor]).toEqual([4, 5]);
      expect(json.metadata.language_info.name).toBe(notebook.kernelName === 'ir' ? 'R' : 'python');
      const ids = json.cells.map((cell) => cell.id);
      for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it.each(cases.map((item) => [item.label, item] as const))(
    '%s: Berth succeeds, with papermill metadata on every cell',
    async (_label, item) => {
      const { record, output } = await berth(item.label);
      expect({ status: record.status, failure: record.failure }).toEqual({ status: 'succeeded', failure: undefined });
      expect(record.kernelName).toBe(item.notebook.kernelName);
      expect(record.parameters).toEqual(item.parameters ?? {});
      expect(output.cells).toHaveLength(item.notebook.json.cells.length + (item.parameters ? 1 : 0));
      output.cells.forEach((cell, index) => {
        expect({ cell: index, papermill: cell['metadata']?.['papermill'] }).toEqual({
          cell: index,
          papermill: {
            status: 'completed',
            exception: false,
            start_time: expect.any(String),
            end_time: expect.any(String),
            duration: expect.any(Number),
          },
        });
      });
      expect(output.metadata['papermill']).toMatchObject({ exception: false, parameters: item.parameters ?? {} });
    },
  );

  it.each(cases.map((item) => [item.label, item] as const))("%s: Berth's output normalises to nbclient's", async (_label, item) => {
    const [mine, reference] = await Promise.all([executed(item.label), nbclientRuns.get(item.label)!]);
    expectSameCells(mine, reference);
  });
});

describe("Berth's output keeps what matters", () => {
  it('streams: interleaving kept, split writes merged, text exact', async () => {
    const cells = await executed('py-streams.ipynb');
    const interleaved = outputsOf(cellWith(cells, "print(f'err {i}'"));
    expect(interleaved.map((output) => [output['name'], output['text']])).toEqual([
      ['stdout', 'out 0\n'],
      ['stderr', 'err 0\n'],
      ['stdout', 'out 1\n'],
      ['stderr', 'err 1\n'],
      ['stdout', 'out 2\n'],
      ['stderr', 'err 2\n'],
      ['stdout', 'last out\n'],
    ]);
    expect(outputsOf(cellWith(cells, "print('a', end='')"))).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'abc\nno newline at the end' },
    ]);
    const many = outputsOf(cellWith(cells, 'range(2000)'));
    expect(many).toHaveLength(1);
    expect(String(many[0]!['text']).split('\n')).toHaveLength(81);
    expect(streamText(cellWith(cells, "'\\rprogress"), 'stdout')).toBe(
      '\rprogress 0%\rprogress 25%\rprogress 50%\rprogress 75%\rprogress 100%\n',
    );
    expect(streamText(cellWith(cells, '\\x1b[31m'), 'stdout')).toContain('\x1b[31mred\x1b[0m');
  });

  it('rich display: HTML, PNG with its metadata, JSON, Markdown, LaTeX, SVG, raw bundles', async () => {
    const cells = await executed('py-rich-display.ipynb');
    expect(dataOf(outputsOf(cellWith(cells, '<table>'))[0])['text/html']).toBe(
      '<table><tr><th>k</th><th>v</th></tr><tr><td>berth</td><td>42</td></tr></table>',
    );
    const png = outputsOf(cellWith(cells, 'zlib.compress')).filter((output) => output.output_type === 'display_data');
    expect(png).toHaveLength(2);
    expect(String(dataOf(png[0])['image/png'])).toMatch(/^iVBORw0KGgo/);
    expect(png[1]!['metadata']).toEqual({ 'image/png': { height: 32, width: 64 } });
    expect(dataOf(outputsOf(cellWith(cells, 'JSON('))[0])['application/json']).toEqual({
      name: 'berth',
      nested: { none: null, ok: true },
      ports: [1, 2, 3],
    });
    expect(dataOf(outputsOf(cellWith(cells, "Markdown('## A heading"))[0])['text/markdown']).toBe(
      '## A heading\n\n* item **one**\n* item `two`',
    );
    expect(outputsOf(cellWith(cells, 'Latex(')).map((output) => dataOf(output)['text/latex'])).toEqual([
      '$\\int_0^1 x^2\\,dx = \\frac{1}{3}$',
      '$\\displaystyle e^{i\\pi} + 1 = 0$',
    ]);
    expect(String(dataOf(outputsOf(cellWith(cells, 'SVG('))[0])['image/svg+xml'])).toContain('<circle');
    const raw = outputsOf(cellWith(cells, 'raw=True'));
    expect(Object.keys(dataOf(raw[0]))).toEqual(['application/vnd.berth.test+json', 'text/html', 'text/plain']);
    expect(dataOf(raw[0])['application/vnd.berth.test+json']).toEqual({ a: 1, b: 2 });
    expect(raw[1]!['metadata']).toEqual({ berth: { note: 'kept' } });
  });

  it('execute_result: every mime type of the repr, the output history, suppressed results', async () => {
    const cells = await executed('py-execute-result.ipynb');
    const card = outputsOf(cellWith(cells, "Card('Berth'"));
    expect(card).toHaveLength(1);
    expect(card[0]!.output_type).toBe('execute_result');
    expect(Object.keys(dataOf(card[0]))).toEqual(['application/json', 'text/html', 'text/latex', 'text/markdown', 'text/plain']);
    expect(dataOf(card[0])['text/markdown']).toBe('### Berth\n\nruns notebooks');
    expect(dataOf(outputsOf(cellWith(cells, 'Out[1] + _2'))[0])['text/plain']).toBe('126');
    expect(outputsOf(cellWith(cells, '1 + 1;'))).toEqual([]);
    expect(outputsOf(cellWith(cells, 'x = None'))).toEqual([]);
    expect(outputsOf(cellWith(cells, 'class Bundle'))[0]!['metadata']).toEqual({ 'text/html': { isolated: true } });
  });

  it('display updates land on the output they name, across cells', async () => {
    const cells = await executed('py-display-updates.ipynb');
    const first = outputsOf(cellWith(cells, "handle = display('version 1'"));
    expect(dataOf(first[0])).toEqual({ 'text/plain': "'version 4'" });
    expect(outputsOf(cellWith(cells, "handle.update('version 2')"))).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'updated the display of the previous cell\n' },
    ]);
    expect(dataOf(outputsOf(cellWith(cells, 'ticker'))[0])['text/html']).toBe('<p>tick 3</p>');
    for (const snippet of ["'**shared A**'", "'**shared B**'"]) {
      expect(dataOf(outputsOf(cellWith(cells, snippet))[0])['text/markdown']).toBe('**shared final**');
    }
    expect(outputsOf(cellWith(cells, "display('to be cleared'"))).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'the cell keeps only this line\n' },
    ]);
  });

  it('clear_output, immediate and deferred', async () => {
    const cells = await executed('py-clear-output.ipynb');
    expect(outputsOf(cellWith(cells, "print(f'step {i}')"))).toEqual([{ output_type: 'stream', name: 'stdout', text: 'step 4\n' }]);
    expect(streamText(cellWith(cells, 'with no output after it'), 'stdout')).toContain('kept');
    expect(outputsOf(cellWith(cells, "'<b>old</b>'")).map((output) => dataOf(output)['text/html'])).toEqual(['<b>new</b>']);
  });

  it('unicode survives in source and output, combining marks not recomposed', async () => {
    const cells = await executed('py-unicode.ipynb');
    const names = cellWith(cells, '名前 = ');
    expect(names.source).toContain('π = 3.14159');
    expect(streamText(names, 'stdout')).toBe('こんにちは、世界！ π ≈ 3.14159\n');
    expect(streamText(cellWith(cells, "flag = '🇯🇵'"), 'stdout')).toContain('🚢 👩\u200d👩\u200d👧 🇯🇵\n');
    const combining = streamText(cellWith(cells, 'unicodedata'), 'stdout');
    expect(combining).toContain("e\u0301 2 ['0x65', '0x301']");
    expect(combining).toContain("\u00e9 1 ['0xe9']");
    expect(streamText(cellWith(cells, 'кириллица'), 'stderr')).toBe('ошибка: кириллица на stderr\n');
    const r = await executed('r-unicode.ipynb');
    expect(streamText(cellWith(r, 'greeting <-'), 'stdout')).toContain('こんにちは、世界！');
  });

  it('a 1 MB output is kept whole', async () => {
    const cells = await executed('py-large-output.ipynb');
    const text = streamText(cellWith(cells, '1_000_000'), 'stdout');
    expect(text).toHaveLength(1_000_001);
    expect(text.startsWith('abcdefghijklmnopqrstuvwxyzabc')).toBe(true);
    expect(streamText(cellWith(cells, '20_000'), 'stdout').split('\n')).toHaveLength(20_001);
  });

  it('errors in raises-exception cells are outputs, with their tags, and later cells still run', async () => {
    const cells = await executed('py-errors.ipynb');
    const failing = cellWith(cells, 'bad value 42');
    expect(failing.tags).toEqual(['raises-exception']);
    const error = outputsOf(failing).find((output) => output.output_type === 'error');
    expect(error).toMatchObject({ ename: 'ValueError', evalue: 'expected failure: bad value 42' });
    expect((error!['traceback'] as string[]).length).toBeGreaterThan(1);
    expect(outputsOf(cellWith(cells, "print('still running")).map((output) => output['text'])).toEqual(['still running, x = 1\n']);
    expect(outputsOf(cellWith(cells, 'outer()')).find((output) => output.output_type === 'error')).toMatchObject({ ename: 'BerthError' });
    expect(outputsOf(cellWith(cells, "input('nobody")).at(-1)).toMatchObject({ ename: 'StdinNotImplementedError' });
    expect(outputsOf(cellWith(cells, "print('done")).map((output) => output['text'])).toEqual(['done, x = 1\n']);

    const r = await executed('r-errors.ipynb');
    const rError = outputsOf(cellWith(r, 'stop("expected failure in R")')).find((output) => output.output_type === 'error');
    expect(rError).toMatchObject({ ename: 'ERROR' });
    expect(String(rError!['evalue'])).toContain('expected failure in R');
    expect(streamText(cellWith(r, 'cat("done'), 'stdout')).toBe('done, x = 1 \n');
  });

  it('markdown, raw and empty cells are kept in place; empty code cells have no outputs', async () => {
    const cells = await executed('py-mixed-cells.ipynb');
    expect(cells.map((cell) => cell.cell_type)).toEqual([
      'markdown',
      'code',
      'code',
      'raw',
      'code',
      'markdown',
      'code',
      'code',
      'raw',
      'code',
      'markdown',
      'code',
    ]);
    expect(cells[2]).toEqual({ cell_type: 'code', source: '', tags: [], outputs: [] });
    expect(cells[3]!.outputs).toBeUndefined();
    expect(dataOf(cells[11]!.outputs![0])['text/plain']).toBe('20');
  });

  it('parameterized notebooks run with their defaults, parameters tag kept', async () => {
    const py = await executed('py-parameters.ipynb');
    expect(cellWith(py, 'alpha = 0.5').tags).toEqual(['parameters']);
    expect(streamText(cellWith(py, 'flags={flags!r}'), 'stdout')).toBe("alpha=0.5 name='world' n=3 flags=[1, 2]\nfloat str int list\n");
    expect(dataOf(outputsOf(cellWith(py, 'scaled = '))[1])['text/plain']).toBe('4.5');
    const r = await executed('r-parameters.ipynb');
    expect(cellWith(r, 'alpha <- 0.5').tags).toEqual(['parameters']);
    expect(streamText(cellWith(r, 'sprintf("hello'), 'stdout')).toBe('hello world #1\nhello world #2\nhello world #3\n');
  });

  it('parameterized notebooks run with the parameters given, injected after the parameters cell', async () => {
    const py = await executed('py-parameters.ipynb with parameters');
    expect(py.map((cell) => cell.tags)).toEqual([[], ['parameters'], ['injected-parameters'], [], [], [], []]);
    expect(py[2]!.source).toContain('name = "Berth"\nn = 4\nflags = [3, 4, 5]\n');
    expect(streamText(cellWith(py, 'flags={flags!r}'), 'stdout')).toBe("alpha=0.25 name='Berth' n=4 flags=[3, 4, 5]\nfloat str int list\n");
    expect(streamText(cellWith(py, 'range(n)'), 'stdout')).toBe('hello Berth #1\nhello Berth #2\nhello Berth #3\nhello Berth #4\n');
    expect(dataOf(outputsOf(cellWith(py, 'scaled = '))[1])['text/plain']).toBe('12.0');
    expect(dataOf(outputsOf(cellWith(py, 'name.upper()'))[0])['text/plain']).toBe(
      "{'name_upper': 'BERTH', 'alpha_squared': 0.0625, 'n_flags': 3, 'total': 16}",
    );
    const r = await executed('r-parameters.ipynb with parameters');
    expect(r.map((cell) => cell.tags)).toEqual([[], ['parameters'], ['injected-parameters'], [], [], [], []]);
    expect(streamText(cellWith(r, 'cat("alpha ='), 'stdout')).toBe('alpha = 0.25 name = Berth n = 4 \nnumeric character numeric \n');
    expect(streamText(cellWith(r, 'sprintf("hello'), 'stdout')).toBe('hello Berth #1\nhello Berth #2\nhello Berth #3\nhello Berth #4\n');
  });

  it('files written and read relative to the working directory', async () => {
    const cells = await executed('py-files.ipynb');
    expect(streamText(cellWith(cells, 'sum of y'), 'stdout')).toContain('sum of y: 12\n');
    expect(streamText(cellWith(cells, "'second entry"), 'stdout')).toBe('first entry\nsecond entry\n');
  });

  it('R: streams, data frames and IRdisplay output', async () => {
    const streams = await executed('r-streams.ipynb');
    expect(outputsOf(cellWith(streams, 'message("err "')).map((output) => output['name'])).toEqual([
      'stdout',
      'stderr',
      'stdout',
      'stderr',
      'stdout',
      'stderr',
      'stdout',
    ]);
    expect(streamText(cellWith(streams, 'a deliberate warning'), 'stderr')).toContain('a deliberate warning');
    const frames = await executed('r-dataframe.ipynb');
    const rich = outputsOf(frames.find((cell) => cell.source === 'df')!);
    expect(rich[0]!.output_type).toBe('display_data');
    expect(Object.keys(dataOf(rich[0]))).toEqual(['text/html', 'text/latex', 'text/markdown', 'text/plain']);
    expect(String(dataOf(rich[0])['text/html'])).toContain('<caption>A data.frame: 4 × 4</caption>');
    const display = await executed('r-display.ipynb');
    expect(dataOf(outputsOf(cellWith(display, 'display_html("<table>'))[0])).toEqual({
      'text/html': '<table><tr><td>berth</td><td>42</td></tr></table>',
    });
    expect(dataOf(outputsOf(cellWith(display, 'display_json'))[0])['application/json']).toBe('{"name": "berth", "ports": [1, 2, 3]}');
  });
});

describe('normaliseNotebook on hand-made notebooks', () => {
  const notebook = (outputs: unknown[], extra: Record<string, unknown> = {}) => ({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3' } },
    cells: [
      {
        cell_type: 'code',
        id: 'a',
        execution_count: 7,
        metadata: { tags: ['injected-parameters'], execution: { 'iopub.status.busy': '2024-01-01T00:00:00.000000Z' } },
        source: ['x = 1\n', 'x'],
        outputs,
        ...extra,
      },
    ],
  });

  it('merges consecutive streams of one name however the text was split, and drops empty ones', () => {
    const whole = normaliseNotebook(notebook([{ output_type: 'stream', name: 'stdout', text: 'abc\ndef\n' }]));
    const split = normaliseNotebook(
      notebook([
        { output_type: 'stream', name: 'stdout', text: ['ab'] },
        { output_type: 'stream', name: 'stderr', text: '' },
        { output_type: 'stream', name: 'stdout', text: ['c\n', 'def\n'] },
      ]),
    );
    expect(split).toEqual(whole);
    expect(whole).toEqual([
      {
        cell_type: 'code',
        source: 'x = 1\nx',
        tags: ['injected-parameters'],
        outputs: [{ output_type: 'stream', name: 'stdout', text: 'abc\ndef\n' }],
      },
    ]);
    const apart = normaliseNotebook(
      notebook([
        { output_type: 'stream', name: 'stdout', text: 'a' },
        { output_type: 'stream', name: 'stderr', text: 'b' },
        { output_type: 'stream', name: 'stdout', text: 'c' },
      ]),
    );
    expect(apart[0]!.outputs).toHaveLength(3);
  });

  it('replaces addresses, timestamps and temp paths, and nothing else', () => {
    const [cell] = normaliseNotebook(
      notebook([
        { output_type: 'stream', name: 'stdout', text: '<object object at 0x7f3a2b1c4d50> ' },
        {
          output_type: 'stream',
          name: 'stdout',
          text: 'at 2024-05-06T07:08:09.123456+00:00 in /tmp/ipykernel_4242/123.py:3\x1b[0m, 0x65 /tmpfoo',
        },
        {
          output_type: 'execute_result',
          execution_count: 7,
          data: { 'text/plain': ["'/var/tmp/x y'"] },
          metadata: {},
          transient: { display_id: 'abc' },
        },
      ]),
    );
    expect(cell!.outputs).toEqual([
      {
        output_type: 'stream',
        name: 'stdout',
        text: `<object object at ${PLACEHOLDERS.address}> at ${PLACEHOLDERS.timestamp} in ${PLACEHOLDERS.tmpPath}:3\x1b[0m, 0x65 /tmpfoo`,
      },
      { output_type: 'execute_result', data: { 'text/plain': `'${PLACEHOLDERS.tmpPath} y'` }, metadata: {} },
    ]);
  });

  it('joins text mime types, keeps JSON values, sorts keys', () => {
    const [cell] = normaliseNotebook(
      notebook([
        {
          output_type: 'display_data',
          data: { 'text/plain': ['a\n', 'b'], 'application/json': ['x', 'y'], 'text/html': '<b>', 'application/geo+json': { b: 1, a: 2 } },
          metadata: { 'image/png': { width: 3 } },
        },
      ]),
    );
    const output = cell!.outputs![0]!;
    expect(Object.keys(output['data'] as object)).toEqual(['application/geo+json', 'application/json', 'text/html', 'text/plain']);
    expect(output['data']).toEqual({
      'application/geo+json': { a: 2, b: 1 },
      'application/json': ['x', 'y'],
      'text/html': '<b>',
      'text/plain': 'a\nb',
    });
    expect(output['metadata']).toEqual({ 'image/png': { width: 3 } });
  });

  it('rejects what is not a notebook', () => {
    expect(() => normaliseNotebook({ cells: 'no' })).toThrow(/not a notebook/);
    expect(() => normaliseNotebook(null)).toThrow(/not a notebook/);
  });
});
