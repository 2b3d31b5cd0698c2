import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createGateway, loadConfig, type Gateway } from '../../gateway/src/app';
import { createLogger } from '../../gateway/src/common/logger';
import type { GatewayConfigInput } from '../../gateway/src/config/schema';

/** A real gateway in this process on a free loopback port, with its own data dir and log capture. */
export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly token: string;
  readonly dataDir: string;
  /** Every JSON log line the gateway wrote. */
  readonly logLines: string[];
  /** fetch against the gateway with the token header. */
  api(path: string, init?: RequestInit): Promise<Response>;
  stop(options?: { keepKernels?: boolean }): Promise<void>;
}

export async function startTestGateway(overrides: Partial<GatewayConfigInput> = {}): Promise<TestGateway> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-test-'));
  const token = overrides.token ?? `test-token-${Math.random().toString(36).slice(2)}`;
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const config = loadConfig({ env: {}, flags: { ip: '127.0.0.1', port: 0, logLevel: 'debug', ...overrides, dataDir, token } });
  // The product's own logger factory, so redaction is what ships, writing into logLines.
  const gateway = createGateway(config, { logger: createLogger({ level: 'debug', destination }) });
  const { url, port } = await gateway.start();
  return {
    gateway,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    port,
    token,
    dataDir,
    logLines,
    api: (path, init = {}) =>
      fetch(`${url}${path.replace(/^\//, '')}`, {
        ...init,
        headers: { Authorization: `token ${token}`, ...(init.headers as Record<string, string> | undefined) },
      }),
    async stop(options) {
      await gateway.stop(options);
      if (!overrides.dataDir && !options?.keepKernels) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Opens a raw channels WebSocket (token in the header) and resolves once open. */
export function openChannels(
  gw: TestGateway,
  kernelId: string,
  options: { protocol?: string; sessionId?: string } = {},
): Promise<WebSocket> {
  const query = options.sessionId ? `?session_id=${encodeURIComponent(options.sessionId)}` : '';
  const ws = new WebSocket(`${gw.wsUrl}api/kernels/${kernelId}/channels${query}`, options.protocol ? [options.protocol] : [], {
    headers: { Authorization: `token ${gw.token}` },
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}
