/**
 * Per-connection rate limiting: a token bucket sized from the remote system's published
 * limit (the connector manifest's `rateLimit`, or the connection's own `rateLimit`
 * setting), applied to every connector call. A call that finds the bucket empty waits
 * for the next token; waits are counted for /metrics. A `rate_limited` answer with
 * Retry-After pauses the whole connection, not just the one call.
 */
import type { Connector } from '../connectors/kit/connector.js';
import { isTimebridgeError } from '../core/errors.js';
import { aroundCalls } from '../runtime/counting-connector.js';

export interface Limit { requests: number; perSeconds: number }

export interface RateLimiter {
  /** Resolves when a call may go; `waited` is whether it had to wait. */
  take(): Promise<{ waited: boolean; waitMs: number }>;
  /** Hold every call back for this long (a Retry-After answer). */
  pause(ms: number): void;
}

export function tokenBucket(limit: Limit, now: () => number = () => performance.now()): RateLimiter {
  const capacity = limit.requests;
  const refillPerMs = limit.requests / (limit.perSeconds * 1000);
  let tokens = capacity, last = now(), pausedUntil = 0;
  // Calls are served in order: each reserves the next token, going negative when it must wait.
  return {
    async take() {
      const t = now();
      tokens = Math.min(capacity, tokens + (t - last) * refillPerMs);
      last = t;
      tokens -= 1;
      const waitMs = Math.max(tokens >= 0 ? 0 : -tokens / refillPerMs, pausedUntil - t);
      if (waitMs > 0) await new Promise((r) => setTimeout(r, Math.ceil(waitMs)));
      return { waited: waitMs > 0, waitMs };
    },
    pause(ms) {
      pausedUntil = Math.max(pausedUntil, now() + ms);
    },
  };
}

export interface LimitEvents {
  onCall?(): void;
  onWait?(ms: number): void;
}

/** The connector with every call passing through the limiter. */
export function rateLimited<E>(inner: Connector<E>, limiter: RateLimiter, events: LimitEvents = {}): Connector<E> {
  return aroundCalls(inner, async (call) => {
    const { waited, waitMs } = await limiter.take();
    if (waited) events.onWait?.(waitMs);
    events.onCall?.();
    try {
      return await call();
    } catch (err) {
      if (isTimebridgeError(err) && err.kind === 'rate_limited' && err.retryAfter) limiter.pause(err.retryAfter * 1000);
      throw err;
    }
  });
}

/** Counts calls without limiting (connections with no published limit). */
export function counted<E>(inner: Connector<E>, events: LimitEvents): Connector<E> {
  return rateLimited(inner, { take: async () => ({ waited: false, waitMs: 0 }), pause: () => undefined }, events);
}
