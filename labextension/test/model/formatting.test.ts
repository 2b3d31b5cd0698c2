import { formatDuration } from '../../src/model/duration';
import { describeExecConfig, formatBytes } from '../../src/model/resources';

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [1000, '1 s'],
    [59_999, '59 s'],
    [60_000, '1 min 00 s'],
    [184_000, '3 min 04 s'],
    [3_600_000, '1 h 00 min'],
    [7_500_000, '2 h 05 min'],
    [50 * 3_600_000, '2 d 2 h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('gives nothing for nonsense', () => {
    expect(formatDuration(-1)).toBe('');
    expect(formatDuration(Number.NaN)).toBe('');
  });
});

describe('resources', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(536870912)).toBe('512 MiB');
    expect(formatBytes(1610612736)).toBe('1.5 GiB');
    expect(formatBytes(2147483648)).toBe('2 GiB');
  });

  it('describes an exec config by backend and the limits it sets', () => {
    expect(describeExecConfig('docker', { cpus: 0.5, memory: 2147483648, gpus: 2 })).toBe('docker · 0.5 CPUs · 2 GiB · 2 GPUs');
    expect(describeExecConfig('kubernetes', { memory: '4g', gpus: 0 })).toBe('kubernetes · 4g');
    expect(describeExecConfig('local', {})).toBe('local');
  });
});
