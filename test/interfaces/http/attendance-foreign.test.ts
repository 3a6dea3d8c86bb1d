/**
 * Office attendance: events added by hand by someone who is not a manual user. With
 * `attendance.foreignEvents: delete` the run plans an external delete of such an event (only
 * that one: a manual user's event becomes a reservation, the hub's own events stay) and its
 * plan names creator and event; a link that says `foreignEvents: report` (the default) still
 * only reports it and leaves it in the calendar. Through a running service against the
 * Google emulator.
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
import { DEMO_USER } from '../../../src/emulators/google/oauth.js';
import type { CalendarRecord } from '../../../src/emulators/google/calendar-store.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { injectCall } from '../../support/inject-call.js';
import { queueIdle } from '../../support/serve.js';
import { googleEmulatorConnection } from '../../support/google.js';

const PRAGUE = 'prague-office@group.calendar.google.com';
const VIENNA = 'vienna-office@group.calendar.google.com';

describe('office attendance: foreign manual events', () => {
  let dir: string, google: ReturnType<typeof createGoogleEmulator>, prague: CalendarRecord, vienna: CalendarRecord;
  let svc: Service, app: FastifyInstance, call: ReturnType<typeof injectCall>;

  const idle = () => queueIdle(svc, 'the queued runs');
  const sync = async (link: string) => {
    await svc.enqueueRun(link, { trigger: 'test' });
    await idle();
  };
  const lastRun = async (link: string) => {
    const id = (await call('admin', 'GET', `/api/v1/runs?link=${link}&limit=1`)).body.runs[0].id;
    return (await call('admin', 'GET', `/api/v1/runs/${id}`)).body;
  };
  const byHand = (cal: CalendarRecord, creator: string, first: string, end: string, summary: string) =>
    google.store.insertEvent(cal, { summary, start: { date: first }, end: { date: end } }, creator);
  const live = (cal: CalendarRecord) => [...cal.events.values()].filter((s) => s.ev.status !== 'cancelled').map((s) => s.ev.id);

  before(async () => {
    google = createGoogleEmulator({ seed: 22 });
    google.store.createCalendar(DEMO_USER, { id: PRAGUE, summary: 'Prague office', timeZone: 'UTC' });
    google.store.createCalendar(DEMO_USER, { id: VIENNA, summary: 'Vienna office', timeZone: 'UTC' });
    prague = google.store.calendar(PRAGUE, DEMO_USER, 'owner');
    vienna = google.store.calendar(VIENNA, DEMO_USER, 'owner');
    const gUrl = await google.listen();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-attendance-foreign-'));
    const link = (name: string, cal: string, options: string) =>
      `  ${name}: { connection: google, scope: office, collection: "${cal}", externalKind: attendance, mapper: google-attendance, options: ${options} }`;
    const yaml = [
      'serve: { concurrency: 1, scheduler: false }',
      'store:',
      '  path: hub.sqlite',
      'connections:',
      '  google:',
      ...googleEmulatorConnection(gUrl),
      'links:',
      link('prague-office', PRAGUE, '{ office: prague }'),
      link('vienna-office', VIENNA, '{ office: vienna, foreignEvents: report }'),
      'attendance:',
      '  scope: office',
      '  foreignEvents: delete',
      '  offices:',
      `    - { id: prague, name: Prague, calendar: "${PRAGUE}", connection: google }`,
      `    - { id: vienna, name: Vienna, calendar: "${VIENNA}", connection: google }`,
      '  manualUsers:',
      '    - { email: eva@example.com }',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml);
    const env = { ...process.env };
    svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
      env,
      logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      scheduler: false,
    });
    ({ app } = await buildServer(svc, 'test'));
    await svc.startWorkers();
    const admin = (await createToken(svc.store, { userId: 'root', role: 'admin' })).token;
    call = injectCall(app, { admin, alice: admin, bob: admin });
    for (const [name, email] of [
      ['Eva Svoboda', 'eva@example.com'],
      ['Mallory Kral', 'mallory@example.com'],
    ]) {
      const p = await call('admin', 'POST', '/api/v1/records/person?scope=office', { fields: { name, email } });
      assert.equal(p.status, 201, p.text);
    }
    await idle();
  });
  after(async () => {
    await app?.close();
    await svc?.stop(1000);
    await google?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('foreignEvents: delete deletes a non-manual user’s event, and only that one, through the plan', async () => {
    const booked = await call('admin', 'POST', '/api/v1/reservations', {
      user: { name: 'Mallory Kral', email: 'mallory@example.com' },
      approved: true,
      start: '2030-07-01',
      end: '2030-07-02',
      office_id: 'prague',
    });
    assert.ok(booked.status === 200 || booked.status === 201, booked.text);
    await idle();
    await sync('prague-office');
    const hubEvents = live(prague);
    assert.equal(hubEvents.length, 1, 'the reservation’s own event');

    const eva = byHand(prague, 'eva@example.com', '2030-07-06', '2030-07-07', 'Eva');
    const mallory = byHand(prague, 'mallory@example.com', '2030-07-08', '2030-07-09', 'Mallory sneaks in');
    await sync('prague-office');

    assert.equal(google.store.getEvent(prague, mallory.id).status, 'cancelled');
    assert.deepEqual(live(prague).sort(), [...hubEvents, eva.id].sort());
    const run = await lastRun('prague-office');
    const del = (run.plan.actions as { op: string; extId: string; reason: string }[]).filter((a) => a.op === 'push-delete');
    assert.deepEqual(
      del.map((a) => a.extId),
      [mallory.id],
    );
    assert.match(del[0]!.reason, /mallory@example\.com/);
    assert.match(del[0]!.reason, /Mallory sneaks in/);
    assert.match(del[0]!.reason, /deleted/);
    assert.equal(run.errors.length, 0, JSON.stringify(run.errors));
    const reservations = (await call('admin', 'GET', '/api/v1/records/reservation?scope=office')).body.items as { fields: { source: string } }[];
    assert.deepEqual(reservations.map((r) => r.fields.source).sort(), ['api', 'calendar']);

    // The deleted event lists as cancelled from now on: nothing more to do.
    await sync('prague-office');
    const again = await lastRun('prague-office');
    assert.deepEqual(
      (again.plan.actions as { op: string }[]).filter((a) => a.op === 'push-delete' || a.op === 'error'),
      [],
    );
  });

  it('a link with foreignEvents: report (the default) reports the event and leaves it', async () => {
    const mallory = byHand(vienna, 'mallory@example.com', '2030-07-08', '2030-07-09', 'Mallory in Vienna');
    await sync('vienna-office');
    assert.equal(google.store.getEvent(vienna, mallory.id).status, 'confirmed');
    const run = await lastRun('vienna-office');
    assert.deepEqual(
      (run.plan.actions as { op: string }[]).filter((a) => a.op === 'push-delete'),
      [],
    );
    const err = (run.errors as { id: string; error: { message: string } }[]).find((e) => e.id === mallory.id);
    assert.ok(err, JSON.stringify(run.errors));
    assert.match(err.error.message, /mallory@example\.com.*not a manual user/);
  });
});
