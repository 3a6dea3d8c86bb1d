/**
 * Link templates in the service: on start the template is expanded and its links run, each
 * as a job of its own; it keeps a daily schedule; `POST /api/v1/templates/{name}/run`
 * expands it again and runs all its links or one collection's (`?key=`); the derived links
 * show in `/api/v1/links` with their template and cannot be PATCHed. On PostgreSQL, two
 * workers never run one derived link at once: the second waits on the first's advisory lock.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { composeApp } from '../../src/app/compose.js';
import { loadConfig } from '../../src/app/config.js';
import { LinkTemplates } from '../../src/app/link-templates.js';
import { createLogger } from '../../src/app/logger.js';
import { newUser } from '../../src/emulators/kimai/kimai-data.js';
import { buildServer } from '../../src/interfaces/http/server.js';
import { runLink } from '../../src/runtime/run-link.js';
import { openService } from '../../src/service/service.js';
import { createToken } from '../../src/service/tokens.js';
import { advisoryKey } from '../../src/store/postgres/pg-keys.js';
import { ADMIN_TOKEN, startKimai, testData } from '../connectors/kimai/kimai-fixture.js';
import { injectCall } from '../support/inject-call.js';
import { adminQuery, freshSchemaName, needsPostgres, PG_URL } from '../support/postgres.js';
import { queueIdle, until } from '../support/serve.js';

const quiet = () => createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });

function yaml(kUrl: string, store: string): string {
  return [
    store,
    'serve: { concurrency: 2 }',
    'connections:',
    `  kimai: { type: kimai, url: "${kUrl}", token: ${ADMIN_TOKEN}, timeZone: UTC }`,
    'links:',
    '  kimai-projects: { connection: kimai, scope: work, externalKind: project, direction: pull }',
    '  kimai-customers: { connection: kimai, scope: work, externalKind: customer, direction: pull }',
    '  kimai-activities: { connection: kimai, scope: work, externalKind: activity, direction: pull }',
    '  kimai-users: { connection: kimai, scope: work, externalKind: user, direction: pull }',
    'linkTemplates:',
    '  per-user:',
    '    forEach: { connection: kimai }',
    '    links:',
    "      - { name: 'sheets-{key}', connection: kimai, scope: 'staff-{key}', externalKind: timesheet, collection: '{key}' }",
    '',
  ].join('\n');
}

const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe('link templates in the service (SQLite)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('expands on start and runs each derived link as its own job; the API runs all or one collection; derived links are listed as such', async () => {
    const kimai = await startKimai({ data: testData() });
    cleanup.push(() => kimai.close());
    const dir = tempDir('tb-template-svc-');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml(kimai.base, 'store: { path: hub.sqlite }'));
    const env = { ...process.env };
    const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), { env, logger: quiet() });
    cleanup.push(() => svc.stop(0));
    const { app } = await buildServer(svc, 'test');
    const call = injectCall(app, {
      admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token,
      alice: (await createToken(svc.store, { userId: 'ann', role: 'user' })).token,
      bob: (await createToken(svc.store, { userId: 'bob', role: 'user' })).token,
    });
    await svc.startWorkers();
    const idle = () => queueIdle(svc, 'the queue is idle');
    const runsOf = async (link: string) => (await svc.store.listRuns({ linkId: `link:${link}`, limit: 100 })).length;

    // On start: the template job expanded the users (anna 1, ben 2) and queued a run of each derived link.
    await until('both derived links ran', async () => (await runsOf('sheets-1')) >= 1 && (await runsOf('sheets-2')) >= 1, 60_000);
    await idle();
    assert.ok(Date.parse(svc.scheduler?.nextRuns()['template:per-user'] ?? '') > Date.now(), 'the template has a schedule of its own');

    const links = (await call('admin', 'GET', '/api/v1/links')).body.links as { name: string; derived?: { template: string; key: string } }[];
    assert.deepEqual(
      links.filter((l) => l.derived).map((l) => [l.name, l.derived!.template, l.derived!.key]),
      [
        ['sheets-1', 'per-user', '1'],
        ['sheets-2', 'per-user', '2'],
      ],
    );
    const patch = await call('admin', 'PATCH', '/api/v1/links/sheets-1', { config: { connection: 'kimai', scope: 'x' } });
    assert.equal(patch.status, 409, patch.text);
    assert.match(patch.body.error.message, /made by link template per-user/);

    // A new user, and a run of one collection: only carl's link runs.
    const carl = newUser(kimai.data(), { username: 'carl', timezone: 'UTC', admin: false, apiToken: 'carl-token-0123456789', apiPassword: 'carl-pass' });
    const [before1, before2] = [await runsOf('sheets-1'), await runsOf('sheets-2')];
    assert.equal((await call('alice', 'POST', '/api/v1/templates/per-user/run')).status, 403, 'templates are the admins’');
    assert.equal((await call('admin', 'POST', '/api/v1/templates/nope/run')).status, 404);
    const one = await call('admin', 'POST', '/api/v1/templates/per-user/run?key=carl');
    assert.equal(one.status, 202, one.text);
    await until('carl’s link ran', async () => (await runsOf(`sheets-${carl.id}`)) === 1, 60_000);
    await idle();
    const job = await svc.queue.get(one.body.jobId);
    assert.deepEqual(job?.result?.['queued'], [`sheets-${carl.id}`]);
    assert.deepEqual(job?.result?.['created'], [`sheets-${carl.id}`]);
    assert.deepEqual([await runsOf('sheets-1'), await runsOf('sheets-2')], [before1, before2], 'the others did not run');

    // All of the template: every enabled derived link runs once more.
    const all = await call('admin', 'POST', '/api/v1/templates/per-user/run');
    assert.equal(all.status, 202);
    await until('all three ran again', async () => (await runsOf('sheets-1')) > before1 && (await runsOf('sheets-2')) > before2, 60_000);
    await idle();
    assert.equal(await runsOf(`sheets-${carl.id}`), 2);

    const audit = await call('alice', 'GET', '/api/v1/links/sheets-2/audit');
    assert.equal(audit.status, 200, audit.text);
    assert.equal(audit.body.link, 'sheets-2');
    assert.deepEqual([audit.body.duplicates, audit.body.orphans, audit.body.differs], [[], [], []]);
  });
});

describe('link templates on PostgreSQL: two workers, one derived link', await needsPostgres(), () => {
  const schema = freshSchemaName();
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  it('both see the derived links; while one holds a link’s lock, the other’s run of it waits, then runs', async () => {
    const kimai = await startKimai({ data: testData() });
    cleanup.push(() => kimai.close());
    const dir = tempDir('tb-template-pg-');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'timebridge.yaml');
    fs.writeFileSync(file, yaml(kimai.base, `store: { type: postgres, url: "${PG_URL}", schema: ${schema} }`));
    const env = { ...process.env };
    const a = await composeApp(loadConfig(file, env), { env });
    cleanup.push(() => a.close());
    const r = await new LinkTemplates(a.catalog!, a.config.config.linkTemplates).reconcile('per-user');
    assert.deepEqual(r.created, ['sheets-1', 'sheets-2']);
    // The second worker starts after the expansion and finds the derived links in the shared catalog.
    const b = await composeApp(loadConfig(file, env), { env });
    cleanup.push(() => b.close());
    assert.ok(b.links.has('sheets-2'), [...b.links.keys()].join(', '));
    for (const l of ['kimai-customers', 'kimai-projects', 'kimai-activities', 'kimai-users'])
      await runLink(a.links.get(l)!, { store: a.store, clock: () => new Date() }, { trigger: 'test' });

    // Waiters on this hub's lock of sheets-2 only (other hubs may share the server): pg_locks splits the bigint key into classid and objid.
    const key = BigInt(advisoryKey('link', schema, 'link:sheets-2'));
    const waiting = async () =>
      (await adminQuery<{ classid: number; objid: number }>("SELECT classid, objid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).filter(
        (l) => BigInt.asIntN(64, (BigInt(l.classid) << 32n) | BigInt(l.objid)) === key,
      ).length;
    assert.equal(await waiting(), 0);
    // Worker A holds sheets-2's lock, as its run does from start to end.
    const releaseA = await a.lockLink!('link:sheets-2');
    const runB = runLink(b.links.get('sheets-2')!, { store: b.store, clock: () => new Date(), lockLink: b.lockLink! }, { trigger: 'worker-b' });
    let settled = false;
    void runB.then(
      () => (settled = true),
      () => (settled = true),
    );
    await until('worker B waits on the advisory lock A holds', async () => (await waiting()) === 1, 20_000);
    assert.equal(settled, false, 'B has not run while A holds the lock');
    assert.equal((await b.store.listRuns({ linkId: 'link:sheets-2', limit: 10 })).length, 0, 'no run of the link started');
    await releaseA();
    const result = await runB;
    assert.equal(result.run.status, 'ok', JSON.stringify(result.run.errors));
    assert.equal(await waiting(), 0);
  });
});
