import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCliGateway } from '../support/cli-gateway';

// `berth serve --config-dir DIR` (and BERTH_CONFIG_DIR): the directory is validated at start, and
// its objects are served by the admin API and as kernelspecs.

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '..', '..');
const BERTH = join(ROOT, 'gateway', 'bin', 'berth.js');
const EXAMPLE = join(ROOT, 'gateway', 'examples', 'config');

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'gateway'], { cwd: ROOT });
});

it('serves the directory: exec configs through the admin API and pair kernelspecs', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-serve-dir-'));
  const gw = await startCliGateway({ dataDir, token: 'serve-config-dir-token', args: ['--config-dir', EXAMPLE] });
  try {
    const configs = (await (await gw.api('api/berth/execution-configs')).json()) as { id: string }[];
    expect(configs.map((config) => config.id)).toEqual(['docker-large', 'docker-small', 'local']);
    const specs = (await (await gw.api('api/kernelspecs')).json()) as { kernelspecs: Record<string, unknown> };
    expect(Object.keys(specs.kernelspecs)).toEqual(expect.arrayContaining(['python3', 'pandas--docker-small', 'r-tables--docker-large']));
  } finally {
    gw.child.kill('SIGTERM');
    await gw.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('refuses to start with a bad directory (BERTH_CONFIG_DIR), listing every problem', () => {
  const bad = mkdtempSync(join(tmpdir(), 'berth-serve-bad-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-serve-data-'));
  try {
    cpSync(EXAMPLE, bad, { recursive: true });
    writeFileSync(join(bad, 'code-envs', 'broken.yaml'), 'language: cobol\n');
    writeFileSync(join(bad, 'execution-configs', 'gpu.yaml'), 'backend: docker\nbaseImage: berth/base:latest\nresources:\n  gpus: 1\n');
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BERTH_')));
    const result = spawnSync(process.execPath, [BERTH, 'serve', '--port', '0', '--data-dir', dataDir], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...env, BERTH_CONFIG_DIR: bad },
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`berth: Configuration directory ${bad} has 2 problems`);
    expect(result.stderr).toContain(`${bad}/code-envs/broken.yaml: language:`);
    expect(result.stderr).toContain(`${bad}/execution-configs/gpu.yaml: baseImage:`);
  } finally {
    rmSync(bad, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});
