/**
 * Push channels kept by the service: one per link whose connection has a webhook secret,
 * renewed before expiry (new first, old stopped), replaced when the link changes, stopped
 * at shutdown. Against the Google emulator, with a clock the test moves.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Catalog } from '../../src/app/catalog.js';
import { parseConfig } from '../../src/app/config.js';
import { DEMO_REFRESH_TOKEN } from '../../src/emulators/google/index.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulators/google/oauth.js';
import { PushChannels } from '../../src/service/push-channels.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { newCalendar, startEmulator, type Running } from '../connectors/google-calendar/google-support.js';

let r: Running;
before(async () => {
  r = await startEmulator();
});
after(async () => {
  await r.emulator.close();
});

function config(cal: string, withSecret: boolean): string {
  return `connections:
  gcal:
    type: google-calendar
    baseUrl: ${r.api}
    tokenUrl: ${r.tokenUrl}
    auth: { type: oauth, clientId: ${EMULATOR_CLIENT_ID}, clientSecret: ${EMULATOR_CLIENT_SECRET}, refreshToken: "${DEMO_REFRESH_TOKEN}" }
${withSecret ? '    webhook: { secret: push-channel-secret-0123456789 }\n' : ''}  folder: { type: ics-folder, path: f }
links:
  office: { connection: gcal, collection: "${cal}", scope: team }
  local: { connection: folder, scope: team }
`;
}

describe('push channels', () => {
  it('opens one channel per push link, renews it before expiry, and stops it on shutdown', async () => {
    const cal = await newCalendar(r);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-push-'));
    const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    let now = Date.now();
    try {
      const catalog = new Catalog(store, parseConfig(config(cal, true), path.join(dir, 'tb.yaml'), {}), null);
      const channels = new PushChannels(catalog, 'https://tb.example.com', pino({ level: 'silent' }), () => now);
      await channels.reload();
      const open = () => r.emulator.channels.list().filter((c) => c.calendarId === cal && !c.stopped);
      assert.equal(open().length, 1);
      assert.equal(open()[0]!.address, 'https://tb.example.com/webhooks/google-calendar/gcal');
      assert.deepEqual(
        channels.list().map((c) => c.link),
        ['office'],
      );
      const first = open()[0]!.id;

      await channels.reload();
      assert.equal(open()[0]!.id, first, 'a reload before the renewal time keeps the channel');

      now = Number(open()[0]!.expiration) - 60_000; // inside the renewal margin
      await channels.reload();
      assert.equal(open().length, 1, 'the old channel is stopped once the new one is open');
      assert.notEqual(open()[0]!.id, first);

      await channels.stop();
      assert.equal(open().length, 0, 'shutdown stops every channel');
      await catalog.close();
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens none for a connection without a webhook secret (nothing could check the notifications)', async () => {
    const cal = await newCalendar(r);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-push-'));
    const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    try {
      const catalog = new Catalog(store, parseConfig(config(cal, false), path.join(dir, 'tb.yaml'), {}), null);
      const channels = new PushChannels(catalog, 'https://tb.example.com', pino({ level: 'silent' }));
      await channels.reload();
      assert.deepEqual(channels.list(), []);
      assert.equal(r.emulator.channels.list().filter((c) => c.calendarId === cal).length, 0);
      await channels.stop();
      await catalog.close();
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
