/**
 * Two `timebridge serve` processes on one PostgreSQL schema behave as one service:
 * - the same signed webhook delivery sent to both is accepted once (202) and refused
 *   once (401 WEBHOOK_REPLAYED): the replay memory is in the store;
 * - a schedule firing every second is fired by the leader alone: over a window, the
 *   ticks of both processes add up to the seconds in it, and the follower fires none;
 * - a Google sign-in started on one process completes on the other, once;
 * - the leader killed (SIGKILL), the other process leads within seconds and the
 *   schedule keeps running.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signWebhook } from '../../src/connectors/kit/webhooks.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulators/google/oauth.js';
import { adminQuery, freshSchemaName, needsPostgres, PG_URL } from '../support/postgres.js';
import { api, startServe, tb, tempDir, until, WEBHOOK_SECRET, type Served } from '../support/serve.js';
import { startEmulator, type Running } from '../connectors/google-calendar/google-support.js';

const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
/** A tick fires at most this long after its second (timers run late under load, never early beyond a few ms). */
const LATE_MS = 900,
  EARLY_MS = 50;

/** Sum of this process's schedule ticks of a link (queued and folded). */
async function ticks(srv: Served, token: string, link: string): Promise<number> {
  const res = await api(srv.url, 'GET', '/metrics', { token });
  assert.equal(res.status, 200, res.text);
  let n = 0;
  for (const m of res.text.matchAll(/^timebridge_schedule_ticks_total\{([^}]*)\} (\d+)/gm)) if (m[1]!.includes(`link="${link}"`)) n += Number(m[2]);
  return n;
}

/** Whole seconds in [from, to] (epoch ms). */
const seconds = (from: number, to: number): number => Math.max(0, Math.floor(to / 1000) - Math.ceil(from / 1000) + 1);

describe('two serve processes on one PostgreSQL schema', await needsPostgres(), () => {
  const schema = freshSchemaName();
  const dir = tempDir('tb-pg-serve2-');
  let a: Served, b: Served, token: string, google: Running;
  const env = { TIMEBRIDGE_SECRET_KEY: SECRET_KEY };

  before(async () => {
    google = await startEmulator();
    for (const f of ['fa', 'fb']) fs.mkdirSync(path.join(dir, f));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      `store:
  type: postgres
  url: ${PG_URL}
  schema: ${schema}
serve:
  webhookGraceMs: 300
  shutdownGraceMs: 2000
connections:
  fa:
    type: ics-folder
    path: fa
    webhook:
      secret: ${WEBHOOK_SECRET}
  fb:
    type: ics-folder
    path: fb
links:
  a:
    connection: fa
    scope: team
    schedule: "* * * * * *"
  b:
    connection: fb
    scope: team
`,
    );
    const made = tb(dir, ['token', 'create', '--user', 'root', '--role', 'admin'], env);
    assert.equal(made.code, 0, made.stderr);
    token = made.stdout.trim();
    a = await startServe(dir, [], env);
    // The first process leads once it has started; the second then finds the lock taken.
    b = await startServe(dir, [], env);
  });
  after(async () => {
    await a?.stop('SIGKILL');
    await b?.stop();
    await google?.emulator.close();
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}_jobs" CASCADE`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('one leads, and says so in /readyz', async () => {
    const [ra, rb] = await Promise.all([api(a.url, 'GET', '/readyz'), api(b.url, 'GET', '/readyz')]);
    assert.deepEqual([ra.body.leader, rb.body.leader], [true, false], `${ra.text} ${rb.text}`);
    assert.notEqual(ra.body.instance, rb.body.instance);
  });

  it('accepts one signed delivery once across both processes', async () => {
    const body = JSON.stringify({ changed: ['x.ics'] });
    const headers = { 'content-type': 'application/json', 'x-timebridge-signature': signWebhook(WEBHOOK_SECRET, body) };
    const send = (srv: Served) =>
      fetch(`${srv.url}/webhooks/ics-folder/fa`, { method: 'POST', headers, body }).then(async (r) => ({
        status: r.status,
        code: ((await r.json()) as { error?: { code: string } }).error?.code,
      }));
    const answers = await Promise.all([send(a), send(b)]);
    assert.deepEqual(answers.map((x) => x.status).sort(), [202, 401], JSON.stringify(answers));
    assert.equal(answers.find((x) => x.status === 401)!.code, 'WEBHOOK_REPLAYED');
    assert.equal((await send(a)).status, 401, 'and again later, on either');
  });

  it('fires each tick of an every-second schedule once, from the leader only', async () => {
    await until('the first tick', async () => (await ticks(a, token, 'a')) > 0, 10_000);
    const t0a = Date.now();
    const before = [await ticks(a, token, 'a'), await ticks(b, token, 'a')];
    const t0b = Date.now();
    await new Promise((r) => setTimeout(r, 6000));
    const t1a = Date.now();
    const afterwards = [await ticks(a, token, 'a'), await ticks(b, token, 'a')];
    const t1b = Date.now();
    assert.deepEqual([before[1], afterwards[1]], [0, 0], 'the follower fires no schedule');
    const fired = afterwards[0]! - before[0]!;
    // Surely counted: ticks of seconds after the first reading ended whose latest firing is before the second began.
    const least = seconds(t0b + EARLY_MS, t1a - LATE_MS);
    // Possibly counted: ticks whose earliest firing is before the second reading ended and latest after the first began.
    const most = seconds(t0a - LATE_MS, t1b + EARLY_MS);
    assert.ok(fired >= least && fired <= most, `${fired} ticks, expected ${least}…${most} (one per second)`);
    const runs = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE trigger = 'schedule'`);
    assert.ok(runs[0]!.n > 0, 'the scheduled runs ran');
  });

  it('completes a Google sign-in started on one process on the other, once', async () => {
    const settings = {
      baseUrl: google.api,
      tokenUrl: google.tokenUrl,
      authUrl: `${google.url}/o/oauth2/v2/auth`,
      revokeUrl: `${google.url}/revoke`,
      auth: { type: 'oauth', clientId: EMULATOR_CLIENT_ID, clientSecret: EMULATOR_CLIENT_SECRET },
    };
    const made = await api(a.url, 'POST', '/api/v1/connections', { token, body: { name: 'gcal', type: 'google-calendar', settings } });
    assert.equal(made.status, 201, made.text);
    const start = await api(a.url, 'GET', '/api/v1/connections/gcal/oauth/start?loginHint=carol@example.com', { token });
    assert.equal(start.status, 200, start.text);
    const consent = await fetch(start.body.authorizationUrl, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location')!);
    assert.equal(callback.origin, a.url, 'Google sends the browser back to where the flow started');
    // Behind a load balancer the callback may land on any process.
    const done = await api(b.url, 'GET', callback.pathname + callback.search);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.connected, 'gcal');
    const again = await api(a.url, 'GET', callback.pathname + callback.search);
    assert.equal(again.body.error?.code, 'OAUTH_REQUIRED', 'the state is used up, on every process');
    const view = await api(b.url, 'GET', '/api/v1/connections/gcal', { token });
    assert.ok(view.body.secrets.includes('auth.refreshToken'));
  });

  it('the leader killed, the other process leads within seconds and the schedule keeps firing', async () => {
    const killedAt = new Date().toISOString();
    assert.equal(await a.stop('SIGKILL'), 'SIGKILL');
    await until('the other process to lead', async () => (await api(b.url, 'GET', '/readyz')).body.leader === true, 15_000);
    await until('the new leader to fire the schedule', async () => (await ticks(b, token, 'a')) >= 2, 10_000);
    await until(
      'a scheduled run after the kill',
      async () => {
        const rows = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE trigger = 'schedule' AND started_at > $1`, [
          killedAt,
        ]);
        return rows[0]!.n > 0;
      },
      // A liveness bound, not a speed claim: generous, since a loaded machine may queue the first run behind others.
      60_000,
    );
    assert.match(b.stderr(), /this process now leads/);
  });
});
