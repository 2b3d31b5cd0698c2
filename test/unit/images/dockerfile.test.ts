import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../../../gateway/src/common/errors';
import { codeEnvSchema, type CodeEnvInput } from '../../../gateway/src/execution/code-env';
import {
  CUDA_BASE_IMAGES,
  contextEntries,
  cudaBaseImage,
  DEFAULT_OS_IMAGE,
  renderBaseImage,
  renderCodeEnvImage,
  renderCudaImage,
  renderRLayer,
  setArgDefaults,
  type BuildInputs,
} from '../../../gateway/src/images/dockerfile';
import { loadImageTemplates } from '../../../gateway/src/images/image-templates';

const templates = loadImageTemplates();
const GOLDEN_DIR = join(__dirname, '..', '..', 'fixtures', 'golden', 'images');
const codeEnv = (input: Partial<CodeEnvInput>) => codeEnvSchema.parse({ id: 'ml', language: 'python', ...input });
const text = (build: BuildInputs, path: string): string => {
  const entry = build.files.find((f) => f.path === path);
  if (entry === undefined || entry.type !== 'file') throw new Error(`no file ${path}`);
  return entry.content.toString('utf8');
};

/** Compares with the golden file; UPDATE_GOLDEN=1 rewrites it (review the diff before committing). */
function expectGolden(name: string, actual: string) {
  const path = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.CI && !existsSync(path)) throw new Error(`golden file ${name} is missing (run with UPDATE_GOLDEN=1 and commit it)`);
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe('base images', () => {
  test('the base image builds FROM the local OS image by default, with the entrypoint in its context', () => {
    const build = renderBaseImage(templates);
    expect(build.template).toBe('base.Dockerfile');
    expect(build.dockerfile).toContain(`ARG BASE_IMAGE=${DEFAULT_OS_IMAGE}\nFROM \${BASE_IMAGE}`);
    expect(build.buildArgs).toEqual({});
    expect(build.files).toEqual([expect.objectContaining({ type: 'file', path: 'kernel-entrypoint.sh', mode: 0o755 })]);
    expect(text(build, 'kernel-entrypoint.sh')).toBe(templates['kernel-entrypoint.sh']);
    expect(build.dockerfile).toMatch(/apt-get install -y --no-install-recommends .*python3-ipykernel tini/);
    expect(build.dockerfile).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/berth-kernel-entrypoint"]');
    expect(build.dockerfile).toContain('USER 1000:1000');
    expect(build.dockerfile).not.toMatch(/pip install/);
  });

  test('--from replaces the default FROM, and the Dockerfile lists it as the ARG default', () => {
    const build = renderBaseImage(templates, { from: 'debian:bookworm-slim' });
    expect(build.buildArgs).toEqual({ BASE_IMAGE: 'debian:bookworm-slim' });
    expect(build.dockerfile).toContain('ARG BASE_IMAGE=debian:bookworm-slim\n');
    expect(build.dockerfile).not.toContain(DEFAULT_OS_IMAGE);
  });

  test('the R layer installs IRkernel without recommends on top of its parent', () => {
    const build = renderRLayer(templates, { parent: 'berth/base:abc' });
    expect(build.dockerfile).toContain('ARG BASE_IMAGE=berth/base:abc\n');
    expect(build.dockerfile).toMatch(/apt-get install -y --no-install-recommends r-base-core r-cran-irkernel/);
    // The bridge that answers interrupt_request for IRkernel, as the template copies it.
    expect(build.dockerfile).toContain('COPY r-control-bridge.py /usr/local/lib/berth/r-control-bridge.py');
    expect(build.files.map((f) => f.path)).toEqual(['r-control-bridge.py']);
    expect(text(build, 'r-control-bridge.py')).toBe(templates['r-control-bridge.py']);
  });
});

describe('CUDA images', () => {
  test.each(Object.keys(CUDA_BASE_IMAGES))('CUDA %s renders to its golden Dockerfile', (version) => {
    const build = renderCudaImage(templates, { cudaVersion: version });
    expect(build.buildArgs).toEqual({ CUDA_IMAGE: CUDA_BASE_IMAGES[version] });
    expectGolden(`cuda-${version}.Dockerfile`, build.dockerfile);
  });

  test('a patch version picks its minor version image; unknown versions name the known ones and --from', () => {
    expect(cudaBaseImage('12.4.1')).toBe(CUDA_BASE_IMAGES['12.4']);
    expect(() => cudaBaseImage('10.2')).toThrow(InvalidInputError);
    expect(() => cudaBaseImage('10.2')).toThrow(/known versions: 11\.8, 12\.1, 12\.4, 12\.6, 12\.8.*--from/);
  });

  test('--from wins over the version table (a locally tagged stand-in)', () => {
    const build = renderCudaImage(templates, { from: 'berth-test/cuda-standin:12.4' });
    expect(build.dockerfile).toContain('ARG CUDA_IMAGE=berth-test/cuda-standin:12.4\nFROM ${CUDA_IMAGE}');
  });
});

describe('code-env images', () => {
  test('apt, pip and R packages become ARG defaults and generated files', () => {
    const env = codeEnv({
      packages: {
        apt: ['python3-pandas', 'libgomp1'],
        pip: { requirements: ['tiny-pkg==1.0'], indexUrl: 'https://pypi.example.org/simple' },
        r: ['data.table'],
      },
    });
    const build = renderCodeEnvImage(templates, env, { parent: 'berth/base:1' });
    expect(build.buildArgs).toEqual({
      BASE_IMAGE: 'berth/base:1',
      APT_PACKAGES: 'python3-pandas libgomp1',
      PIP_OPTIONS: '--index-url https://pypi.example.org/simple',
      RESOURCES_MODE: 'none',
      KERNEL_LANGUAGE: 'python',
    });
    expect(build.dockerfile).toContain('ARG APT_PACKAGES="python3-pandas libgomp1"\n');
    expect(build.dockerfile).toContain('ARG PIP_OPTIONS="--index-url https://pypi.example.org/simple"\n');
    expect(text(build, 'berth-build/requirements.txt')).toBe('tiny-pkg==1.0\n');
    expect(text(build, 'berth-build/r-packages.txt')).toBe('data.table\n');
    expect(text(build, 'berth-build/resources-init.sh')).toBe('');
    expect(build.files.map((f) => f.path)).toEqual([
      'berth-build',
      'berth-build/r-packages.txt',
      'berth-build/requirements.txt',
      'berth-build/resources-init.sh',
      'berth-build/wheelhouse',
      'berth-resources',
    ]);
    expect(build.dockerfile).not.toContain('# berth:code-env-env');
  });

  test('a local wheelhouse makes pip install with --no-index --find-links to it, ignoring the index', () => {
    const env = codeEnv({ packages: { pip: { requirements: ['tiny-pkg'], indexUrl: 'https://pypi.example.org/simple' } } });
    const wheel = { path: 'tiny_pkg-1.0-py3-none-any.whl', content: Buffer.from('PK…') };
    const build = renderCodeEnvImage(templates, env, { parent: 'p', wheelhouse: [wheel] });
    expect(build.buildArgs.PIP_OPTIONS).toBe('--no-index --find-links /opt/berth/build/wheelhouse');
    expect(text(build, 'berth-build/wheelhouse/tiny_pkg-1.0-py3-none-any.whl')).toBe('PK…');
    expect(() => renderCodeEnvImage(templates, env, { parent: 'p', wheelhouse: [{ ...wheel, path: 'a/b.whl' }] })).toThrow(/file name/);
  });

  test('a local find-links folder must come in as the wheelhouse', () => {
    const env = codeEnv({ packages: { pip: { requirements: ['x'], findLinks: ['./wheels'] } } });
    expect(() => renderCodeEnvImage(templates, env, { parent: 'p' })).toThrow(InvalidInputError);
    const remote = codeEnv({ packages: { pip: { requirements: ['x'], findLinks: ['https://example.org/wheels/'] } } });
    expect(renderCodeEnvImage(templates, remote, { parent: 'p' }).buildArgs.PIP_OPTIONS).toBe('--find-links https://example.org/wheels/');
  });

  test('resources: init-script, copy (with parent folders) and none', () => {
    const init = renderCodeEnvImage(templates, codeEnv({ resources: { mode: 'init-script', script: 'echo hi > greeting.txt' } }), {
      parent: 'p',
    });
    expect(init.buildArgs.RESOURCES_MODE).toBe('init-script');
    expect(text(init, 'berth-build/resources-init.sh')).toBe('echo hi > greeting.txt\n');

    const copy = renderCodeEnvImage(templates, codeEnv({ resources: { mode: 'copy', path: 'res' } }), {
      parent: 'p',
      resourceFiles: [
        { path: 'models/a/weights.bin', content: Buffer.from([1, 2, 3]) },
        { path: 'README', content: Buffer.from('r') },
      ],
    });
    expect(copy.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'berth-resources/models',
        'berth-resources/models/a',
        'berth-resources/models/a/weights.bin',
        'berth-resources/README',
      ]),
    );
    expect(() =>
      renderCodeEnvImage(templates, codeEnv({ resources: { mode: 'copy', path: 'res' } }), {
        parent: 'p',
        resourceFiles: [{ path: '../secret', content: Buffer.from('') }],
      }),
    ).toThrow(/relative path inside/);
    expect(() =>
      renderCodeEnvImage(templates, codeEnv({}), { parent: 'p', resourceFiles: [{ path: 'a', content: Buffer.from('') }] }),
    ).toThrow(/resources mode is "none"/);
  });

  test('env vars become sorted, escaped ENV lines; an R code env sets the kernel language', () => {
    const build = renderCodeEnvImage(templates, codeEnv({ language: 'r', env: { ZED: 'a "b" $HOME \\x', ALPHA: '1' } }), { parent: 'p' });
    expect(build.buildArgs.KERNEL_LANGUAGE).toBe('r');
    expect(build.dockerfile).toContain('ENV ALPHA="1"\nENV ZED="a \\"b\\" \\$HOME \\\\x"\n');
    expect(() => renderCodeEnvImage(templates, codeEnv({ env: { A: 'x\ny' } }), { parent: 'p' })).toThrow(/newlines/);
  });

  test('values that could break out of the Dockerfile are refused', () => {
    expect(() => renderCodeEnvImage(templates, codeEnv({}), { parent: 'p" \nRUN evil' })).toThrow(InvalidInputError);
    expect(() => renderCodeEnvImage(templates, codeEnv({ packages: { pip: { requirements: ['x; $(evil)'] } } }), { parent: 'p' })).toThrow(
      /pip requirement/,
    );
    expect(() => setArgDefaults('FROM x\n', { NOPE: '1' })).toThrow(/declares no ARG NOPE/);
  });

  test('the context holds the rendered Dockerfile first in path order', () => {
    const build = renderCodeEnvImage(templates, codeEnv({}), { parent: 'p' });
    const entries = contextEntries(build);
    expect(entries[0]).toEqual(expect.objectContaining({ path: 'Dockerfile', type: 'file' }));
    expect(entries.map((e) => e.path)).toEqual([...entries.map((e) => e.path)].sort());
  });
});
