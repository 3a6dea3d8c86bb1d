import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isTimebridgeError, type ErrorKind, type TimebridgeError } from '../../../src/core/errors.js';
import { createHttpClient, redact } from '../../../src/connectors/kit/http-client.js';
import { ANSWER_EXCERPT_CHARS } from '../../../src/core/parking.js';

const TOKEN = 'tok_live_5ecr3tT0kenValue';
const PASSWORD = 'pa55-w0rd-very-secret';
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64');

/** What the server saw, for the tests that check what was sent. */
let seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

function handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const status = url.pathname.match(/\/status\/(\d+)$/)?.[1];
  if (status) {
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    const retryAfter = url.searchParams.get('retryAfter');
    if (retryAfter) headers['retry-after'] = retryAfter;
    res.writeHead(Number(status), headers);
    // Like a careless debug page: echo the request headers, credentials included.
    res.end(`status ${status}; you sent ${JSON.stringify(req.headers)} ${url.searchParams.get('pad') ?? ''}`);
  } else if (url.pathname.endsWith('/loop')) {
    res.writeHead(307, { location: '/loop' });
    res.end();
  } else if (url.pathname.endsWith('/moved')) {
    res.writeHead(301, { location: url.searchParams.get('to') ?? '/echo' });
    res.end();
  } else if (url.pathname.endsWith('/echo')) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' });
    res.end(JSON.stringify({ method: req.method, url: req.url, body }));
  } else if (url.pathname.endsWith('/slow-headers')) {
    setTimeout(() => res.end('late'), 2000).unref();
  } else if (url.pathname.endsWith('/slow-body')) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
    setTimeout(() => res.end(' rest'), 2000).unref();
  } else if (url.pathname.endsWith('/not-json')) {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<html>login page for ${req.headers.authorization ?? ''}</html>`);
  } else {
    res.writeHead(404);
    res.end('no such route');
  }
}

const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    handle(req, body, res);
  });
});
let base = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

async function failure(promise: Promise<unknown>): Promise<TimebridgeError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isTimebridgeError(err), `expected a TimebridgeError, got ${String(err)}`);
    return err;
  }
  assert.fail('the request was expected to fail');
}

function assertNoSecret(err: TimebridgeError): void {
  const shown = JSON.stringify({ message: err.message, hint: err.hint, details: err.details, stack: err.stack });
  for (const secret of [TOKEN, PASSWORD, BASIC]) {
    assert.ok(!shown.includes(secret), `error text leaks ${redact(secret)}: ${shown}`);
  }
}

describe('http client: statuses', () => {
  it('returns 2xx and unfollowed 3xx responses, with text, json and headers', async () => {
    const client = createHttpClient({ baseUrl: base });
    const res = await client.request({ method: 'get', path: '/echo' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-test'), 'yes');
    assert.deepEqual(res.json<{ method: string }>().method, 'GET');
    assert.equal(JSON.parse(res.text).url, '/echo');
    const notModified = await client.request({ method: 'GET', path: '/status/304' });
    assert.equal(notModified.status, 304);
  });

  it('follows a redirect on the same server with the same method and body, and refuses one to another server', async () => {
    const client = createHttpClient({ baseUrl: base, auth: { type: 'basic', username: 'alice', password: PASSWORD } });
    const res = await client.request({ method: 'PROPFIND', path: '/moved', body: 'props' });
    assert.deepEqual(res.json(), { method: 'PROPFIND', url: '/echo', body: 'props' });
    assert.equal(client.calls, 2, 'both hops are counted');
    const away = await failure(client.request({ method: 'GET', path: '/moved', query: { to: 'http://example.invalid/steal' } }));
    assert.equal(away.kind, 'invalid_input');
    assert.match(away.message, /not the configured server/);
    const loop = await failure(client.request({ method: 'GET', path: '/loop' }));
    assert.match(loop.message, /redirected more than 5 times/);
  });

  const table: [number, ErrorKind, string][] = [
    [400, 'invalid_input', 'CONNECTOR_INVALID_INPUT'],
    [422, 'invalid_input', 'CONNECTOR_INVALID_INPUT'],
    [401, 'auth', 'CONNECTOR_AUTH'],
    [403, 'auth', 'CONNECTOR_AUTH'],
    [404, 'not_found', 'CONNECTOR_NOT_FOUND'],
    [409, 'conflict', 'CONNECTOR_CONFLICT'],
    [410, 'precondition', 'CONNECTOR_PRECONDITION'],
    [412, 'precondition', 'CONNECTOR_PRECONDITION'],
    [418, 'invalid_input', 'CONNECTOR_INVALID_INPUT'],
    [429, 'rate_limited', 'CONNECTOR_RATE_LIMITED'],
    [500, 'transient', 'CONNECTOR_TRANSIENT'],
    [502, 'transient', 'CONNECTOR_TRANSIENT'],
    [503, 'transient', 'CONNECTOR_TRANSIENT'],
  ];
  for (const [status, kind, code] of table) {
    it(`turns HTTP ${status} into ${code}`, async () => {
      const client = createHttpClient({ baseUrl: base, auth: { type: 'bearer', token: TOKEN } });
      const err = await failure(client.request({ method: 'PUT', path: `/status/${status}` }));
      assert.equal(err.kind, kind);
      assert.equal(err.code, code);
      assert.match(err.message, new RegExp(`^PUT /status/${status} failed with HTTP ${status}: status ${status}`));
      assert.equal(err.details?.status, status);
      assert.ok(err.hint);
      assertNoSecret(err);
    });
  }

  it('says to check credentials on 401', async () => {
    const err = await failure(createHttpClient({ baseUrl: base }).request({ method: 'GET', path: '/status/401' }));
    assert.match(err.hint ?? '', /credentials/);
    assert.match(err.hint ?? '', /expired/);
  });

  it('keeps 200 characters of the body in the message, 1 KB in details, and the query string out', async () => {
    const client = createHttpClient({ baseUrl: base, retry: false });
    const err = await failure(
      client.request({
        method: 'GET',
        path: '/status/500',
        query: { pad: 'x'.repeat(1000), api_key: 'query-secret-123' },
      }),
    );
    const excerpt = String(err.details?.body);
    // The details keep enough of the answer for a parked item's reason (core/parking.ts), never a whole page.
    assert.ok(excerpt.length <= ANSWER_EXCERPT_CHARS && excerpt.length > 200 && excerpt.startsWith('status 500'), excerpt);
    assert.ok(err.message.length < 300, err.message);
    assert.ok(!JSON.stringify({ m: err.message, d: err.details }).includes('query-secret-123'));
    assert.equal(err.details?.path, '/status/500');
  });
});

// Retries are off here: these tests read the error; http-retry.test.ts covers the waits.
describe('http client: Retry-After', () => {
  const now = () => Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

  it('reads delay seconds on 429 and 503', async () => {
    const client = createHttpClient({ baseUrl: base, now, retry: false });
    const limited = await failure(client.request({ method: 'GET', path: '/status/429', query: { retryAfter: '120' } }));
    assert.equal(limited.retryAfter, 120);
    assert.equal(limited.retryable, true);
    const down = await failure(client.request({ method: 'GET', path: '/status/503', query: { retryAfter: '5' } }));
    assert.equal(down.retryAfter, 5);
  });

  it('reads an HTTP date relative to now(), never below zero', async () => {
    const client = createHttpClient({ baseUrl: base, now, retry: false });
    const later = await failure(
      client.request({
        method: 'GET',
        path: '/status/429',
        query: { retryAfter: 'Wed, 21 Oct 2015 07:30:00 GMT' },
      }),
    );
    assert.equal(later.retryAfter, 120);
    const past = await failure(
      client.request({
        method: 'GET',
        path: '/status/429',
        query: { retryAfter: 'Wed, 21 Oct 2015 07:00:00 GMT' },
      }),
    );
    assert.equal(past.retryAfter, 0);
  });

  it('leaves retryAfter unset when the header is absent or unreadable', async () => {
    const client = createHttpClient({ baseUrl: base, now, retry: false });
    assert.equal((await failure(client.request({ method: 'GET', path: '/status/429' }))).retryAfter, undefined);
    const junk = await failure(client.request({ method: 'GET', path: '/status/429', query: { retryAfter: 'soon' } }));
    assert.equal(junk.retryAfter, undefined);
  });
});

describe('http client: network failures', () => {
  it('turns a timeout before the headers into a transient error', async () => {
    // The server answers after 2 s: had the client not given up, the request would have succeeded.
    const client = createHttpClient({ baseUrl: base, timeoutMs: 100, retry: false });
    const err = await failure(client.request({ method: 'GET', path: '/slow-headers' }));
    assert.equal(err.kind, 'transient');
    assert.match(err.message, /GET \/slow-headers got no answer within 100 ms/);
    assert.equal(client.calls, 1);
  });

  it('turns a timeout while reading the body into a transient error', async () => {
    const err = await failure(createHttpClient({ baseUrl: base, timeoutMs: 150, retry: false }).request({ method: 'GET', path: '/slow-body' }));
    assert.equal(err.kind, 'transient');
  });

  it('turns a refused connection into a transient error and still counts the call', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = createHttpClient({ baseUrl: `http://127.0.0.1:${port}`, auth: { type: 'bearer', token: TOKEN }, retry: false });
    const err = await failure(client.request({ method: 'GET', path: '/anything' }));
    assert.equal(err.kind, 'transient');
    assert.match(err.message, /ECONNREFUSED/);
    assert.equal(client.calls, 1);
    assertNoSecret(err);
  });
});

describe('http client: requests', () => {
  it('sends basic auth, and never shows it in errors', async () => {
    seen = [];
    const client = createHttpClient({ baseUrl: base, auth: { type: 'basic', username: 'alice', password: PASSWORD }, retry: false });
    await client.request({ method: 'GET', path: '/echo' });
    assert.equal(seen[0]?.headers.authorization, `Basic ${BASIC}`);
    for (const status of [401, 500]) assertNoSecret(await failure(client.request({ method: 'GET', path: `/status/${status}` })));
  });

  it('sends bearer auth, and never shows it in errors', async () => {
    seen = [];
    const client = createHttpClient({ baseUrl: base, auth: { type: 'bearer', token: TOKEN } });
    await client.request({ method: 'GET', path: '/echo' });
    assert.equal(seen[0]?.headers.authorization, `Bearer ${TOKEN}`);
    const err = await failure(client.request({ method: 'GET', path: '/status/403' }));
    assert.match(err.message, /"authorization":"Bear…"/, 'the echoed header shows only redacted');
    assertNoSecret(err);
    assertNoSecret(await failure(client.request({ method: 'GET', path: '/not-json' }).then((r) => r.json())));
  });

  it('sends an object body as JSON with its content type, and a string as is', async () => {
    seen = [];
    const client = createHttpClient({ baseUrl: base });
    const res = await client.request({ method: 'POST', path: '/echo', body: { a: 1, b: ['x'] } });
    assert.equal(res.json<{ body: string }>().body, '{"a":1,"b":["x"]}');
    assert.equal(seen[0]?.headers['content-type'], 'application/json');
    await client.request({ method: 'PUT', path: '/echo', headers: { 'Content-Type': 'text/calendar' }, body: 'BEGIN:VCALENDAR' });
    assert.equal(seen[1]?.headers['content-type'], 'text/calendar');
    assert.equal(seen[1]?.body, 'BEGIN:VCALENDAR');
    assert.match(String(seen[0]?.headers['user-agent']), /^timebridge\//);
  });

  it('joins paths to the base path, adds the query and skips undefined values', async () => {
    seen = [];
    const client = createHttpClient({ baseUrl: `${base}/api/`, userAgent: 'tb-test' });
    await client.request({ method: 'GET', path: '/v1/echo', query: { page: 2, q: 'a b&c', skip: undefined } });
    assert.equal(seen[0]?.url, '/api/v1/echo?page=2&q=a+b%26c');
    assert.equal(seen[0]?.headers['user-agent'], 'tb-test');
    await client.request({ method: 'GET', path: `${base}/dav/echo` });
    assert.equal(seen[1]?.url, '/dav/echo', 'an absolute URL on the same origin is used as is');
  });

  it('refuses to send credentials to another origin', async () => {
    seen = [];
    const client = createHttpClient({ baseUrl: base, auth: { type: 'bearer', token: TOKEN } });
    const err = await failure(client.request({ method: 'GET', path: 'http://localhost:1/echo' }));
    assert.equal(err.kind, 'invalid_input');
    assert.equal(client.calls, 0);
  });

  it('refuses a baseUrl with credentials in it, without echoing them', () => {
    assert.throws(
      () => createHttpClient({ baseUrl: `http://alice:${PASSWORD}@127.0.0.1/` }),
      (err: unknown) => {
        assert.ok(isTimebridgeError(err));
        assert.equal(err.code, 'CONFIG_INVALID');
        assertNoSecret(err);
        return true;
      },
    );
  });

  it('counts every request sent, retries included', async () => {
    const client = createHttpClient({ baseUrl: base, sleep: async () => undefined, retry: { maxAttempts: 3 } });
    assert.equal(client.calls, 0);
    await client.request({ method: 'GET', path: '/echo' });
    await failure(client.request({ method: 'GET', path: '/status/500' }));
    await client.request({ method: 'HEAD', path: '/echo' });
    assert.deepEqual([client.calls, client.retries], [5, 2]);
  });

  it('reports a non-JSON answer to json() as invalid input', async () => {
    const res = await createHttpClient({ baseUrl: base }).request({ method: 'GET', path: '/not-json' });
    assert.throws(
      () => res.json(),
      (err: unknown) => isTimebridgeError(err) && err.kind === 'invalid_input',
    );
  });

  it('redacts a secret to a 4-character prefix', () => {
    assert.equal(redact('abcdefgh'), 'abcd…');
    assert.equal(redact('ab'), 'ab…');
  });
});
