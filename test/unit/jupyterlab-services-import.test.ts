// Proves that jest can load @jupyterlab/services and the ES-module-only packages it depends on
// (@jupyter/ydoc -> yjs -> lib0) through the transform in jest.config.js, and that the client
// works under Node.
import { YFile } from '@jupyter/ydoc';
import { KernelAPI, KernelManager, KernelMessage, ServerConnection } from '@jupyterlab/services';
import { deserialize, serialize } from '@jupyterlab/services/lib/kernel/serialize';
import WebSocket from 'ws';

const PROTOCOL = 'v1.kernel.websocket.jupyter.org';

// Port 1 on the loopback interface: nothing listens there, so connections are refused at once.
function unreachableSettings(): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://127.0.0.1:1/',
    wsUrl: 'ws://127.0.0.1:1/',
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    fetch,
    Request,
    Headers,
  });
}

function toArrayBuffer(data: string | ArrayBuffer): ArrayBuffer {
  if (typeof data === 'string') throw new Error(`expected a binary frame for ${PROTOCOL}, got a string`);
  return data;
}

describe('@jupyterlab/services under jest', () => {
  test('makeSettings keeps the given endpoints and WebSocket implementation', () => {
    const settings = unreachableSettings();
    expect(settings.baseUrl).toBe('http://127.0.0.1:1/');
    expect(settings.wsUrl).toBe('ws://127.0.0.1:1/');
    expect(settings.WebSocket).toBe(WebSocket);
  });

  test(`an execute_request survives a ${PROTOCOL} serialize/deserialize round trip`, () => {
    const msg = KernelMessage.createMessage<KernelMessage.IExecuteRequestMsg>({
      channel: 'shell',
      msgType: 'execute_request',
      session: 'session-1',
      username: 'tester',
      content: { code: 'print("héllo ✓")', silent: false, store_history: true, allow_stdin: false, stop_on_error: true },
      metadata: { cellId: 'abc' },
    });
    const frame = toArrayBuffer(serialize(msg, PROTOCOL));
    expect(frame).toBeInstanceOf(ArrayBuffer);

    const back = deserialize(frame, PROTOCOL);
    expect(back.channel).toBe('shell');
    expect(back.header).toEqual(msg.header);
    expect(back.parent_header).toEqual({});
    expect(back.metadata).toEqual(msg.metadata);
    expect(back.content).toEqual(msg.content);
    expect(back.buffers).toEqual([]);
  });

  test('binary buffers keep their bytes through the round trip', () => {
    const msg = KernelMessage.createMessage({
      channel: 'iopub',
      msgType: 'comm_msg',
      session: 'session-2',
      content: { comm_id: 'c1', data: { method: 'update' } },
      buffers: [new Uint8Array([0, 1, 2, 250, 255]).buffer, new Uint8Array([42]).buffer],
    });
    const back = deserialize(toArrayBuffer(serialize(msg, PROTOCOL)), PROTOCOL);
    expect(back.buffers).toHaveLength(2);
    const bytes = (back.buffers ?? []).map((b) =>
      Array.from(new Uint8Array((b as DataView).buffer, (b as DataView).byteOffset, b.byteLength)),
    );
    expect(bytes).toEqual([[0, 1, 2, 250, 255], [42]]);
  });

  test('KernelAPI.listRunning against an unreachable server rejects with ServerConnection.NetworkError', async () => {
    const error = await KernelAPI.listRunning(unreachableSettings()).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ServerConnection.NetworkError);
    expect(error).toBeInstanceOf(TypeError);
  });

  test('KernelManager reports the unreachable server through connectionFailure and never becomes ready', async () => {
    const manager = new KernelManager({ serverSettings: unreachableSettings(), standby: 'never' });
    // `ready` rejects once the manager is disposed; observe it so the rejection is not unhandled.
    const ready = manager.ready.then(
      () => 'ready',
      (err: unknown) => err,
    );
    try {
      const failure = await new Promise<Error>((resolve) => {
        manager.connectionFailure.connect((_sender, err) => resolve(err));
      });
      expect(failure).toBeInstanceOf(ServerConnection.NetworkError);
      expect(manager.isReady).toBe(false);
    } finally {
      manager.dispose();
    }
    expect(manager.isDisposed).toBe(true);
    expect(await ready).toBeInstanceOf(Error);
  });

  test('the ES-module-only @jupyter/ydoc (on yjs and lib0) loads and edits a shared document', () => {
    const file = YFile.create();
    const changes: unknown[] = [];
    file.changed.connect((_sender, change) => {
      if (change.sourceChange) changes.push(change.sourceChange);
    });
    try {
      file.setSource('x = 1');
      file.updateSource(4, 5, '2');
      expect(file.getSource()).toBe('x = 2');
      // Yjs text deltas: replacing a character is reported as an insert followed by a delete.
      expect(changes).toEqual([[{ insert: 'x = 1' }], [{ retain: 4 }, { insert: '2' }, { delete: 1 }]]);
    } finally {
      file.dispose();
    }
  });
});
