/**
 * Office attendance (issue 20, part 1) through the API of a running service against the
 * Google emulator: moffman's POST /api/v1/reservations makes a pending reservation and its
 * "(Name)" all-day event in the office's calendar, approves it (same request again: one
 * reservation, one event), refuses bad bodies naming the field with nothing written; the
 * records API lists reservations with their history; an event moved by hand moves the
 * reservation's days, one deleted by hand cancels it (not a hub delete), and a cancel in
 * the hub cancels the event.
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
const BRNO = 'brno-office@group.calendar.google.com';

describe('office attendance: moffman’s reservation API and the office calendars', () => {
  let dir: string, svc: Service, app: FastifyInstance, call: ReturnType<typeof injectCall>;
  let google: ReturnType<typeof createGoogleEmulator>;
  let prague: CalendarRecord, brno: CalendarRecord;

  const idle = () => queueIdle(svc, 'the queued runs');
  const live = (cal: CalendarRecord) => [...cal.events.values()].map((s) => s.ev).filter((e) => e.status !== 'cancelled');
  const reservations = async () => (await call('admin', 'GET', '/api/v1/records/reservation?scope=office&includeDeleted=true')).body.items;
  const request = (over: Record<string, unknown> = {}) => ({
    user: { name: 'Ann Novak', email: 'Ann@Example.com' },
    approved: false,
    start: '2030-03-02',
    end: '2030-03-04',
    request_dt: '11:38:00 2030/02/25',
    office_id: 'prague',
    ...over,
  });
  const sync = async (link: string) => {
    await svc.enqueueRun(link, { trigger: 'test' });
    await idle();
  };

  before(async () => {
    google = createGoogleEmulator({ seed: 20 });
    google.store.createCalendar(DEMO_USER, { id: PRAGUE, summary: 'Prague office', timeZone: 'UTC' });
    google.store.createCalendar(DEMO_USER, { id: BRNO, summary: 'Brno office', timeZone: 'UTC' });
    prague = google.store.calendar(PRAGUE, DEMO_USER, 'owner');
    brno = google.store.calendar(BRNO, DEMO_USER, 'owner');
    const gUrl = await google.listen();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-attendance-'));
    const yaml = [
      'serve: { concurrency: 1, scheduler: false }',
      'store:',
      '  path: hub.sqlite',
      'connections:',
      '  google:',
      ...googleEmulatorConnection(gUrl),
      'links:',
      `  prague-office: { connection: google, scope: office, collection: "${PRAGUE}", externalKind: attendance, mapper: google-attendance, options: { office: prague } }`,
      `  brno-office: { connection: google, scope: office, collection: "${BRNO}", externalKind: attendance, mapper: google-attendance, options: { office: brno } }`,
      'attendance:',
      '  scope: office',
      '  colors: { pending: "6", approved: "10" }',
      '  offices:',
      `    - { id: prague, name: Prague, calendar: "${PRAGUE}", connection: google }`,
      `    - { id: brno, name: Brno, calendar: "${BRNO}", connection: google }`,
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
    call = injectCall(app, {
      admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token,
      alice: (await createToken(svc.store, { userId: 'ann', role: 'user' })).token,
      bob: (await createToken(svc.store, { userId: 'bob', role: 'user' })).token,
    });
    const ann = await call('admin', 'POST', '/api/v1/records/person?scope=office', {
      fields: { name: 'Ann Novak', email: 'ann@example.com', username: 'ann' },
    });
    assert.equal(ann.status, 201, ann.text);
    await idle();
  });
  after(async () => {
    await app?.close();
    await svc?.stop(1000);
    await google?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('bad bodies get 400 naming the field, and nothing is written', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ office_id: 'vienna' }, 'office_id'],
      [{ end: '2030-03-01' }, 'end'],
      [{ end: '2030-03-02' }, 'end'],
      [{ start: '2030-02-30' }, 'start'],
      [{ end: '03/04/2030' }, 'end'],
      [{ request_dt: 'yesterday' }, 'request_dt'],
      [{ user: { name: 'Nobody', email: 'nobody@example.com' } }, 'user.email'],
      [{ approved: 'yes' }, 'approved'],
      [{ user: { name: 'No mail' } }, 'user.email'],
    ];
    for (const [over, field] of cases) {
      const r = await call('admin', 'POST', '/api/v1/reservations', request(over));
      assert.equal(r.status, 400, `${JSON.stringify(over)}: ${r.text}`);
      assert.equal(r.body.error.code, 'REQUEST_INVALID');
      assert.ok(r.body.error.message.includes(field), `${JSON.stringify(over)} names ${field}: ${r.body.error.message}`);
    }
    assert.deepEqual(await reservations(), []);
    assert.deepEqual(live(prague), []);
  });

  it('only admins and the scope owner send reservations', async () => {
    assert.equal((await call('bob', 'POST', '/api/v1/reservations', request())).status, 404);
    assert.equal((await call('admin', 'POST', '/api/v1/scopes/office/grants', { user: 'ann', access: 'read' })).status, 200);
    const granted = await call('alice', 'POST', '/api/v1/reservations', request());
    assert.deepEqual([granted.status, granted.body.error?.code], [403, 'AUTH_FORBIDDEN']);
    assert.equal((await call('anonymous', 'POST', '/api/v1/reservations', request())).status, 401);
    assert.deepEqual(await reservations(), []);
  });

  it('a request makes a pending reservation and its "(Name)" all-day event; approving it, twice, keeps one of each', async () => {
    const first = await call('admin', 'POST', '/api/v1/reservations', request());
    assert.equal(first.status, 200, first.text);
    assert.deepEqual([first.body.state, first.body.outcome], ['pending', 'created']);
    await idle();
    let events = live(prague);
    assert.equal(events.length, 1, JSON.stringify(events));
    let ev = events[0]!;
    assert.equal(ev.summary, '(Ann Novak)');
    // Last day inclusive 2030-03-03; Google's all-day end is exclusive.
    assert.deepEqual([ev.start, ev.end], [{ date: '2030-03-02' }, { date: '2030-03-04' }]);
    assert.equal(ev.colorId, '6');
    assert.equal(ev.extendedProperties?.private?.['timebridgeId'], first.body.id);
    assert.equal(ev.extendedProperties?.private?.['timebridgeState'], 'pending');
    assert.deepEqual(live(brno), []);

    // The same pending request again changes nothing.
    const again = await call('admin', 'POST', '/api/v1/reservations', request());
    assert.deepEqual([again.status, again.body.id, again.body.outcome], [200, first.body.id, 'unchanged']);

    // The approval (as moffman: the same request with approved: true) approves the one reservation; twice is once.
    for (const outcome of ['changed', 'unchanged']) {
      const ok = await call('admin', 'POST', '/api/v1/reservations', request({ approved: true }));
      assert.deepEqual([ok.status, ok.body.id, ok.body.state, ok.body.outcome], [200, first.body.id, 'approved', outcome], ok.text);
      await idle();
    }
    events = live(prague);
    assert.equal(events.length, 1);
    ev = events[0]!;
    assert.deepEqual([ev.summary, ev.colorId, ev.extendedProperties?.private?.['timebridgeState']], ['Ann Novak', '10', 'approved']);
    const all = await reservations();
    assert.equal(all.length, 1);
    assert.deepEqual(all[0].fields, {
      personId: all[0].fields.personId,
      office: 'prague',
      firstDay: '2030-03-02',
      lastDay: '2030-03-03',
      state: 'approved',
      requestedAt: '2030-02-25T11:38:00Z',
      source: 'api',
    });
    assert.equal(all[0].owner, all[0].fields.personId);

    // An approval with no request before creates it approved, in the other office's calendar.
    const direct = await call('admin', 'POST', '/api/v1/reservations', request({ approved: true, office_id: 'brno', start: '2030-04-01', end: '2030-04-02' }));
    assert.deepEqual([direct.status, direct.body.state, direct.body.outcome], [200, 'approved', 'created']);
    await idle();
    assert.deepEqual(
      live(brno).map((e) => [e.summary, e.start, e.end]),
      [['Ann Novak', { date: '2030-04-01' }, { date: '2030-04-02' }]],
    );
    assert.equal(live(prague).length, 1);

    // The records API lists them and tells the history: created pending, then approved, both through the API.
    const history = await call('admin', 'GET', `/api/v1/records/reservation/${first.body.id}/history`);
    assert.equal(history.status, 200, history.text);
    assert.deepEqual(history.body.history.map((h: { action: string; via: string; by: string }) => [h.action, h.via, h.by]).slice(0, 2), [
      ['create', 'api', 'root'],
      ['update', 'api', 'root'],
    ]);
    assert.deepEqual(
      history.body.history[1].changes.map((c: { field: string; before: unknown; after: unknown }) => [c.field, c.before, c.after]),
      [['state', 'pending', 'approved']],
    );
    const config = await call('admin', 'GET', '/api/v1/config_update');
    assert.deepEqual([config.status, config.body.offices], [200, ['prague', 'brno']]);
  });

  it('an office link’s plan counts only its own office’s reservations: the other office’s are not push-creates', async () => {
    // A pending Brno booking no run has taken yet, and a full plan of each office's link (the whole scope).
    const brnoDays = await call('admin', 'POST', '/api/v1/reservations', request({ office_id: 'brno', start: '2030-04-10', end: '2030-04-12' }));
    assert.equal(brnoDays.status, 200, brnoDays.text);
    await idle();
    const prg = await call('admin', 'POST', '/api/v1/links/prague-office/plan', { full: true });
    assert.equal(prg.status, 200, prg.text);
    assert.deepEqual(prg.body.plan.counts, {}, JSON.stringify(prg.body.plan.actions));
    // The Brno link's own plan is as true: in sync, nothing to do; a new Brno booking is its one push-create.
    const more = await svc.records.create({
      scope: 'office',
      kind: 'reservation',
      fields: {
        ...(await reservations()).find((r: { fields: { office: string } }) => r.fields.office === 'brno').fields,
        firstDay: '2030-04-20',
        lastDay: '2030-04-20',
      },
      actor: { origin: 'test' },
    });
    for (const [link, creates] of [
      ['brno-office', 1],
      ['prague-office', 0],
    ] as const) {
      const plan = await call('admin', 'POST', `/api/v1/links/${link}/plan`, { full: true });
      assert.equal(plan.status, 200, plan.text);
      assert.equal(plan.body.plan.counts['push-create'] ?? 0, creates, `${link}: ${JSON.stringify(plan.body.plan.actions)}`);
    }
    await sync('brno-office');
    assert.ok(live(brno).some((e) => e.extendedProperties?.private?.['timebridgeId'] === more.id));
    assert.ok(!live(prague).some((e) => e.extendedProperties?.private?.['timebridgeId'] === more.id));
    // Cancelled again, so the tests below see Brno as before.
    for (const id of [brnoDays.body.id as string, more.id]) {
      const r = (await svc.records.get(id))!;
      await svc.records.update({ id, fields: { ...r.fields, state: 'cancelled' }, ifMatch: r.version, actor: { origin: 'test' } });
    }
    await sync('brno-office');
    assert.equal(live(brno).length, 1);
  });

  it('an event moved by hand moves the reservation; deleted by hand it is cancelled, not deleted', async () => {
    const [res] = (await reservations()).filter((r: { fields: { office: string } }) => r.fields.office === 'prague');
    const ev = live(prague)[0]!;
    google.store.writeEvent(prague, ev.id, { ...ev, start: { date: '2030-03-09' }, end: { date: '2030-03-12' } }, undefined, false);
    await sync('prague-office');
    const moved = await call('admin', 'GET', `/api/v1/records/reservation/${res.id}`);
    assert.deepEqual([moved.body.fields.firstDay, moved.body.fields.lastDay, moved.body.fields.state], ['2030-03-09', '2030-03-11', 'approved']);
    const steps = (await call('admin', 'GET', `/api/v1/records/reservation/${res.id}/history`)).body.history;
    assert.deepEqual([steps.at(-1).via, steps.at(-1).by], ['link', 'prague-office']);

    // moffman's approval of the moved days finds the same reservation.
    const again = await call('admin', 'POST', '/api/v1/reservations', request({ approved: true, start: '2030-03-09', end: '2030-03-12' }));
    assert.deepEqual([again.body.id, again.body.outcome], [res.id, 'unchanged']);

    google.store.deleteEvent(prague, ev.id, undefined);
    await sync('prague-office');
    const gone = await call('admin', 'GET', `/api/v1/records/reservation/${res.id}`);
    assert.equal(gone.status, 200, gone.text);
    assert.deepEqual([gone.body.deleted, gone.body.fields.state], [false, 'cancelled']);
    // Nothing is written back: the event stays deleted.
    await sync('prague-office');
    assert.deepEqual(live(prague), []);

    // Requested again, it is pending again and back in the calendar.
    const back = await call('admin', 'POST', '/api/v1/reservations', request({ start: '2030-03-09', end: '2030-03-12' }));
    assert.deepEqual([back.body.id, back.body.state, back.body.outcome], [res.id, 'pending', 'changed']);
    await idle();
    assert.deepEqual(
      live(prague).map((e) => [e.summary, e.start]),
      [['(Ann Novak)', { date: '2030-03-09' }]],
    );
  });

  it('a cancel in the hub (records API) takes the event out of the calendar', async () => {
    const [res] = (await reservations()).filter((r: { fields: { office: string } }) => r.fields.office === 'brno');
    // The office does not change: the other office's calendar would keep the event.
    const moved = await call('admin', 'PATCH', `/api/v1/records/reservation/${res.id}`, { fields: { office: 'prague' } }, { 'if-match': `"${res.version}"` });
    assert.deepEqual([moved.status, moved.body.error?.code], [400, 'REQUEST_INVALID'], moved.text);
    assert.match(moved.body.error.hint, /book the other office/);
    const patched = await call(
      'admin',
      'PATCH',
      `/api/v1/records/reservation/${res.id}`,
      { fields: { state: 'cancelled' } },
      { 'if-match': `"${res.version}"` },
    );
    assert.equal(patched.status, 200, patched.text);
    await idle();
    assert.deepEqual(live(brno), []);
    const r = await call('admin', 'GET', `/api/v1/records/reservation/${res.id}`);
    assert.deepEqual([r.body.deleted, r.body.fields.state], [false, 'cancelled']);
  });

  it('two identical requests at once make one reservation and one event', async () => {
    const body = request({ office_id: 'brno', start: '2030-05-04', end: '2030-05-05' });
    const [a, b] = await Promise.all([call('admin', 'POST', '/api/v1/reservations', body), call('admin', 'POST', '/api/v1/reservations', body)]);
    assert.deepEqual([a.status, b.status, a.body.id], [200, 200, b.body.id], a.text + b.text);
    assert.deepEqual([a.body.outcome, b.body.outcome].sort(), ['created', 'unchanged']);
    await idle();
    assert.equal((await reservations()).filter((r: { fields: { firstDay: string } }) => r.fields.firstDay === '2030-05-04').length, 1);
    assert.deepEqual(
      live(brno).map((e) => e.start),
      [{ date: '2030-05-04' }],
    );
  });

  it('a person books their own days through the records API, and a listing picks an office and the days it touches', async () => {
    assert.equal((await call('admin', 'POST', '/api/v1/scopes/office/grants', { user: 'ann', access: 'read-write' })).status, 200);
    const made = await call('alice', 'POST', '/api/v1/records/reservation?scope=office', {
      fields: { office: 'prague', firstDay: '2030-06-29', lastDay: '2030-07-02' },
    });
    assert.equal(made.status, 201, made.text);
    assert.deepEqual([made.body.fields.state, made.body.fields.source, made.body.owner], ['pending', 'api', made.body.fields.personId]);
    const missing = await call('alice', 'POST', '/api/v1/records/reservation?scope=office', { fields: { office: 'prague', firstDay: '2030-06-29' } });
    assert.deepEqual([missing.status, /lastDay/.test(missing.body.error.message)], [400, true], missing.text);
    const backwards = await call('alice', 'POST', '/api/v1/records/reservation?scope=office', {
      fields: { office: 'prague', firstDay: '2030-06-29', lastDay: '2030-06-28' },
    });
    assert.deepEqual([backwards.status, /lastDay/.test(backwards.body.error.message)], [400, true], backwards.text);
    await idle();
    assert.ok(live(prague).some((e) => e.summary === '(Ann Novak)' && e.start?.date === '2030-06-29' && e.end?.date === '2030-07-03'));

    // July in Prague: the reservation that starts in June is in; May's and Brno's are not.
    const july = await call('alice', 'GET', '/api/v1/records/reservation?scope=office&office=prague&from=2030-07-01&to=2030-07-31');
    assert.deepEqual(
      july.body.items.map((r: { id: string }) => r.id),
      [made.body.id],
    );
    const brnoOnes = await call('alice', 'GET', '/api/v1/records/reservation?scope=office&office=brno&includeDeleted=true');
    assert.ok(brnoOnes.body.items.length >= 2 && brnoOnes.body.items.every((r: { fields: { office: string } }) => r.fields.office === 'brno'));
  });
});
