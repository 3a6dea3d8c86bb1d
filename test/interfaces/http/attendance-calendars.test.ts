/**
 * An office of timebridge.yaml without a calendar id (no Sheets): when the service starts,
 * its calendar is made in the Google account (named by `attendance.calendars.summary`,
 * shared with the connection's `create.shareWith` when the block names no one), its id kept
 * in the store, and the office gets its link, so moffman's requests reach that calendar; a
 * restart uses the kept calendar and makes none.
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
import { createGoogleEmulator } from '../../../src/emulators/google/index.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { injectCall } from '../../support/inject-call.js';
import { queueIdle, until } from '../../support/serve.js';
import { googleEmulatorConnection } from '../../support/google.js';

interface Running {
  svc: Service;
  app: FastifyInstance;
  call: ReturnType<typeof injectCall>;
}

describe('office attendance: an office of the file without a calendar id', () => {
  let dir: string, google: ReturnType<typeof createGoogleEmulator>, one: Running;

  async function start(): Promise<Running> {
    const env = { ...process.env };
    const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
      env,
      logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      scheduler: false,
    });
    const { app } = await buildServer(svc, 'test');
    await svc.startWorkers();
    const admin = (await createToken(svc.store, { userId: 'root', role: 'admin' })).token;
    return { svc, app, call: injectCall(app, { admin, alice: admin, bob: admin }) };
  }
  const stop = async (r: Running) => {
    await r.app.close();
    await r.svc.stop(1000);
  };
  const idle = (r: Running) => queueIdle(r.svc, 'the queued runs');
  const linzCalendars = () => [...google.store.calendars.values()].filter((c) => c.cal.summary === 'Linz office');
  const linkOf = async (r: Running) => {
    let link: { status: number; body: { config: { collection?: string } } } | null = null;
    await until(
      'the office link made at start',
      async () => {
        link = await r.call('admin', 'GET', '/api/v1/links/office-linz');
        return link.status === 200;
      },
      20_000,
    );
    return link!.body;
  };

  before(async () => {
    google = createGoogleEmulator({ seed: 23 });
    const gUrl = await google.listen();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-attendance-cal-'));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'serve: { concurrency: 1, scheduler: false }',
        'store:',
        '  path: hub.sqlite',
        'connections:',
        '  google:',
        ...googleEmulatorConnection(gUrl),
        '    create: { shareWith: [{ email: front-desk@example.com, role: writer }] }',
        'attendance:',
        '  scope: office',
        '  offices:',
        '    - { id: linz, name: Linz, connection: google }',
        '  calendars: { summary: "{name} office", timeZone: Europe/Vienna }',
        '',
      ].join('\n'),
    );
    one = await start();
    const p = await one.call('admin', 'POST', '/api/v1/records/person?scope=office', { fields: { name: 'Ann Novak', email: 'ann@example.com' } });
    assert.equal(p.status, 201, p.text);
  });
  after(async () => {
    if (one) await stop(one);
    await google?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the calendar is made and shared at start, the link shows it, and reservations reach it', async () => {
    const link = await linkOf(one);
    const made = linzCalendars();
    assert.equal(made.length, 1);
    const linz = made[0]!;
    assert.deepEqual([linz.cal.timeZone, linz.acl.get('user:front-desk@example.com')?.role], ['Europe/Vienna', 'writer']);
    assert.equal(link.config.collection, linz.cal.id);

    const booked = await one.call('admin', 'POST', '/api/v1/reservations', {
      user: { name: 'Ann Novak', email: 'ann@example.com' },
      approved: false,
      start: '2030-02-02',
      end: '2030-02-03',
      office_id: 'linz',
    });
    assert.equal(booked.status, 200, booked.text);
    await idle(one);
    assert.deepEqual(
      [...linz.events.values()].map((e) => [e.ev.summary, e.ev.start]),
      [['(Ann Novak)', { date: '2030-02-02' }]],
    );
  });

  it('a restart uses the kept calendar and makes none, even after the calendar was renamed in Google', async () => {
    const linz = linzCalendars()[0]!;
    const before = linz.cal.id;
    const count = google.store.calendars.size;
    // Renamed by hand: a lookup by name would no longer find it; the kept id does.
    linz.cal.summary = 'Linz (front desk)';
    await stop(one);
    one = await start();
    assert.equal((await linkOf(one)).config.collection, before);
    // The start's linking (run again here, to be sure it has run) finds the kept calendar.
    await one.svc.attendance!.start();
    await idle(one);
    assert.deepEqual([linzCalendars().length, google.store.calendars.size], [0, count]);
    assert.equal((await one.call('admin', 'GET', '/api/v1/links/office-linz')).body.config.collection, before);
  });
});
