// @jupyterlab/services executing Python through Berth, over both WebSocket framings:
// the exact iopub sequence and reply for stream, execute_result, display_data, error and stdin.
import { KernelAPI, KernelMessage } from '@jupyterlab/services';
import { conformanceTarget } from '../support/conformance-target';
import { gatewayForFile, kernelForBlock } from './fixtures';
import { execute, expectFraming, FRAMINGS, types } from './services-client';

const KERNEL = conformanceTarget().kernel;
const gateway = gatewayForFile();

describe.each(FRAMINGS)(`${KERNEL} execute over the %s framing`, (framing) => {
  const python = kernelForBlock(gateway, framing, KERNEL);

  test(`startNew gives a connected ${KERNEL} kernel that answered kernel_info`, async () => {
    // (No execution_state here: the idle status of the client's kernel_info may trail its reply.)
    const model = await KernelAPI.getKernelModel(python.kernel.id, python.client.settings);
    expect(model).toMatchObject({ id: python.kernel.id, name: KERNEL, connections: 1 });
    expect(python.kernel.connectionStatus).toBe('connected');
    const info = await python.kernel.info;
    expect(info.status).toBe('ok');
    expect(info.implementation).toBe('ipython');
    expect(info.language_info.name).toBe('python');
    expect(info.protocol_version).toMatch(/^5\./);
  });

  test('print() yields busy, execute_input, one stdout stream, idle and an ok reply', async () => {
    const code = 'print("hello, berth")';
    const { iopub, reply } = await execute(python.kernel, code);
    expect(types(iopub)).toEqual(['status', 'execute_input', 'stream', 'status']);
    expect(iopub.map((msg) => msg.channel)).toEqual(['iopub', 'iopub', 'iopub', 'iopub']);
    expect(iopub[0]!.content).toEqual({ execution_state: 'busy' });
    expect(iopub[1]!.content).toEqual({ code, execution_count: reply.content.execution_count });
    expect(iopub[2]!.content).toEqual({ name: 'stdout', text: 'hello, berth\n' });
    expect(iopub[3]!.content).toEqual({ execution_state: 'idle' });
    expect(reply.channel).toBe('shell');
    expect(reply.header.msg_type).toBe('execute_reply');
    expect(reply.content).toMatchObject({ status: 'ok', user_expressions: {}, payload: [] });
  });

  test('stderr output arrives as a stderr stream', async () => {
    const { iopub, reply } = await execute(python.kernel, 'import sys\nprint("careful", file=sys.stderr)');
    expect(types(iopub)).toEqual(['status', 'execute_input', 'stream', 'status']);
    expect(iopub[2]!.content).toEqual({ name: 'stderr', text: 'careful\n' });
    expect(reply.content.status).toBe('ok');
  });

  test('an expression yields an execute_result with the reply execution_count', async () => {
    const { iopub, reply } = await execute(python.kernel, '6 * 7');
    expect(types(iopub)).toEqual(['status', 'execute_input', 'execute_result', 'status']);
    const result = iopub[2] as KernelMessage.IExecuteResultMsg;
    expect(result.content).toEqual({ data: { 'text/plain': '42' }, metadata: {}, execution_count: reply.content.execution_count });
    expect(reply.content.status).toBe('ok');
  });

  test('execution_count increases by one per stored execution', async () => {
    const first = await execute(python.kernel, 'a_value = 1');
    const second = await execute(python.kernel, 'a_value + 1');
    expect(first.reply.content.execution_count).toEqual(expect.any(Number));
    expect(second.reply.content.execution_count).toBe(first.reply.content.execution_count! + 1);
    expect(second.iopub[2]!.content).toMatchObject({ data: { 'text/plain': '2' } });
  });

  test('IPython.display yields a display_data with every mime bundle entry', async () => {
    const { iopub, reply } = await execute(python.kernel, 'from IPython.display import display, HTML\ndisplay(HTML("<b>berth</b>"))');
    expect(types(iopub)).toEqual(['status', 'execute_input', 'display_data', 'status']);
    const display = iopub[2] as KernelMessage.IDisplayDataMsg;
    expect(display.content.data).toEqual({ 'text/html': '<b>berth</b>', 'text/plain': '<IPython.core.display.HTML object>' });
    expect(display.content.metadata).toEqual({});
    expect(reply.content.status).toBe('ok');
  });

  test('an exception yields an error message and an error reply with the same ename and evalue', async () => {
    // stop_on_error false: with true, ipykernel aborts execute requests that reach it shortly
    // after the error (its abort window), which would make the next test's outcome racy.
    const { iopub, reply } = await execute(python.kernel, '1 / 0', { stopOnError: false });
    expect(types(iopub)).toEqual(['status', 'execute_input', 'error', 'status']);
    const error = iopub[2] as KernelMessage.IErrorMsg;
    expect(error.content.ename).toBe('ZeroDivisionError');
    expect(error.content.evalue).toBe('division by zero');
    expect(error.content.traceback.length).toBeGreaterThan(0);
    expect(reply.content.status).toBe('error');
    const content = reply.content as KernelMessage.IReplyErrorContent;
    expect(content.ename).toBe('ZeroDivisionError');
    expect(content.evalue).toBe('division by zero');
  });

  test('input() is answered through stdin: input_request, sendInputReply, then the output', async () => {
    const requests: KernelMessage.IStdinMessage[] = [];
    const { iopub, reply } = await execute(python.kernel, 'name = input("Who? ")\nprint("hello " + name)', {
      allowStdin: true,
      onStdin: (msg, future) => {
        requests.push(msg);
        if (KernelMessage.isInputRequestMsg(msg)) future.sendInputReply({ status: 'ok', value: 'Ada' }, msg.header);
      },
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.channel).toBe('stdin');
    expect(requests[0]!.header.msg_type).toBe('input_request');
    expect(requests[0]!.content).toEqual({ prompt: 'Who? ', password: false });
    expect(types(iopub)).toEqual(['status', 'execute_input', 'stream', 'status']);
    expect(iopub[2]!.content).toEqual({ name: 'stdout', text: 'hello Ada\n' });
    expect(reply.content.status).toBe('ok');
    const check = await execute(python.kernel, 'name');
    expect(check.iopub[2]!.content).toMatchObject({ data: { 'text/plain': "'Ada'" } });
  });

  test(`the server accepted the ${framing} framing and sent frames in it`, () => {
    expectFraming(python.client, python.kernel.id);
  });
});
