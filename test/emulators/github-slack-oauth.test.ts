/**
 * The OAuth sign-ins of the GitHub and Slack emulators as the providers answer them: the
 * consent redirect with code and state (or the denial), the code exchange with its errors
 * (GitHub: HTTP 200 with `error`, form-encoded unless JSON is asked for; Slack: `ok:false`),
 * codes that work once, the token's identity (`GET /user`, `auth.test`) and revocation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGithubEmulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, type GithubEmulator } from '../../src/emulators/github/index.js';
import { createSlackEmulator, fillSlackDemo, SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, type SlackEmulator } from '../../src/emulators/slack/index.js';

const CALLBACK = 'http://127.0.0.1:9/oauth/callback';
const form = (o: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });

async function consent(url: string): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302, await res.text());
  return new URL(res.headers.get('location')!);
}

describe('GitHub emulator: OAuth App sign-in', () => {
  let e: GithubEmulator, base: string;
  before(async () => {
    e = createGithubEmulator();
    base = await e.listen();
  });
  after(() => e.close());

  const authorize = (extra: Record<string, string> = {}) =>
    consent(
      `${base}/login/oauth/authorize?${new URLSearchParams({ client_id: EMULATOR_CLIENT_ID, redirect_uri: CALLBACK, scope: 'repo', state: 's1', ...extra })}`,
    );
  const exchange = (o: Record<string, string>, accept = 'application/json') =>
    fetch(`${base}/login/oauth/access_token`, { method: 'POST', ...form(o), headers: { ...form(o).headers, accept } });

  it('consent → code → token → GET /user → revoke', async () => {
    await fetch(`${base}/_emulator/github/oauth/signed-in`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'mona' }),
    });
    const back = await authorize();
    assert.equal(back.searchParams.get('state'), 's1');
    const code = back.searchParams.get('code')!;
    const res = await exchange({ client_id: EMULATOR_CLIENT_ID, client_secret: EMULATOR_CLIENT_SECRET, code, redirect_uri: CALLBACK });
    assert.equal(res.status, 200);
    const t = (await res.json()) as { access_token: string; token_type: string; scope: string };
    assert.match(t.access_token, /^gho_/);
    assert.deepEqual([t.token_type, t.scope], ['bearer', 'repo']);
    const again = await exchange({ client_id: EMULATOR_CLIENT_ID, client_secret: EMULATOR_CLIENT_SECRET, code });
    assert.equal(((await again.json()) as { error: string }).error, 'bad_verification_code', 'a code works once');

    const me = await fetch(`${base}/user`, { headers: { authorization: `Bearer ${t.access_token}` } });
    assert.equal(((await me.json()) as { login: string }).login, 'mona');
    const basic = `Basic ${Buffer.from(`${EMULATOR_CLIENT_ID}:${EMULATOR_CLIENT_SECRET}`).toString('base64')}`;
    const revoke = (auth: string) =>
      fetch(`${base}/applications/${EMULATOR_CLIENT_ID}/token`, {
        method: 'DELETE',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: t.access_token }),
      });
    assert.equal((await revoke(`Basic ${Buffer.from(`${EMULATOR_CLIENT_ID}:wrong`).toString('base64')}`)).status, 404, 'the app’s credentials are needed');
    assert.equal((await revoke(basic)).status, 204);
    assert.equal((await fetch(`${base}/user`, { headers: { authorization: `Bearer ${t.access_token}` } })).status, 401);
    assert.equal((await revoke(basic)).status, 422, 'a token no longer valid');
  });

  it('errors come as HTTP 200 with error, form-encoded unless JSON is asked for; denial and unknown apps', async () => {
    const code = (await authorize()).searchParams.get('code')!;
    const wrong = await exchange({ client_id: EMULATOR_CLIENT_ID, client_secret: 'nope', code }, '*/*');
    assert.equal(wrong.status, 200);
    assert.equal(new URLSearchParams(await wrong.text()).get('error'), 'incorrect_client_credentials');
    const mismatch = await exchange({ client_id: EMULATOR_CLIENT_ID, client_secret: EMULATOR_CLIENT_SECRET, code, redirect_uri: 'http://elsewhere/cb' });
    assert.equal(((await mismatch.json()) as { error: string }).error, 'redirect_uri_mismatch');
    const ok = await exchange({ client_id: EMULATOR_CLIENT_ID, client_secret: EMULATOR_CLIENT_SECRET, code }, '*/*');
    assert.match(new URLSearchParams(await ok.text()).get('access_token') ?? '', /^gho_/, 'form-encoded without Accept: application/json');

    await fetch(`${base}/_emulator/github/oauth/signed-in`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: null }),
    });
    const denied = await authorize();
    assert.deepEqual([denied.searchParams.get('error'), denied.searchParams.get('state'), denied.searchParams.get('code')], ['access_denied', 's1', null]);
    const unknown = await fetch(`${base}/login/oauth/authorize?client_id=nobody&redirect_uri=${encodeURIComponent(CALLBACK)}`, { redirect: 'manual' });
    assert.equal(unknown.status, 404);
  });
});

describe('Slack emulator: OAuth v2', () => {
  let e: SlackEmulator, base: string;
  before(async () => {
    e = createSlackEmulator();
    fillSlackDemo(e);
    base = await e.listen();
  });
  after(() => e.close());

  const authorize = () =>
    consent(`${base}/oauth/v2/authorize?${new URLSearchParams({ client_id: SLACK_CLIENT_ID, user_scope: 'users:read', redirect_uri: CALLBACK, state: 's2' })}`);
  const access = async (o: Record<string, string>) =>
    (await fetch(`${base}/api/oauth.v2.access`, { method: 'POST', ...form(o) })).json() as Promise<Record<string, unknown>>;

  it('consent → oauth.v2.access → the user token answers auth.test as that user → auth.revoke', async () => {
    await fetch(`${base}/_emulator/slack/oauth/signed-in`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'U0BOB' }),
    });
    const back = await authorize();
    assert.equal(back.searchParams.get('state'), 's2');
    const code = back.searchParams.get('code')!;
    const r = await access({ client_id: SLACK_CLIENT_ID, client_secret: SLACK_CLIENT_SECRET, code, redirect_uri: CALLBACK });
    assert.equal(r.ok, true);
    const user = r.authed_user as { id: string; access_token: string; token_type: string; scope: string };
    assert.deepEqual([user.id, user.token_type, user.scope], ['U0BOB', 'user', 'users:read']);
    assert.equal(r.access_token, undefined, 'no bot token without bot scopes');
    assert.deepEqual(await access({ client_id: SLACK_CLIENT_ID, client_secret: SLACK_CLIENT_SECRET, code, redirect_uri: CALLBACK }), {
      ok: false,
      error: 'invalid_code',
    });

    const test = async () =>
      (await fetch(`${base}/api/auth.test`, { method: 'POST', headers: { authorization: `Bearer ${user.access_token}` } })).json() as Promise<
        Record<string, unknown>
      >;
    assert.equal((await test()).user_id, 'U0BOB');
    const revoked = await fetch(`${base}/api/auth.revoke`, { method: 'POST', ...form({ token: user.access_token }) });
    assert.deepEqual(await revoked.json(), { ok: true, revoked: true });
    assert.deepEqual(await test(), { ok: false, error: 'invalid_auth' });
  });

  it('client, code and redirect errors are ok:false; a cancelled consent redirects with access_denied', async () => {
    await fetch(`${base}/_emulator/slack/oauth/signed-in`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'U0ALICE' }),
    });
    const code = (await authorize()).searchParams.get('code')!;
    assert.deepEqual(await access({ client_id: 'nobody', client_secret: SLACK_CLIENT_SECRET, code }), { ok: false, error: 'invalid_client_id' });
    assert.deepEqual(await access({ client_id: SLACK_CLIENT_ID, client_secret: 'nope', code }), { ok: false, error: 'bad_client_secret' });
    const code2 = (await authorize()).searchParams.get('code')!;
    assert.deepEqual(await access({ client_id: SLACK_CLIENT_ID, client_secret: SLACK_CLIENT_SECRET, code: code2, redirect_uri: 'http://elsewhere/cb' }), {
      ok: false,
      error: 'bad_redirect_uri',
    });
    await fetch(`${base}/_emulator/slack/oauth/signed-in`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: null }),
    });
    const cancelled = await authorize();
    assert.deepEqual([cancelled.searchParams.get('error'), cancelled.searchParams.get('state')], ['access_denied', 's2']);
  });
});
