/**
 * A token bucket for the unauthenticated registration endpoint: ToolHive allows 1 registration per
 * second sustained with a burst of 5, per process (pkg/authserver/server/handlers/handler.go,
 * `rate.NewLimiter(rate.Limit(1), 5)`), and answers 429 with `Retry-After: 1` beyond that.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
