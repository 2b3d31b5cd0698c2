// The RBAC permissions the gateway's Kubernetes client needs, found by running it: every method of
// the product's KubeApi (kube-client.ts) is called once against a local HTTP server that records
// each request, and each request becomes the (API group, resource, verb) an API server would
// authorize it as. The Role in gateway/deploy/kubernetes is compared with this, not with a list
// written by hand.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeApi } from '../../../gateway/src/provisioners/kubernetes/kube-api';
import { KubeClients } from '../../../gateway/src/provisioners/kubernetes/kube-client';

/** "group|resource|verb", the core group as "" (pods/log is a resource of its own to RBAC). */
export type Permission = string;

export const permission = (group: string, resource: string, verb: string): Permission => `${group}|${resource}|${verb}`;

interface Recorded {
  readonly method: string;
  readonly url: URL;
}

const NAMESPACE = 'kernels';
const POD = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'k', namespace: NAMESPACE } };
const SECRET = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k-connection', namespace: NAMESPACE } };

type Methods = { [K in keyof KubeApi as KubeApi[K] extends (...args: never[]) => unknown ? K : never]: (api: KubeApi) => Promise<unknown> };

/** One call of each KubeApi method (a method added to the interface must be added here to compile). */
const CALLS: Methods = {
  createPod: (api) => api.createPod(NAMESPACE, POD),
  readPod: (api) => api.readPod(NAMESPACE, 'k'),
  deletePod: (api) => api.deletePod(NAMESPACE, 'k', 0),
  listPods: (api) => api.listPods(NAMESPACE, 'berth.io/managed-by=berth'),
  watchPods: async (api) => (await api.watchPods(NAMESPACE, { resourceVersion: '1' }, () => undefined)).ended,
  readPodLog: (api) => api.readPodLog(NAMESPACE, 'k', { tailLines: 20 }),
  createSecret: (api) => api.createSecret(NAMESPACE, SECRET),
  patchSecret: (api) => api.patchSecret(NAMESPACE, 'k-connection', { metadata: { ownerReferences: [] } }),
  listSecrets: (api) => api.listSecrets(NAMESPACE, 'berth.io/managed-by=berth'),
  deleteSecret: (api) => api.deleteSecret(NAMESPACE, 'k-connection'),
  listEvents: (api) => api.listEvents(NAMESPACE, 'involvedObject.name=k'),
  watchEvents: async (api) => (await api.watchEvents(NAMESPACE, { fieldSelector: 'involvedObject.name=k' }, () => undefined)).ended,
};

/** Methods of the client class that are not KubeApi's own (its private helper for both watches). */
const INTERNAL_METHODS = new Set(['constructor', 'watch']);

/** An answer good enough for the client to parse: the object back, an empty list, a log line, an empty watch. */
function answer(request: IncomingMessage, body: string, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const json = (value: unknown): void => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(value));
  };
  if (url.searchParams.get('watch') === 'true') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(); // the watch ends at once: the client reports it ended
  } else if (url.pathname.endsWith('/log')) {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('last line\n');
  } else if (request.method === 'POST' || request.method === 'PATCH') {
    json(request.method === 'POST' ? JSON.parse(body) : SECRET);
  } else if (request.method === 'DELETE') {
    json({ kind: 'Status', apiVersion: 'v1', status: 'Success' });
  } else if (/\/(pods|events|secrets)$/.test(url.pathname)) {
    json({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] });
  } else {
    json(POD);
  }
}

/** The RBAC verb and resource of a request, as the API server's request info makes them. */
export function authorizationOf(method: string, url: URL): Permission {
  const parts = url.pathname.split('/').filter(Boolean);
  // /api/v1/… is the core group; /apis/GROUP/VERSION/… the others.
  const group = parts[0] === 'api' ? '' : (parts[1] ?? '');
  const rest = parts.slice(parts[0] === 'api' ? 2 : 3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest.splice(0, 2);
  const [resource = '', name, subresource] = rest;
  const fullResource = subresource === undefined ? resource : `${resource}/${subresource}`;
  const watching = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' };
  let verb = verbs[method] ?? '';
  if (method === 'GET') verb = watching ? 'watch' : name === undefined ? 'list' : 'get';
  if (method === 'DELETE') verb = name === undefined ? 'deletecollection' : 'delete';
  return permission(group, fullResource, verb);
}

export interface ClientPermissions {
  /** Every method called, by name, from the client class itself. */
  readonly methods: string[];
  /** The permissions its requests need. */
  readonly permissions: Set<Permission>;
}

/** Runs every KubeApi method of the product's client against a recording server. */
export async function clientPermissions(): Promise<ClientPermissions> {
  const recorded: Recorded[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      recorded.push({ method: request.method ?? '', url: new URL(request.url ?? '/', 'http://localhost') });
      answer(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'berth-rbac-'));
  try {
    const kubeconfig = join(dir, 'config');
    const serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        // client-node refuses plain HTTP unless told to skip TLS checks (there is no TLS to check).
        clusters: [{ name: 'recorder', cluster: { server: serverUrl, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'gateway', user: { token: 'recorder-token' } }],
        contexts: [{ name: 'recorder', context: { cluster: 'recorder', user: 'gateway' } }],
        'current-context': 'recorder',
      }),
    );
    const api = new KubeClients().for({ kubeconfig });
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(api)).filter((name) => !INTERNAL_METHODS.has(name));
    for (const name of methods) {
      const call = (CALLS as unknown as Record<string, ((api: KubeApi) => Promise<unknown>) | undefined>)[name];
      // A method of the client that this file does not call cannot be authorized: fail loudly.
      if (call === undefined) throw new Error(`KubeApi method ${name} is not called by test/unit/deploy/client-rbac.ts: add it to CALLS`);
      const before = recorded.length;
      await call(api);
      if (recorded.length === before) throw new Error(`KubeApi method ${name} made no request`);
    }
    return { methods, permissions: new Set(recorded.map((request) => authorizationOf(request.method, request.url))) };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
