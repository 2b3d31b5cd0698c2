// The manifests that run the gateway in a cluster (gateway/deploy/kubernetes), checked as a cluster
// and the gateway itself would read them: the Kubernetes 1.34 OpenAPI schemas, a Role derived from
// the requests the product's Kubernetes client really makes, the config directory loaded by the
// product's own loader from the layout the kubelet mounts, the container's args parsed by the
// CLI's own definition, and the probe run against a real gateway. Each check is also shown failing
// on a broken copy.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { V1ConfigMap, V1KeyToPath } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { loadConfig } from '../../../gateway/src/config/load';
import { loadConfigDir } from '../../../gateway/src/execution/config-dir';
import { execConfigSchema } from '../../../gateway/src/execution/execution-config';
import { startTestGateway } from '../../support/gateway-harness';
import { validateKubeObjects } from '../../support/kube-schema';
import { clientPermissions, permission, type ClientPermissions } from './client-rbac';
import { bindingProblems, commandLineProblems, readsEnv, roleProblems, securityProblems, serveFlags } from './manifest-checks';
import { copy, finalStage, gatewayContainer, podSpecOf, readKustomization, readManifestFiles, readManifests, REPO } from './manifests';

const manifests = readManifests();
const kustomization = readKustomization();
const container = gatewayContainer(manifests.deployment);
const pod = podSpecOf(manifests.deployment);

/** The value following `flag` in the container's args. */
function argValue(flag: string): string | undefined {
  const args = container.args ?? [];
  const index = args.indexOf(flag);
  return index < 0 ? undefined : args[index + 1];
}

/** The config volume's ConfigMap items: key → path inside the mount. */
function configItems(): V1KeyToPath[] {
  const volume = (pod.volumes ?? []).find((candidate) => candidate.configMap?.name === manifests.configMap.metadata?.name);
  return volume?.configMap?.items ?? [];
}

/**
 * Writes the ConfigMap the way the kubelet mounts one: the files in a timestamped folder, `..data`
 * pointing at it, and a symlink per top-level name of the items' paths (so a file at the top is a
 * symlink, and a file one level down sits in a real folder reached through one).
 */
function mountLikeKubelet(configMap: V1ConfigMap, items: readonly V1KeyToPath[], dir: string): void {
  const stamp = join(dir, '..2026_01_01_00_00_00.000000001');
  for (const item of items) {
    const target = join(stamp, item.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, configMap.data?.[item.key] ?? '');
  }
  symlinkSync(basename(stamp), join(dir, '..data'));
  for (const top of new Set(items.map((item) => item.path.split('/')[0]!))) symlinkSync(join('..data', top), join(dir, top));
}

describe('the files', () => {
  test('each holds one object and no namespace; the kustomization lists exactly them and sets the namespace', () => {
    const files = readManifestFiles();
    expect(files.map((file) => [file.file, file.documents.length])).toEqual(files.map((file) => [file.file, 1]));
    for (const object of manifests.all) expect(object.metadata?.namespace).toBeUndefined();
    expect([...(kustomization.resources ?? [])].sort()).toEqual(files.map((file) => file.file));
    expect(kustomization.namespace).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    // Nothing cluster-wide: the gateway needs a namespace's worth of rights only.
    expect(manifests.all.map((object) => object.kind)).not.toEqual(expect.arrayContaining(['ClusterRole']));
    expect(manifests.all.map((object) => object.kind)).not.toEqual(expect.arrayContaining(['ClusterRoleBinding']));
  });

  test('every object validates against the Kubernetes 1.34 schemas and keeps every field through the typed client models', () => {
    const results = validateKubeObjects(manifests.all);
    expect(results.map((result, index) => [manifests.all[index]!.kind, result.error])).toEqual(
      manifests.all.map((object) => [object.kind, null]),
    );
    expect(results.map((result) => result.roundTrip)).toEqual(JSON.parse(JSON.stringify(manifests.all)));
  });

  test('a broken object fails the schema, and a misspelt field the round trip', () => {
    const deployment = copy(manifests.deployment) as unknown as Record<string, Record<string, unknown>>;
    deployment['spec']!['replicas'] = 'one';
    const service = copy(manifests.service);
    (service.spec!.ports![0] as { port: unknown }).port = 'http';
    const role = copy(manifests.role);
    (role.rules![0] as { verbs: unknown }).verbs = 'get';
    const misspelt = copy(manifests.deployment);
    (misspelt.spec!.template.spec!.containers[0]!.securityContext as Record<string, unknown>)['readOnlyRootFileSystem'] = true;
    const [broken, port, verbs, typo] = validateKubeObjects([deployment, service, role, misspelt]);
    expect(broken?.error).toContain('data/spec/replicas must be integer');
    expect(port?.error).toContain('data/spec/ports/0/port must be integer');
    expect(verbs?.error).toContain('data/rules/0/verbs must be array');
    expect(typo?.error).toBeNull();
    expect(typo?.roundTrip).not.toEqual(JSON.parse(JSON.stringify(misspelt)));
  });
});

describe('RBAC', () => {
  let client: ClientPermissions;
  beforeAll(async () => {
    client = await clientPermissions();
  });

  test("the product's client needs pods, pods/log, secrets and events in its namespace, and nothing else", () => {
    expect(client.methods.length).toBeGreaterThanOrEqual(10);
    expect([...client.permissions].sort()).toEqual(
      [
        permission('', 'pods', 'create'),
        permission('', 'pods', 'get'),
        permission('', 'pods', 'list'),
        permission('', 'pods', 'watch'),
        permission('', 'pods', 'delete'),
        permission('', 'pods/log', 'get'),
        permission('', 'secrets', 'create'),
        permission('', 'secrets', 'patch'),
        permission('', 'secrets', 'list'),
        permission('', 'secrets', 'delete'),
        permission('', 'events', 'list'),
        permission('', 'events', 'watch'),
      ].sort(),
    );
  });

  test('the Role grants exactly what the client needs, without wildcards', () => {
    expect(roleProblems(manifests.role, client.permissions)).toEqual([]);
  });

  test('a Role with a wildcard, a missing verb or an extra one is refused', () => {
    const wildcard = copy(manifests.role);
    wildcard.rules![0]!.verbs = ['*'];
    expect(roleProblems(wildcard, client.permissions)).toEqual(expect.arrayContaining(['rules[0].verbs has a wildcard']));
    const missing = copy(manifests.role);
    missing.rules = missing.rules!.filter((rule) => !rule.resources?.includes('pods/log'));
    expect(roleProblems(missing, client.permissions)).toEqual(['missing |pods/log|get']);
    const extra = copy(manifests.role);
    extra.rules!.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch'] });
    expect(roleProblems(extra, client.permissions)).toEqual([
      'grants |secrets|get, which the client never uses',
      'grants |secrets|watch, which the client never uses',
    ]);
    const named = copy(manifests.role);
    named.rules![0]!.resourceNames = ['berth-kernel-1'];
    expect(roleProblems(named, client.permissions)).toHaveLength(1);
  });

  test('the RoleBinding binds the Role to the ServiceAccount the Deployment runs as, with its token mounted', () => {
    const { roleBinding, role, serviceAccount, deployment } = manifests;
    expect(bindingProblems(roleBinding, role, serviceAccount, deployment, kustomization.namespace)).toEqual([]);

    const otherAccount = copy(deployment);
    otherAccount.spec!.template.spec!.serviceAccountName = 'default';
    expect(bindingProblems(roleBinding, role, serviceAccount, otherAccount, kustomization.namespace)).toEqual([
      'the Deployment runs as default, not berth-gateway',
    ]);
    const noToken = copy(deployment);
    noToken.spec!.template.spec!.automountServiceAccountToken = false;
    expect(bindingProblems(roleBinding, role, serviceAccount, noToken, kustomization.namespace)).toHaveLength(1);
    const otherSubject = copy(roleBinding);
    otherSubject.subjects![0]!.name = 'someone';
    otherSubject.subjects![0]!.namespace = 'elsewhere';
    expect(bindingProblems(otherSubject, role, serviceAccount, deployment, kustomization.namespace)).toHaveLength(2);
    const clusterRole = copy(roleBinding);
    clusterRole.roleRef.kind = 'ClusterRole';
    expect(bindingProblems(clusterRole, role, serviceAccount, deployment, kustomization.namespace)).toHaveLength(1);
  });
});

describe('the configuration directory', () => {
  const data = manifests.configMap.data ?? {};

  /** The exec config of the ConfigMap, parsed by the product's schema as the gateway parses the file. */
  function execConfigOf(text: string, edit: (raw: Record<string, Record<string, unknown>>) => void = () => undefined) {
    const raw = parse(text) as Record<string, Record<string, unknown>>;
    edit(raw);
    return execConfigSchema.safeParse({ id: 'from-the-configmap', ...raw });
  }

  test("its exec config parses with the product's schema: Kubernetes, no kubeconfig or context, in the Role's namespace", () => {
    const keys = Object.keys(data).filter((key) => key.startsWith('execution-configs.'));
    expect(keys).toHaveLength(1);
    const text = data[keys[0]!]!;
    const parsed = execConfigOf(text);
    expect(parsed.error?.issues).toBeUndefined();
    const execConfig = parsed.data!;
    if (execConfig.backend !== 'kubernetes') throw new Error(`the exec config's backend is ${execConfig.backend}`);
    // Without both, the gateway uses its pod's service account (loadKubeConfig, kube-client.ts).
    expect(execConfig.kubernetes.kubeconfig).toBeUndefined();
    expect(execConfig.kubernetes.context).toBeUndefined();
    expect(execConfig.kubernetes.namespace).toBe(kustomization.namespace);
    expect(execConfig.baseImage).toBeDefined();

    // The checks can fail: the schema keeps a kubeconfig, and refuses a misspelt field.
    const withKubeconfig = execConfigOf(text, (raw) => (raw['kubernetes']!['kubeconfig'] = '/etc/kube/config')).data;
    expect(withKubeconfig?.backend === 'kubernetes' && withKubeconfig.kubernetes.kubeconfig).toBe('/etc/kube/config');
    expect(execConfigOf(text, (raw) => (raw['kubernetes']!['namespaces'] = 'berth')).success).toBe(false);
  });

  test('no token in it: the only token is the Secret behind BERTH_TOKEN', () => {
    const gatewaySettings = parse(data['berth.yaml'] ?? '') as Record<string, unknown>;
    expect(Object.keys(gatewaySettings)).not.toEqual(expect.arrayContaining(['token']));
    expect(Object.keys(gatewaySettings)).not.toEqual(expect.arrayContaining(['auth']));
  });

  test('every key is mounted at the --config-dir, and the gateway loads it from the layout the kubelet makes', () => {
    const items = configItems();
    expect(items.map((item) => item.key).sort()).toEqual(Object.keys(data).sort());
    const mount = (container.volumeMounts ?? []).find((candidate) =>
      (pod.volumes ?? []).some((volume) => volume.name === candidate.name && volume.configMap !== undefined),
    );
    expect(mount?.mountPath).toBe(argValue('--config-dir'));
    expect(mount?.readOnly).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'berth-configmap-'));
    try {
      mountLikeKubelet(manifests.configMap, items, dir);
      const loaded = loadConfigDir(dir);
      const kubernetes = loaded.execConfigs.filter((execConfig) => execConfig.backend === 'kubernetes');
      expect(kubernetes.map((execConfig) => execConfig.id)).toHaveLength(1);
      // berth.yaml reached the gateway's settings: plain kernelspecs go to the cluster.
      const settings = loadConfig({ env: {}, flags: { configDir: dir } });
      expect(settings.defaultExecutionConfig).toBe(kubernetes[0]!.id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the gateway container', () => {
  test('args and env name only what `berth serve` and its config read; the token comes from a Secret', () => {
    expect(commandLineProblems(container)).toEqual([]);
    for (const flag of (container.args ?? []).filter((arg) => arg.startsWith('-'))) expect(serveFlags()).toContain(flag.split('=')[0]);
    expect(argValue('--ip')).toBe('0.0.0.0');
    // Service links off: a Service named "berth" would set BERTH_PORT, which the gateway reads.
    expect(pod.enableServiceLinks).toBe(false);
    expect(readsEnv('BERTH_PORT', 'tcp://10.0.0.1:8888')).toBe(true);
  });

  test('a flag or variable the gateway does not have, or a token in clear, is refused', () => {
    const broken = (edit: (target: typeof container) => void): string[] => {
      const target = copy(container);
      edit(target);
      return commandLineProblems(target);
    };
    // commander keeps what follows an unknown flag with it
    expect(broken((target) => target.args!.push('--listen', '0.0.0.0'))).toEqual(['berth serve does not accept --listen 0.0.0.0']);
    expect(broken((target) => (target.args![0] = 'server'))).toHaveLength(1);
    expect(broken((target) => target.args!.push('--port'))).toEqual([
      expect.stringContaining("berth serve refuses its args: error: option '--port"),
    ]);
    expect(broken((target) => target.env!.push({ name: 'BERTH_LISTEN_ADDRESS', value: '0.0.0.0' }))).toEqual([
      'env BERTH_LISTEN_ADDRESS is read by no gateway setting',
    ]);
    expect(broken((target) => (target.env![0] = { name: 'BERTH_TOKEN', value: 'in-clear' }))).toEqual([
      'BERTH_TOKEN does not come from a secretKeyRef',
    ]);
    expect(broken((target) => target.args!.push('--token', 'in-clear'))).toEqual(['the token is a flag (visible in ps and the pod spec)']);
    expect(broken((target) => (target.command = ['sh', '-c']))).toHaveLength(1);
  });

  test('the README creates the Secret the token comes from', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const start = readme.indexOf('\n## Deploying the gateway in a cluster\n');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    expect(section).toContain('kubectl apply -k gateway/deploy/kubernetes');
    const created = /kubectl -n (\S+) create secret generic (\S+) --from-literal=([\w.-]+)=/.exec(section);
    const reference = container.env?.find((variable) => variable.name === 'BERTH_TOKEN')?.valueFrom?.secretKeyRef;
    expect(created?.slice(1)).toEqual([kustomization.namespace, reference?.name, reference?.key]);
  });

  test('non-root, nothing to escalate to, the root filesystem read-only', () => {
    expect(securityProblems(pod, container)).toEqual([]);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    const root = copy(pod);
    root.securityContext!.runAsUser = 0;
    expect(securityProblems(root, container)).toEqual(['runAsUser is 0']);
    const escalating = copy(container);
    escalating.securityContext!.allowPrivilegeEscalation = true;
    escalating.securityContext!.capabilities = { add: ['NET_ADMIN'] };
    expect(securityProblems(pod, escalating)).toEqual(['allowPrivilegeEscalation is not false', 'capabilities are not all dropped']);
  });

  test('one replica, replaced not rolled, its data dir on the persistent volume, its port behind the Service', () => {
    expect(manifests.deployment.spec?.replicas).toBe(1);
    expect(manifests.deployment.spec?.strategy?.type).toBe('Recreate');
    const dataDir = argValue('--data-dir') ?? '';
    const dataMount = (container.volumeMounts ?? []).find((mount) => dataDir.startsWith(`${mount.mountPath}/`));
    const volume = (pod.volumes ?? []).find((candidate) => candidate.name === dataMount?.name);
    expect(volume?.persistentVolumeClaim?.claimName).toBeDefined();
    // The gateway makes its data dir 0700, which it cannot do to the root of a volume it does not own.
    expect(dataDir).not.toBe(dataMount?.mountPath);
    expect(container.resources?.requests?.['memory']).toBeDefined();
    expect(container.resources?.limits?.['memory']).toBeDefined();

    const port = container.ports?.find((candidate) => candidate.name === 'http');
    expect(String(port?.containerPort)).toBe(argValue('--port'));
    const servicePort = manifests.service.spec?.ports?.[0];
    expect([manifests.service.spec?.type, servicePort?.port, servicePort?.targetPort]).toEqual(['ClusterIP', 8888, 'http']);
    expect(manifests.deployment.spec?.template.metadata?.labels).toMatchObject(manifests.service.spec?.selector ?? { selector: 'none' });
    expect(manifests.deployment.spec?.selector.matchLabels).toEqual(manifests.service.spec?.selector);
  });

  test('the image runs berth.js as the pod user and holds the probe', () => {
    const stage = finalStage();
    expect(stage.entrypoint?.[0]).toBe('node');
    expect(stage.entrypoint?.[1]).toBe(`${stage.workdir}/gateway/bin/berth.js`);
    expect(stage.user).toBe(`${pod.securityContext?.runAsUser}:${pod.securityContext?.runAsGroup}`);
    for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
      const script = probe?.exec?.command?.[1] ?? '';
      expect(script.startsWith(`${stage.workdir}/`)).toBe(true);
      expect(stage.contextCopies).toContain(script.slice(`${stage.workdir}/`.length));
    }
  });
});

describe('the probe, against a real gateway with the ConfigMap as its config dir', () => {
  /** Runs the probe's command with BERTH_TOKEN set; resolves with its exit code and stderr. */
  function runProbe(command: readonly string[], url: string, token: string): Promise<{ code: number; stderr: string }> {
    const script = join(REPO, command[1]!.slice(`${finalStage().workdir}/`.length));
    return new Promise((resolve) => {
      execFile(process.execPath, [script, url], { env: { BERTH_TOKEN: token } }, (error, _stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stderr }),
      );
    });
  }

  test('every probe GETs an endpoint the gateway serves: 0 with its token, 1 with another or with none listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-configmap-'));
    mountLikeKubelet(manifests.configMap, configItems(), dir);
    const gateway = await startTestGateway({ configDir: dir });
    try {
      for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
        const command = probe?.exec?.command ?? [];
        expect(command[0]).toBe('node');
        const url = new URL(command[2] ?? '');
        expect([url.hostname, url.port, url.pathname]).toEqual(['127.0.0.1', argValue('--port'), '/api']);
        expect(probe?.timeoutSeconds).toBeGreaterThanOrEqual(5);
        url.port = String(gateway.port);
        expect(await runProbe(command, url.href, gateway.token)).toEqual({ code: 0, stderr: '' });
        expect(await runProbe(command, url.href, 'not-the-token')).toEqual({ code: 1, stderr: `probe: GET ${url.href}: HTTP 403\n` });
        url.pathname = '/api/no-such-endpoint';
        expect((await runProbe(command, url.href, gateway.token)).code).toBe(1);
      }
    } finally {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const command = container.readinessProbe?.exec?.command ?? [];
    const closed = new URL(command[2] ?? '');
    closed.port = String(gateway.port);
    expect(await runProbe(command, closed.href, gateway.token)).toEqual({ code: 1, stderr: `probe: GET ${closed.href}: ECONNREFUSED\n` });
  });
});
