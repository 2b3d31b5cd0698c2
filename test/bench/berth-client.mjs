// The Berth side of the benchmark: the gateway as a child process (so its RSS is its own) and a
// kernel client speaking the REST API and the channels WebSocket in either framing.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { newHeader, RequestTracker } from './jupyter-client.mjs';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');
const { RawMessage } = require('../../gateway/dist/protocol/messages.js');
const { encodeForClient } = require('../../gateway/dist/protocol/ws-framing.js');

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every Linux build that matters). */
const CLOCK_TICKS = 100;

export const V1_SUBPROTOCOL = 'v1.kernel.websocket.jupyter.org';

/** `berth serve` on a free loopback port with its own data dir; stdout/stderr go to a log file. */
export class BerthGateway {
  static async start({ repoRoot, dataDir, logFile, nodeArgs = [], env = {} }) {
    const token = randomUUID();
    const child = spawn(
      process.execPath,
      [...nodeArgs, join(repoRoot, 'gateway', 'bin', 'berth.js'), 'serve', '--port', '0', '--data-dir', dataDir],
      {
        cwd: repoRoot,
        env: { ...process.env, ...env, BERTH_TOKEN: token },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const log = createWriteStream(logFile);
    child.stderr.pipe(log);
    const url = await new Promise((resolve, reject) => {
      let seen = '';
      const onData = (chunk) => {
        log.write(chunk);
        seen += chunk.toString('utf8');
        const match = /Berth gateway at (\S+)/.exec(seen);
        if (match) {
          resolve(match[1]);
          seen = '';
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (code, signal) => reject(new Error(`gateway exited during start (${signal ?? code}); see ${logFile}`)));
      setTimeout(() => reject(new Error(`gateway did not print its URL within 30 s; see ${logFile}`)), 30_000).unref();
    });
    return new BerthGateway(child, url, token, log);
  }

  constructor(child, url, token, log) {
    this.child = child;
    this.pid = child.pid;
    this.url = url.endsWith('/') ? url : `${url}/`;
    this.token = token;
    this.log = log;
    this.agent = new Agent({ keepAlive: true, maxSockets: Infinity, noDelay: true });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** A REST call with the token; resolves with status and parsed JSON body (if any), rejects after `timeoutMs`. */
  api(method, path, body, timeoutMs = 120_000) {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        new URL(path, this.url),
        {
          method,
          agent: this.agent,
          headers: {
            Authorization: `token ${this.token}`,
            ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode, json, text });
          });
          res.on('error', reject);
        },
      );
      req.on('socket', (socket) => socket.setNoDelay(true));
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} got no answer within ${timeoutMs / 1000} s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Current and peak resident set size of the gateway process, in kB (from /proc). */
  memory() {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  }

  /** CPU time (user + system) the gateway process has used so far, in ms. */
  cpuMs() {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  }

  /** SIGTERM (the gateway shuts its kernels down), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000) {
    this.agent.destroy();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const exited = await Promise.race([this.exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), graceMs))]);
    if (!exited) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    await new Promise((resolve) => this.log.end(resolve));
  }
}

/** One kernel started through Berth, with one channels WebSocket in the given framing. */
export class BerthKernel {
  #tracker = new RequestTracker();
  #ws;
  session = randomUUID();

  /** POST /api/kernels; the caller then calls `connect`. Both are inside the timed start. */
  static async create(gateway, framing) {
    const { status, json, text } = await gateway.api('POST', 'api/kernels', { name: 'python3' });
    if (status !== 201) throw new Error(`POST /api/kernels answered ${status}: ${text}`);
    return new BerthKernel(gateway, json.id, framing);
  }

  constructor(gateway, id, framing) {
    this.gateway = gateway;
    this.id = id;
    this.framing = framing;
  }

  /** Opens the channels WebSocket (Nagle off, no compression); resolves on open. */
  connect() {
    const url = new URL(`api/kernels/${this.id}/channels?session_id=${this.session}`, this.gateway.url);
    url.protocol = 'ws:';
    const protocols = this.framing === 'v1' ? [V1_SUBPROTOCOL] : [];
    const ws = new WebSocket(url, protocols, {
      headers: { Authorization: `token ${this.gateway.token}` },
      perMessageDeflate: false,
      maxPayload: 0, // no limit: the 50 MB cell may arrive in big frames
    });
    this.#ws = ws;
    ws.on('upgrade', (response) => response.socket.setNoDelay(true));
    ws.on('message', (data, isBinary) => this.#onFrame(data, isBinary));
    ws.on('close', () => this.#tracker.failAll(new Error(`websocket to kernel ${this.id} closed`)));
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws._socket?.setNoDelay(true);
        if (this.framing === 'v1' && ws.protocol !== V1_SUBPROTOCOL) reject(new Error(`gateway did not accept ${V1_SUBPROTOCOL}`));
        else resolve();
      });
      ws.once('error', reject);
    });
  }

  request(channel, msgType, content, options = {}) {
    const header = newHeader(msgType, this.session);
    const done = this.#tracker.expect(header.msg_id, { label: msgType, ...options });
    this.#ws.send(this.#encode(channel, header, content), { binary: this.framing === 'v1' }, (error) => {
      if (error) this.#tracker.failAll(error);
    });
    return done;
  }

  /** Closes the WebSocket, then DELETE /api/kernels/:id (the gateway's shutdown escalation). */
  async shutdown() {
    if (this.#ws && this.#ws.readyState <= WebSocket.OPEN) {
      const closed = new Promise((resolve) => this.#ws.once('close', resolve));
      this.#ws.close();
      await closed;
    }
    const { status, text } = await this.gateway.api('DELETE', `api/kernels/${this.id}`);
    if (status !== 204 && status !== 404) throw new Error(`DELETE /api/kernels/${this.id} answered ${status}: ${text}`);
  }

  #encode(channel, header, content) {
    if (this.framing === 'json') {
      return JSON.stringify({ header, parent_header: {}, metadata: {}, content, buffers: [], channel });
    }
    // v1.kernel.websocket.jupyter.org has the same layout both ways: reuse the gateway's encoder.
    const raw = RawMessage.fromMessage({ header, parent_header: {}, metadata: {}, content });
    return encodeForClient('v1', channel, raw);
  }

  #onFrame(data, isBinary) {
    if (this.framing === 'json') {
      if (isBinary) throw new Error('binary frame on a JSON-framed socket (messages with buffers are not expected here)');
      const message = JSON.parse(data.toString('utf8'));
      this.#tracker.handle(message.channel, message.header.msg_type, message.parent_header?.msg_id, () => message.content);
      return;
    }
    const count = Number(data.readBigUInt64LE(0));
    const offsets = [];
    for (let i = 1; i <= count; i++) offsets.push(Number(data.readBigUInt64LE(8 * i)));
    const part = (i) => data.subarray(offsets[i], offsets[i + 1]);
    const channel = part(0).toString('utf8');
    const header = JSON.parse(part(1).toString('utf8'));
    const parentRaw = part(2);
    const parentId = parentRaw.length > 2 ? JSON.parse(parentRaw.toString('utf8')).msg_id : undefined;
    this.#tracker.handle(channel, header.msg_type, parentId, () => JSON.parse(part(4).toString('utf8')));
  }
}
