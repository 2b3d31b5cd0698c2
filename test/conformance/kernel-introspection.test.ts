// @jupyterlab/services asking a Python kernel on Berth for completions, inspection and
// history, over both WebSocket framings.
import { conformanceTarget } from '../support/conformance-target';
import { gatewayForFile, kernelForBlock } from './fixtures';
import { execute, expectFraming, FRAMINGS } from './services-client';

/** Defines the names the tests complete, inspect and find in the history. */
const SETUP_CODE = 'berth_alpha = 1\nberth_beta = "two"\ndef berth_greet(name):\n    """Greets NAME politely."""\n    return "hi " + name';

const KERNEL = conformanceTarget().kernel;
const gateway = gatewayForFile();

describe.each(FRAMINGS)(`${KERNEL} introspection over the %s framing`, (framing) => {
  const python = kernelForBlock(gateway, framing, KERNEL, SETUP_CODE);

  test('complete_request returns the matching names and the replaced range', async () => {
    const code = 'berth_';
    const reply = await python.kernel.requestComplete({ code, cursor_pos: code.length });
    expect(reply.header.msg_type).toBe('complete_reply');
    expect(reply.channel).toBe('shell');
    expect(reply.content.status).toBe('ok');
    if (reply.content.status !== 'ok') return;
    expect(reply.content.matches).toEqual(expect.arrayContaining(['berth_alpha', 'berth_beta', 'berth_greet']));
    expect(reply.content.cursor_start).toBe(0);
    expect(reply.content.cursor_end).toBe(code.length);
  });

  test('complete_request on an attribute completes within the object', async () => {
    const code = 'berth_beta.upp';
    const reply = await python.kernel.requestComplete({ code, cursor_pos: code.length });
    expect(reply.content.status).toBe('ok');
    if (reply.content.status !== 'ok') return;
    const { matches, cursor_start: start } = reply.content;
    expect(matches.map((match) => code.slice(0, start) + match)).toContain('berth_beta.upper');
    expect(reply.content.cursor_end).toBe(code.length);
  });

  test('inspect_request finds a user function and returns its docstring', async () => {
    const code = 'berth_greet';
    const reply = await python.kernel.requestInspect({ code, cursor_pos: code.length, detail_level: 0 });
    expect(reply.header.msg_type).toBe('inspect_reply');
    expect(reply.content.status).toBe('ok');
    if (reply.content.status !== 'ok') return;
    expect(reply.content.found).toBe(true);
    expect(String(reply.content.data['text/plain'])).toContain('Greets NAME politely.');
  });

  test('inspect_request on an unknown name reports found: false', async () => {
    const code = 'no_such_name_anywhere';
    const reply = await python.kernel.requestInspect({ code, cursor_pos: code.length, detail_level: 0 });
    expect(reply.content.status).toBe('ok');
    if (reply.content.status !== 'ok') return;
    expect(reply.content.found).toBe(false);
    expect(reply.content.data).toEqual({});
  });

  test('history_request (range over this session) returns the executed inputs in order', async () => {
    await execute(python.kernel, 'berth_alpha + 100');
    const reply = await python.kernel.requestHistory({
      output: false,
      raw: true,
      hist_access_type: 'range',
      session: 0,
      start: 1,
      stop: 1000,
    });
    expect(reply.header.msg_type).toBe('history_reply');
    expect(reply.content.status).toBe('ok');
    if (reply.content.status !== 'ok') return;
    const inputs = reply.content.history.map((entry) => entry[2]);
    expect(inputs[0]).toMatch(/^berth_alpha = 1\n/);
    expect(inputs[inputs.length - 1]).toBe('berth_alpha + 100');
    const lines = reply.content.history.map((entry) => entry[1]);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  test('history_request (tail, n=1) returns the latest input', async () => {
    await execute(python.kernel, 'berth_alpha * 7');
    const reply = await python.kernel.requestHistory({ output: false, raw: true, hist_access_type: 'tail', n: 1 });
    expect(reply.content.status).toBe('ok');
    if (reply.content.status !== 'ok') return;
    expect(reply.content.history).toHaveLength(1);
    const entry = reply.content.history[0]!;
    expect(entry[2]).toBe('berth_alpha * 7');
  });

  test(`the server accepted the ${framing} framing`, () => {
    expectFraming(python.client, python.kernel.id);
  });
});
