import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const BERTH = join(ROOT, 'gateway', 'bin', 'berth.js');

/** Runs the built CLI the way an admin does. */
function berth(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BERTH, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('berth config validate', () => {
  beforeAll(() => {
    // The CLI runs from gateway/dist: build it (near-instant when up to date).
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'gateway'], { cwd: ROOT });
  });

  it('passes the example directory and summarises it', () => {
    const result = berth('config', 'validate', 'gateway/examples/config');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      [
        'gateway/examples/config is valid.',
        '3 exec configs: docker-large (docker), docker-small (docker), local (local)',
        '2 code envs: pandas (python), r-tables (r)',
        '3 kernelspecs from code env × exec config pairs:',
        '  pandas--docker-large',
        '  pandas--docker-small',
        '  r-tables--docker-large',
        '',
      ].join('\n'),
    );
  });

  it('lists every problem of a bad directory and exits non-zero', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-validate-'));
    mkdirSync(join(dir, 'execution-configs'));
    mkdirSync(join(dir, 'code-envs'));
    writeFileSync(
      join(dir, 'execution-configs', 'gpu.yaml'),
      'backend: docker\nbaseImage: berth/base:latest\nresources:\n  gpus: 1\n  memory: lots\n',
    );
    writeFileSync(join(dir, 'code-envs', 'ml.yaml'), 'language: python\navailableFor: [gpu-large]\npackages:\n  npm: [left-pad]\n');
    const result = berth('config', 'validate', dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${dir}/execution-configs/gpu\\.yaml: resources\\.memory: "lots" is not a size`)),
      `${dir}/code-envs/ml.yaml: packages.npm: unknown field: check its spelling, or remove it`,
      `2 problems in ${dir}`,
    ]);
  });

  it('says so when the directory does not exist', () => {
    const result = berth('config', 'validate', '/nonexistent/berth-config');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('berth: Configuration directory /nonexistent/berth-config does not exist or is not a directory.\n');
  });
});
