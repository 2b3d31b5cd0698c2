import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InvalidInputError } from '../../../gateway/src/common/errors';
import { checkExecutionConfigs } from '../../../gateway/src/execution/config-checks';
import { formatProblem, inspectConfigDir, loadConfigDir } from '../../../gateway/src/execution/config-dir';
import { execConfigSchema } from '../../../gateway/src/execution/execution-config';

const EXAMPLE = resolve(__dirname, '..', '..', '..', 'gateway', 'examples', 'config');
const KERNELS = new Set(['python3', 'ir']);

/** A config directory with the given files (path → YAML text). */
function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-config-dir-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Problems as `relative-file: path: message` lines. */
function problemLines(dir: string, kernelspecNames: ReadonlySet<string> = KERNELS): string[] {
  const { config, problems } = inspectConfigDir(dir, { kernelspecNames });
  expect(config).toBeUndefined();
  return problems.map((problem) => formatProblem({ ...problem, file: problem.file.replace(`${dir}/`, '') }));
}

const SMALL = 'backend: docker\nbaseImage: berth/base:latest\n';

describe('loadConfigDir', () => {
  it('loads the example directory', () => {
    const config = loadConfigDir(EXAMPLE, { kernelspecNames: KERNELS });
    expect(config.execConfigs.map((c) => c.id)).toEqual(['docker-large', 'docker-small', 'local']);
    expect(config.codeEnvs.map((c) => `${c.id}:${c.language}`)).toEqual(['pandas:python', 'r-tables:r']);
    expect(config.codeEnvs[0]!.packages.apt).toEqual(['python3-pandas']);
    expect(config.gateway.kernels.cullIdleTimeoutSeconds).toBe(3600);
    const small = config.execConfigs.find((c) => c.id === 'docker-small')!;
    const large = config.execConfigs.find((c) => c.id === 'docker-large')!;
    expect(small.resources.memory).toBe(2 * 1024 ** 3);
    expect(large.resources.memory).toBe(32 * 1024 ** 3);
  });

  it('validates the example with the kernelspecs the gateway really finds', () => {
    expect(inspectConfigDir(EXAMPLE).problems).toEqual([]);
  });

  it('reads files that are symbolic links, as a Kubernetes ConfigMap volume holds them (name → ..data/name)', () => {
    const dir = configDir({ '..data/small.yaml': SMALL, '..data/pandas.yaml': 'language: python\n' });
    mkdirSync(join(dir, 'execution-configs'));
    mkdirSync(join(dir, 'code-envs'));
    symlinkSync('../..data/small.yaml', join(dir, 'execution-configs', 'small.yaml'));
    symlinkSync('../..data/pandas.yaml', join(dir, 'code-envs', 'pandas.yaml'));
    symlinkSync('../..data/missing.yaml', join(dir, 'code-envs', 'dangling.yaml'));
    const config = loadConfigDir(dir, { kernelspecNames: KERNELS });
    expect(config.execConfigs.map((c) => c.id)).toEqual(['local', 'small']);
    expect(config.codeEnvs.map((c) => c.id)).toEqual(['pandas']);
  });

  it('embeds the local exec config when the directory has none, and allows an empty directory', () => {
    const config = loadConfigDir(configDir({}), { kernelspecNames: KERNELS });
    expect(config.execConfigs).toEqual([expect.objectContaining({ id: 'local', backend: 'local' })]);
    expect(config.codeEnvs).toEqual([]);
    expect(config.gateway.port).toBe(8888);
  });

  it('reports every problem of every file together, with file and field path', () => {
    const dir = configDir({
      'berth.yaml': 'port: eighty\n',
      'execution-configs/docker-small.yaml': `${SMALL}resources:\n  memory: 4 gigs\ncolour: red\n`,
      'execution-configs/no-image.yaml': 'backend: docker\n',
      'execution-configs/gpu.yaml': `${SMALL}resources:\n  gpus: 1\n`,
      'execution-configs/k8s.yaml': 'backend: kubernetes\nbaseImage: b\nkubernetes:\n  namespace: notebooks\n',
      'execution-configs/Bad_Name.yaml': SMALL,
      'execution-configs/a--b.yaml': SMALL,
      'execution-configs/renamed.yaml': `id: other\n${SMALL}`,
      'code-envs/stats.yaml': 'language: r\navailableFor: [docker-small, docker-huge, local]\nresources:\n  mode: copy\n',
    });
    expect(problemLines(dir, new Set(['python3']))).toEqual([
      'berth.yaml: port: Invalid input: expected number, received string',
      'execution-configs/Bad_Name.yaml: id: must be a DNS label: lower-case letters, digits and "-", 1–63 characters, starting and ending with a letter or digit',
      'execution-configs/a--b.yaml: id: must not contain "--": it separates the code env and the exec config in kernelspec names',
      expect.stringMatching(/^execution-configs\/docker-small\.yaml: resources\.memory: "4 gigs" is not a size/),
      'execution-configs/docker-small.yaml: colour: unknown field: check its spelling, or remove it',
      'execution-configs/k8s.yaml: kubernetes.registry: is required (string)',
      'execution-configs/renamed.yaml: id: is "other" but the file is renamed.yaml: the id must equal the file name (rename one of them, or leave id out)',
      'code-envs/stats.yaml: resources.path: is required (string)',
      expect.stringMatching(
        /^execution-configs\/gpu\.yaml: baseImage: "berth\/base:latest" is not a CUDA image but resources\.gpus is 1: /,
      ),
      expect.stringMatching(/^execution-configs\/no-image\.yaml: baseImage: is required for backend docker/),
    ]);
  });

  it('checks references and kernels once the files themselves are valid', () => {
    const dir = configDir({
      'execution-configs/docker-small.yaml': SMALL,
      'code-envs/stats.yaml': 'language: r\navailableFor: [docker-small, docker-huge, local]\n',
    });
    expect(problemLines(dir, new Set(['python3']))).toEqual([
      'code-envs/stats.yaml: language: r kernels need the kernelspec "ir", which the gateway does not find: install IRkernel (Debian: apt-get install r-cran-irkernel), or add a folder holding ir/kernel.json to kernelspecDirs in berth.yaml',
      'code-envs/stats.yaml: availableFor.1: no exec config "docker-huge" (container exec configs: docker-small); add execution-configs/docker-huge.yaml or fix the id',
      'code-envs/stats.yaml: availableFor.2: "local" runs kernels as local processes, without images; code envs are built for docker and kubernetes exec configs only',
    ]);
  });

  it('checks that copied resources and TLS certificates exist', () => {
    const dir = configDir({
      'execution-configs/remote.yaml': `${SMALL}docker:\n  daemons:\n    - host: tcp://10.0.0.5:2376\n      tls:\n        certDir: certs\n`,
      'certs/ca.pem': '',
      'code-envs/ml.yaml': 'language: python\nresources:\n  mode: copy\n  path: ml-resources\n',
    });
    expect(problemLines(dir)).toEqual([
      `execution-configs/remote.yaml: docker.daemons.0.tls.certDir: ${dir}/certs lacks cert.pem, key.pem: it must hold ca.pem, cert.pem and key.pem, as \`docker --tlsverify\` expects`,
      `code-envs/ml.yaml: resources.path: ${dir}/ml-resources is not a folder: copy mode copies a local folder into the image`,
    ]);
    writeFileSync(join(dir, 'certs', 'cert.pem'), '');
    writeFileSync(join(dir, 'certs', 'key.pem'), '');
    mkdirSync(join(dir, 'ml-resources'));
    expect(inspectConfigDir(dir, { kernelspecNames: KERNELS }).problems).toEqual([]);
  });

  it('reports YAML errors, non-mappings, stray files and duplicate ids', () => {
    const dir = configDir({
      'execution-configs/broken.yaml': 'backend: [docker\n',
      'execution-configs/list.yaml': '- backend: docker\n',
      'execution-configs/twice.yaml': SMALL,
      'execution-configs/twice.yml': SMALL,
      'docker-small.yaml': SMALL,
    });
    expect(problemLines(dir)).toEqual([
      expect.stringMatching(/^docker-small\.yaml: not read: put exec configs in execution-configs\//),
      expect.stringMatching(/^execution-configs\/broken\.yaml: not valid YAML: /),
      'execution-configs/list.yaml: must hold one mapping (field: value lines), not a list or a scalar',
      'execution-configs/twice.yml: id: exec config "twice" is already defined in ' +
        join(dir, 'execution-configs/twice.yaml') +
        '; ids must be unique',
    ]);
  });

  it('throws one InvalidInputError listing every problem', () => {
    const dir = configDir({ 'execution-configs/a.yaml': 'backend: docker\nfoo: 1\n' });
    let caught: unknown;
    try {
      loadConfigDir(dir, { kernelspecNames: KERNELS });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    const error = caught as InvalidInputError;
    expect(error.message).toMatch(/has 1 problem .*\n.*a\.yaml: foo: unknown field/);
    expect(error.details?.['problems']).toHaveLength(1);
    expect(() => loadConfigDir(join(dir, 'missing'))).toThrow(/does not exist or is not a directory/);
  });
});

describe('checkExecutionConfigs', () => {
  const parse = (value: unknown) => ({ file: 'f.yaml', value: execConfigSchema.parse(value) });

  it('accepts a GPU exec config with a CUDA base image or an explicit cudaVersion', () => {
    const configs = [
      parse({ id: 'a', backend: 'docker', baseImage: 'berth/base-cuda12.4:latest', resources: { gpus: 1 } }),
      parse({ id: 'b', backend: 'docker', baseImage: 'corp/gpu-base:1', cudaVersion: '12.4', docker: { runtime: 'nvidia' } }),
    ];
    expect(checkExecutionConfigs({ execConfigs: configs, codeEnvs: [], kernelspecNames: KERNELS })).toEqual([]);
  });

  it('sees GPUs asked for through Kubernetes limits', () => {
    const config = parse({
      id: 'k',
      backend: 'kubernetes',
      baseImage: 'berth/base:latest',
      kubernetes: { registry: 'r', limits: { 'nvidia.com/gpu': 2 } },
    });
    expect(checkExecutionConfigs({ execConfigs: [config], codeEnvs: [], kernelspecNames: KERNELS })).toEqual([
      expect.objectContaining({ path: 'baseImage', message: expect.stringContaining('kubernetes.limits asks for nvidia.com/gpu') }),
    ]);
  });

  it('keeps the id local for the local backend', () => {
    expect(
      checkExecutionConfigs({
        execConfigs: [parse({ id: 'local', ...{ backend: 'docker', baseImage: 'b' } })],
        codeEnvs: [],
        kernelspecNames: KERNELS,
      }),
    ).toEqual([
      expect.objectContaining({ path: 'backend', message: expect.stringMatching(/^the exec config "local" must use backend local/) }),
    ]);
  });
});
