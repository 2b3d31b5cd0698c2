// @jupyterlab/services driving a kernel's lifecycle on Berth, over both WebSocket framings:
// start, interrupt, restart (seen by a second client), automatic restart after a crash,
// reconnect with replay of missed output, and shutdown.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelAPI, KernelMessage, ServerConnection, type Kernel } from '@jupyterlab/services';
import { conformanceTarget } from '../support/conformance-target';
import { gatewayForFile, INTERRUPT_TIMEOUT_MS, KERNEL_TIMEOUT_MS, kernelTest } from './fixtures';
import { execute, expectFraming, FRAMINGS, nextEmission, servicesClient, types, type ServicesClient } from './services-client';

const KERNEL = conformanceTarget().kernel;
const gateway = gatewayForFile();
const scratch = conformanceTarget().scratchDir();

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(FRAMINGS)(`${KERNEL} lifecycle over the %s framing`, (framing) => {
  let client: ServicesClient;
  const started: Kernel.IKernelConnection[] = [];

  async function startPython(): Promise<Kernel.IKernelConnection> {
    const kernel = await client.kernels.startNew({ name: KERNEL });
    started.push(kernel);
    await kernel.info;
    return kernel;
  }

  beforeAll(() => {
    client = servicesClient(gateway(), framing);
  });

  afterAll(async () => {
    for (const kernel of started) {
      if ((await KernelAPI.getKernelModel(kernel.id, client.settings)) !== undefined)
        await KernelAPI.shutdownKernel(kernel.id, client.settings);
    }
    await client?.dispose();
  }, KERNEL_TIMEOUT_MS);

  kernelTest('KernelAPI.startNew without a name starts the default spec; the kernel is listed and connectable', async () => {
    const model = await KernelAPI.startNew({}, client.settings);
    expect(model).toMatchObject({ name: KERNEL, execution_state: 'idle' });
    const kernel = client.kernels.connectTo({ model });
    started.push(kernel);
    const info = await kernel.info;
    expect(info.language_info.name).toBe('python');
    const running = await KernelAPI.listRunning(client.settings);
    expect(running.map((k) => k.id)).toContain(model.id);
    const listed = await KernelAPI.getKernelModel(model.id, client.settings);
    expect(listed).toMatchObject({ id: model.id, name: KERNEL, connections: 1 });
    expectFraming(client, model.id);
  });

  test('starting an unknown kernelspec is refused with a ResponseError naming it', async () => {
    const error = await KernelAPI.startNew({ name: 'no-such-spec' }, client.settings).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ServerConnection.ResponseError);
    expect((error as ServerConnection.ResponseError).response.status).toBe(404);
    expect((error as Error).message).toContain('no-such-spec');
  });

  test(
    'interrupt stops time.sleep(30) with a KeyboardInterrupt error reply and the kernel stays usable',
    async () => {
      const kernel = await startPython();
      const iopub: KernelMessage.IIOPubMessage[] = [];
      let sleeping!: () => void;
      const isSleeping = new Promise<void>((resolve) => (sleeping = resolve));
      // stop_on_error false so that ipykernel does not abort the next request (see kernel-execute).
      const future = kernel.requestExecute({
        code: 'import time\nprint("sleeping", flush=True)\ntime.sleep(30)\nprint("woke")',
        stop_on_error: false,
      });
      future.onIOPub = (msg) => {
        iopub.push(msg);
        if (KernelMessage.isStreamMsg(msg) && msg.content.text.includes('sleeping')) sleeping();
      };
      await isSleeping;
      expect(await KernelAPI.getKernelModel(kernel.id, client.settings)).toMatchObject({ execution_state: 'busy' });
      await kernel.interrupt();
      const reply = await future.done;
      expect(reply.content.status).toBe('error');
      expect((reply.content as KernelMessage.IReplyErrorContent).ename).toBe('KeyboardInterrupt');
      expect(types(iopub)).toEqual(['status', 'execute_input', 'stream', 'error', 'status']);
      expect((iopub[3] as KernelMessage.IErrorMsg).content.ename).toBe('KeyboardInterrupt');
      expect(iopub.some((msg) => KernelMessage.isStreamMsg(msg) && msg.content.text.includes('woke'))).toBe(false);

      const after = await execute(kernel, '2 + 2');
      expect(after.reply.content.status).toBe('ok');
      expect(after.iopub[2]!.content).toMatchObject({ data: { 'text/plain': '4' } });
      expectFraming(client, kernel.id);
    },
    INTERRUPT_TIMEOUT_MS,
  );

  kernelTest('restart loses kernel state, and a second connected client sees restarting then idle and keeps working', async () => {
    const kernel = await startPython();
    const other = client.kernels.connectTo({ model: kernel.model });
    started.push(other);
    await other.info;
    expect((await execute(kernel, 'berth_state = 41')).reply.content.status).toBe('ok');
    expect((await execute(other, 'berth_state + 1')).iopub[2]!.content).toMatchObject({ data: { 'text/plain': '42' } });

    const otherStatuses: string[] = [];
    other.statusChanged.connect((_sender, status) => otherStatuses.push(status));
    const otherConnection: string[] = [];
    other.connectionStatusChanged.connect((_sender, status) => otherConnection.push(status));
    const serverStatuses: string[] = [];
    other.iopubMessage.connect((_sender, msg) => {
      if (KernelMessage.isStatusMsg(msg)) serverStatuses.push(msg.content.execution_state);
    });
    const restartingSeen = nextEmission<string>(other.statusChanged, (status) => status === 'restarting');

    await kernel.restart();
    await restartingSeen;
    // After the restart the other client talks to the new process: its state is gone.
    // stop_on_error false: the NameError must not open ipykernel's abort window for the next request.
    const otherAfter = await execute(other, 'berth_state', { stopOnError: false });
    expect(otherAfter.reply.content.status).toBe('error');
    expect((otherAfter.reply.content as KernelMessage.IReplyErrorContent).ename).toBe('NameError');
    expect(serverStatuses).toContain('restarting');
    const restartedAt = otherStatuses.indexOf('restarting');
    expect(restartedAt).toBeGreaterThanOrEqual(0);
    expect(otherStatuses.slice(restartedAt + 1)).toContain('idle');
    expect(other.connectionStatus).toBe('connected');
    expect(other.isDisposed).toBe(false);
    expect(otherConnection).not.toContain('disconnected');

    const after = await execute(kernel, 'berth_state', { stopOnError: false });
    expect(after.reply.content.status).toBe('error');
    expect((after.reply.content as KernelMessage.IReplyErrorContent).ename).toBe('NameError');
    expect(await KernelAPI.getKernelModel(kernel.id, client.settings)).toMatchObject({
      id: kernel.id,
      execution_state: 'idle',
      connections: 2,
    });
    expectFraming(client, kernel.id);
  });

  kernelTest('a kernel process that dies is restarted in place: the client sees autorestarting and gets a fresh kernel', async () => {
    const kernel = await startPython();
    expect((await execute(kernel, 'berth_state = 1')).reply.content.status).toBe('ok');
    const statuses: string[] = [];
    kernel.statusChanged.connect((_sender, status) => statuses.push(status));
    const autorestarting = nextEmission<string>(kernel.statusChanged, (status) => status === 'autorestarting');

    const dying = kernel.requestExecute({ code: 'import os\nos._exit(1)' });
    const outcome = dying.done.then(
      () => 'replied',
      (error: Error) => error.message,
    );
    await autorestarting;
    // The client cancels requests that were in flight when the kernel restarted.
    expect(await outcome).toMatch(/^Canceled future for execute_request/);

    const after = await execute(kernel, 'berth_state', { stopOnError: false });
    expect(after.reply.content.status).toBe('error');
    expect((after.reply.content as KernelMessage.IReplyErrorContent).ename).toBe('NameError');
    expect(statuses.slice(0, statuses.indexOf('autorestarting') + 1)).toEqual(expect.arrayContaining(['restarting', 'autorestarting']));
    // Same kernel id; its model may still say "restarting" for a moment: the client can reach the
    // new process before the gateway's own readiness check (kernel_info + iopub) has finished.
    expect(await KernelAPI.getKernelModel(kernel.id, client.settings)).toMatchObject({ id: kernel.id, name: KERNEL });
    expectFraming(client, kernel.id);
  });

  kernelTest('a dropped WebSocket reconnects with its session id and gets the output produced while it was away', async () => {
    const kernel = await startPython();
    // A second client watches iopub, to know when the execution finished while the first is away.
    const watcher = client.kernels.connectTo({ model: kernel.model, handleComms: false });
    started.push(watcher);
    await watcher.info;
    const [socket] = client.socketsFor(kernel.id).filter((record) => record.url.includes(kernel.clientId));
    const iopub: KernelMessage.IIOPubMessage[] = [];
    let running!: () => void;
    const isRunning = new Promise<void>((resolve) => (running = resolve));
    const future = kernel.requestExecute({ code: 'import time\nprint("before", flush=True)\ntime.sleep(1)\nprint("after")\n"result"' });
    future.onIOPub = (msg) => {
      iopub.push(msg);
      if (KernelMessage.isStreamMsg(msg)) running();
    };
    const finished = nextEmission<KernelMessage.IIOPubMessage>(
      watcher.iopubMessage,
      (msg) =>
        KernelMessage.isStatusMsg(msg) && msg.content.execution_state === 'idle' && msg.parent_header.msg_id === future.msg.header.msg_id,
    );
    await isRunning;

    client.refuseConnections(true);
    socket!.socket.terminate(); // as if the network dropped; reconnect attempts fail until the execution is over
    await finished;
    expect(iopub.some((msg) => KernelMessage.isStreamMsg(msg) && msg.content.text === 'after\n')).toBe(false);
    const reconnected = nextEmission<string>(kernel.connectionStatusChanged, (status) => status === 'connected');
    client.refuseConnections(false);
    await reconnected;

    const reply = await future.done;
    expect(reply.content.status).toBe('ok');
    expect(types(iopub)).toEqual(['status', 'execute_input', 'stream', 'stream', 'execute_result', 'status']);
    expect(iopub[3]!.content).toEqual({ name: 'stdout', text: 'after\n' });
    expect(iopub[4]!.content).toMatchObject({ data: { 'text/plain': "'result'" } });
    const sockets = client.socketsFor(kernel.id).filter((record) => record.url.includes(kernel.clientId));
    expect(sockets).toHaveLength(2);
    expect(new URL(sockets[1]!.url).searchParams.get('session_id')).toBe(kernel.clientId);
    expectFraming(client, kernel.id);
  });

  kernelTest(
    'a reconnect the gateway did not see coming replaces the stale socket, and the running request still gets its reply',
    async () => {
      const kernel = await startPython();
      const [stale] = client.socketsFor(kernel.id);
      // As on a dropped network, the client gives the socket up but the gateway hears nothing:
      // the client's own close() does nothing; later ones (the gateway's close frame) go through.
      const realClose = stale!.socket.close.bind(stale!.socket);
      let closeCalls = 0;
      stale!.socket.close = (code?: number, reason?: string | Buffer) => {
        if (++closeCalls > 1) realClose(code, reason);
      };
      const staleClosed = new Promise<number>((resolve) => stale!.socket.once('close', (code: number) => resolve(code)));
      const flag = join(scratch, `${framing}-go`);
      const iopub: KernelMessage.IIOPubMessage[] = [];
      let running!: () => void;
      const isRunning = new Promise<void>((resolve) => (running = resolve));
      const future = kernel.requestExecute({
        code: `import os, time\nprint("waiting", flush=True)\nwhile not os.path.exists(${JSON.stringify(flag)}): time.sleep(0.02)\n"released"`,
      });
      future.onIOPub = (msg) => {
        iopub.push(msg);
        if (KernelMessage.isStreamMsg(msg)) running();
      };
      await isRunning;

      const reconnected = nextEmission<string>(kernel.connectionStatusChanged, (status) => status === 'connected');
      void kernel.reconnect();
      await reconnected;
      expect(closeCalls).toBe(1);
      writeFileSync(flag, ''); // only now may the kernel finish and reply

      const reply = await future.done;
      expect(reply.content.status).toBe('ok');
      expect(types(iopub)).toEqual(['status', 'execute_input', 'stream', 'execute_result', 'status']);
      expect(iopub[3]!.content).toMatchObject({ data: { 'text/plain': "'released'" } });
      expect(await staleClosed).toBe(1000);
      expect(await KernelAPI.getKernelModel(kernel.id, client.settings)).toMatchObject({ connections: 1 });
      expectFraming(client, kernel.id);
    },
  );

  kernelTest('shutdown removes the kernel (404 afterwards) and other clients see it dead', async () => {
    const kernel = await startPython();
    const id = kernel.id;
    const other = client.kernels.connectTo({ model: kernel.model });
    started.push(other);
    await other.info;
    const otherDead = nextEmission<string>(other.statusChanged, (status) => status === 'dead');

    await kernel.shutdown();
    expect(kernel.status).toBe('dead');
    expect(kernel.isDisposed).toBe(true);
    await otherDead;
    expect(other.isDisposed).toBe(true);

    expect(await KernelAPI.getKernelModel(id, client.settings)).toBeUndefined();
    expect((await gateway().api(`api/kernels/${id}`)).status).toBe(404);
    expect((await KernelAPI.listRunning(client.settings)).map((k) => k.id)).not.toContain(id);
    const interrupt = await KernelAPI.interruptKernel(id, client.settings).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(interrupt).toBeInstanceOf(ServerConnection.ResponseError);
    expect((interrupt as ServerConnection.ResponseError).response.status).toBe(404);
  });
});
