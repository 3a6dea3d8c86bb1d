/**
 * Log lines an outsider can cause at any rate (refused webhooks) are sampled: a burst
 * is logged, then at most `perSecond` lines a second; the next line that is written
 * says how many were left out. Every refusal still counts in /metrics.
 */
export interface LogSampler {
  /** Whether to log this one; `suppressed` is how many were left out since the last logged line. */
  take(nowMs?: number): { log: boolean; suppressed: number };
}

export function logSampler(perSecond = 1, burst = 10): LogSampler {
  let tokens = burst,
    at = Date.now(),
    suppressed = 0;
  return {
    take(nowMs = Date.now()) {
      tokens = Math.min(burst, tokens + ((nowMs - at) / 1000) * perSecond);
      at = nowMs;
      if (tokens < 1) {
        suppressed++;
        return { log: false, suppressed };
      }
      tokens--;
      const out = { log: true, suppressed };
      suppressed = 0;
      return out;
    },
  };
}
