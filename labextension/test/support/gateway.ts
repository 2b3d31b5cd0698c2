import { BerthClient } from '../../src/api/berth-client';

/** The real Berth gateway global-setup.cjs started for this run, and clients for its users. */

export interface TestGatewayInfo {
  readonly url: string;
  /** The gateway's shared token. */
  readonly token: string;
  readonly users: Readonly<Record<'alice' | 'bob', string>>;
}

export function testGateway(): TestGatewayInfo {
  const raw = process.env['BERTH_LABEXT_TEST_GATEWAY'];
  if (!raw) throw new Error('No test gateway: run these tests through the package jest config (its globalSetup starts one).');
  return JSON.parse(raw) as TestGatewayInfo;
}

export function clientFor(user: 'alice' | 'bob'): BerthClient {
  const gateway = testGateway();
  return new BerthClient({ baseUrl: gateway.url, token: gateway.users[user], origin: 'http://localhost' });
}

/** An nbformat 4.5 Python notebook with a parameters cell and the given cells after it. */
export function pythonNotebook(parameters: string, cells: string[]): Record<string, unknown> {
  const cell = (source: string, tags: string[] = []) => ({
    cell_type: 'code',
    id: Math.random().toString(36).slice(2, 10),
    metadata: { tags },
    source,
    outputs: [],
    execution_count: null,
  });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', language: 'python', display_name: 'Python 3' }, language_info: { name: 'python' } },
    cells: [cell(parameters, ['parameters']), ...cells.map((source) => cell(source))],
  };
}
