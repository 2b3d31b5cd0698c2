// A real @jupyterlab/services client pointed at a test gateway, with the kernel WebSocket
// framing forced to one of the two Jupyter Server speaks, and a record of every channels
// socket it opened (so tests can check what the server actually negotiated and sent).
import { KernelManager, KernelMessage, ServerConnection, SessionManager, type Kernel } from '@jupyterlab/services';
import WebSocket from 'ws';
import type { TestGateway } from '../support/gateway-harness';

export const V1_PROTOCOL: string = KernelMessage.supportedKernelWebSocketProtocols.v1KernelWebsocketJupyterOrg;

/** `json`: the default framing (no subprotocol); `v1`: v1.kernel.websocket.jupyter.org. */
export type Framing = 'json' | 'v1';
export const FRAMINGS: readonly Framing[] = ['json', 'v1'];

/** One channels WebSocket as the client saw it. */
export interface SocketRecord {
  readonly url: string;
  readonly offered: readonly string[];
  readonly socket: WebSocket;
  textFrames: number;
  binaryFrames: number;
}

export interface ServicesClient {
  readonly framing: Framing;
  readonly settings: ServerConnection.ISettings;
  readonly kernels: KernelManager;
  readonly sockets: SocketRecord[];
  /** Creates a SessionManager on this client's kernel manager (disposed with the client). */
  sessions(): SessionManager;
  /** While true, every new channels socket is refused by the gateway (bad token); refused ones are not recorded. */
  refuseConnections(refuse: boolean): void;
  /** The sockets opened for one kernel, oldest first. */
  socketsFor(kernelId: string): SocketRecord[];
  dispose(): Promise<void>;
}

/**
 * Builds settings and a KernelManager for the gateway. @jupyterlab/services 7.5 always offers
 * every protocol it knows (just v1) when it opens a kernel socket; for `json` the WebSocket
 * class drops the offer, which is what an older client does, so the server must fall back.
 */
export function servicesClient(gw: TestGateway, framing: Framing): ServicesClient {
  const sockets: SocketRecord[] = [];
  let refusing = false;

  class RecordingWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      const asked = protocols === undefined ? [] : Array.isArray(protocols) ? protocols : [protocols];
      const offered = framing === 'json' ? [] : asked;
      if (refusing) {
        // A wrong token: the gateway refuses the upgrade (403), as an unreachable server would.
        const refused = new URL(String(url));
        refused.searchParams.set('token', 'refused-by-test');
        super(refused, offered);
        return;
      }
      super(url, offered);
      const record: SocketRecord = { url: String(url), offered, socket: this, textFrames: 0, binaryFrames: 0 };
      sockets.push(record);
      this.on('message', (_data, isBinary) => {
        if (isBinary) record.binaryFrames++;
        else record.textFrames++;
      });
    }
  }

  const settings = ServerConnection.makeSettings({
    baseUrl: gw.url,
    wsUrl: gw.wsUrl,
    token: gw.token,
    appendToken: true,
    WebSocket: RecordingWebSocket as unknown as typeof globalThis.WebSocket,
    fetch,
    Request,
    Headers,
  });
  const kernels = new KernelManager({ serverSettings: settings, standby: 'never' });
  // `ready` rejects if the manager is disposed before its first poll; tests assert on real requests instead.
  kernels.ready.catch(() => undefined);
  const sessionManagers: SessionManager[] = [];
  return {
    framing,
    settings,
    kernels,
    sockets,
    sessions() {
      const manager = new SessionManager({ serverSettings: settings, kernelManager: kernels, standby: 'never' });
      manager.ready.catch(() => undefined);
      sessionManagers.push(manager);
      return manager;
    },
    refuseConnections(refuse) {
      refusing = refuse;
    },
    socketsFor: (kernelId) => sockets.filter((record) => record.url.includes(`/api/kernels/${encodeURIComponent(kernelId)}/channels`)),
    async dispose() {
      for (const manager of sessionManagers) await disposeManager(manager, '_pollModels');
      await disposeManager(kernels, '_pollModels');
      for (const record of sockets) record.socket.terminate();
    },
  };
}

/**
 * Disposes a services manager and clears its poll's pending timer. @lumino/polling's
 * Poll.dispose() leaves the next scheduled tick's setTimeout running (10 s for kernels and
 * sessions, 61 s for kernelspecs); it does nothing when it fires, but it keeps Node, and so
 * jest, alive until then. A tick that was being scheduled during dispose sets its timer a few
 * microtasks later, hence the wait before clearing.
 */
export async function disposeManager(manager: { dispose(): void }, pollField: '_pollModels' | '_pollSpecs'): Promise<void> {
  const poll = (manager as unknown as Record<string, { _timeout?: ReturnType<typeof setTimeout> } | undefined>)[pollField];
  manager.dispose();
  await new Promise((resolve) => setImmediate(resolve));
  clearTimeout(poll?._timeout);
}

/** The subprotocol the server must have accepted for a framing ('' is none: the default JSON framing). */
export function expectedProtocol(framing: Framing): string {
  return framing === 'v1' ? V1_PROTOCOL : '';
}

/** What one execute_request produced: its iopub messages in arrival order, and its reply. */
export interface Exchange {
  readonly iopub: KernelMessage.IIOPubMessage[];
  readonly reply: KernelMessage.IExecuteReplyMsg;
}

/**
 * Runs code and waits until both the reply and the idle status arrived (future.done).
 * `onStdin` answers input requests. Resolves even when the reply status is error or abort.
 */
export async function execute(
  kernel: Kernel.IKernelConnection,
  code: string,
  options: {
    allowStdin?: boolean;
    stopOnError?: boolean;
    onStdin?: (
      msg: KernelMessage.IStdinMessage,
      future: Kernel.IShellFuture<KernelMessage.IExecuteRequestMsg, KernelMessage.IExecuteReplyMsg>,
    ) => void;
  } = {},
): Promise<Exchange> {
  const iopub: KernelMessage.IIOPubMessage[] = [];
  const future = kernel.requestExecute({ code, allow_stdin: options.allowStdin ?? false, stop_on_error: options.stopOnError ?? true });
  future.onIOPub = (msg) => {
    iopub.push(msg);
  };
  if (options.onStdin) {
    const answer = options.onStdin;
    future.onStdin = (msg) => answer(msg, future);
  }
  const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
  return { iopub, reply };
}

/** The msg_types of a list of messages, for exact sequence assertions. */
export function types(messages: readonly KernelMessage.IMessage[]): string[] {
  return messages.map((msg) => msg.header.msg_type);
}

/** Resolves with the first value `signal` emits that passes `accept` (no timeout: jest's applies). */
export function nextEmission<T>(
  signal: { connect(fn: (sender: unknown, value: T) => void): boolean; disconnect(fn: (sender: unknown, value: T) => void): boolean },
  accept: (value: T) => boolean,
): Promise<T> {
  return new Promise((resolve) => {
    const listener = (_sender: unknown, value: T): void => {
      if (!accept(value)) return;
      signal.disconnect(listener);
      resolve(value);
    };
    signal.connect(listener);
  });
}

/** The KernelConnection logs every status change and socket at debug level; keep test output readable. */
export function quietServicesLogs(): void {
  jest.spyOn(console, 'debug').mockImplementation(() => undefined);
}

/**
 * Asserts what the server negotiated for every socket this client opened to a kernel: the
 * accepted subprotocol, and the frame kinds it then sent (v1: only binary; JSON: text, and
 * binary frames only for messages with buffers, which `binaryBuffers` says the test sent).
 */
export function expectFraming(client: ServicesClient, kernelId: string, options: { binaryBuffers?: boolean } = {}): void {
  const records = client.socketsFor(kernelId);
  expect(records.length).toBeGreaterThan(0);
  for (const record of records) {
    expect(record.offered).toEqual(client.framing === 'v1' ? [V1_PROTOCOL] : []);
    expect(record.socket.protocol).toBe(expectedProtocol(client.framing));
  }
  const text = records.reduce((sum, record) => sum + record.textFrames, 0);
  const binary = records.reduce((sum, record) => sum + record.binaryFrames, 0);
  if (client.framing === 'v1') {
    expect(text).toBe(0);
    expect(binary).toBeGreaterThan(0);
  } else {
    if (options.binaryBuffers) expect(binary).toBeGreaterThan(0);
    else expect(binary).toBe(0);
    expect(text).toBeGreaterThan(0);
  }
}
