/**
 * `/tt` end to end: the Slack emulator signs and sends the command to the service's
 * receiver (`POST /chat/slack/team-slack`) over HTTP; the answer is Slack's ephemeral JSON.
 * Signatures (good, bad, stale, missing, body rewritten, replayed), the url_verification
 * handshake, and every command, with ambiguous and unknown projects, a person found by
 * Slack id and one found by e-mail through users.info.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SIGNING_SECRET, startSlackHarness, type SlackHarness } from './slack-harness.js';

/** Slack's signature, computed here independently of the hub's verifier. */
const sign = (ts: number, body: string, secret = SIGNING_SECRET) => `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

describe('Slack /tt commands', () => {
  let h: SlackHarness;
  before(async () => {
    h = await startSlackHarness();
  });
  after(() => h.close());

  const post = (body: string, headers: Record<string, string>) =>
    fetch(h.hook, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { error?: { code: string }; text?: string },
    }));
  const form = (text: string) => new URLSearchParams({ command: '/tt', text, user_id: 'U0ALICE', team_id: 'T0TIMEBRDG' }).toString();

  describe('signatures', () => {
    it('a good signature is answered 200 with an ephemeral message', async () => {
      const body = form('help'),
        ts = now();
      const r = await post(body, { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sign(ts, body) });
      assert.equal(r.status, 200);
      assert.match(String(r.body.text), /\/tt start/);
    });

    it('a bad, missing, stale or rewritten request is refused 401 and runs nothing', async () => {
      const body = form('start Website'),
        ts = now();
      const cases: [string, string, Record<string, string>, string][] = [
        [
          'wrong secret',
          body,
          { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sign(ts, body, 'another-secret-xyz') },
          'WEBHOOK_SIGNATURE_INVALID',
        ],
        ['no signature', body, { 'x-slack-request-timestamp': String(ts) }, 'WEBHOOK_SIGNATURE_INVALID'],
        ['no timestamp', body, { 'x-slack-signature': sign(ts, body) }, 'WEBHOOK_SIGNATURE_INVALID'],
        [
          'body rewritten after signing',
          body.replace('Website', 'Mobile'),
          { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sign(ts, body) },
          'WEBHOOK_SIGNATURE_INVALID',
        ],
        [
          'timestamp changed after signing',
          body,
          { 'x-slack-request-timestamp': String(ts + 1), 'x-slack-signature': sign(ts, body) },
          'WEBHOOK_SIGNATURE_INVALID',
        ],
        ['stale (6 minutes old)', body, { 'x-slack-request-timestamp': String(ts - 360), 'x-slack-signature': sign(ts - 360, body) }, 'WEBHOOK_REPLAYED'],
      ];
      for (const [what, b, headers, code] of cases) {
        const r = await post(b, headers);
        assert.deepEqual([r.status, r.body.error?.code], [401, code], what);
      }
      // Through the emulator too: signed with a wrong secret, and stale.
      const bad = await h.slack.sendCommand({ url: h.hook, text: 'start Website', userId: 'U0ALICE', secret: 'not-the-secret' });
      assert.equal(bad.status, 401);
      const stale = await h.slack.sendCommand({ url: h.hook, text: 'start Website', userId: 'U0ALICE', timestamp: now() - 301 });
      assert.equal(stale.status, 401);
      assert.equal((await h.svc.store.listScope('team', 'timer')).filter((t) => !t.tombstone).length, 0, 'no timer was started');
    });

    it('a request seen before is refused as a replay', async () => {
      const body = form('status'),
        ts = now();
      const headers = { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sign(ts, body) };
      assert.equal((await post(body, headers)).status, 200);
      const again = await post(body, headers);
      assert.deepEqual([again.status, again.body.error?.code], [401, 'WEBHOOK_REPLAYED']);
    });

    it('an unknown connection is 404, as is one of another type', async () => {
      const r = await fetch(h.hook.replace('team-slack', 'nope'), { method: 'POST', body: 'x' });
      assert.equal(r.status, 404);
      const t = await fetch(h.hook.replace('/chat/slack/', '/chat/kimai/'), { method: 'POST', body: 'x' });
      assert.equal(t.status, 404);
    });
  });

  it('url_verification: the challenge is echoed', async () => {
    const challenge = '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P';
    const res = await fetch(`${h.slack.url()}/_emulator/slack/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: h.hook, event: { token: 'x', challenge, type: 'url_verification' } }),
    });
    const answer = (await res.json()) as { status: number; body: string };
    assert.deepEqual([answer.status, answer.body], [200, challenge]);
  });

  it('help, and an unknown command answers with the help', async () => {
    const help = await h.tt('help');
    assert.deepEqual([help.status, help.body.response_type], [200, 'ephemeral']);
    assert.match(String(help.body.text), /\/tt today/);
    const odd = await h.tt('dance');
    assert.match(String(odd.body.text), /I don't know `\/tt dance`/);
  });

  it('start with an ambiguous name lists the matches and starts nothing; an unknown name says what exists', async () => {
    const amb = await h.tt('start web');
    assert.equal(amb.status, 200);
    assert.match(String(amb.body.text), /"web" matches 2/);
    assert.match(String(amb.body.text), /Website/);
    assert.match(String(amb.body.text), /Web shop/);
    assert.match(String(amb.body.text), new RegExp(`/tt start ${h.ids.webshop}`));
    const unknown = await h.tt('start Gardening');
    assert.match(String(unknown.body.text), /No project or task matches "Gardening"/);
    assert.match(String(unknown.body.text), /Mobile app/);
    const status = await h.tt('status');
    assert.match(String(status.body.text), /No timer is running/);
  });

  it('start by partial name (any case), by task key, status, stop and today', async () => {
    const started = await h.tt('start WEBSI');
    assert.match(String(started.body.text), /Timer started on project \*Website\*/);
    let timer = (await h.svc.store.listScope('team', 'timer')).find((t) => !t.tombstone)!;
    assert.deepEqual([timer.fields.personId, timer.fields.projectId, timer.origin], [h.ids.alice, h.ids.website, 'chat:team-slack']);
    const status = await h.tt('status');
    assert.match(String(status.body.text), /Your timer runs on project \*Website\* since \d\d:\d\d/);
    // A start by a task's key stops the running timer first.
    const task = await h.tt('start mob-7');
    assert.match(String(task.body.text), /Timer started on task \*MOB-7 Fix login\*\. Your previous timer was stopped/);
    timer = (await h.svc.store.listScope('team', 'timer')).find((t) => !t.tombstone)!;
    assert.deepEqual([timer.fields.taskId, timer.fields.projectId], [h.ids.task, h.ids.mobile]);
    const stopped = await h.tt('stop');
    assert.match(String(stopped.body.text), /Timer stopped: \d+ min booked on \d{4}-\d\d-\d\d on task \*MOB-7/);
    const none = await h.tt('stop');
    assert.match(String(none.body.text), /No timer is running, so there is nothing to stop/);
    const today = await h.tt('today');
    assert.match(String(today.body.text), /\(Europe\/Berlin\): \d+ min in 2 entries/);
    assert.match(String(today.body.text), /on project \*Website\*/);
    assert.match(String(today.body.text), /on task \*MOB-7 Fix login\*/);
  });

  it('a person without a Slack id is found by the e-mail users.info gives; a stranger is told how to link', async () => {
    const bob = await h.tt('start mobile', 'U0BOB');
    assert.match(String(bob.body.text), /Timer started on project \*Mobile app\*/);
    const timer = (await h.svc.store.listScope('team', 'timer')).find((t) => !t.tombstone && t.fields.personId === h.ids.bob);
    assert.ok(timer, "bob's timer runs");
    assert.equal(h.slack.counts.get('POST /api/users.info'), 1);
    // Cached: no second users.info.
    await h.tt('status', 'U0BOB');
    assert.equal(h.slack.counts.get('POST /api/users.info'), 1);
    h.slack.addUser({ id: 'U0CAROL', name: 'carol', realName: 'Carol', email: 'carol@elsewhere.example', tz: 'UTC' });
    const carol = await h.tt('status', 'U0CAROL');
    assert.match(String(carol.body.text), /not linked to a person in Timebridge.*U0CAROL/);
    // Slack refusing users.info is said as such, not as "not linked".
    h.slack.inject({ path: '^/api/users\\.info$', status: 200, body: { ok: false, error: 'missing_scope' }, times: 1 });
    const dave = await h.tt('status', 'U0DAVE');
    assert.match(String(dave.body.text), /could not look up your Slack account: Slack users.info refused: missing_scope.*users:read.email/);
  });

  it("the bot token and signing secret are sealed; a user's Slack connection cannot act in a scope the user does not own", async () => {
    const settings = { apiUrl: 'https://slack.example.com/api/', botToken: 'xoxb-alice-app', signingSecret: 'alice-signing-secret', scope: 'team' };
    const made = await h.call('alice', 'POST', '/api/v1/connections', { name: 'alice-slack', type: 'slack', settings });
    assert.equal(made.status, 201, made.text);
    assert.deepEqual([...made.body.secrets].sort(), ['botToken', 'signingSecret']);
    assert.ok(!made.text.includes('xoxb-alice-app') && !made.text.includes('alice-signing-secret'), 'no secret in the answer');
    // alice signs a command as U0ALICE with her own app's secret: scope team is not hers, so nothing answers there.
    const forged = await h.slack.sendCommand({
      url: h.hook.replace('team-slack', 'alice-slack'),
      text: 'stop',
      userId: 'U0ALICE',
      secret: 'alice-signing-secret',
    });
    assert.equal(forged.status, 404);
  });
});
