// The HTTPS front of the emulated API server: bearer-token authentication (401 Status otherwise),
// routing of /api/v1 paths to the resources (create, get, list, watch, delete, pods/log), Status
// bodies for every error, 404 for unknown paths and 405 for unsupported verbs. /version, /healthz,
// /livez and /readyz answer without a token, as they do for system:unauthenticated.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Dockerode from 'dockerode';
import type { Certificates } from './certificates';
import { servePodLogs } from './pod-logs';
import type { DeleteOptions, Rest, Verb } from './rest';
import { ApiError, errors, type Status } from './status';
import type { Pod } from './types';
import { serveWatch } from './watch';

export interface ServerDeps {
  rest: Rest;
  docker: Dockerode;
  token: string;
  bookmarkIntervalMs: number;
}

export const KUBE_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0' };

interface Route {
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendStatus(res: ServerResponse, status: Status): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status.code, status);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

/** /api/v1/... → namespace, resource, name, subresource; undefined for anything else. */
function parsePath(pathname: string): Route | undefined {
  const parts = pathname.replace(/\/+$/, '').split('/').slice(1).map(decodeURIComponent);
  if (parts[0] !== 'api' || parts[1] !== 'v1' || parts.length < 3) return undefined;
  const rest = parts.slice(2);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const [, namespace, resource, name, subresource, ...extra] = rest;
    if (extra.length > 0) return undefined;
    return { namespace, resource, name, subresource };
  }
  if (rest.length > 3) return undefined;
  const [resource, name, subresource] = rest;
  return { resource, name, subresource };
}

function queryNumber(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw errors.badRequest(`${name}: Invalid value: ${JSON.stringify(raw)}: must be an integer`);
  return n;
}

export class ApiServer {
  private readonly server: Server;
  private readonly watches = new Set<() => void>();

  constructor(
    private readonly deps: ServerDeps,
    certificates: Certificates,
  ) {
    this.server = createServer({ cert: certificates.cert, key: certificates.key }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (err instanceof ApiError) sendStatus(res, err.status);
        else {
          process.stderr.write(`[kube-emulator] ${req.method} ${req.url}: ${(err as Error).stack ?? err}\n`);
          sendStatus(res, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: String(err),
            reason: 'InternalError',
            code: 500,
          });
        }
      });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const close of this.watches) close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (method === 'GET' && ['/healthz', '/livez', '/readyz'].includes(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (method === 'GET' && path === '/version') {
      sendJson(res, 200, {
        ...KUBE_VERSION,
        gitCommit: 'kube-emulator',
        gitTreeState: 'clean',
        goVersion: 'go1.24.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
      return;
    }
    if (req.headers.authorization !== `Bearer ${this.deps.token}`) throw errors.unauthorized();
    if (method === 'GET' && path === '/api') {
      sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' }],
      });
      return;
    }
    if (method === 'GET' && path === '/api/v1') {
      sendJson(res, 200, this.discovery());
      return;
    }
    const route = parsePath(path);
    const handler = route === undefined ? undefined : this.deps.rest.handler(route.resource);
    if (route === undefined || handler === undefined) throw errors.pathNotFound();
    const scoped = route.namespace !== undefined;
    // Namespaced resources are also listed across namespaces (/api/v1/pods); a name needs a namespace.
    if (handler.namespaced && !scoped && route.name !== undefined) throw errors.pathNotFound();
    if (!handler.namespaced && scoped) throw errors.pathNotFound();
    const namespace = route.namespace;
    const query = url.searchParams;
    const allowed = (verb: Verb): void => {
      if (!handler.verbs.has(verb)) throw errors.methodNotAllowed();
    };

    if (route.subresource !== undefined) {
      if (route.resource !== 'pods' || !['log', 'status'].includes(route.subresource)) throw errors.pathNotFound();
      if (method !== 'GET') throw errors.methodNotAllowed();
      const pod = this.deps.rest.get('pods', namespace, route.name ?? '') as Pod;
      if (route.subresource === 'status') sendJson(res, 200, pod);
      else await servePodLogs(this.deps.docker, pod, query, res);
      return;
    }

    if (route.name === undefined) {
      if (method === 'GET') {
        const listQuery = {
          labelSelector: query.get('labelSelector') ?? undefined,
          fieldSelector: query.get('fieldSelector') ?? undefined,
          limit: queryNumber(query, 'limit'),
          continue: query.get('continue') ?? undefined,
        };
        if (query.get('watch') === 'true' || query.get('watch') === '1') {
          allowed('watch');
          const matches = this.deps.rest.matcher(route.resource, namespace, listQuery);
          let closeWatch: () => void = () => undefined;
          serveWatch(
            this.deps.rest.store,
            {
              resource: route.resource,
              kind: handler.kind,
              resourceVersion: query.get('resourceVersion') ?? undefined,
              allowWatchBookmarks: query.get('allowWatchBookmarks') === 'true',
              timeoutSeconds: queryNumber(query, 'timeoutSeconds'),
              bookmarkIntervalMs: this.deps.bookmarkIntervalMs,
              matches,
            },
            res,
            (close) => {
              closeWatch = close;
              this.watches.add(close);
            },
          );
          res.on('close', () => this.watches.delete(closeWatch));
          return;
        }
        allowed('list');
        sendJson(res, 200, this.deps.rest.list(route.resource, namespace, listQuery));
        return;
      }
      if (method === 'POST') {
        allowed('create');
        if (handler.namespaced && !scoped) throw errors.methodNotAllowed();
        const body = await readBody(req);
        const dryRun = query.get('dryRun') === 'All';
        sendJson(res, 201, this.deps.rest.create(route.resource, namespace, body, { dryRun }));
        return;
      }
      throw errors.methodNotAllowed();
    }

    if (method === 'GET') {
      allowed('get');
      sendJson(res, 200, this.deps.rest.get(route.resource, namespace, route.name));
      return;
    }
    if (method === 'PATCH') {
      allowed('patch');
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (type !== 'application/merge-patch+json') throw errors.unsupportedMediaType(type);
      sendJson(res, 200, this.deps.rest.patch(route.resource, namespace, route.name, await readBody(req)));
      return;
    }
    if (method === 'DELETE') {
      allowed('delete');
      const body = ((await readBody(req)) ?? {}) as DeleteOptions;
      const options: DeleteOptions = { ...body };
      const grace = queryNumber(query, 'gracePeriodSeconds');
      if (grace !== undefined) options.gracePeriodSeconds = grace;
      const propagation = query.get('propagationPolicy');
      if (propagation) options.propagationPolicy = propagation;
      const dryRun = query.get('dryRun') === 'All' || (body as { dryRun?: string[] }).dryRun?.includes('All') === true;
      sendJson(res, 200, this.deps.rest.delete(route.resource, namespace, route.name, options, { dryRun }));
      return;
    }
    throw errors.methodNotAllowed();
  }

  private discovery(): unknown {
    const resources = this.deps.rest.resources.map((name) => {
      const h = this.deps.rest.handler(name)!;
      return { name, singularName: h.kind.toLowerCase(), namespaced: h.namespaced, kind: h.kind, verbs: [...h.verbs] };
    });
    resources.push(
      { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
      { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    );
    return { kind: 'APIResourceList', groupVersion: 'v1', resources };
  }
}
