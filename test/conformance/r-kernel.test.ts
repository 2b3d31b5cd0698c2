// @jupyterlab/services running the R kernel (IRkernel) through Berth, over both WebSocket
// framings: a value, an error and an interrupt.
import { KernelAPI, KernelMessage } from '@jupyterlab/services';
import { gatewayForFile, INTERRUPT_TIMEOUT_MS, kernelForBlock } from './fixtures';
import { execute, expectFraming, FRAMINGS, types } from './services-client';

const gateway = gatewayForFile();

describe.each(FRAMINGS)('ir kernel over the %s framing', (framing) => {
  const ir = kernelForBlock(gateway, framing, 'ir');

  test('the kernel is a connected R kernel', async () => {
    expect(await KernelAPI.getKernelModel(ir.kernel.id, ir.client.settings)).toMatchObject({
      id: ir.kernel.id,
      name: 'ir',
      connections: 1,
    });
    const info = await ir.kernel.info;
    expect(info.implementation).toBe('IRkernel');
    expect(info.language_info.name).toBe('R');
  });

  test('1 + 1 shows [1] 2', async () => {
    const { iopub, reply } = await execute(ir.kernel, '1 + 1');
    expect(reply.content.status).toBe('ok');
    // IRkernel 1.3 publishes values as display_data with a full mime bundle, not execute_result.
    expect(types(iopub)).toEqual(['status', 'execute_input', 'display_data', 'status']);
    const display = iopub[2] as KernelMessage.IDisplayDataMsg;
    expect(display.content.data['text/plain']).toBe('[1] 2');
    expect(iopub[1]!.content).toEqual({ code: '1 + 1', execution_count: reply.content.execution_count });
  });

  test('stop("boom") yields an error message and an error reply', async () => {
    const { iopub, reply } = await execute(ir.kernel, 'stop("boom")', { stopOnError: false });
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
      const future = ir.kernel.requestExecute({ code: 'cat("sleeping\\n")\nSys.sleep(30)\ncat("woke\\n")', stop_on_error: false });
      future.onIOPub = (msg) => {
        iopub.push(msg);
        if (KernelMessage.isStreamMsg(msg) && msg.content.text.includes('sleeping')) sleeping();
      };
      await isSleeping;
      await ir.kernel.interrupt();
      const reply = await future.done;
      // IRkernel answers an interrupted execution with status "abort".
      expect(reply.content.status).toBe('abort');
      expect(types(iopub)).toEqual(['status', 'execute_input', 'stream', 'status']);
      expect(iopub[2]!.content).toEqual({ name: 'stdout', text: 'sleeping\n' });

      const after = await execute(ir.kernel, '2 + 2');
      expect(after.reply.content.status).toBe('ok');
      expect((after.iopub[2] as KernelMessage.IDisplayDataMsg).content.data['text/plain']).toBe('[1] 4');
    },
    INTERRUPT_TIMEOUT_MS,
  );

  test(`the server accepted the ${framing} framing`, () => {
    expectFraming(ir.client, ir.kernel.id);
  });
});
