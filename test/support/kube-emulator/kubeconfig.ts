// The kubeconfig a client loads to reach the emulator: one cluster (server URL and the CA inline as
// certificate-authority-data), one user with a bearer token, one named context (with a default
// namespace) that is the current one.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigSpec {
  server: string;
  ca: Buffer;
  token: string;
  context: string;
  namespace: string;
}

export async function writeKubeconfig(dir: string, spec: KubeconfigSpec): Promise<string> {
  const cluster = `${spec.context}-cluster`;
  const user = `${spec.context}-admin`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: spec.server, 'certificate-authority-data': spec.ca.toString('base64') } }],
    users: [{ name: user, user: { token: spec.token } }],
    contexts: [{ name: spec.context, context: { cluster, user, namespace: spec.namespace } }],
    'current-context': spec.context,
    preferences: {},
  };
  const path = join(dir, 'kubeconfig');
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}
