/**
 * `POST /sync-to-kimai/work-logs` covers exactly the requested days, in the zone of each
 * record: with `externalOnly: delete` (the hub authoritative, as the Kimai sync service was),
 * Kimai records made directly in Kimai inside the period are deleted and those on the days
 * just before and after it are left alone, even when they are within 14 hours of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, USER_TOKEN, startKimai } from './kimai-fixture.js';
import { config, kimaiLinks, taxonomy } from './kimai-workspace.js';
import { startDropIns, type DropInServer } from './drop-in-server.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;

describe('Kimai drop-in: a period is exactly its days', () => {
  let emu: Emu, s: DropInServer;
  const kimai = async (token: string, body: object) => {
    const res = await fetch(`${emu.base}/api/timesheets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { id: number };
  };

  before(async () => {
    emu = await startKimai();
    const yaml = config([kimaiLinks('kimai', emu.base, { timesheets: 'externalOnly: delete' })]);
    s = await startDropIns(yaml.replace('store:\n', 'serve:\n  concurrency: 1\n  scheduler: false\nstore:\n'));
    for (const link of taxonomy('kimai')) await s.jobsDone([(await s.svc.enqueueRun(link, { trigger: 'test' })).jobId]);
  });
  after(async () => {
    await s.close();
    await emu.close();
  });

  it('deletes only the Kimai-only records dated inside the requested days', async () => {
    // anna is in Berlin, ben in New York: each record's day is its own zone's.
    const lastOfFebBerlin = await kimai(ADMIN_TOKEN, { user: 1, project: 20, activity: 31, begin: '2026-02-28T20:00', end: '2026-02-28T21:00' });
    const firstOfAprilBerlin = await kimai(ADMIN_TOKEN, { user: 1, project: 20, activity: 31, begin: '2026-04-01T10:00', end: '2026-04-01T11:00' });
    const lastOfMarchNewYork = await kimai(USER_TOKEN, { project: 20, activity: 31, begin: '2026-03-31T21:00', end: '2026-03-31T22:00' });
    const firstOfMarchBerlin = await kimai(ADMIN_TOKEN, { user: 1, project: 20, activity: 31, begin: '2026-03-01T00:30', end: '2026-03-01T01:00' });
    const r = await s.call('POST', '/sync-to-kimai/work-logs', { body: { start: '2026-03-01', end: '2026-03-31' } });
    assert.equal(r.status, 202);
    await s.jobsDone(r.body.jobs.map((j: { jobId: string }) => j.jobId));
    const run = (await s.svc.store.listRuns({ linkId: 'link:kimai-timesheets', limit: 1 }))[0]!;
    assert.equal(run.status, 'ok', JSON.stringify(run.errors));
    const left = new Set(emu.data().timesheets.map((t) => t.id));
    assert.ok(left.has(lastOfFebBerlin.id), 'a record on the day before the period (Berlin) is kept');
    assert.ok(left.has(firstOfAprilBerlin.id), 'a record on the day after the period (Berlin) is kept');
    assert.ok(!left.has(lastOfMarchNewYork.id), "a record on the period's last day in New York (April 1st in UTC) is deleted");
    assert.ok(!left.has(firstOfMarchBerlin.id), "a record on the period's first day in Berlin (February 28th in UTC) is deleted");
  });

  it('checks one Kimai timesheet: only that record is read, so only it is deleted (as the original: no work log carries it)', async () => {
    const one = await kimai(ADMIN_TOKEN, { user: 1, project: 20, activity: 31, begin: '2026-05-04T09:00', end: '2026-05-04T10:00' });
    const other = await kimai(ADMIN_TOKEN, { user: 1, project: 20, activity: 31, begin: '2026-05-05T09:00', end: '2026-05-05T10:00' });
    const r = await s.call('PUT', `/kimai-timesheets/${one.id}`);
    assert.deepEqual([r.status, r.body], [204, null]);
    const left = new Set(emu.data().timesheets.map((t) => t.id));
    assert.ok(!left.has(one.id), 'the checked record is deleted');
    assert.ok(left.has(other.id), 'another Kimai-only record is not read, so not deleted');
    const run = (await s.svc.store.listRuns({ linkId: 'link:kimai-timesheets', limit: 1 }))[0]!;
    assert.equal(run.status, 'ok', JSON.stringify(run.errors));
  });
});

describe('Kimai drop-in: a period leaves the rest for the next run', () => {
  let emu: Emu, s: DropInServer;
  before(async () => {
    emu = await startKimai();
    s = await startDropIns(config([kimaiLinks('kimai', emu.base)]).replace('store:\n', 'serve:\n  concurrency: 1\n  scheduler: false\nstore:\n'));
    for (const link of taxonomy('kimai')) await s.jobsDone([(await s.svc.enqueueRun(link, { trigger: 'test' })).jobId]);
  });
  after(async () => {
    await s.close();
    await emu.close();
  });

  it('imports what lies outside the period on the next whole run', async () => {
    const post = (begin: string, description: string) =>
      fetch(`${emu.base}/api/timesheets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          user: 1,
          project: 20,
          activity: 31,
          begin,
          end: begin.replace(/T\d\d/, (h) => `T${String(Number(h.slice(1)) + 1).padStart(2, '0')}`),
          description,
        }),
      });
    await post('2026-02-27T09:00', 'before the period');
    await post('2026-03-02T09:00', 'in the period');
    const descriptions = async () =>
      (await s.svc.store.listScope('work', 'timeEntry'))
        .filter((r) => !r.tombstone)
        .map((r) => r.fields.description)
        .sort();
    const r = await s.call('POST', '/sync-to-kimai/work-logs', { body: { start: '2026-03-01', end: '2026-03-31' } });
    await s.jobsDone(r.body.jobs.map((j: { jobId: string }) => j.jobId));
    assert.deepEqual(await descriptions(), ['in the period']);
    // The period's run saw the whole listing but read only its days: the next run may not take the listing as already seen.
    await s.jobsDone([(await s.svc.enqueueRun('kimai-timesheets', { trigger: 'test' })).jobId]);
    assert.deepEqual(await descriptions(), ['before the period', 'in the period']);
  });
});
