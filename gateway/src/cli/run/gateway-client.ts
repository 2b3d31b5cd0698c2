import { readEventStream } from '../../common/event-stream';
import type { RunRecord } from '../../runner/run';
import type { RunLogEntry } from '../../runner/run-log';

/** The gateway a CLI command talks to: `--gateway`/BERTH_GATEWAY_URL and `--token`/BERTH_TOKEN. */
export interface GatewayTarget {
  readonly url: string;
  readonly token?: string;
}

export function gatewayTarget(flags: { gateway?: string; token?: string }): GatewayTarget {
  const url = flags.gateway ?? process.env['BERTH_GATEWAY_URL'] ?? 'http://127.0.0.1:8888';
  const token = flags.token ?? process.env['BERTH_TOKEN'];
  return { url: url.endsWith('/') ? url : `${url}/`, ...(token ? { token } : {}) };
}

/** Berth's run API over HTTP, for `berth run --gateway` and `berth runs`. Errors carry the gateway's message. */
export class GatewayClient {
  constructor(private readonly target: GatewayTarget) {}

  submit(body: unknown): Promise<RunRecord> {
    return this.json('POST', 'api/berth/runs', body);
  }

  get(id: string): Promise<RunRecord> {
    return this.json('GET', `api/berth/runs/${encodeURIComponent(id)}`);
  }

  async list(query: Record<string, string | undefined>): Promise<RunRecord[]> {
    const search = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const text = search.toString();
    return (await this.json<{ runs: RunRecord[] }>('GET', `api/berth/runs${text ? `?${text}` : ''}`)).runs;
  }

  cancel(id: string): Promise<RunRecord> {
    return this.json('POST', `api/berth/runs/${encodeURIComponent(id)}/cancel`, {});
  }

  async artifacts(id: string): Promise<{ path: string; bytes: number }[]> {
    return (await this.json<{ artifacts: { path: string; bytes: number }[] }>('GET', `api/berth/runs/${encodeURIComponent(id)}/artifacts`))
      .artifacts;
  }

  async artifact(id: string, path: string): Promise<Buffer> {
    const response = await this.fetch(
      'GET',
      `api/berth/runs/${encodeURIComponent(id)}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`,
    );
    return Buffer.from(await response.arrayBuffer());
  }

  async models(): Promise<Record<string, unknown>[]> {
    return (await this.json<{ models: Record<string, unknown>[] }>('GET', 'api/berth/models')).models;
  }

  /** What the run's log holds now (JSON lines), without waiting for more. */
  async logHistory(id: string): Promise<RunLogEntry[]> {
    const text = await (await this.fetch('GET', `api/berth/runs/${encodeURIComponent(id)}/logs`)).text();
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as RunLogEntry);
  }

  /** The run's log: what was kept, then live until the run ends (Server-Sent Events); resolves with the final record. */
  async follow(id: string, onEntry: (entry: RunLogEntry) => void): Promise<RunRecord> {
    const response = await this.fetch('GET', `api/berth/runs/${encodeURIComponent(id)}/logs`, undefined, { Accept: 'text/event-stream' });
    for await (const data of readEventStream(response.body as unknown as AsyncIterable<Uint8Array>)) {
      const parsed = JSON.parse(data) as RunLogEntry | { type: 'end'; run: RunRecord };
      if (parsed.type === 'end') return parsed.run;
      onEntry(parsed);
    }
    return this.get(id); // the stream ended without its "end" event (gateway stopped): say where the run stands
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.fetch(method, path, body)).json()) as T;
  }

  private async fetch(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.target.url), {
        method,
        headers: {
          ...headers,
          ...(this.target.token ? { Authorization: `token ${this.target.token}` } : {}),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new Error(
        `Cannot reach the Berth gateway at ${this.target.url} (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}). Start it with \`npm start\` / \`berth serve\`, or pass --gateway URL.`,
      );
    }
    if (!response.ok) {
      const text = await response.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: the text as it came
      }
      throw new Error(`${method} ${path}: ${response.status} ${message}`);
    }
    return response;
  }
}
