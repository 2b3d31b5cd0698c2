// The kernel pod and its connection Secret as pure functions of the launch plan: every field the
// API server receives, the defaults when an exec config leaves them out, and the result checked
// against the Kubernetes OpenAPI schema (kubernetes-models, Kubernetes 1.34) and the typed models
// of @kubernetes/client-node, so a pod the cluster would refuse fails here first.
import type { V1Pod } from '@kubernetes/client-node';
import { execConfigSchema } from '../../../gateway/src/execution/execution-config';
import { CONNECTION_DIR, CONNECTION_FILE } from '../../../gateway/src/provisioners/docker/container-spec';
import {
  connectionSecret,
  connectionSecretName,
  cpuQuantity,
  isLabelKey,
  isLabelValue,
  kernelPod,
  kernelPodName,
  labelValue,
  memoryQuantity,
  podLabelSelector,
  secretOwner,
  POD_KERNEL_PORTS,
  podResources,
  type KubernetesExecConfig,
  type PodPlan,
} from '../../../gateway/src/provisioners/kubernetes/pod-spec';
import { validateKubeObjects } from '../../support/kube-schema';

const KEY = '5b0e3f6c-2d1a-4c8e-9f7b-0a1b2c3d4e5f';
const KERNEL_ID = '3f2a9c1e-7b4d-4e8a-a1b2-c3d4e5f60718';
const GATEWAY_ID = '0d9c8b7a-6f5e-4d3c-b2a1-908f7e6d5c4b';

function execConfig(kubernetes: Record<string, unknown> = {}, more: Record<string, unknown> = {}): KubernetesExecConfig {
  return execConfigSchema.parse({
    id: 'k8s-x',
    backend: 'kubernetes',
    baseImage: 'berth/base:latest',
    ...more,
    kubernetes: { registry: 'registry.example.com/berth', ...kubernetes },
  }) as KubernetesExecConfig;
}

function plan(config: KubernetesExecConfig, more: Partial<PodPlan> = {}): PodPlan {
  const name = kernelPodName(KERNEL_ID, 1);
  return {
    kernelId: KERNEL_ID,
    image: 'registry.example.com/berth/codeenv-ml:0123456789ab',
    execConfig: config,
    codeEnvId: 'ml',
    owner: 'alice',
    gatewayId: GATEWAY_ID,
    language: 'python',
    env: { KERNEL_USERNAME: 'alice', OMP_NUM_THREADS: '4' },
    name,
    secretName: connectionSecretName(name),
    ports: POD_KERNEL_PORTS,
    ...more,
  };
}

function connectionJson(): string {
  return JSON.stringify({ ip: '0.0.0.0', transport: 'tcp', ...POD_KERNEL_PORTS, key: KEY, signature_scheme: 'hmac-sha256' });
}

/** An exec config using every Kubernetes setting. */
function fullConfig(): KubernetesExecConfig {
  return execConfig(
    {
      namespace: 'kernels',
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { 'nvidia.com/gpu': 1, 'ephemeral-storage': '10Gi' },
      imagePullSecrets: ['regcred', 'mirror'],
      pullPolicy: 'Always',
      nodeSelector: { 'node.kubernetes.io/instance-type': 'g5.xlarge', pool: 'gpu' },
      tolerations: [
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'dedicated', value: 'kernels', effect: 'NoExecute', tolerationSeconds: 60 },
      ],
      serviceAccount: 'berth-kernel',
      labels: { team: 'data', 'example.com/cost-center': 'ml-42' },
      annotations: { 'example.com/contact': 'ml team <ml@example.com>' },
      securityContext: { runAsUser: 2000, runAsGroup: 3000, fsGroup: 4000, readOnlyRootFilesystem: true },
    },
    { resources: { cpus: 2, memory: '8g', gpus: 1 }, cudaVersion: '12.4' },
  );
}

test('the default pod, in full: hardened, never restarted, the connection file from its Secret', () => {
  const pod = kernelPod(plan(execConfig()));
  expect(pod).toEqual({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'berth-kernel-3f2a9c1e-1',
      namespace: 'default',
      labels: {
        'berth.io/managed-by': 'berth',
        'berth.io/gateway-id': GATEWAY_ID,
        'berth.io/kernel-id': KERNEL_ID,
        'berth.io/exec-config': 'k8s-x',
        'berth.io/owner': 'alice',
        'berth.io/code-env': 'ml',
      },
      annotations: { 'berth.io/owner': 'alice', 'berth.io/kernel-id': KERNEL_ID },
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'kernel',
          image: 'registry.example.com/berth/codeenv-ml:0123456789ab',
          imagePullPolicy: 'IfNotPresent',
          env: [
            { name: 'BERTH_CONNECTION_FILE', value: CONNECTION_FILE },
            { name: 'BERTH_KERNEL_INTERRUPT', value: 'message' },
            { name: 'BERTH_KERNEL_LANGUAGE', value: 'python' },
            { name: 'KERNEL_USERNAME', value: 'alice' },
            { name: 'OMP_NUM_THREADS', value: '4' },
            { name: 'BERTH_KERNEL_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
          ],
          ports: [
            { name: 'shell', containerPort: 50001, protocol: 'TCP' },
            { name: 'iopub', containerPort: 50002, protocol: 'TCP' },
            { name: 'stdin', containerPort: 50003, protocol: 'TCP' },
            { name: 'control', containerPort: 50004, protocol: 'TCP' },
            { name: 'hb', containerPort: 50005, protocol: 'TCP' },
          ],
          resources: {},
          volumeMounts: [{ name: 'connection', mountPath: CONNECTION_DIR, readOnly: true }],
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            readOnlyRootFilesystem: false,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ],
      volumes: [
        {
          name: 'connection',
          secret: {
            secretName: 'berth-kernel-3f2a9c1e-1-connection',
            items: [{ key: 'connection.json', path: 'connection.json' }],
            defaultMode: 0o400,
            optional: false,
          },
        },
      ],
    },
  });
  // The pod is on no host network: the gateway connects to status.podIP.
  expect(pod.spec?.hostNetwork).toBeUndefined();
  expect(pod.spec?.containers[0]?.securityContext?.privileged).toBeUndefined();
});

test('every Kubernetes setting of the exec config lands where the API reads it', () => {
  const pod = kernelPod(plan(fullConfig()));
  expect(pod.metadata?.namespace).toBe('kernels');
  expect(pod.metadata?.labels).toEqual({
    team: 'data',
    'example.com/cost-center': 'ml-42',
    'berth.io/managed-by': 'berth',
    'berth.io/gateway-id': GATEWAY_ID,
    'berth.io/kernel-id': KERNEL_ID,
    'berth.io/exec-config': 'k8s-x',
    'berth.io/owner': 'alice',
    'berth.io/code-env': 'ml',
  });
  expect(pod.metadata?.annotations).toEqual({
    'example.com/contact': 'ml team <ml@example.com>',
    'berth.io/owner': 'alice',
    'berth.io/kernel-id': KERNEL_ID,
  });
  const spec = pod.spec!;
  expect(spec.serviceAccountName).toBe('berth-kernel');
  expect(spec.automountServiceAccountToken).toBe(false);
  expect(spec.nodeSelector).toEqual({ 'node.kubernetes.io/instance-type': 'g5.xlarge', pool: 'gpu' });
  expect(spec.tolerations).toEqual([
    { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'dedicated', operator: 'Equal', value: 'kernels', effect: 'NoExecute', tolerationSeconds: 60 },
  ]);
  expect(spec.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'mirror' }]);
  expect(spec.securityContext).toEqual({
    runAsNonRoot: true,
    runAsUser: 2000,
    runAsGroup: 3000,
    fsGroup: 4000,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  const container = spec.containers[0]!;
  expect(container.imagePullPolicy).toBe('Always');
  expect(container.securityContext).toEqual({
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  // A read-only image gets a writable /tmp, mounted before the connection dir inside it.
  expect(container.volumeMounts).toEqual([
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'connection', mountPath: CONNECTION_DIR, readOnly: true },
  ]);
  expect(spec.volumes?.map((volume) => volume.name)).toEqual(['connection', 'tmp']);
  expect(spec.volumes?.[1]).toEqual({ name: 'tmp', emptyDir: {} });
  expect(container.resources).toEqual({
    limits: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '1', 'ephemeral-storage': '10Gi' },
    requests: { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': '1', 'ephemeral-storage': '10Gi' },
  });
});

test('the security context: fsGroup follows runAsGroup; the exec config may relax escalation and root', () => {
  const grouped = kernelPod(plan(execConfig({ securityContext: { runAsUser: 1234, runAsGroup: 5678 } })));
  expect(grouped.spec?.securityContext).toMatchObject({ runAsUser: 1234, runAsGroup: 5678, fsGroup: 5678 });
  const relaxed = kernelPod(
    plan(execConfig({ securityContext: { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: true } })),
  );
  expect(relaxed.spec?.securityContext).toMatchObject({ runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, fsGroup: 0 });
  expect(relaxed.spec?.containers[0]?.securityContext).toMatchObject({ allowPrivilegeEscalation: true, capabilities: { drop: ['ALL'] } });
});

test('requests and limits: from resources, overridden and extended by the Kubernetes block; requests default to limits', () => {
  expect(podResources(execConfig())).toEqual({});
  expect(podResources(execConfig({}, { resources: { cpus: 1.5, memory: '1536m' } }))).toEqual({
    limits: { cpu: '1500m', memory: '1536Mi' },
    requests: { cpu: '1500m', memory: '1536Mi' },
  });
  // GPUs become the NVIDIA device plugin's extended resource.
  expect(podResources(execConfig({}, { baseImage: 'berth/cuda:latest', resources: { gpus: 2 } }))).toEqual({
    limits: { 'nvidia.com/gpu': '2' },
    requests: { 'nvidia.com/gpu': '2' },
  });
  // kubernetes.limits wins per resource and adds others (another vendor's GPUs, ephemeral storage).
  expect(
    podResources(
      execConfig(
        { limits: { cpu: '4', 'amd.com/gpu': 1, 'nvidia.com/gpu': 0 } },
        { baseImage: 'berth/cuda:latest', resources: { cpus: 2, memory: '4g', gpus: 1 } },
      ),
    ),
  ).toEqual({
    limits: { cpu: '4', memory: '4Gi', 'nvidia.com/gpu': '0', 'amd.com/gpu': '1' },
    requests: { cpu: '4', memory: '4Gi', 'nvidia.com/gpu': '0', 'amd.com/gpu': '1' },
  });
  // Requests alone: no limits (burstable).
  expect(podResources(execConfig({ requests: { cpu: '250m', memory: '512Mi' } }))).toEqual({
    requests: { cpu: '250m', memory: '512Mi' },
  });
  expect([cpuQuantity(1), cpuQuantity(0.25), cpuQuantity(0.0001), cpuQuantity(3.3333)]).toEqual(['1', '250m', '1m', '3333m']);
  expect([memoryQuantity(2 * 1024 ** 4), memoryQuantity(512 * 1024 ** 2), memoryQuantity(1000), memoryQuantity(1024 ** 3 + 1)]).toEqual([
    '2Ti',
    '512Mi',
    '1000',
    String(1024 ** 3 + 1),
  ]);
});

test('the environment names the connection file and the kernel language, never the connection or its key', () => {
  const pod = kernelPod(plan(execConfig(), { language: 'R', env: { KERNEL_USERNAME: 'bob', BERTH_CONNECTION_INFO: connectionJson() } }));
  expect(pod.spec?.containers[0]?.env).toEqual([
    { name: 'BERTH_CONNECTION_FILE', value: CONNECTION_FILE },
    { name: 'BERTH_KERNEL_INTERRUPT', value: 'message' },
    { name: 'BERTH_KERNEL_LANGUAGE', value: 'r' },
    { name: 'KERNEL_USERNAME', value: 'bob' },
    { name: 'BERTH_KERNEL_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
  ]);
  // The plan's own variables cannot point the entrypoint elsewhere, nor bind the kernel to another address.
  const overridden = kernelPod(
    plan(execConfig(), {
      env: {
        BERTH_CONNECTION_FILE: '/etc/passwd',
        BERTH_KERNEL_LANGUAGE: 'bash',
        BERTH_KERNEL_IP: '0.0.0.0',
        BERTH_KERNEL_INTERRUPT: 'signal',
      },
    }),
  );
  expect(overridden.spec?.containers[0]?.env).toEqual([
    { name: 'BERTH_CONNECTION_FILE', value: CONNECTION_FILE },
    { name: 'BERTH_KERNEL_INTERRUPT', value: 'message' },
    { name: 'BERTH_KERNEL_LANGUAGE', value: 'python' },
    { name: 'BERTH_KERNEL_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
  ]);
  expect(JSON.stringify(pod)).not.toContain(KEY);
  expect(JSON.stringify(kernelPod(plan(fullConfig())))).not.toContain(KEY);
});

test('label values are sanitised, distinct values stay distinct, and selectors use the same values', () => {
  expect(labelValue('alice')).toBe('alice');
  expect(labelValue(KERNEL_ID)).toBe(KERNEL_ID);
  const email = labelValue('alice@example.com');
  expect(email).toMatch(/^alice_example\.com-[0-9a-f]{8}$/);
  expect(labelValue('alice_example.com')).toBe('alice_example.com');
  expect(labelValue('Alice Smith (ML)')).toMatch(/^Alice_Smith_ML-[0-9a-f]{8}$/);
  expect(labelValue('-bob-')).toMatch(/^bob-[0-9a-f]{8}$/);
  expect(labelValue('日本語')).toMatch(/^[0-9a-f]{8}$/);
  const long = labelValue('x'.repeat(100));
  expect(long).toHaveLength(63);
  expect(long).not.toBe(labelValue('x'.repeat(101)));
  for (const value of [email, long, labelValue('日本語'), labelValue('a'.repeat(54) + '.-_@')]) expect(isLabelValue(value)).toBe(true);
  expect(isLabelValue('')).toBe(true);
  expect(isLabelValue('a'.repeat(64))).toBe(false);
  expect(isLabelValue('a b')).toBe(false);
  expect(isLabelKey('berth.io/owner')).toBe(true);
  expect(isLabelKey('team')).toBe(true);
  expect(isLabelKey('Example.com/x')).toBe(false);
  expect(isLabelKey('a b')).toBe(false);
  expect(isLabelKey(`example.com/${'n'.repeat(64)}`)).toBe(false);

  const pod = kernelPod(plan(execConfig(), { owner: 'alice@example.com', codeEnvId: 'ml' }));
  expect(pod.metadata?.labels?.['berth.io/owner']).toBe(email);
  expect(pod.metadata?.annotations?.['berth.io/owner']).toBe('alice@example.com');
  for (const value of Object.values(pod.metadata?.labels ?? {})) expect(isLabelValue(value)).toBe(true);

  expect(podLabelSelector(GATEWAY_ID)).toBe(`berth.io/managed-by=berth,berth.io/gateway-id=${GATEWAY_ID}`);
  expect(podLabelSelector(GATEWAY_ID, KERNEL_ID)).toBe(
    `berth.io/managed-by=berth,berth.io/gateway-id=${GATEWAY_ID},berth.io/kernel-id=${KERNEL_ID}`,
  );
  expect(podLabelSelector('gw 1', 'k/1')).toBe(
    `berth.io/managed-by=berth,berth.io/gateway-id=${labelValue('gw 1')},berth.io/kernel-id=${labelValue('k/1')}`,
  );
  const odd = kernelPod(plan(execConfig(), { gatewayId: 'gw 1', kernelId: 'k/1' }));
  expect(odd.metadata?.labels?.['berth.io/kernel-id']).toBe(labelValue('k/1'));
  expect(odd.metadata?.annotations?.['berth.io/kernel-id']).toBe('k/1');
});

test("Berth's labels win over the exec config's; invalid exec config labels and annotations are refused by name", () => {
  const pod = kernelPod(
    plan(
      execConfig({
        labels: { 'berth.io/managed-by': 'someone-else', 'berth.io/kernel-id': 'x', 'berth.io/owner': 'mallory', app: 'jupyter' },
        annotations: { 'berth.io/owner': 'mallory' },
      }),
    ),
  );
  expect(pod.metadata?.labels).toMatchObject({
    'berth.io/managed-by': 'berth',
    'berth.io/kernel-id': KERNEL_ID,
    'berth.io/owner': 'alice',
    app: 'jupyter',
  });
  expect(pod.metadata?.annotations?.['berth.io/owner']).toBe('alice');
  expect(() => kernelPod(plan(execConfig({ labels: { 'bad key': 'x' } })))).toThrow(
    'exec config "k8s-x": kubernetes.labels has an invalid label key "bad key"',
  );
  expect(() => kernelPod(plan(execConfig({ labels: { team: 'data science' } })))).toThrow(
    'exec config "k8s-x": kubernetes.labels["team"] = "data science" is not a valid label value',
  );
  expect(() => kernelPod(plan(execConfig({ annotations: { '/x': 'y' } })))).toThrow('kubernetes.annotations has an invalid key "/x"');
});

test('pod and secret names are DNS labels; a plan with a bad name or port is refused', () => {
  expect(kernelPodName(KERNEL_ID, 0)).toBe('berth-kernel-3f2a9c1e-0');
  expect(kernelPodName('ABCD-EF12-3456', 'lq2x9k')).toBe('berth-kernel-abcdef12-lq2x9k');
  expect(kernelPodName(KERNEL_ID, '--Restart #2--')).toBe('berth-kernel-3f2a9c1e-restart-2');
  const long = kernelPodName(KERNEL_ID, 'x'.repeat(80));
  expect(long).toHaveLength(63);
  expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  expect(kernelPodName(KERNEL_ID, `${'y'.repeat(40)}-zzz`)).toBe(`berth-kernel-3f2a9c1e-${'y'.repeat(40)}`);
  expect(connectionSecretName('berth-kernel-3f2a9c1e-1')).toBe('berth-kernel-3f2a9c1e-1-connection');

  const config = execConfig();
  expect(() => kernelPod(plan(config, { name: 'Berth_Kernel' }))).toThrow('kernel pod name "Berth_Kernel" is not a DNS label');
  expect(() => kernelPod(plan(config, { name: 'a'.repeat(64) }))).toThrow('is not a DNS label');
  expect(() => kernelPod(plan(config, { secretName: 'x..y' }))).toThrow('connection secret name "x..y" is not a DNS subdomain');
  expect(() => kernelPod(plan(config, { ports: { ...POD_KERNEL_PORTS, hb_port: 70000 } }))).toThrow(
    'kernel hb_port 70000 is not a TCP port',
  );
  const ports = { shell_port: 9001, iopub_port: 9002, stdin_port: 9003, control_port: 9004, hb_port: 9005 };
  expect(kernelPod(plan(config, { ports })).spec?.containers[0]?.ports?.map((port) => port.containerPort)).toEqual([
    9001, 9002, 9003, 9004, 9005,
  ]);
});

test('the connection Secret: labelled like the pod, opaque, immutable, the file base64-encoded; then owned by the pod', () => {
  const thePlan = plan(fullConfig(), { owner: 'alice@example.com' });
  const secret = connectionSecret(thePlan, connectionJson());
  expect(secretOwner(thePlan, { name: thePlan.name, uid: '1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b' })).toEqual({
    metadata: {
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'berth-kernel-3f2a9c1e-1', uid: '1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b' }],
    },
  });
  expect(secret).toEqual({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'berth-kernel-3f2a9c1e-1-connection',
      namespace: 'kernels',
      labels: kernelPod(thePlan).metadata?.labels,
    },
    type: 'Opaque',
    immutable: true,
    data: { 'connection.json': Buffer.from(connectionJson()).toString('base64') },
  });
  expect(JSON.parse(Buffer.from(secret.data!['connection.json']!, 'base64').toString('utf8'))).toMatchObject({
    key: KEY,
    shell_port: 50001,
  });
  expect(secret.metadata?.labels?.['berth.io/owner']).toBe(labelValue('alice@example.com'));
  expect(() => secretOwner(thePlan, { name: 'other-pod', uid: 'u' })).toThrow(
    'connection secret of pod "berth-kernel-3f2a9c1e-1" cannot be owned by pod "other-pod"',
  );
  expect(() => secretOwner(thePlan, { name: thePlan.name, uid: '' })).toThrow('has no uid yet');
});

describe('the Kubernetes OpenAPI schema (kubernetes-models 5.1.0: Kubernetes 1.34)', () => {
  test('pods of several exec configs and their Secret validate, and keep every field through the typed client models', () => {
    const configs = [
      execConfig(),
      fullConfig(),
      execConfig({}, { resources: { cpus: 0.5, memory: '512m' } }),
      execConfig({ requests: { cpu: 0.25 }, limits: { cpu: '1', memory: '2Gi', 'example.com/fpga': 2 } }),
      execConfig(
        { tolerations: [{ operator: 'Exists' }], securityContext: { readOnlyRootFilesystem: true, runAsNonRoot: false, runAsUser: 0 } },
        { baseImage: 'berth/cuda:latest', resources: { gpus: 4 } },
      ),
    ];
    const pods = configs.map((config, index) =>
      kernelPod(plan(config, { owner: index % 2 === 0 ? 'alice' : 'Bob Smith <bob@example.com>', language: index === 3 ? 'R' : 'python' })),
    );
    // The Secret as it ends up: created, then patched with its owner.
    const secretPlan = plan(fullConfig());
    const owner = secretOwner(secretPlan, { name: secretPlan.name, uid: 'c0ffee00-0000-4000-8000-000000000001' });
    const created = connectionSecret(secretPlan, connectionJson());
    const secret = { ...created, metadata: { ...created.metadata, ...owner.metadata } };
    const results = validateKubeObjects([...pods, secret]);
    expect(results.map((result) => result.error)).toEqual([...pods, secret].map(() => null));
    // Nothing the client's models do not know (a misspelt or made-up field would be dropped here).
    expect(results.map((result) => result.roundTrip)).toEqual(JSON.parse(JSON.stringify([...pods, secret])));
  });

  test('a broken pod is rejected, so the check can fail', () => {
    const good = kernelPod(plan(execConfig()));
    const broken = (edit: (pod: V1Pod) => void): V1Pod => {
      const pod = JSON.parse(JSON.stringify(good)) as V1Pod;
      edit(pod);
      return pod;
    };
    // A misspelt field passes the schema (it allows unknown fields) but not the typed models.
    const misspelt = broken((pod) => {
      (pod.spec!.containers[0]!.securityContext as Record<string, unknown>).readOnlyRootFileSystem = true;
    });
    const [unknownField, ...results] = validateKubeObjects([
      misspelt,
      broken((pod) => delete (pod.spec!.containers[0] as { name?: string }).name),
      broken((pod) => ((pod.spec!.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'shell')),
      broken((pod) => ((pod.spec!.containers[0]!.resources as { limits: unknown }).limits = { cpu: { cores: 2 } })),
      broken((pod) => ((pod.spec!.containers[0]!.securityContext!.capabilities as { drop: unknown }).drop = 'ALL')),
      broken((pod) => ((pod.spec as { restartPolicy: unknown }).restartPolicy = false)),
      broken((pod) => ((pod.spec!.volumes![0]!.secret as { defaultMode: unknown }).defaultMode = '0400')),
    ]);
    expect(results.map((result) => result.error)).toEqual([
      expect.stringContaining('data/spec/containers/0 must have required property name'),
      expect.stringContaining('data/spec/containers/0/ports/0/containerPort must be integer'),
      expect.stringContaining('data/spec/containers/0/resources/limits/cpu'),
      expect.stringContaining('data/spec/containers/0/securityContext/capabilities/drop must be array'),
      expect.stringContaining('data/spec/restartPolicy must be string'),
      expect.stringContaining('data/spec/volumes/0/secret/defaultMode must be integer'),
    ]);
    expect(unknownField?.error).toBeNull();
    expect(unknownField?.roundTrip).not.toEqual(misspelt);
    expect(unknownField?.roundTrip).toEqual(good);
  });
});
