/**
 * Tempo's rate limit (api-contracts §2.1: about 5 requests a second, then 429): a token
 * bucket per API token. It runs on the real monotonic clock, since the client waits
 * real seconds for Retry-After, whatever the emulator's data clock says.
 */
export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: requests that may come at once. */
  burst: number;
}

export class RateBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Takes a token for `key`; null when allowed, else the whole seconds to wait (≥ 1). */
  take(key: string): number | null {
    const t = this.clock();
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: t };
    b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.limit.perSecond));
  }

  clear(): void {
    this.buckets.clear();
  }
}
