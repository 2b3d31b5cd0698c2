/**
 * How many automatic restarts a kernel may have: at most `limit` within a sliding
 * `windowMs`, so a kernel that crashes at once on every start stops being restarted.
 */
export class RestartBudget {
  private readonly history = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records an attempt and says whether it is allowed. */
  tryConsume(kernelId: string, now = Date.now()): boolean {
    const recent = (this.history.get(kernelId) ?? []).filter((at) => now - at < this.windowMs);
    if (recent.length >= this.limit) {
      this.history.set(kernelId, recent);
      return false;
    }
    recent.push(now);
    this.history.set(kernelId, recent);
    return true;
  }

  describe(): string {
    return `${this.limit} automatic restarts within ${Math.round(this.windowMs / 1000)} s`;
  }

  forget(kernelId: string): void {
    this.history.delete(kernelId);
  }
}
