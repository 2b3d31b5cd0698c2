import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { resolveClusterRef } from '../../../gateway/src/provisioners/kubernetes/kube-api';
import { KubeClients, loadKubeConfig } from '../../../gateway/src/provisioners/kubernetes/kube-client';

let dir: string;
let kubeconfig: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-kubeconfig-'));
  kubeconfig = join(dir, 'config');
  const cluster = (name: string, server: string) => ({ name, cluster: { server, 'insecure-skip-tls-verify': true } });
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [cluster('east', 'https://127.0.0.1:6443'), cluster('west', 'https://127.0.0.1:7443')],
      users: [{ name: 'gateway', user: { token: 'not-a-real-token' } }],
      contexts: [
        { name: 'east', context: { cluster: 'east', user: 'gateway' } },
        { name: 'west', context: { cluster: 'west', user: 'gateway' } },
      ],
      'current-context': 'east',
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a kubeconfig's current context, or the one named", () => {
  expect(loadKubeConfig({ kubeconfig }).getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  expect(loadKubeConfig({ kubeconfig, context: 'west' }).getCurrentCluster()?.server).toBe('https://127.0.0.1:7443');
});

test('a missing kubeconfig or context is an error naming the file, the context and the setting to fix', () => {
  expect(() => loadKubeConfig({ kubeconfig: join(dir, 'nope') })).toThrow(
    `The kubeconfig ${join(dir, 'nope')} does not exist: fix kubernetes.kubeconfig of the exec config.`,
  );
  expect(() => loadKubeConfig({ kubeconfig, context: 'north' })).toThrow(
    `The kubeconfig ${kubeconfig} has no context "north" (contexts: east, west): fix kubernetes.context of the exec config.`,
  );
});

test('one client per kubeconfig and context, several clusters at once; relative kubeconfigs resolve against the config directory', () => {
  const clients = new KubeClients();
  const east = clients.for({ kubeconfig });
  expect(clients.for({ kubeconfig })).toBe(east);
  const west = clients.for({ kubeconfig, context: 'west' });
  expect(west).not.toBe(east);
  expect(east.cluster).toBe('context east (https://127.0.0.1:6443)');
  expect(west.cluster).toBe('context west (https://127.0.0.1:7443)');
  expect(resolveClusterRef({ kubeconfig: 'clusters/east.yaml', context: 'east' }, '/etc/berth')).toEqual({
    kubeconfig: '/etc/berth/clusters/east.yaml',
    context: 'east',
  });
  expect(resolveClusterRef({}, '/etc/berth')).toEqual({});
});
