// @kubernetes/client-node 1.x for tests. The package is ESM-only ("type": "module"); Node ≥ 20.19
// require()s it natively, but Jest's own module loader refuses ESM on Node < 24.9 unless its config
// transforms the package. So tests load it through Node's require from outside Jest's registry: the
// objects then belong to the main realm (so `err instanceof Error` is false in a test; use
// `err instanceof k8s.ApiException`).
import { runInThisContext } from 'node:vm';

export type KubeClient = typeof import('@kubernetes/client-node');

type HostProcess = { getBuiltinModule(id: 'node:module'): typeof import('node:module') };

let loaded: KubeClient | undefined;

export function loadKubeClient(): KubeClient {
  if (loaded === undefined) {
    const hostProcess = runInThisContext('process') as HostProcess;
    const hostRequire = hostProcess.getBuiltinModule('node:module').createRequire(__filename);
    loaded = hostRequire('@kubernetes/client-node') as KubeClient;
  }
  return loaded;
}
