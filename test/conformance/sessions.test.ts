// @jupyterlab/services' SessionManager against Berth's /api/sessions, over both WebSocket
// framings: start, list, find, rename/move, change kernel, shutdown.
import { KernelAPI, SessionAPI, ServerConnection, type Session, type SessionManager } from '@jupyterlab/services';
import { conformanceTarget } from '../support/conformance-target';
import { gatewayForFile, KERNEL_TIMEOUT_MS, kernelTest } from './fixtures';
import { execute, expectFraming, FRAMINGS, servicesClient, type ServicesClient } from './services-client';

const KERNEL = conformanceTarget().kernel;
const gateway = gatewayForFile();

describe.each(FRAMINGS)('sessions over the %s framing', (framing) => {
  let client: ServicesClient;
  let sessions: SessionManager;
  const opened: Session.ISessionConnection[] = [];

  /** Starts a notebook session named `name` at <framing>/<name>, with a kernel of KERNEL. */
  async function startNotebook(name: string): Promise<Session.ISessionConnection> {
    const session = await sessions.startNew({ path: `${framing}/${name}`, type: 'notebook', name, kernel: { name: KERNEL } });
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
    client = servicesClient(gateway(), framing);
    sessions = client.sessions();
  });

  afterAll(async () => {
    for (const session of opened) {
      if ((await sessionStatus(session.id)) === 200) await SessionAPI.shutdownSession(session.id, client.settings);
    }
    await client?.dispose();
  }, KERNEL_TIMEOUT_MS);

  kernelTest('startNew creates a session with a new kernel of the named spec, listed and findable by path', async () => {
    const path = `${framing}/analysis.ipynb`;
    const session = await startNotebook('analysis.ipynb');
    expect(session.model).toMatchObject({ path, type: 'notebook', name: 'analysis.ipynb', kernel: { name: KERNEL } });
    const kernel = session.kernel!;
    expect(kernel.name).toBe(KERNEL);
    expect((await kernel.info).language_info.name).toBe('python');

    const server = await SessionAPI.getSessionModel(session.id, client.settings);
    expect(server).toMatchObject({
      id: session.id,
      path,
      type: 'notebook',
      name: 'analysis.ipynb',
      kernel: { id: kernel.id, name: KERNEL },
    });

    await sessions.refreshRunning();
    expect([...sessions.running()].map((model) => model.id)).toContain(session.id);
    expect((await SessionAPI.listRunning(client.settings)).map((model) => model.id)).toContain(session.id);
    expect(await sessions.findByPath(path)).toMatchObject({ id: session.id, kernel: { id: kernel.id } });
    expect(await sessions.findByPath(`${framing}/not-open.ipynb`)).toBeUndefined();

    const run = await execute(kernel, '21 * 2');
    expect(run.iopub[2]!.content).toMatchObject({ data: { 'text/plain': '42' } });
    expectFraming(client, kernel.id);
  });

  kernelTest('setPath, setName and setType update the server model; the kernel is kept', async () => {
    const path = `${framing}/draft.ipynb`;
    const session = await startNotebook('draft.ipynb');
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
  });

  kernelTest('changeKernel starts the new kernel, reconnects the session to it and shuts the old one down', async () => {
    const session = await startNotebook('switch.ipynb');
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
  });

  kernelTest("changeKernel({id}) moves a session onto another session's running kernel", async () => {
    const first = await startNotebook('first.ipynb');
    const second = await startNotebook('second.ipynb');
    const shared = first.kernel!;
    const secondOldId = second.kernel!.id;
    expect((await execute(shared, 'berth_shared = "set by first"')).reply.content.status).toBe('ok');

    const joined = await second.changeKernel({ id: shared.id });
    expect(joined!.id).toBe(shared.id);
    expect(await SessionAPI.getSessionModel(second.id, client.settings)).toMatchObject({ kernel: { id: shared.id, name: KERNEL } });
    expect(await SessionAPI.getSessionModel(first.id, client.settings)).toMatchObject({ kernel: { id: shared.id } });
    expect(await KernelAPI.getKernelModel(secondOldId, client.settings)).toBeUndefined();
    expect((await execute(joined!, 'berth_shared')).iopub[2]!.content).toMatchObject({ data: { 'text/plain': "'set by first'" } });
    expectFraming(client, shared.id);
  });

  kernelTest('shutdown removes the session and its kernel', async () => {
    const path = `${framing}/short-lived.ipynb`;
    const session = await startNotebook('short-lived.ipynb');
    const { id } = session;
    const kernelId = session.kernel!.id;
    await session.kernel!.info;

    await session.shutdown();
    expect(session.isDisposed).toBe(true);
    expect(await sessionStatus(id)).toBe(404);
    expect(await KernelAPI.getKernelModel(kernelId, client.settings)).toBeUndefined();
    expect(await sessions.findByPath(path)).toBeUndefined();
    expect((await SessionAPI.listRunning(client.settings)).map((model) => model.id)).not.toContain(id);
  });
});
