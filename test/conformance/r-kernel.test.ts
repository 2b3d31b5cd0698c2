// @jupyterlab/services running the R kernel (IRkernel) through Berth, over both WebSocket
// framings: a value, an error and an interrupt.
import { KernelAPI, KernelMessage, type Kernel } from '@jupyterlab/services';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { execute, expectFraming, FRAMINGS, quietServicesLogs, servicesClient, types, type ServicesClient } from './services-client';

const KERNEL_TIMEOUT_MS = 60_000;
/** Below the 30 s the interrupted code sleeps, so an interrupt that does nothing fails rather than passing late. */
const INTERRUPT_TIMEOUT_MS = 25_000;

let gw: TestGateway;

beforeAll(async () => {
  quietServicesLogs();
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.stop();
});

describe.each(FRAMINGS)('ir kernel over the %s framing', (framing) => {
  let client: ServicesClient;
  let kernel: Kernel.IKernelConnection;

  beforeAll(async () => {
    client = servicesClient(gw, framing);
    kernel = await client.kernels.startNew({ name: 'ir' });
    await kernel.info;
  }, KERNEL_TIMEOUT_MS);

  afterAll(async () => {
    if (kernel && !kernel.isDisposed) await kernel.shutdown();
    await client?.dispose();
  }, KERNEL_TIMEOUT_MS);

  test('the kernel is a connected R kernel', async () => {
    expect(await KernelAPI.getKernelModel(kernel.id, client.settings)).toMatchObject({ id: kernel.id, name: 'ir', connections: 1 });
    const info = await kernel.info;
    expect(info.implementation).toBe('IRkernel');
    expect(info.language_info.name).toBe('R');
  });

  test('1 + 1 shows [1] 2', async () => {
    const { iopub, reply } = await execute(kernel, '1 + 1');
    expect(reply.content.status).toBe('ok');
    // IRkernel 1.3 publishes values as display_data with a full mime bundle, not execute_result.
    expect(types(iopub)).toEqual(['status', 'execute_input', 'display_data', 'status']);
    const display = iopub[2] as KernelMessage.IDisplayDataMsg;
    expect(display.content.data['text/plain']).toBe('[1] 2');
    expect(iopub[1]!.content).toEqual({ code: '1 + 1', execution_count: reply.content.execution_count });
  });

  test('stop("boom") yields an error message and an error reply', async () => {
    const { iopub, reply } = await execute(kernel, 'stop("boom")', { stopOnError: false });
    expect(types(iopub)).toEqual(['status', 'execute_input', 'error', 'status']);
    const error = iopub[2] as KernelMessage.IErrorMsg;
    expect(error.content.ename).toBe('ERROR');
    expect(error.content.evalue).toContain('boom');
    expect(reply.content.status).toBe('error');
    expect((reply.content as KernelMessage.IReplyErrorContent).ename).toBe('ERROR');
    expect((reply.content as KernelMessage.IReplyErrorContent).evalue).toBe(error.content.evalue);
  });

  test(
    'interrupt stops Sys.sleep(30) and the kernel stays usable',
    async () => {
      const iopub: KernelMessage.IIOPubMessage[] = [];
      let sleeping!: () => void;
      const isSleeping = new Promise<void>((resolve) => (sleeping = resolve));
      const future = kernel.requestExecute({ code: 'cat("sleeping\\n")\nSys.sleep(30)\ncat("woke\\n")', stop_on_error: false });
      future.onIOPub = (msg) => {
        iopub.push(msg);
        if (KernelMessage.isStreamMsg(msg) && msg.content.text.includes('sleeping')) sleeping();
      };
      await isSleeping;
      await kernel.interrupt();
      const reply = await future.done;
      // IRkernel answers an interrupted execution with status "abort".
      expect(reply.content.status).toBe('abort');
      expect(types(iopub)).toEqual(['status', 'execute_input', 'stream', 'status']);
      expect(iopub[2]!.content).toEqual({ name: 'stdout', text: 'sleeping\n' });

      const after = await execute(kernel, '2 + 2');
      expect(after.reply.content.status).toBe('ok');
      expect((after.iopub[2] as KernelMessage.IDisplayDataMsg).content.data['text/plain']).toBe('[1] 4');
    },
    INTERRUPT_TIMEOUT_MS,
  );

  test(`the server accepted the ${framing} framing`, () => {
    expectFraming(client, kernel.id);
  });
});
