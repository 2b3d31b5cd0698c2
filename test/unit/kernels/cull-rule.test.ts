import { shouldCull, type CullOptions } from '../../../gateway/src/kernels/culler';

const options: CullOptions = { idleTimeoutMs: 60_000, intervalMs: 1000, cullConnected: false, cullBusy: false };
const idle = { phase: 'running' as const, lastActivity: 0, connections: 0, executionState: 'idle' as const };

describe('shouldCull (Jupyter Server culling rule)', () => {
  it('culls a kernel idle past the timeout', () => {
    expect(shouldCull(idle, options, 60_001)).toBe(true);
    expect(shouldCull(idle, options, 60_000)).toBe(false);
  });

  it('is off when the timeout is 0', () => {
    expect(shouldCull(idle, { ...options, idleTimeoutMs: 0 }, 1e12)).toBe(false);
  });

  it("follows the kernel's exec config timeouts.cullIdleSeconds over the gateway's, 0 meaning never", () => {
    const withOwn = (cullIdleSeconds: number) => ({ ...idle, placement: { execConfig: { timeouts: { cullIdleSeconds } } } });
    expect(shouldCull(withOwn(10), options, 10_001)).toBe(true);
    expect(shouldCull(withOwn(10), options, 10_000)).toBe(false);
    expect(shouldCull(withOwn(0), options, 1e12)).toBe(false);
    expect(shouldCull(withOwn(10), { ...options, idleTimeoutMs: 0 }, 10_001)).toBe(true);
    expect(shouldCull({ ...idle, placement: { execConfig: { timeouts: {} } } }, options, 60_001)).toBe(true);
  });

  it('spares connected kernels unless cullConnected', () => {
    const connected = { ...idle, connections: 1 };
    expect(shouldCull(connected, options, 1e9)).toBe(false);
    expect(shouldCull(connected, { ...options, cullConnected: true }, 1e9)).toBe(true);
  });

  it('spares busy kernels unless cullBusy', () => {
    const busy = { ...idle, executionState: 'busy' as const };
    expect(shouldCull(busy, options, 1e9)).toBe(false);
    expect(shouldCull(busy, { ...options, cullBusy: true }, 1e9)).toBe(true);
  });

  it('never culls a kernel that is starting, restarting or shutting down', () => {
    for (const phase of ['starting', 'restarting', 'terminating'] as const) {
      expect(shouldCull({ ...idle, phase }, options, 1e9)).toBe(false);
    }
  });
});
