import { executionChoices } from '../../src/model/kernelspec-choices';
import { notebookRunRequest, plainKernelName } from '../../src/runs/run-request';
import { RunDialogBody } from '../../src/widgets/run-dialog';
import { clientFor, pythonNotebook } from '../support/gateway';
import { EXAMPLE_SPECS } from '../support/specs';

const EXEC_CONFIGS = [
  { id: 'docker-small', backend: 'docker', displayName: 'Docker (1 CPU, 2 GB)', resources: { cpus: 1, memory: 2147483648 } },
  { id: 'local', backend: 'local', displayName: 'Local processes' },
];

/** The dialog for a notebook whose parameters cell is `source`, its parameters read by the test gateway. */
async function dialogFor(source: string, initial: { codeEnv?: string; execConfig?: string } = {}) {
  const notebook = pythonNotebook(source, []);
  const { language, parameters } = await clientFor('alice').notebookParameters(notebook);
  return new RunDialogBody({
    notebookName: 'report.ipynb',
    language,
    parameters,
    choices: executionChoices(EXAMPLE_SPECS),
    execConfigs: EXEC_CONFIGS,
    initial,
  });
}

function setInput(body: RunDialogBody, name: string, value: string): void {
  const input = body.node.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
  input.value = value;
}

function choose(body: RunDialogBody, className: string, value: string): void {
  const select = body.node.querySelector<HTMLSelectElement>(`.${className}`)!;
  select.value = value;
  select.dispatchEvent(new Event('change'));
}

describe('Run notebook as batch job: dialog', () => {
  it('prefills one field per parameter with its literal', async () => {
    const body = await dialogFor('region = "north"\nrate = 0.5\nstart = pd.Timestamp("2024")');
    const inputs = Array.from(body.node.querySelectorAll<HTMLInputElement>('input'), (input) => [input.name, input.value]);
    expect(inputs).toEqual([
      ['region', '"north"'],
      ['rate', '0.5'],
      ['start', 'pd.Timestamp("2024")'],
    ]);
  });

  it('gives only the changed parameters, read as literals (bare words as strings)', async () => {
    const body = await dialogFor('region = "north"\nrate = 0.5\nlimit = 10');
    setInput(body, 'rate', '0.75');
    setInput(body, 'region', 'south');
    expect(body.getValue().parameters).toEqual({ region: 'south', rate: 0.75 });
  });

  it('says when the notebook has no parameters', () => {
    const body = new RunDialogBody({
      notebookName: 'a.ipynb',
      language: 'python',
      parameters: [],
      choices: executionChoices(EXAMPLE_SPECS),
      execConfigs: [],
      initial: {},
    });
    expect(body.node.textContent).toContain('no parameters');
    expect(body.getValue().parameters).toEqual({});
  });

  it("starts from the notebook's pair and offers that code env's exec configs", async () => {
    const body = await dialogFor('x = 1', { codeEnv: 'pandas', execConfig: 'docker-small' });
    expect(body.getValue()).toMatchObject({ codeEnv: 'pandas', execConfig: 'docker-small' });
    const options = Array.from(
      body.node.querySelectorAll<HTMLOptionElement>('.berth-RunDialog-execConfig option'),
      (option) => option.value,
    );
    expect(options).toEqual(['docker-large', 'docker-small']);
    choose(body, 'berth-RunDialog-codeEnv', 'torch');
    expect(body.getValue()).toMatchObject({ codeEnv: 'torch', execConfig: 'gpu' });
  });

  it('without a code env, offers every exec config the user may use, or the default', async () => {
    const body = await dialogFor('x = 1');
    expect(body.getValue()).toEqual({ parameters: {} });
    const options = Array.from(
      body.node.querySelectorAll<HTMLOptionElement>('.berth-RunDialog-execConfig option'),
      (option) => option.textContent,
    );
    expect(options).toEqual(["The gateway's default", 'docker-small — docker · 1 CPU · 2 GiB', 'local — local']);
    choose(body, 'berth-RunDialog-execConfig', 'local');
    expect(body.getValue()).toEqual({ parameters: {}, execConfig: 'local' });
  });
});

describe('run requests', () => {
  const notebook = pythonNotebook('x = 1', []);

  it('starts the pair for a code env and exec config', () => {
    expect(
      notebookRunRequest(notebook, 'a.ipynb', { parameters: { x: 2 }, codeEnv: 'pandas', execConfig: 'docker-small' }, 'python'),
    ).toMatchObject({
      kind: 'notebook',
      notebookName: 'a.ipynb',
      parameters: { x: 2 },
      kernel: 'pandas--docker-small',
    });
  });

  it("runs the notebook's plain kernel on the chosen exec config otherwise", () => {
    const request = notebookRunRequest(notebook, 'a.ipynb', { parameters: {}, execConfig: 'local' }, 'python');
    expect(request).toMatchObject({ kernel: 'python3', env: { KERNEL_EXECUTION_CONFIG: 'local' } });
    expect(plainKernelName({ metadata: { kernelspec: { name: 'pandas--docker-small' } } }, 'r')).toBe('ir');
  });

  it('is a request Berth accepts and runs', async () => {
    const alice = clientFor('alice');
    const body = await dialogFor('x = 1\nlabel = "a"');
    setInput(body, 'x', '41');
    choose(body, 'berth-RunDialog-execConfig', 'local');
    const request = notebookRunRequest(
      pythonNotebook('x = 1\nlabel = "a"', ['print(x + 1, label)']),
      'answer.ipynb',
      body.getValue(),
      'python',
    );
    const run = await alice.submitRun(request);
    expect(run).toMatchObject({ execConfig: 'local', kernelName: 'python3', parameters: { x: 41 } });
    const log: string[] = [];
    await alice.followRunLog(run.id, (entry) => {
      if (entry.type === 'output') log.push(entry.text);
    });
    expect(log.join('')).toContain('42 a');
  });
});
