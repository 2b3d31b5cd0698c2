// Comm round trips between @jupyterlab/services and a Python kernel on Berth, over both
// WebSocket framings: client-opened comms to a kernel target, and kernel-opened comms to a
// client target.
import { KernelMessage, type Kernel } from '@jupyterlab/services';
import { conformanceTarget } from '../support/conformance-target';
import { gatewayForFile, kernelForBlock } from './fixtures';
import { execute, expectFraming, FRAMINGS } from './services-client';

/** A kernel-side comm target that logs what it sees and echoes every message (and its buffers) back. */
const REGISTER_ECHO_TARGET = `
import json
berth_comm_log = []
def berth_echo_target(comm, open_msg):
    berth_comm_log.append(["open", open_msg["content"]["data"]])
    @comm.on_msg
    def _on_msg(msg):
        berth_comm_log.append(["msg", msg["content"]["data"]])
        comm.send({"echo": msg["content"]["data"]}, buffers=msg["buffers"])
    @comm.on_close
    def _on_close(msg):
        berth_comm_log.append(["close", msg["content"]["data"]])
    comm.send({"opened": open_msg["content"]["data"]})
get_ipython().kernel.comm_manager.register_target("berth_echo", berth_echo_target)
`;

const KERNEL = conformanceTarget().kernel;
const gateway = gatewayForFile();

/** Runs code whose last line prints JSON, and returns it parsed. */
async function printedJson(kernel: Kernel.IKernelConnection, code: string): Promise<unknown> {
  const { iopub, reply } = await execute(kernel, code);
  expect(reply.content.status).toBe('ok');
  const text = iopub
    .filter(KernelMessage.isStreamMsg)
    .map((msg) => msg.content.text)
    .join('');
  return JSON.parse(text);
}

describe.each(FRAMINGS)(`${KERNEL} comms over the %s framing`, (framing) => {
  const python = kernelForBlock(gateway, framing, KERNEL, REGISTER_ECHO_TARGET);

  test('client-opened comm: open, message echo, comm_info, close, all seen by the kernel target', async () => {
    const comm = python.kernel.createComm('berth_echo');
    const received: KernelMessage.ICommMsgMsg[] = [];
    comm.onMsg = (msg) => {
      received.push(msg);
    };

    await comm.open({ hello: 'berth' }).done;
    expect(received).toHaveLength(1);
    expect(received[0]!.channel).toBe('iopub');
    expect(received[0]!.content).toEqual({ comm_id: comm.commId, data: { opened: { hello: 'berth' } } });

    await comm.send({ ping: 1 }).done;
    expect(received).toHaveLength(2);
    expect(received[1]!.content.data).toEqual({ echo: { ping: 1 } });

    const info = await python.kernel.requestCommInfo({ target_name: 'berth_echo' });
    expect(info.content.status).toBe('ok');
    if (info.content.status === 'ok') expect(info.content.comms).toEqual({ [comm.commId]: { target_name: 'berth_echo' } });

    await comm.close({ bye: true }).done;
    expect(comm.isDisposed).toBe(true);
    expect(python.kernel.hasComm(comm.commId)).toBe(false);

    expect(await printedJson(python.kernel, 'print(json.dumps(berth_comm_log))')).toEqual([
      ['open', { hello: 'berth' }],
      ['msg', { ping: 1 }],
      ['close', { bye: true }],
    ]);
    const after = await python.kernel.requestCommInfo({ target_name: 'berth_echo' });
    if (after.content.status === 'ok') expect(after.content.comms).toEqual({});
    expect(after.content.status).toBe('ok');
  });

  test('kernel-opened comm reaches a client target; messages flow both ways and the kernel closes it', async () => {
    let opened!: (value: { comm: Kernel.IComm; msg: KernelMessage.ICommOpenMsg }) => void;
    const openedByKernel = new Promise<{ comm: Kernel.IComm; msg: KernelMessage.ICommOpenMsg }>((resolve) => (opened = resolve));
    const fromKernel: unknown[] = [];
    let closed!: (msg: KernelMessage.ICommCloseMsg) => void;
    const closedByKernel = new Promise<KernelMessage.ICommCloseMsg>((resolve) => (closed = resolve));
    python.kernel.registerCommTarget('berth_client', (comm, msg) => {
      comm.onMsg = (message) => {
        fromKernel.push(message.content.data);
      };
      comm.onClose = (message) => closed(message);
      opened({ comm, msg });
    });

    const open = await execute(
      python.kernel,
      'from ipykernel.comm import Comm\nberth_to_client = []\nberth_kc = Comm(target_name="berth_client", data={"from": "kernel"})\nberth_kc.on_msg(lambda m: berth_to_client.append(m["content"]["data"]))',
    );
    expect(open.reply.content.status).toBe('ok');
    const { comm, msg } = await openedByKernel;
    expect(msg.header.msg_type).toBe('comm_open');
    expect(msg.content).toMatchObject({ comm_id: comm.commId, target_name: 'berth_client', data: { from: 'kernel' } });

    await comm.send({ answer: 42 }).done;
    expect(await printedJson(python.kernel, 'print(json.dumps(berth_to_client))')).toEqual([{ answer: 42 }]);

    const pushed = await execute(python.kernel, 'berth_kc.send({"update": "x"})\nberth_kc.close({"reason": "done"})');
    expect(pushed.reply.content.status).toBe('ok');
    expect(fromKernel).toEqual([{ update: 'x' }]);
    const closeMsg = await closedByKernel;
    expect(closeMsg.content).toEqual({ comm_id: comm.commId, data: { reason: 'done' } });
  });

  test('binary buffers on a comm message reach the kernel and come back byte for byte', async () => {
    const comm = python.kernel.createComm('berth_echo');
    const received: KernelMessage.ICommMsgMsg[] = [];
    comm.onMsg = (msg) => {
      received.push(msg);
    };
    await comm.open({}).done;
    const sent = [new Uint8Array([0, 1, 2, 250, 255]), new Uint8Array(70_000).fill(7)];
    await comm.send({ with: 'buffers' }, undefined, sent).done;
    expect(received).toHaveLength(2);
    expect(received[1]!.content.data).toEqual({ echo: { with: 'buffers' } });
    const buffers = (received[1]!.buffers ?? []).map((buffer) => {
      const view = buffer as ArrayBufferView;
      return Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    });
    expect(buffers).toHaveLength(2);
    expect(buffers[0]).toEqual([0, 1, 2, 250, 255]);
    expect(buffers[1]).toEqual(Array.from(sent[1]!));
    await comm.close().done;
  });

  test(`the server accepted the ${framing} framing`, () => {
    // JSON framing sends messages with buffers as binary frames, so both kinds are expected there.
    expectFraming(python.client, python.kernel.id, { binaryBuffers: true });
  });
});
