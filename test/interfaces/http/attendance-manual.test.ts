/**
 * Office attendance, part 2, through a running service against the Google emulator:
 * an event added by hand to an office calendar by a manual user (the event's creator)
 * becomes one approved reservation — the next run writes the hub's marker, title and
 * colour back as the link's own write, and more runs, a restart of the service or a second
 * service on the same hub make no second one; anyone else's event is reported in the run
 * (creator and event named), left in the calendar and makes no reservation. The Sheets
 * config: GET /api/v1/config_update picks up a new office (its link is made, reservations
 * for it reach its calendar) and a new manual user; a broken sheet (a row without its
 * calendar, a range Sheets cannot parse, a 500) keeps the last good config and says why.
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
import { PROP_RESERVATION } from '../../../src/connectors/google-calendar/attendance-mapper.js';
import { createGoogleEmulator, DEMO_REFRESH_TOKEN } from '../../../src/emulators/google/index.js';
import { DEMO_USER, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../../src/emulators/google/oauth.js';
import type { CalendarRecord } from '../../../src/emulators/google/calendar-store.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { injectCall } from '../../support/inject-call.js';
import { queueIdle } from '../../support/serve.js';

const PRAGUE = 'prague-office@group.calendar.google.com';
const VIENNA = 'vienna-office@group.calendar.google.com';
const BOOK = 'attendance-config-sheet';

interface Running {
  svc: Service;
  app: FastifyInstance;
  call: ReturnType<typeof injectCall>;
}

describe('office attendance: manual events and the Sheets config', () => {
  let dir: string, google: ReturnType<typeof createGoogleEmulator>, prague: CalendarRecord, vienna: CalendarRecord;
  let one: Running;
  const logs: string[] = [];

  async function start(): Promise<Running> {
    const env = { ...process.env };
    const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
      env,
      logger: createLogger({ destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) }),
      scheduler: false,
    });
    const { app } = await buildServer(svc, 'test');
    await svc.startWorkers();
    const admin = (await createToken(svc.store, { userId: 'root', role: 'admin' })).token;
    const call = injectCall(app, { admin, alice: admin, bob: admin });
    return { svc, app, call };
  }
  const stop = async (r: Running) => {
    await r.app.close();
    await r.svc.stop(1000);
  };
  const idle = (r: Running) => queueIdle(r.svc, 'the queued runs');
  const sync = async (r: Running, link: string) => {
    await r.svc.enqueueRun(link, { trigger: 'test' });
    await idle(r);
  };
  const reservations = async (r: Running) => (await r.call('admin', 'GET', '/api/v1/records/reservation?scope=office&includeDeleted=true')).body.items;
  const lastRun = async (r: Running, link: string) => (await r.call('admin', 'GET', `/api/v1/runs?link=${link}&limit=1`)).body.runs[0];
  const byHand = (cal: CalendarRecord, creator: string, first: string, end: string, summary: string) =>
    google.store.insertEvent(cal, { summary, description: 'added by hand', start: { date: first }, end: { date: end } }, creator);

  before(async () => {
    google = createGoogleEmulator({ seed: 21 });
    google.store.createCalendar(DEMO_USER, { id: PRAGUE, summary: 'Prague office', timeZone: 'UTC' });
    google.store.createCalendar(DEMO_USER, { id: VIENNA, summary: 'Vienna office', timeZone: 'UTC' });
    prague = google.store.calendar(PRAGUE, DEMO_USER, 'owner');
    vienna = google.store.calendar(VIENNA, DEMO_USER, 'owner');
    // The sheet starts with no extra office and one manual user.
    google.sheets.setSheet(BOOK, 'Offices', [['office', 'calendar', 'name']]);
    google.sheets.setSheet(BOOK, 'Users', [
      ['email', 'name'],
      ['bara@example.com', 'Bara'],
    ]);
    const gUrl = await google.listen();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-attendance-manual-'));
    const yaml = [
      'serve: { concurrency: 1, scheduler: false }',
      'store:',
      '  path: hub.sqlite',
      'connections:',
      '  google:',
      '    type: google-calendar',
      `    baseUrl: ${gUrl}/calendar/v3`,
      `    sheetsUrl: ${gUrl}/v4`,
      `    tokenUrl: ${gUrl}/token`,
      `    auth: { type: oauth, clientId: ${EMULATOR_CLIENT_ID}, clientSecret: ${EMULATOR_CLIENT_SECRET}, refreshToken: "${DEMO_REFRESH_TOKEN}" }`,
      'links:',
      `  prague-office: { connection: google, scope: office, collection: "${PRAGUE}", externalKind: attendance, mapper: google-attendance, options: { office: prague } }`,
      'attendance:',
      '  scope: office',
      '  colors: { pending: "6", approved: "10" }',
      '  offices:',
      `    - { id: prague, name: Prague, calendar: "${PRAGUE}", connection: google }`,
      '  manualUsers:',
      '    - { email: Eva@Example.com, name: Eva Svoboda }',
      '  sheets:',
      '    connection: google',
      `    spreadsheetId: ${BOOK}`,
      '    offices: Offices!A2:C',
      '    manualUsers: Users!A2:B',
      '  calendars:',
      '    summary: "{name} office"',
      '    shareWith: [{ email: team@example.com, role: writer }]',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml);
    one = await start();
    for (const [name, email] of [
      ['Eva Svoboda', 'eva@example.com'],
      ['Mallory Kral', 'mallory@example.com'],
      ['Zoe Dvorak', 'zoe@example.com'],
      ['Bara Mala', 'bara@example.com'],
    ]) {
      const p = await one.call('admin', 'POST', '/api/v1/records/person?scope=office', { fields: { name, email } });
      assert.equal(p.status, 201, p.text);
    }
    await idle(one);
  });
  after(async () => {
    if (one) await stop(one);
    await google?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a manual user’s event becomes one approved reservation, marked once, across runs, a restart and a second service', async () => {
    const ev = byHand(prague, 'eva@example.com', '2030-05-04', '2030-05-06', 'Eva in the office');
    await sync(one, 'prague-office');
    const made = (await reservations(one)).filter((r: { fields: { source: string } }) => r.fields.source === 'calendar');
    assert.equal(made.length, 1, JSON.stringify(made));
    const res = made[0];
    assert.deepEqual(
      [res.fields.office, res.fields.firstDay, res.fields.lastDay, res.fields.state, res.fields.requestedAt !== null],
      ['prague', '2030-05-04', '2030-05-05', 'approved', true],
    );
    const eva = (await one.call('admin', 'GET', '/api/v1/records/person?scope=office')).body.items.find(
      (p: { fields: { email: string } }) => p.fields.email === 'eva@example.com',
    );
    assert.equal(res.fields.personId, eva.id);

    // The next run writes the marker, the approved title and colour into the same event (not a new event, nothing else kept lost).
    await sync(one, 'prague-office');
    const marked = google.store.getEvent(prague, ev.id);
    assert.ok(marked.extendedProperties?.private?.[PROP_RESERVATION], JSON.stringify(marked));
    assert.equal(marked.extendedProperties?.private?.['timebridgeState'], 'approved');
    assert.deepEqual(
      [marked.summary, marked['colorId'], marked.status, (marked['creator'] as { email: string }).email, marked.description],
      ['Eva Svoboda', '10', 'confirmed', 'eva@example.com', 'added by hand'],
    );
    const etag = marked.etag;

    // The write-back is the link's own: more runs write nothing, and the reservation is not edited by it.
    await sync(one, 'prague-office');
    await sync(one, 'prague-office');
    assert.equal(google.store.getEvent(prague, ev.id).etag, etag);
    const after1 = await one.call('admin', 'GET', `/api/v1/records/reservation/${res.id}`);
    assert.equal(after1.body.version, res.version);

    // A restart, and a second service on the same hub running the link: still one reservation.
    await stop(one);
    one = await start();
    const second = await start();
    try {
      await sync(second, 'prague-office');
      await sync(one, 'prague-office');
    } finally {
      await stop(second);
    }
    const all = (await reservations(one)).filter((r: { fields: { personId: string } }) => r.fields.personId === eva.id);
    assert.equal(all.length, 1, JSON.stringify(all));
    assert.equal(google.store.getEvent(prague, ev.id).etag, etag);
    assert.equal([...prague.events.values()].filter((s) => s.ev.status !== 'cancelled').length, 1);
  });

  it('anyone else’s manual event is reported, left in the calendar, and makes no reservation', async () => {
    const before = (await reservations(one)).length;
    const ev = byHand(prague, 'mallory@example.com', '2030-05-11', '2030-05-12', 'Mallory sneaks in');
    await sync(one, 'prague-office');
    assert.equal((await reservations(one)).length, before);
    const kept = google.store.getEvent(prague, ev.id);
    assert.deepEqual([kept.status, kept.summary, kept.extendedProperties?.private?.[PROP_RESERVATION]], ['confirmed', 'Mallory sneaks in', undefined]);
    const run = await lastRun(one, 'prague-office');
    const err = (run.errors as { id: string; error: { message: string } }[]).find((e) => e.id === ev.id);
    assert.ok(err, JSON.stringify(run.errors));
    assert.match(err.error.message, /mallory@example\.com/);
    assert.match(err.error.message, new RegExp(ev.id));
    assert.match(err.error.message, /not a manual user/);
  });

  it('config_update picks up a new office and a new manual user from Sheets', async () => {
    google.sheets.setSheet(BOOK, 'Offices', [
      ['office', 'calendar', 'name'],
      ['vienna', VIENNA, 'Vienna'],
    ]);
    google.sheets.setSheet(BOOK, 'Users', [
      ['email', 'name'],
      ['bara@example.com', 'Bara'],
      ['Zoe@example.com', 'Zoe Dvorak'],
    ]);
    const r = await one.call('admin', 'GET', '/api/v1/config_update');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.offices, r.body.problems, r.body.source], [['prague', 'vienna'], [], 'timebridge.yaml+sheets']);
    assert.deepEqual(r.body.manualUsers.sort(), ['bara@example.com', 'eva@example.com', 'zoe@example.com']);
    assert.deepEqual(r.body.linksCreated, ['office-vienna']);
    await idle(one);

    // moffman's request for the new office reaches its calendar.
    const booked = await one.call('admin', 'POST', '/api/v1/reservations', {
      user: { name: 'Zoe Dvorak', email: 'zoe@example.com' },
      approved: true,
      start: '2030-06-01',
      end: '2030-06-02',
      office_id: 'vienna',
    });
    assert.equal(booked.status, 200, booked.text);
    await idle(one);
    assert.deepEqual(
      [...vienna.events.values()].map((s) => [s.ev.summary, s.ev.start]),
      [['Zoe Dvorak', { date: '2030-06-01' }]],
    );

    // Zoe is now a manual user: her event in Prague becomes an approved reservation.
    byHand(prague, 'zoe@example.com', '2030-06-08', '2030-06-09', 'Zoe');
    await sync(one, 'prague-office');
    const zoe = (await reservations(one)).filter(
      (x: { fields: { office: string; source: string } }) => x.fields.office === 'prague' && x.fields.source === 'calendar',
    );
    assert.deepEqual(zoe.map((x: { fields: { firstDay: string; state: string } }) => [x.fields.firstDay, x.fields.state]).sort(), [
      ['2030-05-04', 'approved'],
      ['2030-06-08', 'approved'],
    ]);

    // Asked again, nothing new: no second link.
    const again = await one.call('admin', 'GET', '/api/v1/config_update');
    assert.deepEqual([again.body.linksCreated, again.body.offices], [[], ['prague', 'vienna']]);
  });

  it('a broken sheet keeps the last good config and says what is wrong', async () => {
    const good = (await one.call('admin', 'GET', '/api/v1/config_update')).body;
    assert.deepEqual(good.problems, []);
    const check = async (what: RegExp) => {
      logs.length = 0;
      const r = await one.call('admin', 'GET', '/api/v1/config_update');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.problems.length, 1, JSON.stringify(r.body.problems));
      assert.match(r.body.problems[0], what);
      assert.deepEqual([r.body.offices, r.body.manualUsers.sort(), r.body.sheetsLoadedAt], [good.offices, good.manualUsers.sort(), good.sheetsLoadedAt]);
      assert.ok(
        logs.some((l) => l.includes('Sheets config is broken') && what.test(l)),
        logs.join('\n'),
      );
      assert.deepEqual(r.body.jobs, []);
    };
    // A row without its office id: not taken, not even the good rows.
    google.sheets.setSheet(BOOK, 'Offices', [
      ['office', 'calendar', 'name'],
      ['vienna', VIENNA, 'Vienna'],
      ['', 'graz@group.calendar.google.com', 'Graz'],
    ]);
    await check(/row 2: the office id \(column 1\) is empty/);
    // The range names a sheet that is no longer there: Sheets cannot parse it.
    google.sheets.books.get(BOOK)!.delete('Offices');
    await check(/Unable to parse range: Offices!A2:C/);
    // Sheets fails.
    google.sheets.setSheet(BOOK, 'Offices', [
      ['office', 'calendar', 'name'],
      ['vienna', VIENNA, 'Vienna'],
    ]);
    google.sheets.failNext(500);
    await check(/500|Internal error/);
    // Mended, it loads again.
    const mended = await one.call('admin', 'GET', '/api/v1/config_update');
    assert.deepEqual([mended.body.problems, mended.body.offices], [[], ['prague', 'vienna']]);
  });
  const calendarsNamed = (summary: string) => [...google.store.calendars.values()].filter((c) => c.cal.summary === summary);

  it('an office without a calendar id gets its calendar made, shared and kept on first use: once, across reloads and a restart', async () => {
    google.sheets.setSheet(BOOK, 'Offices', [
      ['office', 'calendar', 'name'],
      ['vienna', VIENNA, 'Vienna'],
      ['graz', '', 'Graz'],
    ]);
    // Google refuses to make it the first time: the sheet is taken, the office's problem said, nothing made.
    const fault = await fetch(`${google.url()}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'POST', path: '^/calendar/v3/calendars$', status: 400, times: 1 }),
    });
    assert.equal(fault.status, 201);
    const refused = await one.call('admin', 'GET', '/api/v1/config_update');
    assert.deepEqual([refused.status, refused.body.problems, refused.body.linksCreated, refused.body.offices], [200, [], [], ['prague', 'vienna', 'graz']]);
    assert.equal(refused.body.officeProblems.length, 1, refused.text);
    assert.match(refused.body.officeProblems[0], /^office graz: /);
    assert.equal(calendarsNamed('Graz office').length, 0);
    // The next reload makes it.
    const r = await one.call('admin', 'GET', '/api/v1/config_update');
    assert.deepEqual([r.status, r.body.problems, r.body.officeProblems, r.body.linksCreated], [200, [], [], ['office-graz']], r.text);
    const made = calendarsNamed('Graz office');
    assert.equal(made.length, 1);
    const graz = made[0]!;
    assert.equal(graz.acl.get('user:team@example.com')?.role, 'writer', 'shared as attendance.calendars.shareWith says');
    const link = await one.call('admin', 'GET', '/api/v1/links/office-graz');
    assert.equal(link.body.config.collection, graz.cal.id);
    await idle(one);

    const booked = await one.call('admin', 'POST', '/api/v1/reservations', {
      user: { name: 'Zoe Dvorak', email: 'zoe@example.com' },
      approved: true,
      start: '2030-07-01',
      end: '2030-07-03',
      office_id: 'graz',
    });
    assert.equal(booked.status, 200, booked.text);
    await idle(one);
    assert.deepEqual(
      [...graz.events.values()].map((e) => [e.ev.summary, e.ev.start, e.ev.end]),
      [['Zoe Dvorak', { date: '2030-07-01' }, { date: '2030-07-03' }]],
    );

    // Read again, and after a restart: the kept calendar, no second one.
    assert.deepEqual((await one.call('admin', 'GET', '/api/v1/config_update')).body.linksCreated, []);
    await stop(one);
    one = await start();
    const again = await one.call('admin', 'GET', '/api/v1/config_update');
    assert.deepEqual([again.body.problems, again.body.linksCreated], [[], []]);
    assert.equal(calendarsNamed('Graz office').length, 1);
    assert.equal((await one.call('admin', 'GET', '/api/v1/links/office-graz')).body.config.collection, graz.cal.id);
  });

  it('a worker-only process applies the sheet’s manual users (the last good sheet config is in the store)', async () => {
    const ida = await one.call('admin', 'POST', '/api/v1/records/person?scope=office', { fields: { name: 'Ida Novotna', email: 'ida@example.com' } });
    assert.equal(ida.status, 201, ida.text);
    google.sheets.setSheet(BOOK, 'Users', [
      ['email', 'name'],
      ['bara@example.com', 'Bara'],
      ['ida@example.com', 'Ida'],
    ]);
    const r = await one.call('admin', 'GET', '/api/v1/config_update');
    assert.ok(r.body.manualUsers.includes('ida@example.com'), r.text);
    await idle(one);
    // The API process goes; a process that only takes jobs (as `timebridge worker`) runs the office link.
    await stop(one);
    const env = { ...process.env };
    const worker = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
      env,
      logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      scheduler: false,
    });
    try {
      await worker.startWorkers();
      byHand(prague, 'ida@example.com', '2030-08-03', '2030-08-04', 'Ida in');
      await worker.enqueueRun('prague-office', { trigger: 'test' });
      await queueIdle(worker, 'the worker’s run');
      const idas = (await worker.store.listScope('office', 'reservation')).filter((x) => x.fields.personId === ida.body.id);
      assert.deepEqual(
        idas.map((x) => [x.fields.firstDay, x.fields.state, x.fields.source]),
        [['2030-08-03', 'approved', 'calendar']],
      );
    } finally {
      await worker.stop(1000);
      one = await start();
    }
  });

  it('an office gone from the sheet has its link disabled (kept, its calendar untouched, the reason shown); back, it is enabled', async () => {
    const events = [...vienna.events.values()].map((e) => [e.ev.id, e.ev.etag, e.ev.status]);
    assert.ok(events.length > 0);
    google.sheets.setSheet(BOOK, 'Offices', [
      ['office', 'calendar', 'name'],
      ['graz', '', 'Graz'],
    ]);
    const r = await one.call('admin', 'GET', '/api/v1/config_update');
    assert.deepEqual([r.status, r.body.offices, r.body.linksDisabled], [200, ['prague', 'graz'], ['office-vienna']], r.text);
    const link = (await one.call('admin', 'GET', '/api/v1/links')).body.links.find((l: { name: string }) => l.name === 'office-vienna');
    assert.equal(link.enabled, false);
    assert.match(link.disabledReason, /office vienna is no longer in the offices sheet \(Offices!A2:C\)/);
    await idle(one);
    assert.deepEqual(
      [...vienna.events.values()].map((e) => [e.ev.id, e.ev.etag, e.ev.status]),
      events,
    );
    assert.equal(calendarsNamed('Vienna office').length, 1);
    const refused = await one.call('admin', 'POST', '/api/v1/reservations', {
      user: { name: 'Zoe Dvorak', email: 'zoe@example.com' },
      approved: false,
      start: '2030-09-01',
      end: '2030-09-02',
      office_id: 'vienna',
    });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.body.error.message, /^office_id: there is no office "vienna"/);
    // Asked again: nothing more to disable.
    assert.deepEqual((await one.call('admin', 'GET', '/api/v1/config_update')).body.linksDisabled, []);

    google.sheets.setSheet(BOOK, 'Offices', [
      ['office', 'calendar', 'name'],
      ['graz', '', 'Graz'],
      ['vienna', VIENNA, 'Vienna'],
    ]);
    const back = await one.call('admin', 'GET', '/api/v1/config_update');
    assert.deepEqual([back.body.linksDisabled, back.body.linksCreated], [[], []]);
    const enabled = await one.call('admin', 'GET', '/api/v1/links/office-vienna');
    assert.deepEqual([enabled.body.enabled, enabled.body.disabledReason], [true, undefined]);
  });
});
