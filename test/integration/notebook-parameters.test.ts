// POST /api/berth/notebooks/parameters: the parameters a notebook declares, read by the gateway
// exactly as a run injects them (the JupyterLab extension's batch-run dialog prefills from it).
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { cell, notebook } from '../support/runs';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw.stop();
});

async function declared(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await gw.api('api/berth/notebooks/parameters', { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

test('a Python notebook: the assignments of its parameters cell, with their values when simple', async () => {
  const nb = notebook([cell('import math'), cell("alpha = 0.5  # rate\nname = 'x'\nsizes = [1, 2]", ['parameters']), cell('print(alpha)')]);
  expect(await declared(nb)).toEqual({
    status: 200,
    json: {
      language: 'python',
      parameters: [
        { name: 'alpha', literal: '0.5', value: 0.5 },
        { name: 'name', literal: "'x'", value: 'x' },
        { name: 'sizes', literal: '[1, 2]' },
      ],
    },
  });
});

test('an R notebook reads R assignments; a notebook without a parameters cell declares none', async () => {
  expect(await declared(notebook([cell('n <- 3L\nlabel = "a"\nok <- TRUE', ['parameters'])], 'r'))).toMatchObject({
    status: 200,
    json: {
      language: 'r',
      parameters: [
        { name: 'n', literal: '3L' },
        { name: 'label', value: 'a' },
        { name: 'ok', value: true },
      ],
    },
  });
  expect(await declared(notebook([cell('x = 1')]))).toEqual({ status: 200, json: { language: 'python', parameters: [] } });
});

test('what is not a notebook, or not Python or R, is a 400 that says so', async () => {
  const notJson = await gw.api('api/berth/notebooks/parameters', { method: 'POST', body: '[1, 2]' });
  expect(notJson.status).toBe(400);
  const missing = await declared({ nbformat: 4 });
  expect(missing.status).toBe(400);
  expect(String(missing.json.message)).toContain('not a valid nbformat 4 notebook');
  const julia = await declared({
    ...notebook([cell('x = 1', ['parameters'])]),
    metadata: { kernelspec: { name: 'julia-1.10', language: 'julia' } },
  });
  expect(julia.status).toBe(400);
  expect(String(julia.json.message)).toContain('Python and R notebooks only');
});
