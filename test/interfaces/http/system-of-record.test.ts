/**
 * Issue 18's "done when", through the API of a running service (its queue and workers)
 * against the Google and Kimai emulators: imported calendar events reach Kimai through
 * booking rules with no hand edits in the store; one waits to be booked, and its person
 * fixes it through the records API; she tracks time with a timer; she submits her month
 * and an admin locks it; Kimai then shows exactly her entries exported, and the hub
 * refuses changes to them. Nothing here writes the store directly.
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
import { createKimaiEmulator } from '../../../src/emulators/kimai/index.js';
import { emptyData, newActivity, newCustomer, newProject, newUser } from '../../../src/emulators/kimai/kimai-data.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { runLink } from '../../../src/runtime/run-link.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { injectCall } from '../../support/inject-call.js';
import { queueIdle } from '../../support/serve.js';
import { googleEmulatorConnection } from '../../support/google.js';

const TOKEN = 'kimai-sor-admin-token-0123456789';
const HOUR = 3_600_000;
const CAL = 'team-meetings@group.calendar.google.com';

describe('the hub as a system of record, end to end through the API', () => {
  let dir: string, svc: Service, app: FastifyInstance, call: ReturnType<typeof injectCall>;
  let kimai: ReturnType<typeof createKimaiEmulator>, google: ReturnType<typeof createGoogleEmulator>;
  let annKimaiId = 0,
    bobKimaiId = 0;
  // The service's clock: real time, moved forward by the test (a timer that runs two hours).
  let shift = 0;
  const clock = () => new Date(Date.now() + shift);

  const idle = () => queueIdle(svc, 'the queued runs');
  const text = (d: string | null) => (d ?? '').replace(/\n*\[timebridge id=[^\]]+\]$/, '');
  const kimaiSheets = () => kimai.data().timesheets.map((t) => ({ ...t, description: text(t.description) }));

  before(async () => {
    const data = emptyData();
    newUser(data, { username: 'admin', timezone: 'UTC', admin: true, apiToken: TOKEN, apiPassword: 'admin-api-password' });
    annKimaiId = newUser(data, { username: 'ann', timezone: 'UTC', admin: false, apiToken: 'ann-token-0123456789abcdef', apiPassword: 'ann-pw' }).id;
    bobKimaiId = newUser(data, { username: 'bob', timezone: 'UTC', admin: false, apiToken: 'bob-token-0123456789abcdef', apiPassword: 'bob-pw' }).id;
    const acme = newCustomer(data, 'Acme');
    newProject(data, 'Website', acme);
    newProject(data, 'Internal', acme);
    newActivity(data, 'Design', null);
    kimai = createKimaiEmulator({ data });
    google = createGoogleEmulator({ seed: 18 });
    google.store.createCalendar(DEMO_USER, { id: CAL, summary: 'Meetings', timeZone: 'UTC' });
    const cal = google.store.calendar(CAL, DEMO_USER, 'owner');
    // Yesterday (UTC), 09:00, 11:00 and 13:00, an hour each.
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
    const at = (h: number) => new Date(day + h * HOUR).toISOString().replace('.000Z', 'Z');
    for (const [h, summary] of [
      [9, 'ACME design review'],
      [11, 'Sync with acme'],
      [13, 'Lunch and learn'],
    ] as const)
      google.store.insertEvent(cal, { summary, start: { dateTime: at(h), timeZone: 'UTC' }, end: { dateTime: at(h + 1), timeZone: 'UTC' } } as never);
    const [kUrl, gUrl] = [await kimai.listen(), await google.listen()];

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-system-of-record-'));
    const yaml = [
      'serve: { concurrency: 1, scheduler: false }',
      'store:',
      '  path: hub.sqlite',
      'connections:',
      `  kimai: { type: kimai, url: "${kUrl}", token: ${TOKEN}, timeZone: UTC }`,
      '  google:',
      ...googleEmulatorConnection(gUrl),
      'links:',
      '  kimai-customers: { connection: kimai, scope: work, externalKind: customer, direction: pull }',
      '  kimai-projects: { connection: kimai, scope: work, externalKind: project, direction: pull }',
      '  kimai-activities: { connection: kimai, scope: work, externalKind: activity, direction: pull }',
      '  kimai-users: { connection: kimai, scope: work, externalKind: user, direction: pull }',
      `  ann-meetings: { connection: google, scope: work, collection: "${CAL}", externalKind: event-instance, mapper: google-import, direction: pull, window: { pastDays: 7, futureDays: 7 } }`,
      '  kimai-timesheets: { connection: kimai, scope: work, externalKind: timesheet, collection: all, window: { pastDays: 40, futureDays: 40 } }',
      'booking:',
      '  work:',
      '    - name: acme',
      '      when: { summary: acme }',
      '      set: { person: ann, project: Website, activity: Design, tags: [client] }',
      "    - name: ann's calendar",
      '      when: { link: ann-meetings }',
      '      set: { person: ann }',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml);
    const env = { ...process.env };
    svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
      env,
      logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      scheduler: false,
      clock,
    });
    ({ app } = await buildServer(svc, 'test'));
    // The first runs, in order (persons and taxonomy before what refers to them), as `timebridge sync` would.
    for (const name of ['kimai-customers', 'kimai-projects', 'kimai-activities', 'kimai-users', 'ann-meetings', 'kimai-timesheets']) {
      const r = await runLink(await svc.catalog.linkSpec(name), { store: svc.store, clock }, { trigger: 'test' });
      assert.equal(r.run.status, 'ok', `${name}: ${JSON.stringify(r.run.errors)}`);
    }
    await svc.startWorkers();
    call = injectCall(app, {
      admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token,
      alice: (await createToken(svc.store, { userId: 'ann', role: 'user' })).token,
      bob: (await createToken(svc.store, { userId: 'bob', role: 'user' })).token,
    });
  });
  after(async () => {
    await app?.close();
    await svc?.stop(1000);
    await kimai?.close();
    await google?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('booked imports reach Kimai; ann fixes the waiting one, times work with a timer, submits; the admin locks; Kimai exports them', async () => {
    // The rule booked the two ACME meetings: they are Kimai timesheets of ann on Website/Design.
    const website = (await call('alice', 'GET', '/api/v1/records/project?scope=work')).body.items.find(
      (p: { fields: { name: string } }) => p.fields.name === 'Website',
    );
    const design = (await call('alice', 'GET', '/api/v1/records/activity?scope=work')).body.items.find(
      (a: { fields: { name: string } }) => a.fields.name === 'Design',
    );
    assert.ok(website && design, 'ann reads the scope taxonomy');
    assert.deepEqual(
      kimaiSheets()
        .map((t) => [t.description, t.user === annKimaiId, t.project, t.exported])
        .sort(),
      [
        ['ACME design review', true, kimai.data().projects[0]!.id, false],
        ['Sync with acme', true, kimai.data().projects[0]!.id, false],
      ],
    );

    // The third waits to be booked: ann's (the calendar rule), but on no project.
    const toBook = await call('alice', 'GET', '/api/v1/to-book?scope=work');
    assert.equal(toBook.status, 200, toBook.text);
    assert.deepEqual(
      toBook.body.entries.map((e: { description: string; missing: string[] }) => [e.description, e.missing]),
      [['Lunch and learn', ['project', 'activity']]],
    );
    // Bob is a person of the scope too, but the entry is ann's: he cannot see it.
    const waiting = toBook.body.entries[0];
    assert.equal((await call('bob', 'GET', `/api/v1/records/timeEntry/${waiting.id}`)).status, 404);

    // Ann books it through the records API; the service queues the scope's links, and Kimai gets it.
    const fixed = await call(
      'alice',
      'PATCH',
      `/api/v1/records/timeEntry/${waiting.id}`,
      { fields: { projectId: website.id, activityId: design.id } },
      { 'if-match': `"${waiting.version}"` },
    );
    assert.equal(fixed.status, 200, fixed.text);
    await idle();
    assert.ok(
      kimaiSheets().some((t) => t.description === 'Lunch and learn' && t.user === annKimaiId),
      JSON.stringify(kimaiSheets()),
    );
    assert.deepEqual((await call('alice', 'GET', '/api/v1/to-book?scope=work')).body.entries, []);

    // A timer of two hours becomes a time entry, and reaches Kimai.
    const started = await call('alice', 'POST', '/api/v1/timers/start', { scope: 'work', projectId: website.id, activityId: design.id, description: 'coding' });
    assert.equal(started.status, 201, started.text);
    shift += 2 * HOUR;
    const stopped = await call('alice', 'POST', '/api/v1/timers/stop', { scope: 'work' });
    assert.equal(stopped.status, 200, stopped.text);
    assert.equal(stopped.body.entry.fields.durationSeconds, 7200);
    await idle();
    const coding = kimaiSheets().find((t) => t.description === 'coding');
    assert.ok(coding && coding.user === annKimaiId, JSON.stringify(kimaiSheets()));

    // Ann submits every month she has entries in; a user may not lock; the admin does.
    const entries = (await call('alice', 'GET', '/api/v1/records/timeEntry?scope=work')).body.items as { id: string; fields: { date: string } }[];
    assert.equal(entries.length, 4);
    const months = [...new Set(entries.map((e) => e.fields.date.slice(0, 7)))];
    for (const month of months) {
      const r = await call('alice', 'POST', '/api/v1/timesheets/submit', { scope: 'work', month });
      assert.equal(r.status, 200, r.text);
    }
    assert.equal((await call('alice', 'POST', '/api/v1/timesheets/lock', { scope: 'work', month: months[0] })).status, 403);
    for (const month of months) {
      const lock = await call('admin', 'POST', '/api/v1/timesheets/lock', { scope: 'work', month });
      assert.equal(lock.status, 200, lock.text);
    }
    await idle();

    // Kimai shows exactly ann's four records exported.
    const sheets = kimaiSheets();
    assert.equal(sheets.length, 4);
    assert.deepEqual(
      sheets.filter((t) => !t.exported).map((t) => t.description),
      [],
    );
    assert.ok(sheets.every((t) => t.user === annKimaiId && t.user !== bobKimaiId));

    // A locked entry refuses a change through the API, with what to do.
    const one = await call('alice', 'GET', `/api/v1/records/timeEntry/${waiting.id}`);
    const refused = await call(
      'alice',
      'PATCH',
      `/api/v1/records/timeEntry/${waiting.id}`,
      { fields: { description: 'changed after the lock' } },
      { 'if-match': String(one.headers.etag) },
    );
    assert.deepEqual([refused.status, refused.body.error.code], [409, 'PERIOD_LOCKED']);
    assert.match(refused.body.error.hint, /reopen/);
    // A timer in the locked month is refused too (the clock is still in it, unless the month just turned).
    const month = clock().toISOString().slice(0, 7);
    const again = await call('alice', 'POST', '/api/v1/timers/start', { scope: 'work', description: 'late' });
    if (months.includes(month)) assert.deepEqual([again.status, again.body.error?.code], [409, 'PERIOD_LOCKED']);

    // The history of the booked entry names the systems that touched it.
    const history = await call('alice', 'GET', `/api/v1/records/timeEntry/${waiting.id}/history`);
    assert.equal(history.status, 200, history.text);
    const vias = history.body.history.map((h: { via: string; by: string }) => `${h.via}:${h.by}`);
    assert.equal(vias[0], 'link:ann-meetings');
    assert.ok(vias.includes('api:ann'), vias.join(' '));
  });
});
