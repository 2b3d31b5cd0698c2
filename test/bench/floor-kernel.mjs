// The floor: a kernel spawned directly and driven over ZeroMQ from Node, no gateway in between.
// Uses the same zeromq package and the gateway's compiled wire codec (HMAC signing/verifying).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { newHeader, RequestTracker } from './jupyter-client.mjs';

const require = createRequire(import.meta.url);
const zmq = require('zeromq');
const { MessageSigner, encodeFrames, decodeFrames } = require('../../gateway/dist/protocol/wire.js');
const { newConnection, writeConnectionFile } = require('../../gateway/dist/provisioners/local/connection-file.js');
const { RawMessage } = require('../../gateway/dist/protocol/messages.js');

/**
 * Hands out loopback ports for floor kernels: never the same port twice in one run, and from a
 * range below the one Berth's allocator uses, so the two never compete for a port.
 */
export class FloorPorts {
  #next;
  #max;

  constructor() {
    let ephemeralLow = 32768;
    try {
      const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
      if (low > 2048) ephemeralLow = low;
    } catch {
      // keep the default
    }
    // Berth uses [ephemeralLow - 12000, ephemeralLow - 1]; the floor takes the 12000 below it.
    this.#next = Math.max(1025, ephemeralLow - 24000);
    this.#max = ephemeralLow - 12001;
  }

  async allocate(count) {
    const ports = [];
    while (ports.length < count) {
      if (this.#next > this.#max) throw new Error('floor port range exhausted');
      const port = this.#next++;
      if (await bindable(port)) ports.push(port);
    }
    return ports;
  }
}

function bindable(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The kernel's environment, as Berth gives it: the caller's, without Berth's own settings. */
export function kernelEnv(env = process.env) {
  const result = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !name.startsWith('BERTH_') && !name.startsWith('JUPYTER_GATEWAY_')) result[name] = value;
  }
  return result;
}

/** A kernel process plus shell, control and iopub sockets, as a plain Jupyter client opens them. */
export class FloorKernel {
  #sockets = {};
  #sendTails = {};
  #tracker = new RequestTracker();
  #signer;
  #closed = false;
  session = randomUUID();

  /**
   * Allocates ports, writes the connection file, spawns the kernel and connects. The caller times
   * this together with the first request: that is the floor's start latency.
   */
  static async launch({ argv, runtimeDir, ports, cwd }) {
    const id = randomUUID();
    const connection = newConnection('127.0.0.1', await ports.allocate(5), 'python3');
    const connectionFile = join(runtimeDir, `floor-${id}.json`);
    const logFile = join(runtimeDir, `floor-${id}.log`);
    writeConnectionFile(connectionFile, connection);
    const rendered = argv.map((arg) => arg.replaceAll('{connection_file}', connectionFile));
    const logFd = openSync(logFile, 'a', 0o600);
    let child;
    try {
      child = spawn(rendered[0], rendered.slice(1), { cwd, env: kernelEnv(), stdio: ['ignore', logFd, logFd], detached: true });
      await new Promise((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } finally {
      closeSync(logFd);
    }
    return new FloorKernel(connection, child, [connectionFile, logFile]);
  }

  constructor(connection, child, files) {
    this.connection = connection;
    this.child = child;
    this.pid = child.pid;
    this.files = files;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exited.then(() => this.#tracker.failAll(new Error(`floor kernel ${this.pid} exited`)));
    this.#signer = new MessageSigner(connection.key);
    const url = (port) => `tcp://${connection.ip}:${connection[port]}`;
    const routingId = randomUUID();
    this.#sockets.shell = new zmq.Dealer({ routingId, linger: 0 });
    this.#sockets.control = new zmq.Dealer({ routingId, linger: 0 });
    this.#sockets.iopub = new zmq.Subscriber({ linger: 0 });
    this.#sockets.iopub.subscribe();
    this.#sockets.shell.connect(url('shell_port'));
    this.#sockets.control.connect(url('control_port'));
    this.#sockets.iopub.connect(url('iopub_port'));
    for (const channel of ['shell', 'control', 'iopub']) void this.#readLoop(channel, this.#sockets[channel]);
  }

  /** Sends a request and resolves when it is complete (reply, and iopub idle when `idle`). */
  request(channel, msgType, content, options = {}) {
    const header = newHeader(msgType, this.session);
    const done = this.#tracker.expect(header.msg_id, { label: msgType, ...options });
    this.send(channel, header, content).catch((error) => this.#tracker.failAll(error));
    return done;
  }

  send(channel, header, content) {
    const message = new RawMessage(
      Buffer.from(JSON.stringify(header)),
      Buffer.from('{}'),
      Buffer.from('{}'),
      Buffer.from(JSON.stringify(content)),
    );
    const frames = encodeFrames(message, this.#signer);
    const socket = this.#sockets[channel];
    // zeromq allows one send in progress per socket: chain them.
    const sent = (this.#sendTails[channel] ?? Promise.resolve()).then(() => socket.send(frames));
    this.#sendTails[channel] = sent.catch(() => undefined);
    return sent;
  }

  async #readLoop(channel, socket) {
    try {
      for await (const frames of socket) {
        const message = decodeFrames(frames, this.#signer);
        const parentId = message.parentHeader.length > 2 ? message.parseParentHeader().msg_id : undefined;
        this.#tracker.handle(channel, message.msgType, parentId, () => message.parseContent());
      }
    } catch (error) {
      if (!this.#closed) this.#tracker.failAll(error);
    }
  }

  /** shutdown_request on control, then SIGKILL to the process group if it lingers. Removes its files. */
  async shutdown(graceMs = 5000) {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const header = newHeader('shutdown_request', this.session);
      await this.send('control', header, { restart: false }).catch(() => undefined);
      const exited = await Promise.race([
        this.exited.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), graceMs)),
      ]);
      if (!exited) this.kill();
      await this.exited;
    }
    this.close();
  }

  /** Immediate cleanup (error paths): SIGKILL to the kernel's process group, sockets closed, files removed. */
  kill() {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch (error) {
      if (error.code !== 'ESRCH') throw error;
    }
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of Object.values(this.#sockets)) socket.close();
    for (const file of this.files) rmSync(file, { force: true });
  }
}
