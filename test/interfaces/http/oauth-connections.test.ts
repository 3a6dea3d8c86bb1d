/**
 * Per-user GitHub and Slack connections through the connect flow, over the service's HTTP
 * API against the GitHub and Slack emulators: a user (not an admin) makes their own
 * connection, connects their account (start → the provider's consent → callback), the token
 * is sealed (never answered, not in clear in the store file), whose account it is lands on
 * their own person only (githubLogin, slackId), another user gets 404 for all of it, an
 * unknown, used or expired state is refused, and disconnecting revokes the token at the
 * provider and forgets it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/app/config.js';
import { createLogger } from '../../../src/app/logger.js';
import { createGithubEmulator, DEMO_REPO, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, EMULATOR_TOKEN } from '../../../src/emulators/github/index.js';
import { createSlackEmulator, fillSlackDemo, SLACK_CLIENT_ID, SLACK_CLIENT_SECRET } from '../../../src/emulators/slack/index.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { injectCall, type Actor } from '../../support/inject-call.js';

describe('per-user GitHub and Slack connections through OAuth', () => {
  let dir: string, svc: Service, app: FastifyInstance, call: ReturnType<typeof injectCall>;
  let gh: ReturnType<typeof createGithubEmulator>, slack: ReturnType<typeof createSlackEmulator>;
  let ghUrl: string, slackUrl: string;
  const persons: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
  // The service's clock: real time, moved by the test to let a sign-in link expire.
  let shift = 0;
  const clock = () => new Date(Date.now() + shift);

  const storeBytes = () =>
    fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('hub.sqlite'))
      .map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1'))
      .join('');

  /** Start as `who`, let the provider's consent page redirect, and answer what the callback says. */
  async function connect(who: Actor, name: string) {
    const start = await call(who, 'GET', `/api/v1/connections/${name}/oauth/start`);
    assert.equal(start.status, 200, start.text);
    const consent = await fetch(start.body.authorizationUrl, { redirect: 'manual' });
    assert.equal(consent.status, 302, await consent.text());
    const back = new URL(consent.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, new URL(start.body.redirectUri).href, 'the provider sends the browser back to the callback');
    return { back, done: await call('anonymous', 'GET', `${back.pathname}${back.search}`) };
  }
  const person = async (who: 'alice' | 'bob') => (await call('admin', 'GET', `/api/v1/records/person/${persons[who]}`)).body.fields;

  before(async () => {
    gh = createGithubEmulator({ demo: true });
    slack = createSlackEmulator();
    fillSlackDemo(slack);
    [ghUrl, slackUrl] = [await gh.listen(), await slack.listen()];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-oauth-connections-'));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'serve: { concurrency: 1, scheduler: false, outbound: { allowNetworks: [127.0.0.0/8] } }',
        'store:',
        '  path: hub.sqlite',
        'connections:',
        `  team-github: { type: github, apiUrl: "${ghUrl}", repo: ${DEMO_REPO}, token: ${EMULATOR_TOKEN} }`,
        'links:',
        '  team-issues: { connection: team-github, scope: work, externalKind: issue, direction: pull }',
        '',
      ].join('\n'),
    );
    const env = { ...process.env, TIMEBRIDGE_SECRET_KEY: Buffer.alloc(32, 21).toString('base64') };
    svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
      env,
      logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      scheduler: false,
      clock,
    });
    ({ app } = await buildServer(svc, 'test'));
    call = injectCall(app, {
      admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token,
      alice: (await createToken(svc.store, { userId: 'alice', role: 'user' })).token,
      bob: (await createToken(svc.store, { userId: 'bob', role: 'user' })).token,
    });
    for (const who of ['alice', 'bob'] as const) {
      const made = await call('admin', 'POST', '/api/v1/records/person?scope=work', {
        fields: { name: who, email: `${who}@example.com`, username: who, timeZone: 'UTC', active: true },
      });
      assert.equal(made.status, 201, made.text);
      persons[who] = made.body.id;
    }
  });
  after(async () => {
    await app?.close();
    await svc?.stop(1000);
    await gh?.close();
    await slack?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('GitHub: alice connects her own account; the token is sealed, her login is on her person only; bob sees nothing; disconnect revokes', async () => {
    const made = await call('alice', 'POST', '/api/v1/connections', {
      name: 'alice-github',
      type: 'github',
      settings: {
        repo: DEMO_REPO,
        apiUrl: ghUrl,
        oauth: {
          clientId: EMULATOR_CLIENT_ID,
          clientSecret: EMULATOR_CLIENT_SECRET,
          authUrl: `${ghUrl}/login/oauth/authorize`,
          tokenUrl: `${ghUrl}/login/oauth/access_token`,
        },
      },
    });
    assert.equal(made.status, 201, made.text);
    assert.equal((await call('alice', 'GET', '/api/v1/connections/alice-github')).body.owner, 'alice');
    const before = await call('alice', 'POST', '/api/v1/connections/alice-github/test');
    assert.equal(before.body.error.code, 'OAUTH_REQUIRED', 'not connected yet, and it says so');
    assert.match(before.body.error.hint, /oauth\/start/);

    for (const [method, url] of [
      ['GET', '/api/v1/connections/alice-github'],
      ['GET', '/api/v1/connections/alice-github/oauth/start'],
      ['DELETE', '/api/v1/connections/alice-github/oauth'],
      ['POST', '/api/v1/connections/alice-github/test'],
    ] as const)
      assert.equal((await call('bob', method, url)).status, 404, `bob: ${method} ${url}`);

    const res = await fetch(`${ghUrl}/_emulator/github/oauth/signed-in`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'alice-codes' }),
    });
    assert.equal(res.status, 200);
    const { back, done } = await connect('alice', 'alice-github');
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.connected, 'alice-github');
    assert.equal(done.body.scope, 'repo');
    assert.deepEqual(done.body.identity, { field: 'githubLogin', value: 'alice-codes', persons: [{ id: persons.alice, scope: 'work' }] });
    assert.equal((await call('anonymous', 'GET', `${back.pathname}${back.search}`)).status, 401, 'a callback works once');

    assert.equal((await person('alice')).githubLogin, 'alice-codes', "alice's person has her login");
    assert.equal((await person('bob')).githubLogin, undefined, "bob's person is untouched");

    const issued = [...gh.data().oauth.logins].filter(([, login]) => login === 'alice-codes').map(([t]) => t);
    assert.equal(issued.length, 1, 'GitHub issued one token');
    const token = issued[0]!;
    const view = await call('alice', 'GET', '/api/v1/connections/alice-github');
    assert.ok(view.body.secrets.includes('token'), 'the token is a sealed secret');
    assert.ok(!view.text.includes(token), 'the API never answers the token');
    assert.ok(!storeBytes().includes(token), 'the token is not in clear in the store');
    const works = await call('alice', 'POST', '/api/v1/connections/alice-github/test');
    assert.deepEqual(works.body, { ok: true, items: 3 }, "the repository's three open issues list with her token (the pull request skipped)");

    assert.equal((await call('bob', 'DELETE', '/api/v1/connections/alice-github/oauth')).status, 404, 'bob cannot revoke it');
    const gone = await call('alice', 'DELETE', '/api/v1/connections/alice-github/oauth');
    assert.deepEqual(gone.body, { disconnected: 'alice-github', revoked: true });
    assert.equal((await fetch(`${ghUrl}/user`, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'GitHub no longer takes the token');
    const after = await call('alice', 'GET', '/api/v1/connections/alice-github');
    assert.ok(!after.body.secrets.includes('token'), 'the token is forgotten');
    assert.ok(after.body.secrets.includes('oauth.clientSecret'), 'the client secret stays');
    assert.equal((await call('alice', 'POST', '/api/v1/connections/alice-github/test')).body.error.code, 'OAUTH_REQUIRED');
    assert.equal((await call('alice', 'DELETE', '/api/v1/connections/alice-github')).status, 204);
  });

  it('Slack: alice connects her Slack account; her Slack id is on her person; the user token is sealed and revoked on disconnect', async () => {
    const made = await call('alice', 'POST', '/api/v1/connections', {
      name: 'alice-slack',
      type: 'slack',
      settings: {
        apiUrl: `${slackUrl}/api/`,
        scope: 'work',
        oauth: { clientId: SLACK_CLIENT_ID, clientSecret: SLACK_CLIENT_SECRET, authUrl: `${slackUrl}/oauth/v2/authorize` },
      },
    });
    assert.equal(made.status, 201, made.text);
    assert.equal((await call('bob', 'GET', '/api/v1/connections/alice-slack/oauth/start')).status, 404);

    // She cancels on Slack's consent page first: nothing is stored.
    await fetch(`${slackUrl}/_emulator/slack/oauth/signed-in`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: null }),
    });
    const cancelled = await connect('alice', 'alice-slack');
    assert.equal(cancelled.done.status, 401, cancelled.done.text);
    assert.match(cancelled.done.body.error.message, /access_denied/);
    assert.ok(!(await call('alice', 'GET', '/api/v1/connections/alice-slack')).body.secrets.includes('userToken'));

    await fetch(`${slackUrl}/_emulator/slack/oauth/signed-in`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'U0ALICE' }),
    });
    const { back, done } = await connect('alice', 'alice-slack');
    assert.equal(back.searchParams.get('code') !== null, true);
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(done.body.identity, { field: 'slackId', value: 'U0ALICE', persons: [{ id: persons.alice, scope: 'work' }] });
    assert.equal((await person('alice')).slackId, 'U0ALICE');
    assert.equal((await person('bob')).slackId, undefined);

    const [token] = [...slack.workspace.oauth.userTokens.keys()];
    assert.match(token!, /^xoxp-/);
    const view = await call('alice', 'GET', '/api/v1/connections/alice-slack');
    assert.ok(view.body.secrets.includes('userToken'));
    assert.ok(!view.text.includes(token!), 'the API never answers the token');
    assert.ok(!storeBytes().includes(token!), 'the token is not in clear in the store');

    assert.equal((await call('bob', 'DELETE', '/api/v1/connections/alice-slack/oauth')).status, 404);
    const gone = await call('alice', 'DELETE', '/api/v1/connections/alice-slack/oauth');
    assert.deepEqual(gone.body, { disconnected: 'alice-slack', revoked: true });
    assert.equal(slack.workspace.oauth.userTokens.size, 0, 'Slack revoked the user token');
    const me = await (await fetch(`${slackUrl}/api/auth.test`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json();
    assert.deepEqual(me, { ok: false, error: 'invalid_auth' });
    assert.ok(!(await call('alice', 'GET', '/api/v1/connections/alice-slack')).body.secrets.includes('userToken'));
  });

  it('an unknown, a forged or an expired state is refused, and stores nothing', async () => {
    await call('alice', 'POST', '/api/v1/connections', {
      name: 'alice-gh2',
      type: 'github',
      settings: {
        repo: DEMO_REPO,
        apiUrl: ghUrl,
        oauth: {
          clientId: EMULATOR_CLIENT_ID,
          clientSecret: EMULATOR_CLIENT_SECRET,
          authUrl: `${ghUrl}/login/oauth/authorize`,
          tokenUrl: `${ghUrl}/login/oauth/access_token`,
        },
      },
    });
    const start = await call('alice', 'GET', '/api/v1/connections/alice-gh2/oauth/start');
    const consent = await fetch(start.body.authorizationUrl, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location')!);
    const code = back.searchParams.get('code')!;

    const forged = await call('anonymous', 'GET', `/oauth/github/callback?state=${'x'.repeat(32)}&code=${code}`);
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'OAUTH_REQUIRED');
    assert.match(forged.body.error.hint, /oauth\/start/);
    assert.equal((await call('anonymous', 'GET', `/oauth/github/callback?code=${code}`)).status, 401, 'no state');

    shift = 11 * 60_000;
    try {
      const late = await call('anonymous', 'GET', `${back.pathname}${back.search}`);
      assert.equal(late.status, 401, 'a state older than ten minutes');
      assert.match(late.body.error.message, /older than ten minutes/);
    } finally {
      shift = 0;
    }
    assert.equal((await call('anonymous', 'GET', `${back.pathname}${back.search}`)).status, 401, 'the expired state stays refused');
    assert.ok(!(await call('alice', 'GET', '/api/v1/connections/alice-gh2')).body.secrets.includes('token'), 'nothing was stored');
    assert.equal((await person('bob')).githubLogin, undefined);
  });

  it('when GitHub will not say whose the token is, the token is revoked and nothing is stored', async () => {
    await fetch(`${ghUrl}/_emulator/github/oauth/signed-in`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'alice-codes' }),
    });
    const issuedBefore = gh.data().oauth.logins.size;
    const patch = (body: object) =>
      fetch(`${ghUrl}/_emulator/github/rate-limit`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await patch({ remaining: 0, resetInSeconds: 3600 });
    try {
      const { done } = await connect('alice', 'alice-gh2');
      assert.notEqual(done.status, 200, done.text);
    } finally {
      await patch({ remaining: 5000 });
    }
    assert.equal(gh.data().oauth.logins.size, issuedBefore, 'the token GitHub issued was deleted again');
    assert.ok(!(await call('alice', 'GET', '/api/v1/connections/alice-gh2')).body.secrets.includes('token'));
  });

  it("an account already on another person is not copied onto the caller's", async () => {
    const made = await call('bob', 'POST', '/api/v1/connections', {
      name: 'bob-github',
      type: 'github',
      settings: {
        repo: DEMO_REPO,
        apiUrl: ghUrl,
        oauth: {
          clientId: EMULATOR_CLIENT_ID,
          clientSecret: EMULATOR_CLIENT_SECRET,
          authUrl: `${ghUrl}/login/oauth/authorize`,
          tokenUrl: `${ghUrl}/login/oauth/access_token`,
        },
      },
    });
    assert.equal(made.status, 201, made.text);
    // The consent page signs in as the login alice's person already has (her connection of the first test).
    await fetch(`${ghUrl}/_emulator/github/oauth/signed-in`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'Alice-Codes' }),
    });
    const { done } = await connect('bob', 'bob-github');
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(done.body.identity.persons, []);
    assert.match(done.body.identity.note, new RegExp(`person ${persons.alice} already has githubLogin`));
    assert.equal((await person('bob')).githubLogin, undefined, "bob's person does not take alice's login");
    assert.equal((await person('alice')).githubLogin, 'alice-codes');
  });
});
