/**
 * Counting a connection's connector calls for /metrics. Pacing is not done here: every
 * HTTP request takes a token from its account's bucket in the kit's HTTP client
 * (`connectors/kit/rate-limiter.ts`), sized by the connection's `rateLimit` or the
 * connector's published limit, and a rate-limited answer pauses that bucket. The
 * client reports its waits and retries through the events the catalog gives it.
 */
import type { Connector } from '../connectors/kit/connector.js';
import type { HttpEvents } from '../connectors/kit/http-client.js';
import { aroundCalls } from '../runtime/counting-connector.js';
import type { Metrics } from './metrics.js';

export interface CallEvents {
  onCall?(): void;
}

/** The connector with every call counted. */
export function counted<E>(inner: Connector<E>, events: CallEvents): Connector<E> {
  return aroundCalls(inner, (call) => {
    events.onCall?.();
    return call();
  });
}

/** Where a connection's HTTP clients report their bucket waits and retries. */
export function httpMetrics(
  metrics: Pick<Metrics, 'rateLimitWait' | 'httpRetry'>,
  connection: string,
  log?: (e: { method: string; path: string; attempt: number; delayMs: number; code: string }) => void,
): HttpEvents {
  return {
    onWait: (ms) => metrics.rateLimitWait(connection, ms),
    onRetry: (e) => {
      metrics.httpRetry(connection, e.error.kind);
      log?.({ method: e.method, path: e.path, attempt: e.attempt, delayMs: e.delayMs, code: e.error.code });
    },
  };
}
