/**
 * A token bucket per remote account: HTTP requests are served in order at the remote
 * system's published rate, and a rate-limited answer holds every request of the account
 * back. The HTTP client takes one token per request (a 40-page listing costs 40), in the
 * CLI as in the service. Time comes from the injected clock.
 */
import type { Clock } from './retry.js';
import { clockOf } from './retry.js';

export interface Limit {
  requests: number;
  perSeconds: number;
}

export interface RateLimiter {
  /** Resolves when a request may go; `waited` is whether it had to wait. */
  take(): Promise<{ waited: boolean; waitMs: number }>;
  /** Hold every request back for this long (a Retry-After answer). */
  pause(ms: number): void;
}

/** `limit` null: no pacing, but a rate-limited answer still pauses every request of the account. */
export function tokenBucket(limit: Limit | null, clock: Partial<Pick<Clock, 'now' | 'sleep'>> = {}): RateLimiter {
  const { now, sleep } = clockOf(clock);
  const capacity = limit ? limit.requests : Infinity;
  const refillPerMs = limit ? limit.requests / (limit.perSeconds * 1000) : Infinity;
  let tokens = capacity,
    last = now(),
    pausedUntil = 0;
  // Requests are served in order: each reserves the next token, going negative when it must wait.
  return {
    async take() {
      const t = now();
      if (limit) {
        tokens = Math.min(capacity, tokens + (t - last) * refillPerMs);
        last = t;
        tokens -= 1;
      }
      const waitMs = Math.max(tokens >= 0 ? 0 : -tokens / refillPerMs, pausedUntil - t, 0);
      if (waitMs > 0) await sleep(Math.ceil(waitMs));
      return { waited: waitMs > 0, waitMs };
    },
    pause(ms) {
      pausedUntil = Math.max(pausedUntil, now() + ms);
    },
  };
}

/** Buckets by account, so every client of one account (all links of a connection, both Tempo clients of a site) shares one. */
export interface BucketRegistry {
  bucket(account: string, limit: Limit | null): RateLimiter;
}

export function bucketRegistry(clock: Partial<Pick<Clock, 'now' | 'sleep'>> = {}): BucketRegistry {
  const buckets = new Map<string, RateLimiter>();
  return {
    bucket(account, limit) {
      // A changed limit gets a fresh bucket.
      const key = `${account}\u0000${limit ? `${limit.requests}/${limit.perSeconds}` : '-'}`;
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = tokenBucket(limit, clock)));
      return b;
    },
  };
}

/** The buckets of this process, on the real clock. */
export const processBuckets: BucketRegistry = bucketRegistry();
