import { startTestGateway, type TestGateway } from '../support/gateway-harness';

describe('gateway smoke', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('starts and shuts down a python kernel', async () => {
    const started = await gw.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3' }) });
    expect(started.status).toBe(201);
    const model = (await started.json()) as { id: string; execution_state: string };
    expect(model.execution_state).toBe('idle');
    const deleted = await gw.api(`api/kernels/${model.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await gw.api(`api/kernels/${model.id}`)).status).toBe(404);
  });
});
