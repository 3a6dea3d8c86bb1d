/**
 * moffman's identical requests racing in two services on one PostgreSQL schema make one
 * reservation: the identity (person, office, days) is unique in the store for live
 * reservations, so the create that loses the race fails in its commit, and its desk reads
 * the winner's reservation and answers with it. The same store rule on both stores: a
 * second live reservation with the same key is refused in the commit, a cancelled one
 * (still live, its key held) is reopened rather than doubled. And an office without a
 * calendar id, first used by two services at once on one PostgreSQL schema, gets one
 * calendar (the making is claimed in the store), which both use.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/app/config.js';
import { createGoogleEmulator, DEMO_REFRESH_TOKEN } from '../../../src/emulators/google/index.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../../src/emulators/google/oauth.js';
import { createLogger } from '../../../src/app/logger.js';
import { isTimebridgeError } from '../../../src/core/errors.js';
import { reservationIdentity } from '../../../src/core/fields/reservation.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { HubRecords } from '../../../src/runtime/records.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate } from '../../../src/store/sqlite/migrations.js';
import { keepAlive } from '../../../src/store/sqlite/keep-alive.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { HubStore } from '../../../src/store/types.js';
import { injectCall } from '../../support/inject-call.js';
import { adminQuery, dropSchema, freshSchemaName, needsPostgres, openTestPgStore, PG_URL } from '../../support/postgres.js';

const quiet = () => createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const N = 12;

describe('identical reservation requests in two services on one PostgreSQL schema', await needsPostgres(), () => {
  const schema = freshSchemaName();
  let dir: string;
  const svcs: Service[] = [];
  const apps: FastifyInstance[] = [];
  const calls: ReturnType<typeof injectCall>[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-attendance-pg-'));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'serve: { concurrency: 1, scheduler: false }',
        'store:',
        '  type: postgres',
        `  url: ${PG_URL}`,
        `  schema: ${schema}`,
        'connections:',
        '  google:',
        '    type: google-calendar',
        '    baseUrl: http://127.0.0.1:9/calendar/v3',
        '    tokenUrl: http://127.0.0.1:9/token',
        '    auth: { type: oauth, clientId: c, clientSecret: s, refreshToken: r }',
        'attendance:',
        '  scope: office',
        '  offices:',
        '    - { id: prague, name: Prague, calendar: prague@group.calendar.google.com, connection: google }',
        '',
      ].join('\n'),
    );
    for (let i = 0; i < 2; i++) {
      const env = { ...process.env };
      const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), { env, logger: quiet(), scheduler: false });
      svcs.push(svc);
      const { app } = await buildServer(svc, 'test');
      apps.push(app);
    }
    const admin = (await createToken(svcs[0]!.store, { userId: 'root', role: 'admin' })).token;
    for (const app of apps) calls.push(injectCall(app, { admin, alice: admin, bob: admin }));
    const ann = await calls[0]!('admin', 'POST', '/api/v1/records/person?scope=office', { fields: { name: 'Ann Novak', email: 'ann@example.com' } });
    assert.equal(ann.status, 201, ann.text);
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const svc of svcs) await svc.stop(1000);
    await dropSchema(schema);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const body = (approved: boolean) => ({
    user: { name: 'Ann Novak', email: 'ann@example.com' },
    approved,
    start: '2030-05-04',
    end: '2030-05-06',
    request_dt: '09:00:00 2030/04/20',
    office_id: 'prague',
  });
  const live = () =>
    adminQuery<{ id: string; state: string }>(
      `SELECT id, fields::json->>'state' AS state FROM "${schema}".records WHERE kind = 'reservation' AND NOT tombstone`,
    );

  it(`${N} identical requests at once, half to each service: one reservation, created once`, async () => {
    const answers = await Promise.all(Array.from({ length: N }, (_, i) => calls[i % 2]!('admin', 'POST', '/api/v1/reservations', body(false))));
    for (const a of answers) assert.equal(a.status, 200, a.text);
    const rows = await live();
    assert.equal(rows.length, 1, `one reservation, not ${JSON.stringify(rows)}`);
    assert.deepEqual(new Set(answers.map((a) => a.body.id)), new Set([rows[0]!.id]), 'every answer names the one reservation');
    assert.equal(answers.filter((a) => a.body.outcome === 'created').length, 1);
    assert.equal(answers.filter((a) => a.body.outcome === 'unchanged').length, N - 1);
    assert.equal(rows[0]!.state, 'pending');
  });

  it(`${N} identical approvals at once: the one reservation approved, one version step`, async () => {
    const answers = await Promise.all(Array.from({ length: N }, (_, i) => calls[i % 2]!('admin', 'POST', '/api/v1/reservations', body(true))));
    for (const a of answers) assert.equal(a.status, 200, a.text);
    const rows = await live();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.state, 'approved');
    assert.equal(answers.filter((a) => a.body.outcome === 'changed').length, 1);
    const history = await calls[1]!('admin', 'GET', `/api/v1/records/reservation/${rows[0]!.id}/history`);
    assert.equal(history.status, 200, history.text);
    assert.equal(history.body.history.length, 2, 'created, then approved once');
  });
});

/** The store rule itself, the same on both stores. */
async function storeRule(store: HubStore): Promise<void> {
  const records = new HubRecords(store, () => new Date());
  const fields = {
    personId: 'p1',
    office: 'prague',
    firstDay: '2030-06-01',
    lastDay: '2030-06-01',
    state: 'pending',
    requestedAt: '2030-05-01T00:00:00Z',
    source: 'api',
  };
  const first = await records.create({ scope: 'office', kind: 'reservation', fields, actor: { origin: 'test' } });
  // A second create with the same key, past the pre-check (as a racing process would be): the commit refuses it.
  const write = records.write({ id: 'second', kind: 'reservation', scope: 'office' }, fields, { origin: 'test' }, 0);
  await assert.rejects(
    () => store.commit({ records: [write] }),
    (err: unknown) => isTimebridgeError(err) && err.code === 'STORE_VERSION_CONFLICT',
  );
  await assert.rejects(
    () => records.create({ scope: 'office', kind: 'reservation', fields, actor: { origin: 'test' } }),
    (err: unknown) => isTimebridgeError(err) && err.code === 'RESOURCE_CONFLICT' && err.message.includes(first.id),
  );
  assert.deepEqual(
    (await store.findByIdentity('office', 'reservation', reservationIdentity(fields))).map((r) => r.id),
    [first.id],
  );
  // Another scope, another key, or the first one deleted: a create goes through.
  await records.create({ scope: 'other', kind: 'reservation', fields, actor: { origin: 'test' } });
  await records.create({ scope: 'office', kind: 'reservation', fields: { ...fields, lastDay: '2030-06-02' }, actor: { origin: 'test' } });
  await records.remove({ id: first.id, ifMatch: first.version, actor: { origin: 'test' } });
  const again = await records.create({ scope: 'office', kind: 'reservation', fields, actor: { origin: 'test' } });
  assert.notEqual(again.id, first.id);
}

const pgOpts = await needsPostgres();
describe('one live reservation per key, checked in the commit', () => {
  it('SQLite', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-resv-key-'));
    const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    try {
      await storeRule(store);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('SQLite: the migration keeps duplicates written before it, the oldest keeping the key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-resv-mig-'));
    const file = path.join(dir, 'hub.sqlite');
    const identity = reservationIdentity({ personId: 'p1', office: 'prague', firstDay: '2030-06-01', lastDay: '2030-06-01' });
    const db = keepAlive(new Database(file));
    try {
      migrate(db, file, MIGRATIONS.slice(0, -1));
      const insert = keepAlive(
        db.prepare(
          "INSERT INTO records (id, kind, scope, fields, identity, version, updated_at, origin, tombstone) VALUES (?, 'reservation', 'office', '{}', ?, 1, '2030-01-01T00:00:00Z', 'test', ?)",
        ),
      );
      insert.run('r1', identity, 0);
      insert.run('r2', identity, 0);
      insert.run('r0', identity, 1);
    } finally {
      db.close();
    }
    const store = openSqliteStore(file);
    try {
      assert.deepEqual(
        (await store.findByIdentity('office', 'reservation', identity)).map((r) => r.id),
        ['r1'],
      );
      assert.deepEqual(
        (await store.getRecords(['r0', 'r1', 'r2'])).map((r) => [r.id, r.identity, r.tombstone]),
        [
          ['r0', identity, true],
          ['r1', identity, false],
          ['r2', `${identity}#r2`, false],
        ],
      );
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('PostgreSQL', pgOpts, async () => {
    const store = await openTestPgStore();
    try {
      await storeRule(store);
    } finally {
      await store.close();
    }
  });
});

describe('an office without a calendar id, first used by two services at once on one PostgreSQL schema', await needsPostgres(), () => {
  const schema = freshSchemaName();
  const BOOK = 'offices-book';
  let dir: string, google: ReturnType<typeof createGoogleEmulator>;
  const svcs: Service[] = [];
  const apps: FastifyInstance[] = [];

  before(async () => {
    google = createGoogleEmulator({ seed: 22 });
    google.sheets.setSheet(BOOK, 'Offices', [
      ['office', 'calendar', 'name'],
      ['linz', '', 'Linz'],
      ['graz', '', 'Graz'],
    ]);
    const gUrl = await google.listen();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-attendance-pgcal-'));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'serve: { concurrency: 1, scheduler: false }',
        'store:',
        '  type: postgres',
        `  url: ${PG_URL}`,
        `  schema: ${schema}`,
        'connections:',
        '  google:',
        '    type: google-calendar',
        `    baseUrl: ${gUrl}/calendar/v3`,
        `    sheetsUrl: ${gUrl}/v4`,
        `    tokenUrl: ${gUrl}/token`,
        `    auth: { type: oauth, clientId: ${EMULATOR_CLIENT_ID}, clientSecret: ${EMULATOR_CLIENT_SECRET}, refreshToken: "${DEMO_REFRESH_TOKEN}" }`,
        '    create: { shareWith: [{ email: desk@example.com, role: reader }] }',
        'attendance:',
        '  scope: office',
        `  sheets: { connection: google, spreadsheetId: ${BOOK}, offices: "Offices!A2:C" }`,
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const svc of svcs) await svc.stop(1000);
    await dropSchema(schema);
    await google?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('both services start at once: one calendar per office, shared, and both links show it', async () => {
    const env = { ...process.env };
    const opened = await Promise.all(
      [0, 1].map(async () => {
        const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), { env, logger: quiet(), scheduler: false });
        svcs.push(svc);
        // Building the server starts the book's first reload (the sheet, then the offices' calendars and links).
        const { app } = await buildServer(svc, 'test');
        apps.push(app);
        return svc;
      }),
    );
    const admin = (await createToken(opened[0]!.store, { userId: 'root', role: 'admin' })).token;
    const calls = apps.map((app) => injectCall(app, { admin, alice: admin, bob: admin }));
    // config_update on both at once too (each shares its own reload under way).
    const answers = await Promise.all([...calls, ...calls].map((call) => call('admin', 'GET', '/api/v1/config_update')));
    for (const a of answers) assert.deepEqual([a.status, a.body.problems], [200, []], a.text);
    for (const [summary, office] of [
      ['Linz', 'linz'],
      ['Graz', 'graz'],
    ]) {
      const made = [...google.store.calendars.values()].filter((c) => c.cal.summary === summary);
      assert.equal(made.length, 1, `one ${summary} calendar, not ${made.map((c) => c.cal.id).join(', ')}`);
      assert.equal(made[0]!.acl.get('user:desk@example.com')?.role, 'reader', "shared as the connection's create.shareWith says");
      for (const call of calls) {
        const link = await call('admin', 'GET', `/api/v1/links/office-${office}`);
        assert.equal(link.status, 200, link.text);
        assert.equal(link.body.config.collection, made[0]!.cal.id);
      }
      const kept = await adminQuery<{ config: string }>(`SELECT config FROM "${schema}".definitions WHERE category = 'attendance' AND id = $1`, [
        `calendar:${office}`,
      ]);
      assert.equal(JSON.parse(kept[0]!.config).calendarId, made[0]!.cal.id);
    }
    // Nothing else was made (the account's own primary calendar aside).
    assert.deepEqual(
      [...google.store.calendars.values()]
        .filter((c) => c.cal.id !== c.owner)
        .map((c) => c.cal.summary)
        .sort(),
      ['Graz', 'Linz'],
    );
  });
});
