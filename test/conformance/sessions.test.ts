// @jupyterlab/services' SessionManager against Berth's /api/sessions, over both WebSocket
// framings: start, list, find, rename/move, change kernel, shutdown.
import { KernelAPI, SessionAPI, ServerConnection, type Session, type SessionManager } from '@jupyterlab/services';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { execute, expectFraming, FRAMINGS, quietServicesLogs, servicesClient, type ServicesClient } from './services-client';

const KERNEL_TIMEOUT_MS = 60_000;

let gw: TestGateway;

beforeAll(async () => {
  quietServicesLogs();
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.stop();
});

describe.each(FRAMINGS)('sessions over the %s framing', (framing) => {
  let client: ServicesClient;
  let sessions: SessionManager;
  const opened: Session.ISessionConnection[] = [];

  async function startSession(options: Session.ISessionOptions): Promise<Session.ISessionConnection> {
    const session = await sessions.startNew(options);
    opened.push(session);
    return session;
  }

  async function sessionStatus(id: string): Promise<number> {
    return SessionAPI.getSessionModel(id, client.settings).then(
      () => 200,
      (error: unknown) => (error instanceof ServerConnection.ResponseError ? error.response.status : -1),
    );
  }

  beforeAll(() => {
    client = servicesClient(gw, framing);
    sessions = client.sessions();
  });

  afterAll(async () => {
    for (const session of opened) {
      if ((await sessionStatus(session.id)) === 200) await SessionAPI.shutdownSession(session.id, client.settings);
    }
    await client?.dispose();
  }, KERNEL_TIMEOUT_MS);

  test(
    'startNew creates a session with a new kernel of the named spec, listed and findable by path',
    async () => {
      const path = `${framing}/analysis.ipynb`;
      const session = await startSession({ path, type: 'notebook', name: 'analysis.ipynb', kernel: { name: 'python3' } });
      expect(session.model).toMatchObject({ path, type: 'notebook', name: 'analysis.ipynb', kernel: { name: 'python3' } });
      const kernel = session.kernel!;
      expect(kernel.name).toBe('python3');
      expect((await kernel.info).language_info.name).toBe('python');

      const server = await SessionAPI.getSessionModel(session.id, client.settings);
      expect(server).toMatchObject({
        id: session.id,
        path,
        type: 'notebook',
        name: 'analysis.ipynb',
        kernel: { id: kernel.id, name: 'python3' },
      });

      await sessions.refreshRunning();
      expect([...sessions.running()].map((model) => model.id)).toContain(session.id);
      expect((await SessionAPI.listRunning(client.settings)).map((model) => model.id)).toContain(session.id);
      expect(await sessions.findByPath(path)).toMatchObject({ id: session.id, kernel: { id: kernel.id } });
      expect(await sessions.findByPath(`${framing}/not-open.ipynb`)).toBeUndefined();

      const run = await execute(kernel, '21 * 2');
      expect(run.iopub[2]!.content).toMatchObject({ data: { 'text/plain': '42' } });
      expectFraming(client, kernel.id);
    },
    KERNEL_TIMEOUT_MS,
  );

  test(
    'setPath, setName and setType update the server model; the kernel is kept',
    async () => {
      const path = `${framing}/draft.ipynb`;
      const session = await startSession({ path, type: 'notebook', name: 'draft.ipynb', kernel: { name: 'python3' } });
      const kernelId = session.kernel!.id;
      const renamed = `${framing}/final/report.ipynb`;

      await session.setPath(renamed);
      expect(session.path).toBe(renamed);
      await session.setName('report.ipynb');
      await session.setType('console');
      expect(await SessionAPI.getSessionModel(session.id, client.settings)).toMatchObject({
        id: session.id,
        path: renamed,
        name: 'report.ipynb',
        type: 'console',
        kernel: { id: kernelId },
      });
      expect(await sessions.findByPath(path)).toBeUndefined();
      expect(await sessions.findByPath(renamed)).toMatchObject({ id: session.id });
      expect(session.kernel!.id).toBe(kernelId);
    },
    KERNEL_TIMEOUT_MS,
  );

  test(
    'changeKernel starts the new kernel, reconnects the session to it and shuts the old one down',
    async () => {
      const session = await startSession({
        path: `${framing}/switch.ipynb`,
        type: 'notebook',
        name: 'switch.ipynb',
        kernel: { name: 'python3' },
      });
      const oldKernel = session.kernel!;
      const oldId = oldKernel.id;
      expect((await execute(oldKernel, 'berth_before = 1')).reply.content.status).toBe('ok');

      const newKernel = await session.changeKernel({ name: 'ir' });
      expect(newKernel).not.toBeNull();
      expect(newKernel!.id).not.toBe(oldId);
      expect(newKernel!.name).toBe('ir');
      expect(session.kernel).toBe(newKernel);
      expect((await newKernel!.info).language_info.name).toBe('R');
      expect(await SessionAPI.getSessionModel(session.id, client.settings)).toMatchObject({ kernel: { id: newKernel!.id, name: 'ir' } });
      expect(await KernelAPI.getKernelModel(oldId, client.settings)).toBeUndefined();

      const run = await execute(newKernel!, '1 + 1');
      expect(run.reply.content.status).toBe('ok');
      // IRkernel 1.3 publishes values as display_data (not execute_result).
      expect(run.iopub.find((msg) => msg.header.msg_type === 'display_data')?.content).toMatchObject({ data: { 'text/plain': '[1] 2' } });
      expectFraming(client, newKernel!.id);
    },
    KERNEL_TIMEOUT_MS,
  );

  test(
    "changeKernel({id}) moves a session onto another session's running kernel",
    async () => {
      const first = await startSession({
        path: `${framing}/first.ipynb`,
        type: 'notebook',
        name: 'first.ipynb',
        kernel: { name: 'python3' },
      });
      const second = await startSession({
        path: `${framing}/second.ipynb`,
        type: 'notebook',
        name: 'second.ipynb',
        kernel: { name: 'python3' },
      });
      const shared = first.kernel!;
      const secondOldId = second.kernel!.id;
      expect((await execute(shared, 'berth_shared = "set by first"')).reply.content.status).toBe('ok');

      const joined = await second.changeKernel({ id: shared.id });
      expect(joined!.id).toBe(shared.id);
      expect(await SessionAPI.getSessionModel(second.id, client.settings)).toMatchObject({ kernel: { id: shared.id, name: 'python3' } });
      expect(await SessionAPI.getSessionModel(first.id, client.settings)).toMatchObject({ kernel: { id: shared.id } });
      expect(await KernelAPI.getKernelModel(secondOldId, client.settings)).toBeUndefined();
      expect((await execute(joined!, 'berth_shared')).iopub[2]!.content).toMatchObject({ data: { 'text/plain': "'set by first'" } });
      expectFraming(client, shared.id);
    },
    KERNEL_TIMEOUT_MS,
  );

  test(
    'shutdown removes the session and its kernel',
    async () => {
      const path = `${framing}/short-lived.ipynb`;
      const session = await startSession({ path, type: 'notebook', name: 'short-lived.ipynb', kernel: { name: 'python3' } });
      const { id } = session;
      const kernelId = session.kernel!.id;
      await session.kernel!.info;

      await session.shutdown();
      expect(session.isDisposed).toBe(true);
      expect(await sessionStatus(id)).toBe(404);
      expect(await KernelAPI.getKernelModel(kernelId, client.settings)).toBeUndefined();
      expect(await sessions.findByPath(path)).toBeUndefined();
      expect((await SessionAPI.listRunning(client.settings)).map((model) => model.id)).not.toContain(id);
    },
    KERNEL_TIMEOUT_MS,
  );
});
