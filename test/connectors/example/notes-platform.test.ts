/**
 * The proof that a new system is one folder: the example notes connector
 * (`./notes-example/`, built only from connectors/kit and core) is registered with one line,
 * and the config loader, the runtime, the secret store, the admin-only rule, the webhook
 * route and the OAuth connect flow all take it from its registry entry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { parseConfig } from '../../../src/app/config.js';
import { createLogger } from '../../../src/app/logger.js';
import { connectionMarks } from '../../../src/app/secret-fields.js';
import { CONNECTORS } from '../../../src/connectors/registry.js';
import { NOTES_CLIENT_ID, NOTES_CLIENT_SECRET } from './notes-server.js';
import { notesEntry } from './notes-example/index.js';
import { NOTES_DELIVERY, NOTES_SIGNATURE, signNotes } from './notes-example/webhook.js';
import { HOOK_SECRET, TOKEN_B, notesConfig, startNotesApp, type NotesApp } from './notes-app.js';

// The one registry line.
CONNECTORS['notes-example'] = notesEntry;

const put = (server: NotesApp['a'], id: string, title: string) =>
  server.notes.set(id, { id, etag: `"seed-${id}"`, key: id.toUpperCase(), title, done: id === 'a2', due: '2026-04-01' });
const titles = (server: NotesApp['a']) => [...server.notes.values()].map((n) => n.title).sort();

describe('a new system is one folder: the example notes connector', () => {
  let t: NotesApp;
  before(async () => {
    t = await startNotesApp();
  });
  after(async () => {
    await t?.close();
  });

  it('timebridge.yaml takes a notes connection by its schema, and refuses a wrong setting naming the key', () => {
    const env = { NOTES_TOKEN_A: 'x' };
    const loaded = parseConfig(notesConfig('http://127.0.0.1:1', 'http://127.0.0.1:2'), 'timebridge.yaml', env);
    assert.equal(loaded.connections['notes-b']?.type, 'notes-example');
    assert.equal((loaded.connections['notes-b']?.settings as { pageSize: number }).pageSize, 50, "the schema's default is filled in");
    const wrong = notesConfig('http://127.0.0.1:1', 'http://127.0.0.1:2').replace('    pageSize: 2\n', '    pageSize: 0\n');
    assert.throws(
      () => parseConfig(wrong, 'timebridge.yaml', env),
      (err: Error) => /connections\.notes-a\.pageSize: /.test(err.message),
    );
    const both = notesConfig('http://127.0.0.1:1', 'http://127.0.0.1:2').replace(
      `    apiToken: ${TOKEN_B}\n`,
      `    apiToken: ${TOKEN_B}\n    apiTokenEnv: NOTES_TOKEN_B\n`,
    );
    assert.throws(() => parseConfig(both, 'timebridge.yaml', env), /connections\.notes-b: give exactly one of apiToken, apiTokenEnv and oauth/);
    delete CONNECTORS['notes-example'];
    try {
      assert.throws(
        () => parseConfig(notesConfig('http://127.0.0.1:1', 'http://127.0.0.1:2'), 'timebridge.yaml', env),
        /unknown connector "notes-example"/,
        'without its registry line the type is unknown',
      );
    } finally {
      CONNECTORS['notes-example'] = notesEntry;
    }
  });

  it('a sync through the runtime moves notes both ways through the hub scope', async () => {
    put(t.a, 'a1', 'Buy milk');
    put(t.a, 'a2', 'Water plants');
    put(t.a, 'a3', 'Book flights');
    put(t.b, 'b1', 'Call Bob');
    for (const link of ['notes-a', 'notes-b', 'notes-a']) {
      const r = await t.call('admin', 'POST', `/api/v1/links/${link}/sync?wait=true`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.state, 'done', `run of ${link}: ${r.text}`);
    }
    const all = ['Book flights', 'Buy milk', 'Call Bob', 'Water plants'];
    assert.deepEqual(titles(t.a), all, "B's note reached A (A's token came from the environment, pages of 2)");
    assert.deepEqual(titles(t.b), all, "A's notes reached B");
    const copy = (title: string) => [...t.b.notes.values()].find((n) => n.title === title);
    assert.deepEqual([copy('Buy milk')?.key, copy('Buy milk')?.done, copy('Buy milk')?.due], ['A1', false, '2026-04-01'], 'with their fields');
    assert.equal(copy('Water plants')?.done, true);
    const tasks = await t.svc.store.listScope('team-notes', 'task');
    assert.equal(tasks.length, 4, 'one hub task per note, none twice');
    const b1 = tasks.find((r) => r.fields['key'] === 'B1');
    assert.deepEqual(
      b1 && [b1.identity, b1.fields['summary'], b1.fields['status'], b1.fields['extras']],
      ['task:B1', 'Call Bob', 'open', { notes: { due: '2026-04-01' } }],
      'hub task fields (core/fields)',
    );
  });

  it("a user's API token is sealed in the store and never shown; reading the server's environment is refused to users", async () => {
    const secretToken = 'alice-clear-text-token-42';
    const made = await t.call('alice', 'POST', '/api/v1/connections', {
      name: 'alice-notes',
      type: 'notes-example',
      settings: { baseUrl: t.b.url, apiToken: secretToken },
    });
    assert.equal(made.status, 201, made.text);
    const row = await t.svc.store.getDefinition('connection', 'alice-notes');
    assert.ok(row?.secrets, 'the definition row has sealed secrets');
    assert.ok(!JSON.stringify(row).includes(secretToken), 'no clear text in the definitions row');
    const view = await t.call('alice', 'GET', '/api/v1/connections/alice-notes');
    assert.equal(view.status, 200, view.text);
    assert.deepEqual(view.body.secrets, ['apiToken']);
    assert.ok(!view.text.includes(secretToken), 'the API never shows it');
    const byEnv = await t.call('alice', 'POST', '/api/v1/connections', {
      name: 'alice-env',
      type: 'notes-example',
      settings: { baseUrl: t.b.url, apiTokenEnv: 'NOTES_TOKEN_A' },
    });
    assert.equal(byEnv.status, 403, byEnv.text);
    assert.equal(byEnv.body.error.code, 'AUTH_FORBIDDEN');
    assert.match(byEnv.body.error.message, /settings\.apiTokenEnv/);
    const admin = await t.call('admin', 'POST', '/api/v1/connections', {
      name: 'admin-env',
      type: 'notes-example',
      settings: { baseUrl: t.a.url, apiTokenEnv: 'NOTES_TOKEN_A' },
    });
    assert.equal(admin.status, 201, `an admin may: ${admin.text}`);
  });

  it('the secret marks follow the entry registered now, even for a type asked about before it was registered', () => {
    assert.deepEqual(Object.keys(connectionMarks('notes-late')), ['webhook'], 'unknown yet: only the common settings');
    CONNECTORS['notes-late'] = notesEntry;
    try {
      assert.deepEqual(connectionMarks('notes-late')['apiToken'], { $mark: 'secret' });
      assert.deepEqual(connectionMarks('notes-late')['apiTokenEnv'], { $mark: 'env', into: 'apiToken' });
    } finally {
      delete CONNECTORS['notes-late'];
    }
  });

  it("the logger redacts the connector's secret by its mark, wherever it is logged", () => {
    const lines: string[] = [];
    const log = createLogger({
      destination: new Writable({
        write: (c, _e, cb) => {
          lines.push(String(c));
          cb();
        },
      }),
    });
    log.info({ connection: { settings: { apiToken: 'logged-token-value' } } }, 'building');
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes('logged-token-value'), lines[0]);
  });

  describe('webhooks at /webhooks/notes-example/<connection>', () => {
    const hook = (body: string, headers: Record<string, string>) =>
      t.call('anonymous', 'POST', '/webhooks/notes-example/notes-a', body, { 'content-type': 'application/json', ...headers });
    const jobCount = async () => (await t.call('admin', 'GET', '/api/v1/jobs?limit=500')).body.jobs.length as number;

    it("a signed delivery is accepted with 202 and queues a run of the connection's link", async () => {
      const body = JSON.stringify({ type: 'changed', note: 'a1' });
      const r = await hook(body, { [NOTES_SIGNATURE]: signNotes(HOOK_SECRET, body), [NOTES_DELIVERY]: 'd-1' });
      assert.equal(r.status, 202, r.text);
      assert.deepEqual(
        r.body.runs.map((x: { link: string }) => x.link),
        ['notes-a'],
      );
      const job = await t.call('admin', 'GET', `/api/v1/jobs/${r.body.runs[0].jobId}`);
      assert.equal(job.status, 200, job.text);
      assert.equal(job.body.data.trigger, 'webhook');
      const again = await hook(body, { [NOTES_SIGNATURE]: signNotes(HOOK_SECRET, body), [NOTES_DELIVERY]: 'd-1' });
      assert.equal(again.body.error.code, 'WEBHOOK_REPLAYED', 'the same delivery twice is a replay');
    });

    it("the API reference describes the connector's own scheme", async () => {
      const doc = await t.call('anonymous', 'GET', '/openapi.json');
      assert.ok(doc.text.includes(`notes-example: ${notesEntry.webhook!.describe}`.replace(/"/g, '\\"')), "the webhook route's description names it");
    });

    it('a bad signature is refused with 401', async () => {
      const body = JSON.stringify({ type: 'changed' });
      const r = await hook(body, { [NOTES_SIGNATURE]: signNotes('another-secret', body), [NOTES_DELIVERY]: 'd-2' });
      assert.equal(r.status, 401, r.text);
      assert.equal(r.body.error.code, 'WEBHOOK_SIGNATURE_INVALID');
      assert.equal((await hook(body, { [NOTES_DELIVERY]: 'd-3' })).status, 401, 'no signature at all');
    });

    it('the signed challenge is answered 200 with the challenge, and queues nothing', async () => {
      const before = await jobCount();
      const body = JSON.stringify({ type: 'challenge', challenge: 'c-8f2e' });
      const r = await hook(body, { [NOTES_SIGNATURE]: signNotes(HOOK_SECRET, body), [NOTES_DELIVERY]: 'd-4' });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, { challenge: 'c-8f2e' });
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.equal(await jobCount(), before, 'no run was queued');
      const unsigned = await hook(body, { [NOTES_DELIVERY]: 'd-5' });
      assert.equal(unsigned.status, 401, 'a challenge is signed like any delivery');
    });
  });

  it('OAuth: start → the notes authorize URL → callback stores the refresh token sealed → the connection works → disconnect revokes', async () => {
    const made = await t.call('alice', 'POST', '/api/v1/connections', {
      name: 'alice-oauth',
      type: 'notes-example',
      settings: { baseUrl: t.a.url, oauth: { clientId: NOTES_CLIENT_ID, clientSecret: NOTES_CLIENT_SECRET } },
    });
    assert.equal(made.status, 201, made.text);
    assert.equal((await t.call('alice', 'POST', '/api/v1/connections/alice-oauth/test')).body.error.code, 'OAUTH_REQUIRED', 'not connected yet');
    assert.equal((await t.call('bob', 'GET', '/api/v1/connections/alice-oauth/oauth/start')).status, 404, 'another user cannot connect it');

    const start = await t.call('alice', 'GET', '/api/v1/connections/alice-oauth/oauth/start');
    assert.equal(start.status, 200, start.text);
    assert.ok(start.body.authorizationUrl.startsWith(`${t.a.url}/oauth/authorize?`), start.body.authorizationUrl);
    assert.match(start.body.redirectUri, /\/oauth\/notes\/callback$/);
    const consent = await fetch(start.body.authorizationUrl, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location')!);
    assert.equal(callback.pathname, '/oauth/notes/callback');
    const done = await t.call('anonymous', 'GET', `${callback.pathname}${callback.search}`);
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(done.body, { connected: 'alice-oauth', scope: 'notes' });

    const [refreshToken] = [...t.a.refreshTokens];
    assert.ok(refreshToken, 'the notes server issued a refresh token');
    const row = await t.svc.store.getDefinition('connection', 'alice-oauth');
    assert.ok(!JSON.stringify(row).includes(refreshToken), 'sealed: no clear text in the definitions row');
    const view = await t.call('alice', 'GET', '/api/v1/connections/alice-oauth');
    assert.deepEqual([...view.body.secrets].sort(), ['oauth.clientSecret', 'oauth.refreshToken']);
    assert.ok(!view.text.includes(refreshToken));
    const works = await t.call('alice', 'POST', '/api/v1/connections/alice-oauth/test');
    assert.equal(works.body.ok, true, `the connection signs in with the refresh grant: ${works.text}`);

    const gone = await t.call('alice', 'DELETE', '/api/v1/connections/alice-oauth/oauth');
    assert.deepEqual(gone.body, { disconnected: 'alice-oauth', revoked: true });
    assert.deepEqual(t.a.revoked, [refreshToken], 'revoked at the notes server');
    const after = await t.call('alice', 'GET', '/api/v1/connections/alice-oauth');
    assert.deepEqual(after.body.secrets, ['oauth.clientSecret']);
  });
});
