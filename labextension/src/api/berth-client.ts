import { EventStreamParser, type ServerSentEvent } from '../model/event-stream';
import type { KernelEvent } from '../model/kernel-events';
import type { SpecLike, SpecsLike } from '../model/kernelspec-choices';
import type { DeclaredParameters } from '../model/parameters';
import type { ExecResources } from '../model/resources';
import type { RunLogEntry, RunRecord, RunStatus } from '../model/runs';
import { BerthUnreachableError, errorFromResponse } from './errors';

/**
 * Berth's own API from the browser (runs, kernel events, exec configs), with the user's token in
 * the Authorization header. Cross-origin: Berth must allow the page's origin (--allow-origin).
 * Streams (run logs, kernel events) are Server-Sent Events read through fetch, for the header.
 */

export interface BerthClientOptions {
  /** Ends with "/". */
  readonly baseUrl: string;
  readonly token: string;
  /** This page's origin, named in "cannot reach" messages (window.location.origin). */
  readonly origin?: string;
  /** Defaults to the global fetch, looked up on each call. */
  readonly fetch?: typeof fetch;
}

/** An exec config as Berth lists it to a non-admin (GET /api/berth/execution-configs). */
export interface ExecConfigSummary {
  readonly id: string;
  readonly displayName?: string;
  readonly description?: string;
  readonly backend: string;
  readonly resources?: ExecResources;
}

export interface RunListFilter {
  readonly status?: RunStatus;
  readonly limit?: number;
}

export interface Artifact {
  readonly path: string;
  readonly bytes: number;
}

/** What Berth's /api/kernelspecs holds per kernelspec (the Jupyter REST shape). */
interface RestSpec {
  readonly name: string;
  readonly spec?: { readonly display_name?: string; readonly language?: string; readonly metadata?: Record<string, unknown> };
}

export class BerthClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly origin: string | undefined;
  private readonly fetchImpl: typeof fetch | undefined;

  constructor(options: BerthClientOptions) {
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    this.token = options.token;
    this.origin = options.origin;
    this.fetchImpl = options.fetch;
  }

  /** A request with the token; rejects with BerthApiError for error statuses and BerthUnreachableError when no answer came. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('Authorization', `token ${this.token}`);
    if (init.body !== undefined && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    const doFetch = this.fetchImpl ?? ((input: RequestInfo | URL, options?: RequestInit) => globalThis.fetch(input, options));
    let response: Response;
    try {
      response = await doFetch(`${this.baseUrl}${path}`, { ...init, headers });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new BerthUnreachableError(this.baseUrl, this.origin, error);
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }

  /** GET /api/status: proves the URL, the token and (in a browser) the origin are right. */
  async status(): Promise<{ started?: string; kernels?: number }> {
    return this.json('api/status');
  }

  /** The kernelspecs this token may use, flattened to JupyterLab's ISpecModels shape. */
  async kernelspecs(): Promise<SpecsLike> {
    const body = await this.json<{ default?: string; kernelspecs?: Record<string, RestSpec> }>('api/kernelspecs');
    const kernelspecs: Record<string, SpecLike> = {};
    for (const [name, entry] of Object.entries(body.kernelspecs ?? {})) {
      kernelspecs[name] = {
        name: entry.name ?? name,
        ...(entry.spec?.display_name === undefined ? {} : { display_name: entry.spec.display_name }),
        ...(entry.spec?.language === undefined ? {} : { language: entry.spec.language }),
        metadata: entry.spec?.metadata ?? {},
      };
    }
    return { ...(body.default === undefined ? {} : { default: body.default }), kernelspecs };
  }

  /** The exec configs this token may use. */
  async execConfigs(): Promise<ExecConfigSummary[]> {
    return this.json('api/berth/execution-configs');
  }

  async listRuns(filter: RunListFilter = {}): Promise<RunRecord[]> {
    const query = new URLSearchParams();
    if (filter.status) query.set('status', filter.status);
    if (filter.limit) query.set('limit', String(filter.limit));
    const suffix = query.toString() === '' ? '' : `?${query}`;
    return (await this.json<{ runs: RunRecord[] }>(`api/berth/runs${suffix}`)).runs;
  }

  async getRun(id: string): Promise<RunRecord> {
    return this.json(`api/berth/runs/${encodeURIComponent(id)}`);
  }

  /** POST /api/berth/runs: the queued record (201). */
  async submitRun(request: Record<string, unknown>): Promise<RunRecord> {
    return this.json('api/berth/runs', { method: 'POST', body: JSON.stringify(request) });
  }

  /**
   * What the notebook's `parameters` cell declares, read by Berth exactly as a run injects it
   * (POST /api/berth/notebooks/parameters); a notebook Berth cannot run (not Python or R) is an error.
   */
  async notebookParameters(notebook: Record<string, unknown>): Promise<DeclaredParameters> {
    return this.json('api/berth/notebooks/parameters', { method: 'POST', body: JSON.stringify(notebook) });
  }

  async cancelRun(id: string): Promise<RunRecord> {
    return this.json(`api/berth/runs/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: '{}' });
  }

  /** The log so far (newline-delimited JSON). */
  async runLog(id: string): Promise<RunLogEntry[]> {
    const text = await (await this.request(`api/berth/runs/${encodeURIComponent(id)}/logs`)).text();
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as RunLogEntry);
  }

  /**
   * Follows a run's log: its history, then live entries, until the run ends (resolves with the
   * final record) or `signal` aborts (resolves with undefined).
   */
  async followRunLog(id: string, onEntry: (entry: RunLogEntry) => void, signal?: AbortSignal): Promise<RunRecord | undefined> {
    let final: RunRecord | undefined;
    await this.stream(
      `api/berth/runs/${encodeURIComponent(id)}/logs`,
      (event) => {
        const parsed = JSON.parse(event.data) as RunLogEntry | { type: 'end'; run: RunRecord };
        if (parsed.type === 'end') final = parsed.run;
        else onEntry(parsed);
      },
      signal,
    );
    return final;
  }

  async artifacts(id: string): Promise<Artifact[]> {
    return (await this.json<{ artifacts: Artifact[] }>(`api/berth/runs/${encodeURIComponent(id)}/artifacts`)).artifacts;
  }

  async artifactText(id: string, path: string): Promise<string> {
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    return (await this.request(`api/berth/runs/${encodeURIComponent(id)}/artifacts/${encoded}`)).text();
  }

  /** Kernel events of every kernel this token may see, live, until `signal` aborts or the stream ends. */
  async followKernelEvents(onEvent: (event: KernelEvent) => void, signal?: AbortSignal): Promise<void> {
    await this.stream('api/berth/kernels/events', (event) => onEvent(JSON.parse(event.data) as KernelEvent), signal);
  }

  /** Reads an SSE endpoint until it ends; an abort through `signal` ends it quietly. */
  private async stream(path: string, onEvent: (event: ServerSentEvent) => void, signal?: AbortSignal): Promise<void> {
    let response: Response;
    try {
      response = await this.request(path, { headers: { Accept: 'text/event-stream' }, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    if (!response.body) throw new Error(`Berth sent no body for ${path}.`);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new EventStreamParser();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const event of parser.push(decoder.decode(value, { stream: true }))) onEvent(event);
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    } finally {
      try {
        reader.releaseLock();
      } catch {
        // a reader with a read still pending after an abort: nothing left to release
      }
    }
  }
}
