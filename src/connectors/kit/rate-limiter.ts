/**
 * A token bucket: calls are served in order at the remote system's published rate, and a
 * Retry-After answer holds every call back. Used per connection by the service (around
 * connector calls) and by connectors whose limit counts HTTP requests (Tempo's 5 a
 * second), through the HTTP client's `limiter`.
 */

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

const shared = new Map<string, RateLimiter>();

/** One limiter per key in this process (e.g. an API address and token), so every connector of one account shares it. */
export function sharedBucket(key: string, limit: Limit): RateLimiter {
  const k = `${key}\u0000${limit.requests}/${limit.perSeconds}`;
  let l = shared.get(k);
  if (!l) shared.set(k, l = tokenBucket(limit));
  return l;
}
