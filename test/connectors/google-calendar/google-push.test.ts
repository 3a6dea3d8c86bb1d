/**
 * Push notifications end to end: `timebridge serve` (the built CLI) with a Google
 * connection; a channel opened with `watchCalendar` makes the emulator POST to the
 * service's /webhooks/google-calendar/<connection>; the `sync` ping runs nothing, a
 * change runs the watched link, and the event lands in the folder of the same scope.
 * Also: a wrong channel token is refused, the receiver's rules, and channel renewal.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  channelToken,
  googleCalendarReceiver,
  linkOfChannel,
  needsRenewal,
  renewChannel,
  watchCalendar,
} from '../../../src/connectors/google-calendar/push.js';
import { ReplayGuard } from '../../../src/service/webhooks.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { DEMO_REFRESH_TOKEN } from '../../../src/emulators/google/index.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../../src/emulators/google/oauth.js';
import { ROOT, api, startServe, tempDir, until, type Served } from '../../support/serve.js';
import { freePort } from '../../support/radicale.js';
import { client, newCalendar, startEmulator, type Running } from './google-support.js';

const SECRET = 'google-channel-secret-0123456789';
const built = fs.existsSync(path.join(ROOT, 'dist', 'connectors', 'google-calendar', 'push.js'));

let r: Running;
before(async () => {
  r = await startEmulator();
});
after(async () => {
  await r.emulator.close();
});

describe('google push receiver', () => {
  const now = new Date();
  const headers = (id: string, n: number, state = 'exists', token = channelToken(SECRET, id)) => ({
    'x-goog-channel-id': id,
    'x-goog-channel-token': token,
    'x-goog-resource-state': state,
    'x-goog-message-number': String(n),
  });

  it("accepts the channel token, runs only the channel's link, nothing for the sync ping, and refuses repeats and forgeries", async () => {
    const store = await openSqliteStore(':memory:');
    const seen = new ReplayGuard(store);
    const id = 'tb--office-cal--0123456789abcdef';
    const accept = async (n: number, state?: string) => {
      const v = await googleCalendarReceiver.verify({ headers: headers(id, n, state), body: Buffer.alloc(0), receivedAt: now }, SECRET);
      return v.ok && (await seen.firstTime(`google-calendar/gcal/${v.delivery.key}`, v.delivery, now)) ? v.links : 'refused';
    };
    try {
      assert.equal(linkOfChannel(id), 'office-cal');
      assert.deepEqual(await accept(1, 'sync'), []);
      assert.deepEqual(await accept(2), ['office-cal']);
      assert.equal(await accept(2), 'refused', 'the same message twice');
      const forged = await googleCalendarReceiver.verify(
        { headers: headers(id, 3, 'exists', channelToken('another-secret-of-16+', id)), body: Buffer.alloc(0), receivedAt: now },
        SECRET,
      );
      assert.deepEqual(forged.ok ? null : forged.code, 'WEBHOOK_SIGNATURE_INVALID');
    } finally {
      await store.close();
    }
  });

  it('renews a channel before it expires: the new one first, then the old one stopped', async () => {
    const cal = await newCalendar(r);
    const c = client(r);
    const ch = await watchCalendar(c, { calendarId: cal, link: 'l1', address: 'http://127.0.0.1:9/hook', secret: SECRET, ttlSeconds: 3600 });
    assert.equal(needsRenewal(ch, Date.now()), true, 'an hour is inside the one-day margin');
    assert.equal(needsRenewal(ch, Date.now(), 60_000), false);
    const next = await renewChannel(c, ch, { address: 'http://127.0.0.1:9/hook', secret: SECRET, ttlSeconds: 7200 });
    assert.notEqual(next.id, ch.id);
    const state = r.emulator.channels.list();
    assert.deepEqual(
      state
        .filter((x) => x.calendarId === cal)
        .map((x) => [x.id === next.id, x.stopped])
        .sort(),
      [
        [false, true],
        [true, false],
      ],
    );
  });
});

describe('google push through timebridge serve', { skip: built ? false : 'dist/ is not built with the Google connector: run npm run build first' }, () => {
  let served: Served | undefined;
  after(async () => {
    await served?.stop();
  });

  it('serve opens a channel per link, a change in the calendar runs that link and reaches the folder of the same scope, and SIGTERM stops the channel', async () => {
    const cal = await newCalendar(r);
    const port = await freePort();
    const dir = tempDir('tb-google-push-');
    fs.mkdirSync(path.join(dir, 'folder'));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      `store:
  path: hub.sqlite
serve:
  webhookGraceMs: 200
  shutdownGraceMs: 2000
  publicUrl: http://127.0.0.1:${port}/
connections:
  gcal:
    type: google-calendar
    baseUrl: ${r.api}
    tokenUrl: ${r.tokenUrl}
    auth:
      type: oauth
      clientId: ${EMULATOR_CLIENT_ID}
      clientSecret: ${EMULATOR_CLIENT_SECRET}
      refreshToken: "${DEMO_REFRESH_TOKEN}"
    webhook:
      secret: ${SECRET}
  folder:
    type: ics-folder
    path: folder
links:
  office:
    connection: gcal
    collection: "${cal}"
    scope: team
  local:
    connection: folder
    scope: team
`,
    );
    served = await startServe(dir, ['--port', String(port)]);
    const c = client(r);
    // The service opened the channel itself, to its public address.
    const ch = await until('the channel serve opens', () => r.emulator.channels.list().find((x) => x.calendarId === cal && !x.stopped));
    assert.equal(ch.address, `http://127.0.0.1:${port}/webhooks/google-calendar/gcal`);
    assert.equal(linkOfChannel(ch.id), 'office');
    assert.equal(r.emulator.channels.list().filter((x) => x.calendarId === cal).length, 1, 'one channel: the folder link has none');
    await until('the sync ping', () => r.emulator.channels.deliveries.find((d) => d.channelId === ch.id && d.state === 'sync' && d.status !== 'pending'));
    assert.equal(r.emulator.channels.deliveries.find((d) => d.channelId === ch.id)!.status, 202);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'folder')), [], 'the sync ping runs nothing');

    await c.insertEvent(cal, {
      id: undefined as unknown as string,
      summary: 'Pushed',
      start: { dateTime: '2026-11-09T10:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-09T11:00:00', timeZone: 'Europe/Berlin' },
    });
    const file = await until('the event in the folder', () => fs.readdirSync(path.join(dir, 'folder')).find((f) => f.endsWith('.ics')));
    assert.match(fs.readFileSync(path.join(dir, 'folder', file), 'utf8'), /SUMMARY:Pushed/);
    assert.equal(r.emulator.channels.deliveries.filter((d) => d.channelId === ch.id && d.state === 'exists')[0]!.status, 202);

    const forged = await api(served.url, 'POST', '/webhooks/google-calendar/gcal', {
      headers: { 'x-goog-channel-id': ch.id, 'x-goog-channel-token': 'wrong', 'x-goog-resource-state': 'exists', 'x-goog-message-number': '99' },
    });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'WEBHOOK_SIGNATURE_INVALID');

    assert.equal(await served.stop(), 0);
    assert.equal(r.emulator.channels.list().find((x) => x.id === ch.id)?.stopped, true, 'shutdown stops the channel');
  });
});
