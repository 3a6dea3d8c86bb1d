/**
 * The Slack emulator against api-contracts §7: bot-token auth with `ok:false` errors on
 * HTTP 200, posting and its log, users.info / users.lookupByEmail, 429 with Retry-After and
 * the slowness knob through the kit, and the signed slash command it sends — checked here
 * with an independent HMAC, not the hub's verifier.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createSlackEmulator, fillSlackDemo, type SlackEmulator } from '../../src/emulators/slack/index.js';

const TOKEN = 'xoxb-emulator-bot-token';

describe('Slack emulator', () => {
  let e: SlackEmulator, base: string;
  const call = async (method: string, body: unknown, token: string | null = TOKEN) => {
    const res = await fetch(`${base}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };

  before(async () => {
    e = createSlackEmulator();
    fillSlackDemo(e);
    base = await e.listen();
  });
  after(() => e.close());

  it('auth.test answers for the bot token; a missing or wrong token is ok:false on HTTP 200', async () => {
    const ok = await call('auth.test', {});
    assert.deepEqual([ok.status, ok.body.ok, ok.body.team_id], [200, true, 'T0TIMEBRDG']);
    const none = await call('auth.test', {}, null);
    assert.deepEqual([none.status, none.body], [200, { ok: false, error: 'not_authed' }]);
    const bad = await call('chat.postMessage', { channel: 'C0TIMERS', text: 'x' }, 'xoxb-wrong');
    assert.deepEqual([bad.status, bad.body], [200, { ok: false, error: 'invalid_auth' }]);
    assert.equal(e.messages().length, 0, 'nothing posted with a wrong token');
  });

  it('chat.postMessage posts to a channel or a user (DM) and logs it; bad channels and empty text are refused', async () => {
    const r = await call('chat.postMessage', { channel: 'C0TIMERS', text: 'hello' });
    assert.equal(r.body.ok, true);
    assert.match(String(r.body.ts), /^\d+\.\d{6}$/);
    assert.equal((await call('chat.postMessage', { channel: 'U0ALICE', text: 'dm' })).body.ok, true);
    assert.deepEqual((await call('chat.postMessage', { channel: 'C0NOPE', text: 'x' })).body, { ok: false, error: 'channel_not_found' });
    assert.deepEqual((await call('chat.postMessage', { channel: 'C0TIMERS', text: '' })).body, { ok: false, error: 'no_text' });
    const log = (await (await fetch(`${base}/_emulator/slack/messages`)).json()) as { messages: { channel: string; text: string }[] };
    assert.deepEqual(
      log.messages.map((m) => [m.channel, m.text]),
      [
        ['C0TIMERS', 'hello'],
        ['U0ALICE', 'dm'],
      ],
    );
  });

  it('chat.postEphemeral needs a member of the channel', async () => {
    assert.equal((await call('chat.postEphemeral', { channel: 'C0TIMERS', user: 'U0ALICE', text: 'psst' })).body.ok, true);
    e.addUser({ id: 'U0CAROL', name: 'carol', realName: 'Carol', email: null, tz: 'UTC' });
    assert.deepEqual((await call('chat.postEphemeral', { channel: 'C0TIMERS', user: 'U0CAROL', text: 'x' })).body, {
      ok: false,
      error: 'user_not_in_channel',
    });
  });

  it('users.info (form-encoded, as Slack wants it) and users.lookupByEmail', async () => {
    const res = await fetch(`${base}/api/users.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${TOKEN}` },
      body: 'user=U0ALICE',
    });
    const info = (await res.json()) as { ok: boolean; user: { id: string; tz: string; profile: { email: string } } };
    assert.deepEqual([info.ok, info.user.id, info.user.tz, info.user.profile.email], [true, 'U0ALICE', 'Europe/Berlin', 'alice@example.com']);
    assert.deepEqual((await call('users.info', { user: 'U0NOBODY' })).body, { ok: false, error: 'user_not_found' });
    const byMail = await call('users.lookupByEmail', { email: 'BOB@example.com' });
    assert.equal((byMail.body.user as { id: string }).id, 'U0BOB');
    assert.deepEqual((await call('users.lookupByEmail', { email: 'x@y.z' })).body, { ok: false, error: 'users_not_found' });
  });

  it('a 429 fault carries Retry-After and ratelimited; the latency setting slows every call', async () => {
    e.inject({ path: '^/api/chat\\.postMessage$', status: 429, retryAfter: 2, times: 1 });
    const limited = await call('chat.postMessage', { channel: 'C0TIMERS', text: 'x' });
    assert.deepEqual([limited.status, limited.headers.get('retry-after'), limited.body], [429, '2', { ok: false, error: 'ratelimited' }]);
    // The slowness knob: a call answers only after the latency, seen as ordering against a timer.
    e.settings.latencyMs = 300;
    let timerFired = false;
    const t = setTimeout(() => (timerFired = true), 100);
    await call('auth.test', {});
    clearTimeout(t);
    e.settings.latencyMs = 0;
    assert.equal(timerFired, true, 'the 100 ms timer fired before the slowed call answered');
  });

  it('sends a signed slash command to a URL and returns the answer', async () => {
    let got: { headers: http.IncomingHttpHeaders; body: string } | null = null;
    const target = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got = { headers: req.headers, body };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ response_type: 'ephemeral', text: 'pong' }));
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const port = (target.address() as { port: number }).port;
    try {
      const res = await fetch(`${base}/_emulator/slack/command`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `http://127.0.0.1:${port}/hook`, text: 'start web', userId: 'U0ALICE' }),
      });
      const answer = (await res.json()) as { status: number; body: string };
      assert.deepEqual([answer.status, JSON.parse(answer.body).text], [200, 'pong']);
      const g = got as unknown as { headers: http.IncomingHttpHeaders; body: string };
      const ts = String(g.headers['x-slack-request-timestamp']);
      const want = `v0=${createHmac('sha256', e.workspace.signingSecret).update(`v0:${ts}:${g.body}`).digest('hex')}`;
      assert.equal(g.headers['x-slack-signature'], want);
      assert.equal(g.headers['content-type'], 'application/x-www-form-urlencoded');
      const form = new URLSearchParams(g.body);
      assert.deepEqual([form.get('command'), form.get('text'), form.get('user_id'), form.get('team_id')], ['/tt', 'start web', 'U0ALICE', 'T0TIMEBRDG']);
      assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 60);
    } finally {
      target.close();
    }
  });

  it('a command not answered within 3 s is operation_timeout; a response_url takes 5 messages', async () => {
    const target = http.createServer((_req, res) => {
      setTimeout(() => res.end('{}'), 3500).unref();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const port = (target.address() as { port: number }).port;
    try {
      const late = await e.sendCommand({ url: `http://127.0.0.1:${port}/`, text: 'status', userId: 'U0ALICE' });
      assert.deepEqual([late.status, late.error], [0, 'operation_timeout']);
    } finally {
      target.closeAllConnections();
      target.close();
    }
    let responseUrl = '';
    const catcher = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        responseUrl = new URLSearchParams(body).get('response_url') ?? '';
        res.end('');
      });
    });
    await new Promise<void>((r) => catcher.listen(0, '127.0.0.1', r));
    try {
      await e.sendCommand({ url: `http://127.0.0.1:${(catcher.address() as { port: number }).port}/`, text: 'today', userId: 'U0BOB' });
    } finally {
      catcher.close();
    }
    assert.match(responseUrl, /\/_emulator\/slack\/response\/[0-9a-f]+$/);
    const before = e.messages().length;
    const send = (n: number) =>
      fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `part ${n}` }) }).then(
        (r) => r.status,
      );
    const statuses = [];
    for (let n = 1; n <= 6; n++) statuses.push(await send(n));
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 410]);
    const posted = e.messages().slice(before);
    assert.deepEqual(
      posted.map((m) => [m.text, m.ephemeral, m.user]),
      [1, 2, 3, 4, 5].map((n) => [`part ${n}`, true, 'U0BOB']),
    );
  });
});
