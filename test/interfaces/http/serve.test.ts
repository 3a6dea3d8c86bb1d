/**
 * `timebridge serve` over real HTTP: the CLI starts the service as a subprocess on a free
 * port against a temp workspace of two .ics folders; tokens come from `timebridge token`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { signWebhook } from '../../../src/connectors/kit/webhooks.js';
import { api, event, startServe, tb, until, WEBHOOK_SECRET, workspace, type Served } from '../../support/serve.js';

function token(dir: string, user: string, role: 'admin' | 'user'): string {
  const r = tb(dir, ['token', 'create', '--user', user, '--role', role]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

describe('timebridge serve', () => {
  let dir: string, srv: Served, admin: string, alice: string, bob: string;
  const secretKey = Buffer.alloc(32, 7).toString('base64');

  before(async () => {
    dir = workspace();
    fs.writeFileSync(path.join(dir, 'a', 'one.ics'), event('one@test', 'First'));
    admin = token(dir, 'root', 'admin');
    alice = token(dir, 'alice', 'user');
    bob = token(dir, 'bob', 'user');
    srv = await startServe(dir, [], { TIMEBRIDGE_SECRET_KEY: secretKey });
  });
  after(async () => {
    await srv?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers health without a token and refuses the API without one, with a code and a hint', async () => {
    assert.deepEqual((await api(srv.url, 'GET', '/healthz')).body, { ok: true });
    const ready = await api(srv.url, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.ready, true);
    const none = await api(srv.url, 'GET', '/api/v1/links');
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'AUTH_REQUIRED');
    assert.match(none.body.error.hint, /timebridge token create/);
    const wrong = await api(srv.url, 'GET', '/api/v1/links', { token: 'tb_not-a-real-token-at-all' });
    assert.equal(wrong.status, 401);
    assert.equal((await api(srv.url, 'GET', '/metrics')).status, 401);
    const me = await api(srv.url, 'GET', '/api/v1/me', { token: alice });
    assert.deepEqual(me.body, { userId: 'alice', role: 'user' });
    const unknown = await api(srv.url, 'GET', '/api/v1/nothing-here', { token: alice });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'RESOURCE_NOT_FOUND');
  });

  it('a revoked token stops working', async () => {
    const t = token(dir, 'carol', 'user');
    assert.equal((await api(srv.url, 'GET', '/api/v1/me', { token: t })).status, 200);
    const list = await api(srv.url, 'GET', '/api/v1/tokens', { token: admin });
    const id = list.body.tokens.find((x: { userId: string }) => x.userId === 'carol').id;
    assert.equal((await api(srv.url, 'GET', '/api/v1/tokens', { token: alice })).status, 403);
    assert.equal((await api(srv.url, 'DELETE', `/api/v1/tokens/${id}`, { token: admin })).status, 204);
    assert.equal((await api(srv.url, 'GET', '/api/v1/me', { token: t })).status, 401);
  });

  it('serves a valid OpenAPI 3.1 document and a reference page', async () => {
    const doc = await api(srv.url, 'GET', '/openapi.json');
    assert.equal(doc.status, 200);
    const v = new Validator();
    const res = await v.validate(doc.body);
    assert.equal(res.valid, true, JSON.stringify(res.errors, null, 2));
    for (const p of [
      '/api/v1/links',
      '/api/v1/links/{name}/sync',
      '/api/v1/connections/{name}/test',
      '/api/v1/conflicts/{link}/{hubId}/resolve',
      '/api/v1/jobs',
      '/webhooks/{type}/{connection}',
      '/metrics',
      '/healthz',
    ]) {
      assert.ok(doc.body.paths[p], `${p} is documented`);
    }
    const page = await fetch(`${srv.url}/docs/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger/i);
  });

  it('refuses invalid requests with REQUEST_INVALID naming the field', async () => {
    const bad = await api(srv.url, 'POST', '/api/v1/links', {
      token: admin,
      body: { name: 'x', config: { connection: 'a', scope: 'team', direction: 'sideways' } },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'REQUEST_INVALID');
    assert.match(bad.body.error.message, /direction/);
    const notJson = await fetch(`${srv.url}/api/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as { error: { code: string } }).error.code, 'REQUEST_INVALID');
    const unknownConn = await api(srv.url, 'POST', '/api/v1/links', { token: alice, body: { name: 'x', config: { connection: 'nope', scope: 'team' } } });
    assert.equal(unknownConn.status, 400);
    assert.match(unknownConn.body.error.message, /nope/);
  });

  it('keeps connection secrets write-only and sealed at rest; users own theirs, admins the global ones', async () => {
    fs.mkdirSync(path.join(dir, 'users', 'alice', 'alice-cal'), { recursive: true });
    const created = await api(srv.url, 'POST', '/api/v1/connections', {
      token: alice,
      body: { name: 'alice-cal', type: 'ics-folder', settings: { path: 'alice-cal', webhook: { secret: 'alice-super-secret-webhook-key' } } },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.owner, 'alice');
    assert.deepEqual(created.body.secrets, ['webhook.secret']);
    assert.ok(!created.text.includes('alice-super-secret'));
    const got = await api(srv.url, 'GET', '/api/v1/connections/alice-cal', { token: alice });
    assert.ok(!got.text.includes('alice-super-secret'));
    // Never in the database file in clear.
    for (const f of fs.readdirSync(dir).filter((x) => x.startsWith('hub.sqlite'))) {
      assert.ok(!fs.readFileSync(path.join(dir, f)).includes('alice-super-secret'), `${f} holds the secret in clear`);
    }
    // Bob neither sees nor changes it; alice cannot change the global (file) ones.
    assert.equal((await api(srv.url, 'GET', '/api/v1/connections/alice-cal', { token: bob })).status, 404);
    const bobs = await api(srv.url, 'GET', '/api/v1/connections', { token: bob });
    assert.deepEqual(
      bobs.body.connections.map((c: { name: string }) => c.name),
      ['a', 'b'],
    );
    const global = await api(srv.url, 'POST', '/api/v1/links/a/disable', { token: alice });
    assert.equal(global.status, 403);
    assert.equal(global.body.error.code, 'AUTH_FORBIDDEN');
    const readOnly = await api(srv.url, 'DELETE', '/api/v1/connections/a', { token: admin });
    assert.equal(readOnly.status, 409);
    assert.equal(readOnly.body.error.code, 'RESOURCE_READ_ONLY');
    // Alice links her calendar into a scope of her own (team is global) and tests the connection.
    const team = await api(srv.url, 'POST', '/api/v1/links', { token: alice, body: { name: 'alice', config: { connection: 'alice-cal', scope: 'team' } } });
    assert.equal(team.status, 403, team.text);
    const link = await api(srv.url, 'POST', '/api/v1/links', {
      token: alice,
      body: { name: 'alice', config: { connection: 'alice-cal', scope: 'alice-team' } },
    });
    assert.equal(link.status, 201, link.text);
    const test = await api(srv.url, 'POST', '/api/v1/connections/alice-cal/test', { token: alice });
    assert.deepEqual(test.body, { ok: true, items: 0 });
    const synced = await api(srv.url, 'POST', '/api/v1/links/alice/sync?wait=true', { token: alice });
    assert.equal(synced.status, 200, synced.text);
    assert.equal(synced.body.state, 'done');
    assert.equal((await api(srv.url, 'POST', '/api/v1/links/alice/sync', { token: bob })).status, 404);
    assert.equal((await api(srv.url, 'DELETE', '/api/v1/connections/alice-cal', { token: alice })).status, 409, 'in use by a link');
    assert.equal((await api(srv.url, 'DELETE', '/api/v1/links/alice', { token: alice })).status, 204);
    assert.equal((await api(srv.url, 'DELETE', '/api/v1/connections/alice-cal', { token: alice })).status, 204);
  });

  it('syncs a link on request and shows the run with its plan', async () => {
    const r = await api(srv.url, 'POST', '/api/v1/links/a/sync?wait=true', { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.state, 'done');
    const runId = r.body.result.runId;
    const run = await api(srv.url, 'GET', `/api/v1/runs/${runId}`, { token: admin });
    assert.equal(run.status, 200);
    assert.ok(Array.isArray(run.body.plan.actions));
    // The hub change reaches b through a follow-up run.
    await until('b has the event', async () => fs.readdirSync(path.join(dir, 'b')).some((f) => f.endsWith('.ics')));
    const plan = await api(srv.url, 'POST', '/api/v1/links/b/plan', { token: admin });
    assert.equal(plan.status, 200);
    assert.equal(plan.body.plan.actions.filter((a: { op: string }) => a.op !== 'record').length, 0);
  });

  it('verifies webhook signatures: good, bad, replayed, stale and missing', async () => {
    const body = JSON.stringify({ changed: ['one.ics'] });
    const post = (headers: Record<string, string>, b = body) =>
      fetch(`${srv.url}/webhooks/ics-folder/a`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
    const good = signWebhook(WEBHOOK_SECRET, body);
    const ok = await post({ 'x-timebridge-signature': good });
    assert.equal(ok.status, 202);
    const replay = await post({ 'x-timebridge-signature': good });
    assert.equal(replay.status, 401);
    assert.equal(((await replay.json()) as { error: { code: string } }).error.code, 'WEBHOOK_REPLAYED');
    const stale = await post({ 'x-timebridge-signature': signWebhook(WEBHOOK_SECRET, body, new Date(Date.now() - 3_600_000)) });
    assert.equal(stale.status, 401);
    const marker = 'BODY-MARKER-must-not-be-logged';
    const bad = await post({ 'x-timebridge-signature': signWebhook('some-other-secret-entirely', marker) }, marker);
    assert.equal(bad.status, 401);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'WEBHOOK_SIGNATURE_INVALID');
    const missing = await post({});
    assert.equal(missing.status, 401);
    assert.equal((await post({ 'x-timebridge-signature': good }, body)).status, 401);
    // Unknown connection or one without a secret: 404, no hint of which.
    assert.equal((await fetch(`${srv.url}/webhooks/ics-folder/b`, { method: 'POST', body: '{}' })).status, 404);
    await until('the refusal is logged', async () => srv.stderr().includes('webhook refused'));
    assert.ok(!srv.stderr().includes(marker), 'a refused body is never logged');
  });

  // The burst must arrive within the grace period; the workspace's grace (2 s) leaves room on a loaded machine.
  it('folds a burst of webhooks into one run after the grace period', async () => {
    const before = (await api(srv.url, 'GET', '/api/v1/runs?link=a&limit=500', { token: admin })).body.runs.length;
    fs.writeFileSync(path.join(dir, 'a', 'two.ics'), event('two@test', 'Second'));
    const jobs = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const body = JSON.stringify({ n: i });
      const res = await fetch(`${srv.url}/webhooks/ics-folder/a`, {
        method: 'POST',
        headers: { 'x-timebridge-signature': signWebhook(WEBHOOK_SECRET, body) },
        body,
      });
      assert.equal(res.status, 202);
      for (const r of ((await res.json()) as { runs: { jobId: string }[] }).runs) jobs.add(r.jobId);
    }
    assert.equal(jobs.size, 1, 'every delivery of the burst joined one job');
    const [jobId] = [...jobs];
    const job = await until('the webhook job is done', async () => {
      const j = await api(srv.url, 'GET', `/api/v1/jobs/${jobId}`, { token: admin });
      return j.body.state === 'done' ? j.body : null;
    });
    assert.equal(job.data.trigger, 'webhook');
    const after = (await api(srv.url, 'GET', '/api/v1/runs?link=a&limit=500', { token: admin })).body.runs.length;
    assert.equal(after - before, 1);
    await until('b has the second event', async () => fs.readdirSync(path.join(dir, 'b')).length === 2);
  });

  it('exposes Prometheus metrics and never logs a token', async () => {
    const m = await api(srv.url, 'GET', '/metrics', { token: admin });
    assert.equal(m.status, 200);
    for (const name of [
      'timebridge_runs_total',
      'timebridge_actions_total',
      'timebridge_api_calls_total',
      'timebridge_queue_jobs',
      'timebridge_webhook_response_seconds',
      'timebridge_rate_limit_waits_total',
    ]) {
      assert.ok(m.text.includes(name), name);
    }
    assert.match(m.text, /timebridge_api_calls_total\{connection="a"\} \d+/);
    for (const t of [admin, alice, bob]) assert.ok(!srv.stderr().includes(t) && !srv.stdout().includes(t), 'a token appears in the output');
  });
});

describe('timebridge serve refuses to start', () => {
  it('when sealed secrets exist and no key is given', async () => {
    const dir = workspace();
    try {
      const key = Buffer.alloc(32, 9).toString('base64');
      const srv = await startServe(dir, [], { TIMEBRIDGE_SECRET_KEY: key });
      const t = token(dir, 'root', 'admin');
      fs.mkdirSync(path.join(dir, 'c'));
      const r = await api(srv.url, 'POST', '/api/v1/connections', {
        token: t,
        body: { name: 'c', type: 'ics-folder', settings: { path: path.join(dir, 'c'), webhook: { secret: 'a-secret-of-enough-length' } } },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(await srv.stop(), 0);
      await assert.rejects(startServe(dir), (err: Error) => /TIMEBRIDGE_SECRET_KEY is not set/.test(err.message) && /exited with 2/.test(err.message));
      await assert.rejects(startServe(dir, [], { TIMEBRIDGE_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') }), /sealed with key/);
      // Rotation: re-seal with a new key, then only the new key works.
      const next = Buffer.alloc(32, 3).toString('base64');
      const rot = tb(dir, ['secrets', 'rotate'], { TIMEBRIDGE_SECRET_KEY: key, TIMEBRIDGE_NEW_SECRET_KEY: next });
      assert.equal(rot.code, 0, rot.stderr);
      assert.match(rot.stdout, /re-sealed 1 connections/);
      await assert.rejects(startServe(dir, [], { TIMEBRIDGE_SECRET_KEY: key }), /sealed with key/);
      const again = await startServe(dir, [], { TIMEBRIDGE_SECRET_KEY: next });
      assert.equal(await again.stop(), 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
