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

export { tokenBucket, type Limit, type RateLimiter } from '../connectors/kit/rate-limiter.js';
import type { RateLimiter } from '../connectors/kit/rate-limiter.js';

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
