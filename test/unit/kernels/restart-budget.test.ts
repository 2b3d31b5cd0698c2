import { RestartBudget } from '../../../gateway/src/kernels/restart-budget';

describe('RestartBudget', () => {
  it('allows `limit` restarts per window, per kernel', () => {
    const budget = new RestartBudget(2, 60_000);
    expect(budget.tryConsume('a', 0)).toBe(true);
    expect(budget.tryConsume('a', 1000)).toBe(true);
    expect(budget.tryConsume('a', 2000)).toBe(false);
    expect(budget.tryConsume('b', 2000)).toBe(true);
  });

  it('frees attempts as they leave the window', () => {
    const budget = new RestartBudget(1, 10_000);
    expect(budget.tryConsume('a', 0)).toBe(true);
    expect(budget.tryConsume('a', 9_999)).toBe(false);
    expect(budget.tryConsume('a', 10_001)).toBe(true);
  });

  it('a limit of 0 never restarts', () => {
    expect(new RestartBudget(0, 1000).tryConsume('a')).toBe(false);
  });
});
