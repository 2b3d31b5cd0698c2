import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../../gateway/src/common/errors';
import { loadConfig } from '../../../gateway/src/config/load';

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-config-'));

  it('gives the documented defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config.ip).toBe('127.0.0.1');
    expect(config.port).toBe(8888);
    expect(config.baseUrl).toBe('/');
    expect(config.token).toBeUndefined();
    expect(config.kernels.startupTimeoutSeconds).toBe(60);
    expect(config.kernels.cullIdleTimeoutSeconds).toBe(0);
  });

  it('layers file < env < flags', () => {
    const file = join(dir, 'berth.yaml');
    writeFileSync(file, 'port: 9000\nip: 127.0.0.2\nkernels:\n  maxKernels: 3\n  restartLimit: 2\n');
    const config = loadConfig({ file, env: { BERTH_PORT: '9100', BERTH_MAX_KERNELS: '4' }, flags: { port: 9200 } });
    expect(config.port).toBe(9200);
    expect(config.ip).toBe('127.0.0.2');
    expect(config.kernels.maxKernels).toBe(4);
    expect(config.kernels.restartLimit).toBe(2);
  });

  it('normalises the base URL to /prefix/', () => {
    expect(loadConfig({ env: {}, flags: { baseUrl: 'berth' } }).baseUrl).toBe('/berth/');
    expect(loadConfig({ env: {}, flags: { baseUrl: '/a/b/' } }).baseUrl).toBe('/a/b/');
  });

  it('names the bad field and the file', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'kernels:\n  maxKernels: many\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(InvalidInputError);
    expect(() => loadConfig({ file, env: {} })).toThrow(/kernels\.maxKernels.*bad\.yaml|bad\.yaml.*kernels\.maxKernels/);
  });

  it('rejects unknown settings instead of ignoring typos', () => {
    expect(() => loadConfig({ env: {}, flags: { prot: 1 } })).toThrow(/prot/);
  });

  it('rejects a non-numeric BERTH_PORT with the variable name', () => {
    expect(() => loadConfig({ env: { BERTH_PORT: 'eighty' } })).toThrow(/BERTH_PORT/);
  });

  it('reports an unreadable config file', () => {
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(/Cannot read config file/);
  });
});
