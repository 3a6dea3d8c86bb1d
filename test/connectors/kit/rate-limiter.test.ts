/**
 * The token bucket on virtual time: bursts up to the bucket size, then one request per
 * refill; a pause holds every request back; buckets are shared per account. Every wait
 * is exact, as nothing here reads the wall clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHttpClient } from '../../../src/connectors/kit/http-client.js';
import { accountKey, clientOptions } from '../../../src/connectors/kit/http-setup.js';
import { bucketRegistry, tokenBucket } from '../../../src/connectors/kit/rate-limiter.js';
import { virtualTime } from '../../support/virtual-time.js';

describe('token bucket', () => {
  it('lets a burst of the bucket size through, then spaces requests by the refill', async () => {
    const vt = virtualTime();
    const bucket = tokenBucket({ requests: 4, perSeconds: 0.2 }, vt);
    const t0 = vt.now();
    const waited: boolean[] = [];
    for (let i = 0; i < 8; i++) waited.push((await bucket.take()).waited);
    assert.deepEqual(waited, [false, false, false, false, true, true, true, true]);
    // 20 tokens a second: each request past the burst waits 50 ms.
    assert.deepEqual(vt.slept, [50, 50, 50, 50]);
    assert.equal(vt.now() - t0, 200);
  });

  it('serves concurrent requests in order, each reserving the next token', async () => {
    const vt = virtualTime();
    const bucket = tokenBucket({ requests: 1, perSeconds: 1 }, vt);
    const waits = await Promise.all([0, 1, 2, 3].map(() => bucket.take().then((r) => r.waitMs)));
    assert.deepEqual(waits, [0, 1000, 2000, 3000]);
  });

  it('a pause (Retry-After) holds back the next request, with or without a limit', async () => {
    for (const limit of [{ requests: 100, perSeconds: 1 }, null]) {
      const vt = virtualTime();
      const bucket = tokenBucket(limit, vt);
      await bucket.take();
      bucket.pause(300);
      assert.deepEqual(await bucket.take(), { waited: true, waitMs: 300 });
      assert.deepEqual(await bucket.take(), { waited: false, waitMs: 0 }, 'the pause is over');
    }
  });

  it('without a limit, never waits', async () => {
    const vt = virtualTime();
    const bucket = tokenBucket(null, vt);
    for (let i = 0; i < 1000; i++) await bucket.take();
    assert.deepEqual(vt.slept, []);
  });
});

describe('pacing per HTTP request', () => {
  const okFetch = (async () => new Response('{}', { status: 200 })) as unknown as typeof fetch;

  it('N requests against a limit of r a second wait (N − r) / r seconds in all', async () => {
    const vt = virtualTime();
    const waits: number[] = [];
    const c = createHttpClient({
      baseUrl: 'http://api.test',
      fetch: okFetch,
      now: vt.now,
      sleep: vt.sleep,
      limiter: tokenBucket({ requests: 2, perSeconds: 1 }, vt),
      events: { onWait: (ms) => waits.push(ms) },
    });
    const t0 = vt.now();
    for (let page = 1; page <= 10; page++) await c.request({ method: 'GET', path: '/items', query: { page } });
    assert.equal(waits.length, 8, 'each of the 8 requests past the burst of 2 waited');
    assert.equal(
      waits.reduce((a, b) => a + b, 0),
      4000,
    );
    assert.equal(vt.now() - t0, 4000);
    assert.equal(c.calls, 10);
  });

  it("the clients of one account share its bucket; another account has its own; the connection's rateLimit wins over the published one", async () => {
    const vt = virtualTime();
    const buckets = bucketRegistry(vt);
    const setup = { buckets, clock: vt };
    const published = { requests: 1, perSeconds: 1 };
    const make = (key: string, s: object = setup) => createHttpClient({ baseUrl: 'http://api.test', fetch: okFetch, ...clientOptions(s, { key, published }) });
    const one = accountKey('http://api.test', 'token-1');
    const a = make(one),
      b = make(one),
      other = make(accountKey('http://api.test', 'token-2'));
    await a.request({ method: 'GET', path: '/x' });
    await other.request({ method: 'GET', path: '/x' });
    assert.deepEqual(vt.slept, [], 'two accounts, one token each');
    await b.request({ method: 'GET', path: '/x' });
    assert.deepEqual(vt.slept, [1000], "b waited for a's token");
    const own = make(accountKey('http://api.test', 'token-3'), { ...setup, rateLimit: { requests: 10, perSeconds: 1 } });
    for (let i = 0; i < 11; i++) await own.request({ method: 'GET', path: '/x' });
    assert.deepEqual(vt.slept, [1000, 100], 'ten a second: the 11th waits 100 ms');
  });

  it('keys an account by address and a hash of the credential, never the credential itself', () => {
    const key = accountKey('https://api.tempo.io/', 'secret-token-123');
    assert.ok(!key.includes('secret-token-123'));
    assert.equal(key, accountKey('https://api.tempo.io', 'secret-token-123'));
    assert.notEqual(key, accountKey('https://api.tempo.io', 'secret-token-124'));
  });
});
