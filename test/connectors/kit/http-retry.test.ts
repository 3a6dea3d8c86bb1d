/**
 * Retries in the kit's HTTP client, on virtual time: which requests are repeated, the
 * backoff and Retry-After waits, the attempts and the run's budget, the bucket pause on
 * a rate-limited answer, and operations repeated as a whole.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyGoogle } from '../../../src/connectors/google-calendar/google-client.js';
import { createHttpClient, type HttpClientOptions } from '../../../src/connectors/kit/http-client.js';
import { tokenBucket } from '../../../src/connectors/kit/rate-limiter.js';
import { retryBudget, type RetryEvent } from '../../../src/connectors/kit/retry.js';
import { isTimebridgeError, type TimebridgeError } from '../../../src/core/errors.js';
import { virtualTime, type VirtualTime } from '../../support/virtual-time.js';

type Answer = Response | Error;
interface Sent {
  method: string;
  path: string;
  headers: Headers;
}

/** A fetch that answers from a script per request (the default answer once the script runs out), recording what was sent. */
function scripted(answer: (sent: Sent, n: number) => Answer): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const f = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const s = { method: String(init?.method ?? 'GET'), path: `${url.pathname}${url.search}`, headers: new Headers(init?.headers) };
    sent.push(s);
    const a = answer(s, sent.length);
    if (a instanceof Error) throw a;
    return a;
  };
  return { fetch: f as typeof fetch, sent };
}

const ok = (body: unknown = {}) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
const status = (code: number, headers: Record<string, string> = {}, body = `status ${code}`) => new Response(body, { status: code, headers });

function client(vt: VirtualTime, f: typeof fetch, more: Partial<HttpClientOptions> = {}) {
  return createHttpClient({ baseUrl: 'http://api.test', fetch: f, now: vt.now, sleep: vt.sleep, random: vt.random, ...more });
}

async function failure(p: Promise<unknown>): Promise<TimebridgeError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isTimebridgeError(err), `expected a TimebridgeError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}

describe('http client retries', () => {
  it('a 500 on page 7 of a 10-page listing is retried and the listing completes', async () => {
    const vt = virtualTime();
    let failed = false;
    const { fetch, sent } = scripted((s) => {
      const page = Number(new URL(`http://x${s.path}`).searchParams.get('page'));
      if (page === 7 && !failed) {
        failed = true;
        return status(500);
      }
      return ok({ items: [page], last: page === 10 });
    });
    const c = client(vt, fetch);
    const items: number[] = [];
    for (let page = 1; ; page++) {
      const body = (await c.request({ method: 'GET', path: '/items', query: { page } })).json<{ items: number[]; last: boolean }>();
      items.push(...body.items);
      if (body.last) break;
    }
    assert.deepEqual(items, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(sent.length, 11, 'ten pages and one repeat of page 7');
    assert.deepEqual(
      sent.slice(6, 8).map((s) => s.path),
      ['/items?page=7', '/items?page=7'],
    );
    assert.deepEqual(vt.slept, [500], 'first retry: half (random 0.5) of the 1 s cap');
    assert.deepEqual([c.calls, c.retries], [11, 1]);
  });

  it('backs off exponentially with full jitter up to maxAttempts, then gives up with the count in the hint', async () => {
    const vt = virtualTime({ random: () => 0.5 });
    const { fetch, sent } = scripted(() => status(503));
    const events: RetryEvent[] = [];
    const c = client(vt, fetch, { events: { onRetry: (e) => events.push(e) } });
    const err = await failure(c.request({ method: 'GET', path: '/down' }));
    assert.equal(sent.length, 6, 'maxAttempts 6 by default');
    assert.deepEqual(vt.slept, [500, 1000, 2000, 4000, 8000]);
    assert.deepEqual(
      events.map((e) => [e.attempt, e.delayMs]),
      [
        [1, 500],
        [2, 1000],
        [3, 2000],
        [4, 4000],
        [5, 8000],
      ],
    );
    assert.equal(err.kind, 'transient');
    assert.equal(err.details?.gaveUp, 'attempts');
    assert.equal(err.details?.attempts, 6);
    assert.match(err.hint ?? '', /It was tried 6 times within this run\. The next run tries again/);
    assert.equal(c.retries, 5);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const vt = virtualTime({ random: () => 0.999999 });
    const { fetch } = scripted(() => status(502));
    const c = client(vt, fetch, { retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 3000, budgetMs: 60_000 } });
    await failure(c.request({ method: 'GET', path: '/x' }));
    assert.deepEqual(vt.slept, [1000, 2000, 3000, 3000]);
  });

  it('honours Retry-After in seconds and as an HTTP date, on the injected clock', async () => {
    const vt = virtualTime();
    const at = new Date(vt.now() + 12_000).toUTCString();
    const answers = [status(503, { 'retry-after': '7' }), status(429, { 'retry-after': at }), ok({ done: true })];
    const { fetch, sent } = scripted((_, n) => answers[n - 1]!);
    const c = client(vt, fetch);
    const t0 = vt.now();
    assert.deepEqual((await c.request({ method: 'GET', path: '/slow' })).json(), { done: true });
    assert.equal(sent.length, 3);
    // 7 s as asked; then until the date, which is 12 s after the start and so 5 s after the first wait.
    assert.deepEqual(vt.slept, [7000, 5000], "the server's waits win over the backoff (500, 1000)");
    assert.equal(vt.now() - t0, 12_000);
  });

  it('when the budget cannot cover a Retry-After, throws at once with its kind and retryAfter', async () => {
    const vt = virtualTime();
    const { fetch, sent } = scripted(() => status(429, { 'retry-after': '30' }));
    const c = client(vt, fetch, { retry: { budgetMs: 10_000 } });
    const err = await failure(c.request({ method: 'GET', path: '/limited' }));
    assert.equal(sent.length, 1);
    assert.deepEqual(vt.slept, []);
    assert.equal(err.kind, 'rate_limited');
    assert.equal(err.code, 'CONNECTOR_RATE_LIMITED');
    assert.equal(err.retryAfter, 30);
    assert.equal(err.details?.gaveUp, 'budget');
    assert.match(err.hint ?? '', /the next wait \(30 s\) is more than is left of this run's retry budget \(10 s\)/);
  });

  it('the budget is shared by the requests of a run and starts afresh when reset', async () => {
    const vt = virtualTime();
    const budget = retryBudget(1500);
    const { fetch, sent } = scripted(() => status(500));
    const c = client(vt, fetch, { budget });
    // First request: waits 500 and 1000 (1500 spent), then the 2000 wait does not fit.
    const first = await failure(c.request({ method: 'GET', path: '/a' }));
    assert.equal(first.details?.gaveUp, 'budget');
    assert.equal(first.retryAfter, 2, 'no Retry-After from the server: the wait it could not afford');
    assert.equal(sent.length, 3);
    // Second request, same run: nothing left, not even for 500 ms.
    const second = await failure(c.request({ method: 'GET', path: '/b' }));
    assert.equal(second.details?.attempts, 1);
    assert.equal(sent.length, 4);
    budget.reset();
    await failure(c.request({ method: 'GET', path: '/c' }));
    assert.equal(sent.length, 7, 'a new run gets the whole budget again');
    assert.deepEqual(vt.slept, [500, 1000, 500, 1000]);
  });

  it('does not repeat a POST that is not marked idempotent, and says so', async () => {
    const vt = virtualTime();
    const { fetch, sent } = scripted(() => status(503));
    const c = client(vt, fetch);
    const err = await failure(c.request({ method: 'POST', path: '/things', body: { a: 1 } }));
    assert.equal(sent.length, 1);
    assert.deepEqual(vt.slept, []);
    assert.equal(err.details?.gaveUp, 'unsafe');
    assert.match(err.hint ?? '', /not repeated within the run, as repeating it could apply it twice/);
  });

  it('repeats a POST the connector marked idempotent, and conditional PUT/PATCH/DELETE; not unconditional ones', async () => {
    const vt = virtualTime();
    const cases: [string, Record<string, string>, boolean | undefined, number][] = [
      ['POST', {}, true, 2],
      ['PUT', { 'if-match': '"e1"' }, undefined, 2],
      ['PUT', { 'if-none-match': '*' }, undefined, 2],
      ['PATCH', { 'if-match': '"e1"' }, undefined, 2],
      ['DELETE', { 'if-match': '"e1"' }, undefined, 2],
      ['PUT', {}, undefined, 1],
      ['PATCH', {}, undefined, 1],
      ['DELETE', {}, undefined, 1],
      ['MKCALENDAR', {}, undefined, 1],
      ['GET', {}, false, 1],
      ['PROPFIND', {}, undefined, 2],
      ['REPORT', {}, undefined, 2],
      ['HEAD', {}, undefined, 2],
    ];
    for (const [method, headers, idempotent, tries] of cases) {
      let n = 0;
      const { fetch } = scripted(() => (++n === 1 ? status(500) : ok()));
      const c = client(vt, fetch);
      const r = c.request({ method, path: '/x', headers, ...(idempotent !== undefined ? { idempotent } : {}) });
      if (tries === 2) await r;
      else await failure(r);
      assert.equal(n, tries, `${method} ${JSON.stringify(headers)} idempotent=${idempotent}`);
    }
  });

  it('never repeats answers that are not transient (400, 401, 403, 404, 409, 412)', async () => {
    for (const code of [400, 401, 403, 404, 409, 412]) {
      const vt = virtualTime();
      const { fetch, sent } = scripted(() => status(code));
      await failure(client(vt, fetch).request({ method: 'GET', path: '/x' }));
      assert.equal(sent.length, 1, `HTTP ${code}`);
    }
  });

  it('repeats after a connection reset and after a timeout', async () => {
    const vt = virtualTime();
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const answers: Answer[] = [reset, timeout, ok({ fine: true })];
    const { fetch, sent } = scripted((_, n) => answers[n - 1]!);
    const c = client(vt, fetch);
    assert.deepEqual((await c.request({ method: 'GET', path: '/flaky' })).json(), { fine: true });
    assert.equal(sent.length, 3);
    assert.deepEqual(vt.slept, [500, 1000]);
  });

  it('a rate-limited answer pauses the whole bucket: another client of the account waits too', async () => {
    const vt = virtualTime();
    const bucket = tokenBucket(null, vt);
    const waits: number[] = [];
    const a = client(vt, scripted(() => status(429, { 'retry-after': '3' })).fetch, { limiter: bucket });
    const b = client(vt, scripted(() => ok()).fetch, { limiter: bucket, events: { onWait: (ms) => waits.push(ms) } });
    const t0 = vt.now();
    await failure(a.request({ method: 'POST', path: '/write' }));
    await b.request({ method: 'GET', path: '/read' });
    assert.deepEqual(waits, [3000], "b waited out a's Retry-After");
    assert.equal(vt.now() - t0, 3000);
  });

  it('a Retry-After longer than the run may wait pauses the account only for what is left of the budget', async () => {
    const vt = virtualTime();
    const bucket = tokenBucket(null, vt);
    const budget = retryBudget(10_000);
    const waits: number[] = [];
    const a = client(vt, scripted(() => status(429, { 'retry-after': '3600' })).fetch, { limiter: bucket, budget });
    const b = client(vt, scripted(() => ok()).fetch, { limiter: bucket, budget, events: { onWait: (ms) => waits.push(ms) } });
    const err = await failure(a.request({ method: 'GET', path: '/limited' }));
    assert.deepEqual([err.details?.gaveUp, err.retryAfter], ['budget', 3600]);
    await b.request({ method: 'GET', path: '/read' });
    assert.deepEqual(waits, [10_000]);
  });

  it('repeatable() repeats a whole operation after a POST inside it failed, without repeating the POST itself', async () => {
    const vt = virtualTime();
    const made: string[] = [];
    let posts = 0;
    const { fetch } = scripted((s) => {
      if (s.method === 'GET') return ok({ found: made });
      posts++;
      if (posts <= 2) return status(502);
      made.push('w1');
      return ok({ id: 'w1' });
    });
    const c = client(vt, fetch);
    let runs = 0;
    const id = await c.repeatable('create w1', async () => {
      runs++;
      const found = (await c.request({ method: 'GET', path: '/lookup' })).json<{ found: string[] }>().found;
      if (found.includes('w1')) return 'w1 (found)';
      return (await c.request({ method: 'POST', path: '/create' })).json<{ id: string }>().id;
    });
    assert.equal(id, 'w1');
    assert.deepEqual([runs, posts], [3, 3]);
    assert.deepEqual(vt.slept, [500, 1000]);
    assert.equal(c.retries, 2);
  });

  it('an error that used up the attempts inside an operation is not retried again by the operation', async () => {
    const vt = virtualTime();
    const { fetch, sent } = scripted(() => status(500));
    const c = client(vt, fetch, { retry: { maxAttempts: 3 } });
    let runs = 0;
    await failure(
      c.repeatable('op', async () => {
        runs++;
        return c.request({ method: 'GET', path: '/x' });
      }),
    );
    assert.deepEqual([runs, sent.length], [1, 3]);
  });

  it('retry: false sends once', async () => {
    const vt = virtualTime();
    const { fetch, sent } = scripted(() => status(503));
    const err = await failure(client(vt, fetch, { retry: false }).request({ method: 'GET', path: '/x' }));
    assert.equal(sent.length, 1);
    assert.match(err.hint ?? '', /It was tried once within this run/);
  });
});

describe("http client: the connector's classification (Google)", () => {
  const googleError = (code: number, reason: string) =>
    status(
      code,
      { 'content-type': 'application/json' },
      JSON.stringify({ error: { errors: [{ domain: 'usageLimits', reason, message: reason }], code, message: reason } }),
    );

  it('retries 403 rateLimitExceeded and userRateLimitExceeded as rate-limited answers', async () => {
    for (const reason of ['rateLimitExceeded', 'userRateLimitExceeded']) {
      const vt = virtualTime();
      let n = 0;
      const { fetch } = scripted(() => (++n === 1 ? googleError(403, reason) : ok({ items: [] })));
      const c = client(vt, fetch, { classify: classifyGoogle });
      await c.request({ method: 'GET', path: '/calendars/x/events' });
      assert.equal(n, 2, reason);
      assert.deepEqual(vt.slept, [500]);
    }
  });

  it('does not retry other 403s, which stay auth errors', async () => {
    const vt = virtualTime();
    const { fetch, sent } = scripted(() => googleError(403, 'forbidden'));
    const err = await failure(client(vt, fetch, { classify: classifyGoogle }).request({ method: 'GET', path: '/calendars/x/events' }));
    assert.equal(sent.length, 1);
    assert.equal(err.kind, 'auth');
  });

  it('a 403 rateLimitExceeded that outlasts the attempts leaves as rate_limited, with status and body kept', async () => {
    const vt = virtualTime();
    const { fetch, sent } = scripted(() => googleError(403, 'rateLimitExceeded'));
    const err = await failure(client(vt, fetch, { classify: classifyGoogle, retry: { maxAttempts: 2 } }).request({ method: 'GET', path: '/e' }));
    assert.equal(sent.length, 2);
    assert.equal(err.code, 'CONNECTOR_RATE_LIMITED');
    assert.equal(err.details?.status, 403);
    assert.match(String(err.details?.body), /rateLimitExceeded/);
  });
});
