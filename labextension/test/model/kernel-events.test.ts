import { KernelEventLedger, stageLabel, type KernelEvent } from '../../src/model/kernel-events';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, seconds)).toISOString();
const event = (kernelId: string, type: KernelEvent['type'], seconds: number, extra: Partial<KernelEvent> = {}): KernelEvent => ({
  kernelId,
  type,
  at: at(seconds),
  ...extra,
});

/** Applies each event as if it arrived at its own `at` (the browser's clock in the real feed). */
function ledgerOf(events: KernelEvent[]): KernelEventLedger {
  const ledger = new KernelEventLedger();
  for (const item of events) ledger.apply(item, Date.parse(item.at));
  return ledger;
}

describe('kernel events ledger', () => {
  it('follows one kernel through its stages to ready', () => {
    const ledger = ledgerOf([event('k1', 'stage', 0, { stage: 'launching' }), event('k1', 'stage', 1, { stage: 'pulling-image' })]);
    expect(ledger.forKernel('k1')).toMatchObject({ stage: 'pulling-image', done: false, since: Date.parse(at(0)) });
    ledger.apply(event('k1', 'ready', 5), Date.parse(at(5)));
    expect(ledger.forKernel('k1')).toMatchObject({ done: true });
    expect(ledger.forKernel('k1')?.stage).toBeUndefined();
  });

  it("keeps Berth's reason when a start fails or a kernel dies, and forgets shut down kernels", () => {
    const ledger = new KernelEventLedger();
    ledger.apply(event('k1', 'stage', 0, { stage: 'launching' }));
    ledger.apply(event('k1', 'failed', 2, { message: 'No image for pandas on docker-small' }));
    expect(ledger.forKernel('k1')).toMatchObject({ failure: 'No image for pandas on docker-small', done: true });
    ledger.apply(event('k2', 'dead', 3, { message: 'OOMKilled' }));
    expect(ledger.forKernel('k2')?.failure).toBe('OOMKilled');
    ledger.apply(event('k2', 'shutdown', 4));
    expect(ledger.forKernel('k2')).toBeUndefined();
  });

  it("dates a start by its arrival here, not by the gateway's clock", () => {
    const ledger = new KernelEventLedger();
    ledger.apply(event('k1', 'stage', 0, { stage: 'launching' }), 5_000);
    expect(ledger.forKernel('k1')?.since).toBe(5_000);
  });

  it('finds the start a pending request waits for: newest, after the request, not a known kernel', () => {
    const ledger = ledgerOf([
      event('old', 'stage', 0, { stage: 'launching' }),
      event('other', 'stage', 20, { stage: 'launching' }),
      event('mine', 'stage', 21, { stage: 'launching' }),
      event('mine', 'stage', 22, { stage: 'creating-container' }),
    ]);
    const since = Date.parse(at(10));
    expect(ledger.pendingStart(since, new Set(['other']))).toMatchObject({ kernelId: 'mine', stage: 'creating-container' });
    expect(ledger.pendingStart(since, new Set(['other', 'mine']))).toBeUndefined();
    expect(ledger.pendingStart(Date.parse(at(30)), new Set())).toBeUndefined();
  });

  it('with kernelspec names on both sides, a pending start takes only a kernel of the spec it asked for', () => {
    const ledger = ledgerOf([
      event('mine', 'stage', 21, { stage: 'launching', name: 'pandas--docker-small' }),
      event('theirs', 'stage', 22, { stage: 'launching', name: 'python3' }),
    ]);
    const since = Date.parse(at(20));
    expect(ledger.pendingStart(since, new Set())?.kernelId).toBe('theirs');
    expect(ledger.pendingStart(since, new Set(), 'pandas--docker-small')?.kernelId).toBe('mine');
    expect(ledger.pendingStart(since, new Set(), 'r--docker-small')).toBeUndefined();
  });

  it('labels stages for people', () => {
    expect(stageLabel('creating-container')).toBe('creating container');
    expect(stageLabel('pulling-image')).toBe('pulling image');
    expect(stageLabel('waiting-for-kernel')).toBe('waiting for kernel');
    expect(stageLabel('some-new-stage')).toBe('some new stage');
  });
});
