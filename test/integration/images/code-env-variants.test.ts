// Builds several code envs with one CLI call (`berth images build-code-env --all`) on the shared
// base image and checks each in a kernel on the host network: apt + a pip requirement installed from
// a local wheel (made by this test, since PyPI is unreachable), and the three resources modes
// (init-script, copy, none). scripts/test.mjs starts the daemon and makes the OS base image before
// jest runs. The code-env images and the test's base tag are removed afterwards; the shared base
// (berth/base:<hash>) is kept as a cache.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import { PortAllocator } from '../../../gateway/src/provisioners/local/port-allocator';
import { executeAndCollect, startKernelContainer, type KernelContainer } from '../../support/kernel-container';

const run = promisify(execFile);
const BERTH = resolve(__dirname, '..', '..', '..', 'gateway', 'bin', 'berth.js');
const TEST_LABEL = { 'berth.io/test': 'images-code-env-variants' };
const BASE_TAG = 'berth-test/variants-base:latest';
const EXEC_CONFIG = 'docker-variants';
const WHEEL_ENV = 'berth-test-pandas-wheel';
const INIT_ENV = 'berth-test-res-init';
const COPY_ENV = 'berth-test-res-copy';
const NONE_ENV = 'berth-test-res-none';
const CODE_ENVS = [WHEEL_ENV, INIT_ENV, COPY_ENV, NONE_ENV];
/** The pure-Python package of the local wheel, and the value its module holds. */
const WHEEL_MODULE = 'berth_test_wheel';
const WHEEL_VALUE = 'wheel-value-7f3a';
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
const builder = new ImageBuilder(docker);
// Below the gateway's default kernel port range and apart from the other image tests' ranges.
const ports = new PortAllocator('127.0.0.1', { min: 18300, max: 18599 });
const cleanups: (() => Promise<unknown>)[] = [];
let configDir: string;

function berth(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [BERTH, ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/**
 * Writes a minimal valid wheel of `berth-test-wheel` 1.0.0 into `folder` with Python's zipfile:
 * the module, METADATA, WHEEL and a RECORD with the sha256 (urlsafe base64, unpadded) and size of
 * every file but itself.
 */
async function makeWheel(folder: string): Promise<string> {
  const script = `
import base64, hashlib, sys, zipfile
folder, module, value = sys.argv[1:4]
dist = module + '-1.0.0'
files = [
    (module + '/__init__.py', 'VALUE = %r\\n' % value),
    (dist + '.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: berth-test-wheel\\nVersion: 1.0.0\\nSummary: Berth test wheel\\n'),
    (dist + '.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: berth-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n'),
]
record = []
for path, text in files:
    data = text.encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
    record.append('%s,sha256=%s,%d' % (path, digest, len(data)))
record.append(dist + '.dist-info/RECORD,,')
name = dist + '-py3-none-any.whl'
with zipfile.ZipFile(folder + '/' + name, 'w', zipfile.ZIP_DEFLATED) as whl:
    for path, text in files:
        whl.writestr(path, text)
    whl.writestr(dist + '.dist-info/RECORD', '\\n'.join(record) + '\\n')
print(name)
`;
  const { stdout } = await run('python3', ['-c', script, folder, WHEEL_MODULE, WHEEL_VALUE]);
  return stdout.trim();
}

async function removeCodeEnvImages(): Promise<void> {
  for (const id of CODE_ENVS) {
    const images = await docker.listImages({ filters: JSON.stringify({ label: [`berth.io/code-env=${id}`] }) });
    for (const image of images) {
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}

/** Python that prints {relative path: content} of every file under $BERTH_RESOURCES_DIR as JSON. */
const LIST_RESOURCES = `
import json, os
root = os.environ['BERTH_RESOURCES_DIR']
found = {}
for folder, _, names in os.walk(root):
    for name in names:
        path = os.path.join(folder, name)
        with open(path) as f:
            found[os.path.relpath(path, root)] = f.read()
print(json.dumps({'root': root, 'files': found}))
`;

async function resourcesOf(kernel: KernelContainer): Promise<{ root: string; files: Record<string, string> }> {
  const listed = await executeAndCollect(kernel, LIST_RESOURCES);
  expect(listed).toEqual(expect.objectContaining({ status: 'ok', stderr: '' }));
  return JSON.parse(listed.stdout) as { root: string; files: Record<string, string> };
}

beforeAll(async () => {
  // Code-env images left by a run that crashed before its cleanup would make the builds skip.
  await removeCodeEnvImages();
  configDir = mkdtempSync(join(tmpdir(), 'berth-code-env-variants-'));
  for (const dir of ['execution-configs', 'code-envs', 'wheels', 'resources-copy/nested/deeper']) {
    mkdirSync(join(configDir, dir), { recursive: true });
  }
  writeFileSync(
    join(configDir, 'execution-configs', `${EXEC_CONFIG}.yaml`),
    `backend: docker\nbaseImage: ${BASE_TAG}\ndocker:\n  daemons:\n    - host: unix:///var/run/docker.sock\n  network: host\n`,
  );
  const wheel = await makeWheel(join(configDir, 'wheels'));
  expect(wheel).toBe(`${WHEEL_MODULE}-1.0.0-py3-none-any.whl`);
  writeFileSync(
    join(configDir, 'code-envs', `${WHEEL_ENV}.yaml`),
    [
      'language: python',
      'packages:',
      '  apt: [python3-pandas]',
      '  pip:',
      '    requirements: ["berth-test-wheel==1.0.0"]',
      '    findLinks: [wheels]',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(configDir, 'code-envs', `${INIT_ENV}.yaml`),
    [
      'language: python',
      'resources:',
      '  mode: init-script',
      '  script: |',
      '    mkdir -p generated',
      '    printf "made at build time by %s\\n" "$(id -u)" > generated/init.txt',
      '',
    ].join('\n'),
  );
  writeFileSync(join(configDir, 'code-envs', `${COPY_ENV}.yaml`), 'language: python\nresources:\n  mode: copy\n  path: resources-copy\n');
  writeFileSync(join(configDir, 'code-envs', `${NONE_ENV}.yaml`), 'language: python\nresources:\n  mode: none\n');
  writeFileSync(join(configDir, 'resources-copy', 'top.txt'), 'top level\n');
  writeFileSync(join(configDir, 'resources-copy', 'nested', 'deeper', 'file.txt'), 'nested content\n');
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await removeCodeEnvImages();
  // Only the test's name for the shared base: the base itself stays as a cache.
  await docker
    .getImage(BASE_TAG)
    .remove()
    .catch(() => undefined);
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
});

test('code envs with a local wheel and each resources mode build in one CLI call and work in kernels', async () => {
  // The shared base (kept as a cache, so without a test label) under this test's own name.
  const base = await builder.buildBase({ extraTags: [BASE_TAG] });
  expect(base.ref).toMatch(/^berth\/base:[0-9a-f]{12}$/);

  // --all first re-runs the recipe of the base when Berth tracks it (it carries its own recipe
  // label; another test building the same shared base at the same moment can leave the tag on its
  // twin, which is then untracked): either way the base is up to date and nothing of it is built.
  const baseLine = `base: ${base.ref} skipped (up to date)`;
  const built = await berth('images', 'build-code-env', '--all', '--config-dir', configDir);
  const bases = built.stdout.split('\n').includes(baseLine) ? 1 : 0;
  expect(built.stdout).toMatch(new RegExp(`^4 built, ${bases} skipped \\(up to date\\)$`, 'm'));
  expect(built.stdout).not.toMatch(/^base: .* built in/m);
  const refs = new Map<string, string>();
  for (const id of CODE_ENVS) {
    const line = new RegExp(`^${id}@${EXEC_CONFIG}: (berth/codeenv-${id}:[0-9a-f]{12}) built in [\\d.]+ s$`, 'm').exec(built.stdout);
    expect(line).not.toBeNull();
    refs.set(id, line![1]!);
  }
  expect(built.stderr).toMatch(new RegExp(`^\\[${WHEEL_ENV}@${EXEC_CONFIG}\\] step \\d+/\\d+: `, 'm'));
  // pip installed from the wheelhouse only, never from an index.
  expect(built.stderr).toMatch(/Processing \/opt\/berth\/build\/wheelhouse\/berth_test_wheel-1\.0\.0-py3-none-any\.whl/);

  const again = await berth('images', 'build-code-env', '--all', '--config-dir', configDir);
  expect(again.stdout).toMatch(new RegExp(`^0 built, ${4 + bases} skipped \\(up to date\\)$`, 'm'));

  const wheelImage = await docker.getImage(refs.get(WHEEL_ENV)!).inspect();
  expect(wheelImage.Config.Labels).toEqual(expect.objectContaining({ 'berth.io/code-env': WHEEL_ENV, 'berth.io/parent-image': BASE_TAG }));

  const pandas = await startKernelContainer(docker, refs.get(WHEEL_ENV)!, ports, TEST_LABEL, cleanups);
  expect(pandas.info.language_info.name).toBe('python');
  const imported = await executeAndCollect(
    pandas,
    `import pandas, ${WHEEL_MODULE}\nprint(${WHEEL_MODULE}.VALUE)\nprint(pandas.DataFrame({'a': [1, 2, 3]})['a'].sum())`,
  );
  expect(imported).toEqual({ status: 'ok', stdout: `${WHEEL_VALUE}\n6\n`, stderr: '' });
  const installed = await executeAndCollect(
    pandas,
    `import importlib.metadata as m, ${WHEEL_MODULE}\nprint(m.version('berth-test-wheel'), ${WHEEL_MODULE}.__file__)`,
  );
  expect(installed.status).toBe('ok');
  expect(installed.stdout).toMatch(new RegExp(`^1\\.0\\.0 /usr/(local/)?lib/python3[^ ]*/dist-packages/${WHEEL_MODULE}/__init__\\.py\\n$`));

  const init = await startKernelContainer(docker, refs.get(INIT_ENV)!, ports, TEST_LABEL, cleanups);
  expect(await resourcesOf(init)).toEqual({
    root: '/opt/berth/resources',
    files: { 'generated/init.txt': 'made at build time by 1000\n' },
  });

  const copy = await startKernelContainer(docker, refs.get(COPY_ENV)!, ports, TEST_LABEL, cleanups);
  expect(await resourcesOf(copy)).toEqual({
    root: '/opt/berth/resources',
    files: { 'top.txt': 'top level\n', 'nested/deeper/file.txt': 'nested content\n' },
  });
  // The kernel (uid 1000) owns the copied files.
  const owners = await executeAndCollect(
    copy,
    "import os\nr = os.environ['BERTH_RESOURCES_DIR']\nprint(os.stat(r + '/top.txt').st_uid, os.stat(r + '/nested/deeper/file.txt').st_uid)",
  );
  expect(owners).toEqual({ status: 'ok', stdout: '1000 1000\n', stderr: '' });

  const none = await startKernelContainer(docker, refs.get(NONE_ENV)!, ports, TEST_LABEL, cleanups);
  expect(await resourcesOf(none)).toEqual({ root: '/opt/berth/resources', files: {} });
  const empty = await executeAndCollect(none, "import os\nprint(os.listdir(os.environ['BERTH_RESOURCES_DIR']))");
  expect(empty).toEqual({ status: 'ok', stdout: '[]\n', stderr: '' });
}, 900_000);
