import { isFinal, logLine, runDurationMs, runRow, sortRuns, type RunRecord } from '../../src/model/runs';

const run = (fields: Partial<RunRecord>): RunRecord => ({
  id: 'r1',
  kind: 'notebook',
  name: 'report.ipynb',
  status: 'running',
  owner: 'alice',
  kernelName: 'pandas--docker-small',
  execConfig: 'docker-small',
  codeEnv: 'pandas',
  createdAt: '2026-01-01T10:00:00.000Z',
  ...fields,
});

describe('runs', () => {
  const now = Date.parse('2026-01-01T10:05:00.000Z');

  it('measures from start to end, or to now while running', () => {
    expect(runDurationMs(run({ status: 'queued' }), now)).toBeUndefined();
    expect(runDurationMs(run({ startedAt: '2026-01-01T10:01:00.000Z' }), now)).toBe(240_000);
    expect(runDurationMs(run({ startedAt: '2026-01-01T10:01:00.000Z', endedAt: '2026-01-01T10:01:02.500Z' }), now)).toBe(2500);
  });

  it('makes rows for the panel', () => {
    const row = runRow(run({ startedAt: '2026-01-01T10:01:00.000Z' }), now);
    expect(row).toMatchObject({ where: 'docker-small · pandas', duration: '4 min 00 s', canCancel: true, mayHaveOutput: false });
    const failed = runRow(
      run({
        status: 'failed',
        codeEnv: undefined,
        execConfig: 'local',
        endedAt: '2026-01-01T10:02:00.000Z',
        startedAt: '2026-01-01T10:01:00.000Z',
        failure: { message: 'ZeroDivisionError' },
      }),
      now,
    );
    expect(failed).toMatchObject({ where: 'local', duration: '1 min 00 s', canCancel: false, mayHaveOutput: true });
    expect(failed.title).toContain('why: ZeroDivisionError');
    expect(runRow(run({ kind: 'recipe', status: 'succeeded' }), now).mayHaveOutput).toBe(false);
  });

  it('sorts newest first', () => {
    const runs = [
      run({ id: 'a', createdAt: '2026-01-01T09:00:00Z' }),
      run({ id: 'b', createdAt: '2026-01-01T11:00:00Z' }),
      run({ id: 'c', createdAt: '2026-01-01T10:00:00Z' }),
    ];
    expect(sortRuns(runs).map((r) => r.id)).toEqual(['b', 'c', 'a']);
  });

  it('knows final statuses', () => {
    expect(['succeeded', 'failed', 'cancelled', 'timed-out'].every(isFinal)).toBe(true);
    expect(['queued', 'starting', 'running'].some(isFinal)).toBe(false);
  });

  it('writes log entries as lines', () => {
    expect(logLine({ type: 'output', at: '', stream: 'stdout', text: 'hello\n' })).toBe('hello\n');
    expect(logLine({ type: 'progress', at: '', done: 0, total: 3, cellIndex: 1, phase: 'start' })).toBe('▶ 1/3 (cell 1)\n');
    expect(logLine({ type: 'progress', at: '', done: 1, total: 3, cellIndex: 1, phase: 'end', status: 'ok', durationMs: 1200 })).toBe(
      '✓ 1/3 (cell 1) in 1 s\n',
    );
    expect(logLine({ type: 'status', at: '', status: 'failed', message: 'boom' })).toBe('— failed: boom\n');
  });
});
