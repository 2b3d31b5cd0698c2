// A watch response: newline-delimited {"type","object"} events over a chunked 200 response.
// Without a resourceVersion (or with "0") it starts with an ADDED event per existing object; with one
// it replays what happened after it (ERROR 410 Expired when that is older than the history kept).
// An object that starts or stops matching the selectors arrives as ADDED or DELETED, like the
// API server's cacher does. BOOKMARKs when asked for, and the connection ends after timeoutSeconds.
import type { ServerResponse } from 'node:http';
import type { Change, Store } from './store';
import { ApiError, errors } from './status';
import type { KubeObject } from './types';

export interface WatchRequest {
  resource: string;
  kind: string;
  resourceVersion?: string;
  allowWatchBookmarks: boolean;
  timeoutSeconds?: number;
  bookmarkIntervalMs: number;
  matches: (object: KubeObject) => boolean;
}

/** The API server's default watch timeout (its --min-request-timeout, 30 minutes). */
const DEFAULT_TIMEOUT_SECONDS = 1800;

export function serveWatch(store: Store, request: WatchRequest, res: ServerResponse, onClose: (close: () => void) => void): void {
  let since: number | undefined;
  if (request.resourceVersion !== undefined && request.resourceVersion !== '' && request.resourceVersion !== '0') {
    since = Number(request.resourceVersion);
    if (!Number.isInteger(since) || since < 0)
      throw errors.badRequest(`invalid resource version: ${JSON.stringify(request.resourceVersion)}`);
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const send = (type: string, object: unknown): void => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };

  let unsubscribe = (): void => undefined;
  const timers: NodeJS.Timeout[] = [];
  const close = (): void => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    if (!res.writableEnded) res.end();
  };
  res.on('close', close);
  onClose(close);

  const deliver = (change: Change): void => {
    const now = request.matches(change.object);
    const before = change.previous !== undefined && change.type !== 'DELETED' ? request.matches(change.previous) : now;
    if (change.type === 'DELETED') {
      if (now) send('DELETED', change.object);
    } else if (change.type === 'ADDED') {
      if (now) send('ADDED', change.object);
    } else if (now && before) send('MODIFIED', change.object);
    else if (now) send('ADDED', change.object);
    else if (before) {
      const gone = {
        ...change.previous!,
        metadata: { ...change.previous!.metadata, resourceVersion: change.object.metadata.resourceVersion },
      };
      send('DELETED', gone);
    }
  };

  if (since === undefined) {
    for (const object of store.list(request.resource)) if (request.matches(object)) send('ADDED', object);
  }
  try {
    unsubscribe = store.watch(request.resource, since, deliver);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    send('ERROR', err.status);
    close();
    return;
  }
  if (request.allowWatchBookmarks) {
    const bookmark = (): void => {
      send('BOOKMARK', { kind: request.kind, apiVersion: 'v1', metadata: { resourceVersion: store.resourceVersion } });
      timers[0] = setTimeout(bookmark, request.bookmarkIntervalMs);
    };
    timers[0] = setTimeout(bookmark, request.bookmarkIntervalMs);
  }
  timers.push(setTimeout(close, (request.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000));
}
