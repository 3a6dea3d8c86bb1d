/**
 * The Kimai sync service's drop-in endpoints on the real service over HTTP: the service
 * (store, job queue, workers) and the Fastify server are started in this process on a
 * free port against a timebridge.yaml with a Kimai emulator, and called with tokens.
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
import { buildServer } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { ADMIN_TOKEN, startKimai } from './kimai-fixture.js';
import { until } from '../../support/serve.js';
import { CLOCK, config, kimaiLinks } from './kimai-workspace.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;

describe('Kimai drop-in endpoints over HTTP', () => {
  let emu: Emu, dir: string, svc: Service, app: FastifyInstance, url: string, admin: string, user: string;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = async (method: string, route: string, opts: { token?: string | null; body?: unknown } = {}): Promise<{ status: number; body: any }> => {
    const token = opts.token === undefined ? admin : opts.token;
    const res = await fetch(url + route, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const jobsDone = async (body: { jobs: { jobId: string }[] }) => {
    for (const j of body.jobs) await until(`job ${j.jobId}`, async () => ['done', 'dead'].includes((await svc.queue.get(j.jobId))?.state ?? ''));
  };
  const live = async (kind: 'customer' | 'project' | 'activity' | 'person' | 'timeEntry' | 'timesheet') =>
    (await svc.store.listScope('work', kind)).filter((r) => !r.tombstone);
  const kimai = async (method: string, p: string, body?: object) => {
    const res = await fetch(`${emu.base}/api${p}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  };

  before(async () => {
    emu = await startKimai();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-kimai-http-'));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      config([kimaiLinks('kimai', emu.base)]).replace('store:\n', 'serve:\n  concurrency: 1\n  scheduler: false\nstore:\n'),
    );
    const silent = new Writable({ write: (_c, _e, cb) => cb() });
    const env = { ...process.env };
    svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
      env,
      logger: createLogger({ destination: silent }),
      scheduler: false,
      clock: () => CLOCK,
    });
    ({ app } = await buildServer(svc, 'test'));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    await svc.startWorkers();
    admin = (await createToken(svc.store, { userId: 'root', role: 'admin' })).token;
    user = (await createToken(svc.store, { userId: 'alice', role: 'user' })).token;
  });
  after(async () => {
    await app.close();
    await svc.stop(1000);
    await emu.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses calls without a token', async () => {
    const r = await call('POST', '/sync-from-kimai/customers', { token: null });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'AUTH_REQUIRED');
  });

  it('imports customers+projects, projects+activities and users, answering 204 when done as the original', async () => {
    const customers = await call('POST', '/sync-from-kimai/customers');
    assert.deepEqual([customers.status, customers.body], [204, null]);
    assert.equal((await live('customer')).length, 2);
    // A project run that went before its customers is run again as a follow-up of the customer run's hub writes.
    await until('projects with their customer', async () => (await live('project')).length === 3 && (await live('project')).every((p) => p.fields.customerId));
    const tasks = await call('POST', '/sync-from-kimai/tasks');
    assert.equal(tasks.status, 204);
    const runs = async (link: string) =>
      (await svc.store.listRuns({ linkId: `link:${link}`, limit: 10 })).filter((r) => r.trigger.endsWith(':sync-from-kimai'));
    // As the original: /tasks syncs projects, then activities.
    assert.ok((await runs('kimai-projects')).length >= 2, 'the projects ran for /customers and again for /tasks');
    assert.equal((await runs('kimai-activities')).length, 1);
    assert.ok((await runs('kimai-projects'))[0]!.startedAt <= (await runs('kimai-activities'))[0]!.startedAt, 'projects before activities');
    assert.equal((await live('activity')).length, 3);
    assert.equal((await call('POST', '/sync-from-kimai/accounts')).status, 204);
    assert.equal((await live('person')).length, 2);
  });

  let entryId: string;
  it('syncs work logs of a date range in the background, and refuses a bad range', async () => {
    assert.equal((await call('POST', '/sync-to-kimai/work-logs', { body: { start: '2026-03-31', end: '2026-03-01' } })).status, 400);
    const bad = await call('POST', '/sync-to-kimai/work-logs', { body: { start: 'March' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'REQUEST_INVALID');
    const made = await kimai('POST', '/timesheets', {
      user: 1,
      project: 20,
      activity: 31,
      begin: '2026-03-02T09:00',
      end: '2026-03-02T10:00',
      description: 'via drop-in',
    });
    const r = await call('POST', '/sync-to-kimai/work-logs', { body: { start: '2026-03-01', end: '2026-03-31' } });
    assert.equal(r.status, 202);
    await jobsDone(r.body);
    const entry = (await live('timeEntry')).find((e) => e.fields.description === 'via drop-in');
    assert.ok(entry, 'the Kimai timesheet of the range is in the hub');
    entryId = entry.id;
    const job = await svc.queue.get(r.body.jobs[0].jobId);
    // Exactly the requested days (in each record's zone), the end exclusive.
    assert.deepEqual((job!.data as { window?: unknown }).window, { start: '2026-03-01', end: '2026-04-01' });
    assert.ok(made.id);
  });

  it('re-queues one hub time entry, and refuses what is not one', async () => {
    assert.equal((await call('POST', `/update-queue/work-logs/${entryId}`)).status, 202);
    const project = (await live('project'))[0]!;
    const wrong = await call('POST', `/update-queue/work-logs/${project.id}`);
    assert.deepEqual([wrong.status, wrong.body.error.code], [400, 'REQUEST_INVALID']);
    assert.equal((await call('POST', '/update-queue/work-logs/nope')).status, 404);
  });

  it('reads one Kimai timesheet now: a deletion in Kimai reaches the hub', async () => {
    const kimaiId = (await svc.store.loadStatusIndex('link:kimai-timesheets')).find((r) => r.hubId === entryId)!.extId;
    // Another record stays, or the empty-side guard would (rightly) stop a run that sees Kimai empty.
    await kimai('POST', '/timesheets', { user: 2, project: 22, activity: 30, begin: '2026-01-02T09:00', end: '2026-01-02T10:00' });
    await kimai('DELETE', `/timesheets/${kimaiId}`);
    const r = await call('PUT', `/kimai-timesheets/${kimaiId}`);
    assert.deepEqual([r.status, r.body], [204, null], 'answered when the check is done, as the original');
    const run = (await svc.store.listRuns({ linkId: 'link:kimai-timesheets', limit: 1 }))[0]!;
    assert.equal(run.status, 'ok', JSON.stringify(run.errors));
    assert.equal((await svc.store.getRecords([entryId]))[0]!.tombstone, true);
  });

  it('locks a month (admins only) and reports what it did', async () => {
    const made = await kimai('POST', '/timesheets', { user: 1, project: 20, activity: 31, begin: '2026-03-05T09:00', end: '2026-03-05T10:00' });
    await jobsDone((await call('POST', '/sync-to-kimai/work-logs', { body: { start: '2026-03-01', end: '2026-03-31' } })).body);
    const anna = (await live('person')).find((p) => p.fields.username === 'anna')!;
    await svc.store.commit({
      records: [
        {
          id: 'ts-anna-2026-03',
          kind: 'timesheet',
          scope: 'work',
          fields: { personId: anna.id, month: '2026-03', state: 'submitted' },
          identity: null,
          tombstone: false,
          origin: 'user:test',
          runId: null,
          expectedVersion: 0,
          updatedAt: CLOCK.toISOString(),
        },
      ],
    });
    assert.equal((await call('POST', '/timesheets/lock', { token: user, body: { month: 3, year: 2026 } })).status, 403);
    assert.equal((await call('POST', '/timesheets/lock', { body: { month: 13, year: 2026 } })).status, 400);
    const r = await call('POST', '/timesheets/lock', { body: { month: 3, year: 2026 } });
    assert.deepEqual([r.status, r.body], [204, null], 'answered when the lock and its export are done, as the original');
    assert.equal((await svc.store.getRecords(['ts-anna-2026-03']))[0]!.fields.state, 'exported');
    assert.equal(emu.data().timesheets.find((t) => t.id === made.id)!.exported, true);
  });

  it('describes the endpoints in the OpenAPI document', async () => {
    const doc = (await call('GET', '/openapi.json', { token: null })).body;
    for (const p of [
      '/sync-from-kimai/customers',
      '/sync-from-kimai/tasks',
      '/sync-from-kimai/accounts',
      '/sync-to-kimai/work-logs',
      '/timesheets/lock',
      '/update-queue/work-logs/{id}',
      '/kimai-timesheets/{kimaiId}',
    ]) {
      assert.ok(doc.paths[p], `${p} is in /openapi.json`);
    }
  });
});
