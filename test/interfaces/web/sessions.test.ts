/**
 * Dashboard sessions over the real Fastify server (in process), without a browser: the
 * cookie, CSRF on state-changing requests, ownership through the session, revocation, the
 * live stream; and the session store's idle expiry. The browser-level checks are in
 * dashboard.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SESSION_IDLE_MS, WebSessions, csrfMatches } from '../../../src/interfaces/web/sessions.js';
import { linkLight } from '../../../src/interfaces/web/overview.js';
import { startHarness, type Harness } from '../http/security-harness.js';
import { until } from '../../support/serve.js';

describe('dashboard sessions over HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ store: 'sqlite' });
  });
  after(async () => {
    await h?.close();
  });

  async function signIn(token: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token } });
    assert.equal(res.statusCode, 200, res.body);
    const setCookie = String(res.headers['set-cookie']);
    return { cookie: setCookie.split(';')[0]!, csrf: res.json().csrf, setCookie };
  }
  const withCookie = (cookie: string, method: string, url: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: method as 'GET', url, headers: { cookie, ...headers } });

  it('sets a signed, HttpOnly, SameSite=Strict cookie that holds no token, and acts as the token’s user', async () => {
    const s = await signIn(h.tokens.alice);
    assert.match(s.setCookie, /HttpOnly/);
    assert.match(s.setCookie, /SameSite=Strict/);
    assert.ok(!s.setCookie.includes(h.tokens.alice));
    const me = await withCookie(s.cookie, 'GET', '/api/v1/me');
    assert.deepEqual(me.json(), { userId: 'alice', role: 'user' });
    const links = (await withCookie(s.cookie, 'GET', '/api/v1/overview')).json().links.map((l: { name: string }) => l.name);
    assert.deepEqual(links.sort(), ['alice-link', 'g']);
    assert.equal((await withCookie(s.cookie, 'GET', `/api/v1/runs/${h.runs.bob.runId}/diff`)).statusCode, 404);
  });

  it('refuses a state-changing request without the CSRF token or with a wrong one, and takes the right one', async () => {
    const s = await signIn(h.tokens.alice);
    const bare = await withCookie(s.cookie, 'POST', '/api/v1/links/alice-link/disable');
    assert.equal(bare.statusCode, 403);
    assert.equal(bare.json().error.code, 'AUTH_CSRF');
    assert.ok(bare.json().error.hint);
    assert.equal((await withCookie(s.cookie, 'POST', '/api/v1/links/alice-link/disable', { 'x-csrf-token': 'x'.repeat(s.csrf.length) })).statusCode, 403);
    const other = await signIn(h.tokens.alice);
    assert.equal((await withCookie(s.cookie, 'POST', '/api/v1/links/alice-link/disable', { 'x-csrf-token': other.csrf })).statusCode, 403);
    assert.equal((await withCookie(s.cookie, 'POST', '/api/v1/links/alice-link/disable', { 'x-csrf-token': s.csrf })).statusCode, 200);
    await h.restore();
  });

  it('a forged or tampered cookie is no session, and a page without one answers 303 to sign-in', async () => {
    const s = await signIn(h.tokens.admin);
    const tampered = s.cookie.replace(/=(.)/, (_m, c: string) => `=${c === 'A' ? 'B' : 'A'}`);
    assert.equal((await withCookie(tampered, 'GET', '/api/v1/me')).statusCode, 401);
    assert.equal((await withCookie('tb_session=made-up', 'GET', '/api/v1/me')).statusCode, 401);
    const page = await withCookie(tampered, 'GET', '/runs');
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, '/signin?next=%2Fruns');
    const ok = await withCookie(s.cookie, 'GET', '/runs');
    assert.equal(ok.statusCode, 200);
    assert.match(String(ok.headers['content-security-policy']), /script-src 'self'/);
  });

  it('sign-out and token revocation end the session', async () => {
    const s = await signIn(h.tokens.bob);
    assert.equal((await withCookie(s.cookie, 'DELETE', '/api/v1/session')).statusCode, 403);
    assert.equal((await withCookie(s.cookie, 'DELETE', '/api/v1/session', { 'x-csrf-token': s.csrf })).statusCode, 204);
    assert.equal((await withCookie(s.cookie, 'GET', '/api/v1/me')).statusCode, 401);

    const t = await h.call('admin', 'POST', '/api/v1/tokens', { userId: 'dora', role: 'user' });
    const d = await signIn(t.body.token);
    assert.equal((await withCookie(d.cookie, 'GET', '/api/v1/me')).statusCode, 200);
    assert.equal((await h.call('admin', 'DELETE', `/api/v1/tokens/${t.body.id}`)).status, 204);
    const after = await withCookie(d.cookie, 'GET', '/api/v1/me');
    assert.equal(after.statusCode, 401);
    assert.match(after.json().error.message, /revoked/);
  });

  it('streams live progress of a run the caller can see, and nothing of another user’s', async () => {
    const alice = await signIn(h.tokens.alice);
    const bob = await signIn(h.tokens.bob);
    const stream = (s: { cookie: string }) => withCookie(s.cookie, 'GET', '/api/v1/events?timeoutMs=5000');
    const streams = [stream(alice), stream(bob)] as const;
    await until('both streams listen', () => h.svc.events.size >= 2);
    assert.equal((await h.call('alice', 'POST', '/api/v1/links/alice-link/sync?wait=true', { full: true })).status, 200);
    const [a, b] = await Promise.all(streams);
    assert.equal(a.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.match(a.body, /event: started\ndata: \{"type":"started","link":"alice-link"/);
    assert.match(a.body, /event: finished\ndata: .*"link":"alice-link".*"status":"ok"/);
    assert.ok(!b.body.includes('alice-link'), b.body);
  });
});

describe('session store', () => {
  it('a session ends after it stays idle too long; use keeps it alive', () => {
    let now = 0;
    const sessions = new WebSessions(() => now);
    const s = sessions.open('hash');
    now = SESSION_IDLE_MS - 1;
    assert.equal(sessions.get(s.id)?.tokenHash, 'hash');
    now += SESSION_IDLE_MS - 1;
    assert.ok(sessions.get(s.id));
    now += SESSION_IDLE_MS;
    assert.equal(sessions.get(s.id), null);
  });

  it('CSRF tokens compare exactly', () => {
    const s = new WebSessions().open('h');
    assert.equal(csrfMatches(s, s.csrf), true);
    assert.equal(csrfMatches(s, undefined), false);
    assert.equal(csrfMatches(s, s.csrf.slice(1)), false);
    assert.equal(csrfMatches(s, s.csrf.slice(0, -1) + (s.csrf.endsWith('A') ? 'B' : 'A')), false);
  });
});

describe('overview light', () => {
  const none = { parked: 0, conflicts: 0, losses: 0 };
  it('is green only for an enabled link whose last run was clean and that waits for nothing', () => {
    assert.deepEqual(linkLight('a', true, { status: 'ok', errors: 0 }, none), { light: 'green', todo: null });
    assert.equal(linkLight('a', true, { status: 'failed', errors: 1 }, none).light, 'red');
    assert.match(linkLight('a', true, { status: 'ok', errors: 0 }, { ...none, conflicts: 2 }).todo!, /Conflicts/);
    assert.equal(linkLight('a', true, { status: 'ok', errors: 0 }, { ...none, parked: 1 }).light, 'red');
    assert.equal(linkLight('a', false, { status: 'ok', errors: 0 }, none).light, 'amber');
    assert.equal(linkLight('a', true, null, none).light, 'amber');
    assert.equal(linkLight('a', true, { status: 'partial', errors: 3 }, none).light, 'amber');
  });
});
