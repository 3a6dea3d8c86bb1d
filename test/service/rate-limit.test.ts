/** The service counts connector calls and routes the HTTP clients' bucket waits and retries to /metrics; it paces nothing itself. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connector } from '../../src/connectors/kit/connector.js';
import { TimebridgeError } from '../../src/core/errors.js';
import { createMetrics } from '../../src/service/metrics.js';
import { counted, httpMetrics } from '../../src/service/rate-limit.js';

function fakeConnector(): Connector<unknown> {
  return {
    manifest: {
      type: 'fake',
      kinds: [{ external: 'x', hub: 'event', can: { create: true, update: true, delete: true } }],
      incremental: 'full-listing',
      etags: true,
      webhooks: false,
      idempotency: 'marker',
      batchSize: 10,
    },
    list: async () => ({ mode: 'full', refs: [], removed: [], complete: true, cursor: null, failures: [] }),
    get: async () => [],
    create: async () => ({ id: 'a', etag: '1' }),
    update: async () => ({ id: 'a', etag: '2' }),
    delete: async () => undefined,
    findByKey: async () => null,
  };
}

describe('service metrics of connector calls and HTTP requests', () => {
  it('counts every connector call', async () => {
    let calls = 0;
    const c = counted(fakeConnector(), { onCall: () => calls++ });
    for (let i = 0; i < 8; i++) await c.list({ cursor: null, window: null });
    await c.get(['a']);
    assert.equal(calls, 9);
  });

  it('routes bucket waits and retries of a connection to /metrics', async () => {
    const metrics = createMetrics(() => null);
    const logged: unknown[] = [];
    const events = httpMetrics(metrics, 'gcal', (e) => logged.push(e));
    events.onWait!(250);
    events.onWait!(750);
    const error = new TimebridgeError('CONNECTOR_RATE_LIMITED', 'slow down');
    events.onRetry!({ method: 'GET', path: '/events', attempt: 1, delayMs: 2000, error });
    const text = await metrics.registry.metrics();
    assert.match(text, /timebridge_rate_limit_waits_total\{connection="gcal"\} 2\n/);
    assert.match(text, /timebridge_rate_limit_wait_seconds_total\{connection="gcal"\} 1\n/);
    assert.match(text, /timebridge_http_retries_total\{connection="gcal",kind="rate_limited"\} 1\n/);
    assert.deepEqual(logged, [{ method: 'GET', path: '/events', attempt: 1, delayMs: 2000, code: 'CONNECTOR_RATE_LIMITED' }]);
  });
});
