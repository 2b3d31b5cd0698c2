import { parseByteSize } from '../../../gateway/src/execution/byte-size';
import { codeEnvSchema } from '../../../gateway/src/execution/code-env';
import { defaultLocalExecConfig, execConfigSchema } from '../../../gateway/src/execution/execution-config';

/** Issues as "path: message" lines, the way `berth config validate` shows them. */
function issues(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): string[] {
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);
}

const docker = { backend: 'docker', baseImage: 'berth/base:latest' } as const;

describe('exec config schema', () => {
  it('accepts a minimal docker config and fills the documented defaults', () => {
    const config = execConfigSchema.parse({ id: 'docker-small', ...docker, resources: { cpus: 1.5, memory: '4g' } });
    expect(config.backend).toBe('docker');
    if (config.backend !== 'docker') return;
    expect(config.resources).toEqual({ cpus: 1.5, memory: 4 * 1024 ** 3, gpus: 0 });
    expect(config.docker.daemons).toEqual([{ host: 'unix:///var/run/docker.sock' }]);
    expect(config.docker.user).toBe('1000:1000');
    expect(config.docker.network).toBe('bridge');
    expect(config.permissions).toEqual({ groups: ['*'], users: [] });
  });

  it('has the embedded local exec config', () => {
    expect(defaultLocalExecConfig()).toMatchObject({ id: 'local', backend: 'local' });
  });

  it.each([
    ['Docker_Small', /must be a DNS label/],
    ['-small', /must be a DNS label/],
    ['a'.repeat(64), /must be a DNS label/],
    ['docker--small', /must not contain "--"/],
  ])('refuses the id %s', (id, message) => {
    const [line] = issues(execConfigSchema.safeParse({ id, ...docker }));
    expect(line).toMatch(/^id: /);
    expect(line).toMatch(message);
  });

  it('names an unknown field, also inside a backend block', () => {
    expect(issues(execConfigSchema.safeParse({ id: 'a', ...docker, colour: 'red' }))).toEqual([': Unrecognized key: "colour"']);
    expect(issues(execConfigSchema.safeParse({ id: 'a', ...docker, docker: { shmsize: '1g' } }))).toEqual([
      'docker: Unrecognized key: "shmsize"',
    ]);
    // A block for another backend is an unknown field too.
    expect(issues(execConfigSchema.safeParse({ id: 'a', ...docker, kubernetes: {} }))).toEqual([': Unrecognized key: "kubernetes"']);
  });

  it('explains a bad memory string', () => {
    const lines = issues(execConfigSchema.safeParse({ id: 'a', ...docker, resources: { memory: '4 gigs' } }));
    expect(lines).toEqual([
      expect.stringMatching(/^resources\.memory: "4 gigs" is not a size: write a number with a unit, like "512m" or "4g"/),
    ]);
    expect(issues(execConfigSchema.safeParse({ id: 'a', ...docker, docker: { shmSize: '-1m' } }))[0]).toMatch(/^docker\.shmSize: /);
  });

  it('parses sizes as Docker does', () => {
    expect(parseByteSize('512m')).toBe(512 * 1024 ** 2);
    expect(parseByteSize('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('4GiB')).toBe(4 * 1024 ** 3);
    expect(parseByteSize('1024')).toBe(1024);
    expect(parseByteSize('4x')).toBeUndefined();
    expect(parseByteSize('0')).toBeUndefined();
  });

  it('checks Docker daemon addresses and TLS', () => {
    const bad = issues(
      execConfigSchema.safeParse({
        id: 'a',
        ...docker,
        docker: { daemons: [{ host: 'docker.example.com:2376' }, { host: 'unix:///var/run/docker.sock', tls: { certDir: '/certs' } }] },
      }),
    );
    expect(bad).toEqual([
      expect.stringMatching(/^docker\.daemons\.0\.host: must be "unix:\/\/\/path\/to\/docker\.sock" or "tcp:\/\/host:port"/),
      expect.stringMatching(/^docker\.daemons\.1\.tls: TLS applies to tcp:\/\/ daemons only/),
    ]);
    expect(
      execConfigSchema.safeParse({ id: 'a', ...docker, docker: { daemons: [{ host: 'tcp://10.0.0.5:2376', tls: { certDir: 'certs' } }] } })
        .success,
    ).toBe(true);
  });

  it('refuses a base image on the local backend', () => {
    expect(issues(execConfigSchema.safeParse({ id: 'local', backend: 'local', baseImage: 'x' }))).toEqual([
      ': Unrecognized key: "baseImage"',
    ]);
  });

  it('refuses an unknown backend', () => {
    expect(issues(execConfigSchema.safeParse({ id: 'a', backend: 'podman' }))[0]).toMatch(
      /^backend: .*'local' \| 'docker' \| 'kubernetes'/,
    );
  });

  it('requires a registry for kubernetes and accepts extended resources', () => {
    expect(issues(execConfigSchema.safeParse({ id: 'k', backend: 'kubernetes', baseImage: 'b', kubernetes: {} }))).toEqual([
      expect.stringMatching(/^kubernetes\.registry: /),
    ]);
    const config = execConfigSchema.parse({
      id: 'k8s-gpu',
      backend: 'kubernetes',
      baseImage: 'berth/base-cuda12.4:latest',
      kubernetes: {
        context: 'prod',
        namespace: 'notebooks',
        registry: 'registry.example.com/berth',
        requests: { cpu: '500m', memory: '2Gi' },
        limits: { cpu: 4, memory: '16Gi', 'nvidia.com/gpu': 1 },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      },
    });
    expect(config.backend === 'kubernetes' && config.kubernetes.limits).toEqual({ cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' });
    expect(config.backend === 'kubernetes' && config.kubernetes.securityContext.runAsNonRoot).toBe(true);
    expect(
      issues(
        execConfigSchema.safeParse({
          id: 'k',
          backend: 'kubernetes',
          kubernetes: { registry: 'r', limits: { memory: '4 gigs' }, pullPolicy: 'always' },
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^kubernetes\.limits\.memory: must be a Kubernetes quantity/),
      expect.stringMatching(/^kubernetes\.pullPolicy: /),
    ]);
  });
});

describe('code env schema', () => {
  it('fills defaults', () => {
    expect(codeEnvSchema.parse({ id: 'pandas', language: 'python', packages: { apt: ['python3-pandas'] } })).toEqual({
      id: 'pandas',
      description: '',
      language: 'python',
      packages: { apt: ['python3-pandas'], pip: { requirements: [], findLinks: [] }, r: [] },
      env: {},
      resources: { mode: 'none' },
      availableFor: 'all',
    });
  });

  it('asks for what each resources mode needs', () => {
    expect(issues(codeEnvSchema.safeParse({ id: 'a', language: 'python', resources: { mode: 'copy' } }))).toEqual([
      expect.stringMatching(/^resources\.path: .*expected string/),
    ]);
    expect(issues(codeEnvSchema.safeParse({ id: 'a', language: 'python', resources: { mode: 'init-script' } }))).toEqual([
      expect.stringMatching(/^resources\.script: /),
    ]);
    expect(issues(codeEnvSchema.safeParse({ id: 'a', language: 'python', resources: { mode: 'copy', path: 'x', script: 'y' } }))).toEqual([
      'resources: Unrecognized key: "script"',
    ]);
  });

  it('checks language, packages and availableFor ids', () => {
    expect(
      issues(
        codeEnvSchema.safeParse({
          id: 'a',
          language: 'julia',
          packages: { apt: ['Bad Name'], pip: { indexUrl: 'not a url' } },
          env: { '1X': 'y' },
          availableFor: ['ok', 'Not--Ok'],
        }),
      ).map((line) => line.split(':')[0]),
    ).toEqual(['language', 'packages.apt.0', 'packages.pip.indexUrl', 'env.1X', 'availableFor.1']);
  });
});
