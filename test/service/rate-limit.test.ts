/** The per-connection limiter: bursts up to the bucket size, then one call per refill; Retry-After pauses every call. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connector } from '../../src/connectors/kit/connector.js';
import { TimebridgeError } from '../../src/core/errors.js';
import { rateLimited, tokenBucket } from '../../src/service/rate-limit.js';

function fakeConnector(fail?: () => Error): Connector<unknown> {
  return {
    manifest: { type: 'fake', kinds: [{ external: 'x', hub: 'event' }], can: { create: true, update: true, delete: true }, incremental: 'full-listing', etags: true, webhooks: false, idempotency: 'marker', batchSize: 10 },
    list: async () => { if (fail) throw fail(); return { mode: 'full', refs: [], removed: [], complete: true, cursor: null, failures: [] }; },
    get: async () => [], create: async () => ({ id: 'a', etag: '1' }), update: async () => ({ id: 'a', etag: '2' }),
    delete: async () => undefined, findByKey: async () => null,
  };
}

describe('rate limiter', () => {
  it('lets a burst of the bucket size through, then spaces calls by the refill', async () => {
    let calls = 0, waits = 0;
    const c = rateLimited(fakeConnector(), tokenBucket({ requests: 4, perSeconds: 0.2 }), { onCall: () => calls++, onWait: () => waits++ });
    const t0 = performance.now();
    for (let i = 0; i < 8; i++) await c.list({ cursor: null, window: null });
    const ms = performance.now() - t0;
    assert.equal(calls, 8);
    assert.equal(waits, 4, 'the four calls past the burst waited');
    // 4 extra tokens at 20 tokens/s: about 200 ms.
    assert.ok(ms >= 180, `took ${ms.toFixed(0)} ms`);
  });

  it('a rate_limited answer with Retry-After holds back the next call', async () => {
    let first = true;
    const c = rateLimited(fakeConnector(() => {
      if (first) { first = false; return new TimebridgeError('CONNECTOR_RATE_LIMITED', 'slow down', { retryAfter: 0.3 }); }
      return new TimebridgeError('CONNECTOR_TRANSIENT', 'second call reached');
    }), tokenBucket({ requests: 100, perSeconds: 1 }));
    await assert.rejects(c.list({ cursor: null, window: null }), /slow down/);
    const t0 = performance.now();
    await assert.rejects(c.list({ cursor: null, window: null }), /second call reached/);
    assert.ok(performance.now() - t0 >= 280, 'waited for Retry-After');
  });
});
