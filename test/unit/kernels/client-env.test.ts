import { InvalidInputError } from '../../../gateway/src/common/errors';
import { filterClientEnv } from '../../../gateway/src/kernels/client-env';

describe('filterClientEnv', () => {
  it('keeps only KERNEL_* variables and counts the rest', () => {
    const result = filterClientEnv({
      KERNEL_USERNAME: 'ada',
      PATH: '/bin',
      AWS_SECRET_ACCESS_KEY: 'x',
      KERNEL_LAUNCH_TIMEOUT: '40',
      kernel_lower: 'no',
    });
    expect(result.env).toEqual({ KERNEL_USERNAME: 'ada', KERNEL_LAUNCH_TIMEOUT: '40' });
    expect(result.dropped).toBe(3);
  });

  it('treats a missing env as empty', () => {
    expect(filterClientEnv(undefined)).toEqual({ env: {}, dropped: 0 });
  });

  it('refuses non-objects', () => {
    expect(() => filterClientEnv(['KERNEL_A'])).toThrow(InvalidInputError);
    expect(() => filterClientEnv('KERNEL_A=1')).toThrow(/must be an object/);
  });

  it('refuses over-long and non-string values without echoing them', () => {
    const secret = 'S'.repeat(5000);
    let message = '';
    try {
      filterClientEnv({ KERNEL_BIG: secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/KERNEL_BIG/);
    expect(message).not.toContain('SSSS');
    expect(() => filterClientEnv({ KERNEL_N: 3 })).toThrow(/KERNEL_N must be a string/);
    expect(() => filterClientEnv({ KERNEL_Z: 'a\0b' })).toThrow(/NUL/);
  });
});
