import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const BERTH = join(ROOT, 'gateway', 'bin', 'berth.js');

/** Runs the built CLI the way an admin does, with no BERTH_* settings from the test's environment. */
function berth(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BERTH_')));
  const result = spawnSync(process.execPath, [BERTH, ...args], { cwd: ROOT, encoding: 'utf8', env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('berth kernelspecs', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'gateway'], { cwd: ROOT });
  });

  it('lists plain specs and every pair of the example directory as a table', () => {
    const result = berth('kernelspecs', 'list', '--config-dir', 'gateway/examples/config');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+DISPLAY NAME\s+BACKEND$/);
    const rows = lines.slice(1).map((line) => line.split(/\s{2,}/));
    expect(rows).toEqual([
      ['ir', 'R', 'local (local, or KERNEL_EXECUTION_CONFIG)'],
      ['python3', 'Python 3 (ipykernel)', 'local (local, or KERNEL_EXECUTION_CONFIG)'],
      ['pandas--docker-large', 'Python (pandas) · docker-large', 'docker'],
      ['pandas--docker-small', 'Python (pandas) · docker-small', 'docker'],
      ['r-tables--docker-large', 'R (r-tables) · docker-large', 'docker'],
    ]);
  });

  it('lists only the plain specs without a config directory', () => {
    const result = berth('kernelspecs', 'list');
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain('--');
    expect(result.stdout).toContain('python3');
  });

  it('exports a kernel.json folder per pair', () => {
    const out = mkdtempSync(join(tmpdir(), 'berth-export-'));
    try {
      const result = berth('kernelspecs', 'export', out, '--config-dir', 'gateway/examples/config');
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`3 kernelspecs written to ${out}`);
      expect(readdirSync(out).sort()).toEqual(['pandas--docker-large', 'pandas--docker-small', 'r-tables--docker-large']);
      const spec = JSON.parse(readFileSync(join(out, 'pandas--docker-small', 'kernel.json'), 'utf8'));
      expect(spec).toMatchObject({
        display_name: 'Python (pandas) · docker-small',
        language: 'python',
        argv: expect.arrayContaining(['{connection_file}']),
        metadata: { berth: { codeEnv: 'pandas', executionConfig: 'docker-small', backend: 'docker', image: 'berth/codeenv-pandas' } },
      });
      expect(existsSync(join(out, 'pandas--docker-small', 'logo-svg.svg'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('fails listing the problems of a bad directory', () => {
    const result = berth('kernelspecs', 'list', '--config-dir', '/nonexistent/berth-config');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('/nonexistent/berth-config does not exist');
  });
});
