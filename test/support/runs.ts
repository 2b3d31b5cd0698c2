import { readEventStream } from '../../gateway/src/common/event-stream';
import type { RunRecord } from '../../gateway/src/runner/run';
import type { RunLogEntry } from '../../gateway/src/runner/run-log';

/** Anything with the gateway's authenticated fetch (an in-process TestGateway or a CliGateway). */
export interface RunApi {
  api(path: string, init?: RequestInit): Promise<Response>;
}

/** A cell for test notebooks: code unless it starts with "#md ". */
export function cell(source: string, tags: string[] = []): Record<string, unknown> {
  if (source.startsWith('#md ')) return { cell_type: 'markdown', id: randomId(), metadata: { tags }, source: source.slice(4) };
  return { cell_type: 'code', id: randomId(), metadata: { tags }, source, outputs: [], execution_count: null };
}

function randomId(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** An nbformat 4.5 notebook for a kernelspec of the language. */
export function notebook(cells: Record<string, unknown>[], language: 'python' | 'r' = 'python'): Record<string, unknown> {
  const kernelspec =
    language === 'python'
      ? { name: 'python3', language: 'python', display_name: 'Python 3' }
      : { name: 'ir', language: 'R', display_name: 'R' };
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec, language_info: { name: language === 'python' ? 'python' : 'R' } },
    cells,
  };
}

/** POSTs a run; fails the test with the gateway's message unless it was accepted. */
export async function submitRun(gw: RunApi, body: Record<string, unknown>): Promise<RunRecord> {
  const response = await gw.api('api/berth/runs', { method: 'POST', body: JSON.stringify(body) });
  const json = (await response.json()) as RunRecord & { message?: string };
  if (response.status !== 201) throw new Error(`run refused: ${response.status} ${json.message}`);
  return json;
}

/** Follows the run's log (SSE) to its end; resolves with the final record and every entry seen. */
export async function followRun(gw: RunApi, id: string): Promise<{ record: RunRecord; entries: RunLogEntry[] }> {
  const response = await gw.api(`api/berth/runs/${id}/logs`, { headers: { Accept: 'text/event-stream' } });
  if (response.status !== 200) throw new Error(`logs: ${response.status} ${await response.text()}`);
  const entries: RunLogEntry[] = [];
  for await (const data of readEventStream(response.body as unknown as AsyncIterable<Uint8Array>)) {
    const parsed = JSON.parse(data) as RunLogEntry | { type: 'end'; run: RunRecord };
    if (parsed.type === 'end') return { record: parsed.run, entries };
    entries.push(parsed);
  }
  throw new Error(`the log stream of run ${id} ended without an "end" event`);
}

/** Submits and follows to the end. */
export async function runToEnd(gw: RunApi, body: Record<string, unknown>): Promise<{ record: RunRecord; entries: RunLogEntry[] }> {
  const submitted = await submitRun(gw, body);
  return followRun(gw, submitted.id);
}

export async function artifactText(gw: RunApi, id: string, path: string): Promise<string> {
  const response = await gw.api(`api/berth/runs/${id}/artifacts/${path}`);
  if (response.status !== 200) throw new Error(`artifact ${path}: ${response.status} ${await response.text()}`);
  return response.text();
}

/** Loose on purpose: tests read deep into cells and metadata. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

export async function outputNotebook(gw: RunApi, id: string): Promise<{ cells: Loose[]; metadata: Loose }> {
  return JSON.parse(await artifactText(gw, id, 'output.ipynb'));
}

/** Joined stdout (or stderr) text of a run's log. */
export function streamText(entries: readonly RunLogEntry[], stream: 'stdout' | 'stderr' | 'system'): string {
  return entries
    .filter((entry): entry is Extract<RunLogEntry, { type: 'output' }> => entry.type === 'output' && entry.stream === stream)
    .map((entry) => entry.text)
    .join('');
}

export function base64(text: string | Buffer): string {
  return Buffer.from(text).toString('base64');
}
