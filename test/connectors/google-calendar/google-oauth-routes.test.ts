/**
 * The per-user connect flow over HTTP with `timebridge serve` (the built CLI): a user
 * makes a google-calendar connection, opens the consent link, Google (the emulator)
 * redirects to the service's callback, the refresh token is sealed into the connection
 * (never in clear in the store), the connection works; disconnect revokes it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../../src/emulators/google/oauth.js';
import { ROOT, api, startServe, tb, tempDir, type Served } from '../../support/serve.js';
import { startEmulator, type Running } from './google-support.js';

const built = fs.existsSync(path.join(ROOT, 'dist', 'interfaces', 'http', 'routes', 'oauth.js'));

describe('google connect flow through timebridge serve', { skip: built ? false : 'dist/ is not built with the OAuth routes: run npm run build first' }, () => {
  let r: Running, srv: Served, dir: string, alice: string, bob: string;
  before(async () => {
    r = await startEmulator();
    dir = tempDir('tb-google-oauth-');
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), 'store:\n  path: hub.sqlite\nserve:\n  outbound:\n    allowNetworks: [127.0.0.0/8]\n');
    const token = (user: string) => {
      const res = tb(dir, ['token', 'create', '--user', user, '--role', 'user']);
      assert.equal(res.code, 0, res.stderr);
      return res.stdout.trim();
    };
    alice = token('alice');
    bob = token('bob');
    srv = await startServe(dir, [], { TIMEBRIDGE_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') });
  });
  after(async () => {
    await srv?.stop();
    await r?.emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('connect → callback stores the refresh token sealed → the connection lists → disconnect revokes', async () => {
    const made = await api(srv.url, 'POST', '/api/v1/connections', {
      token: alice,
      body: {
        name: 'alice-gcal',
        type: 'google-calendar',
        settings: {
          baseUrl: r.api,
          tokenUrl: r.tokenUrl,
          authUrl: `${r.url}/o/oauth2/v2/auth`,
          revokeUrl: `${r.url}/revoke`,
          auth: { type: 'oauth', clientId: EMULATOR_CLIENT_ID, clientSecret: EMULATOR_CLIENT_SECRET },
        },
      },
    });
    assert.equal(made.status, 201, made.text);
    const before = await api(srv.url, 'POST', '/api/v1/connections/alice-gcal/test', { token: alice });
    assert.equal(before.body.error.code, 'OAUTH_REQUIRED', 'not connected yet, and it says so');
    assert.match(before.body.error.hint, /oauth\/start/);
    assert.equal((await api(srv.url, 'GET', '/api/v1/connections/alice-gcal/oauth/start', { token: bob })).status, 404, 'another user cannot connect it');

    const start = await api(srv.url, 'GET', '/api/v1/connections/alice-gcal/oauth/start?loginHint=carol@example.com', { token: alice });
    assert.equal(start.status, 200, start.text);
    assert.equal(start.body.redirectUri, `${srv.url}/oauth/google/callback`);
    const consent = await fetch(start.body.authorizationUrl, { redirect: 'manual' });
    const callback = consent.headers.get('location')!;
    assert.ok(callback.startsWith(start.body.redirectUri));
    const done = await api(srv.url, 'GET', callback.slice(srv.url.length));
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.connected, 'alice-gcal');
    assert.notEqual((await api(srv.url, 'GET', callback.slice(srv.url.length))).status, 200, 'a callback URL works once');

    const view = await api(srv.url, 'GET', '/api/v1/connections/alice-gcal', { token: alice });
    assert.ok(view.body.secrets.includes('auth.refreshToken'));
    assert.ok(!JSON.stringify(view.body).includes('1//emu-'), 'the token is never shown');
    const hubBytes = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('hub.sqlite'))
      .map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1'))
      .join('');
    assert.ok(!hubBytes.includes('1//emu-'), 'the refresh token is sealed at rest');
    const works = await api(srv.url, 'POST', '/api/v1/connections/alice-gcal/test', { token: alice });
    assert.deepEqual(works.body, { ok: true, items: 0 }, "carol's empty primary calendar lists");

    const gone = await api(srv.url, 'DELETE', '/api/v1/connections/alice-gcal/oauth', { token: alice });
    assert.deepEqual(gone.body, { disconnected: 'alice-gcal', revoked: true });
    const after = await api(srv.url, 'GET', '/api/v1/connections/alice-gcal', { token: alice });
    assert.ok(!after.body.secrets.includes('auth.refreshToken'));
    assert.ok(after.body.secrets.includes('auth.clientSecret'), 'the client secret stays');
    assert.equal((await api(srv.url, 'POST', '/api/v1/connections/alice-gcal/test', { token: alice })).body.error.code, 'OAUTH_REQUIRED');
  });
});
