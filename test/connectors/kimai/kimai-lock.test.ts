/**
 * The month lock and exported records: locking marks submitted hub timesheets exported
 * and sets Kimai's exported flag on their entries; afterwards the connector refuses to
 * change or delete those Kimai records (PERIOD_LOCKED), even with an admin token that
 * Kimai itself would let through.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lockMonth } from '../../../src/runtime/month-lock.js';
import { ADMIN_TOKEN, startKimai } from './kimai-fixture.js';
import { CLOCK, config, kimaiLinks, taxonomy, workspace, type Workspace } from './kimai-workspace.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;

async function post(emu: Emu, body: object): Promise<{ id: number }> {
  const res = await fetch(`${emu.base}/api/timesheets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as { id: number };
}

describe('Kimai month lock', () => {
  let emu: Emu, ws: Workspace;
  let anna: string, ben: string;
  const annaMarch: number[] = [];
  let benMarch: number;

  before(async () => {
    emu = await startKimai();
    ws = await workspace(config([kimaiLinks('k', emu.base)]));
    for (const day of ['02', '03', '04'])
      annaMarch.push((await post(emu, { user: 1, project: 20, activity: 31, begin: `2026-03-${day}T09:00`, end: `2026-03-${day}T12:00` })).id);
    benMarch = (await post(emu, { user: 2, project: 22, activity: 30, begin: '2026-03-02T09:00', end: '2026-03-02T10:00' })).id;
    await post(emu, { user: 1, project: 20, activity: 31, begin: '2026-04-01T09:00', end: '2026-04-01T10:00', description: 'april' });
    const results = await ws.runAll([...taxonomy('k'), 'k-timesheets']);
    assert.ok(
      results.every((r) => r.run.status === 'ok'),
      JSON.stringify(results.map((r) => r.run.errors)),
    );
    anna = (await ws.byField('person', 'username', 'anna')).id;
    ben = (await ws.byField('person', 'username', 'ben')).id;
  });
  after(async () => {
    await ws.close();
    await emu.close();
  });

  /** The hub operation, then the scope's Kimai timesheet link carries it out. */
  const lock = async () => {
    const report = await lockMonth({
      store: ws.app.store,
      scope: 'work',
      year: 2026,
      month: 3,
      origin: 'user:test',
      now: CLOCK,
      linkIds: ['link:k-timesheets'],
    });
    const run = await ws.run('k-timesheets');
    assert.equal(run.run.status, 'ok', JSON.stringify(run.run.errors));
    return report;
  };

  it("exports the submitted timesheet's entries in Kimai and skips the others, naming why", async () => {
    const annaSheet = await ws.write('timesheet', { personId: anna, month: '2026-03', state: 'submitted' });
    const benSheet = await ws.write('timesheet', { personId: ben, month: '2026-03', state: 'draft' });
    const report = await lock();
    assert.deepEqual(
      report.locked.map((l) => [l.timesheetId, l.exported.sort()]),
      [[annaSheet, annaMarch.map(String).sort()]],
    );
    assert.deepEqual(
      report.skipped.map((s) => [s.timesheetId, s.state, s.reason]),
      [[benSheet, 'draft', 'not submitted yet']],
    );
    assert.deepEqual(report.failed, []);
    const exported = emu
      .data()
      .timesheets.filter((t) => t.exported)
      .map((t) => t.id)
      .sort();
    assert.deepEqual(exported, [...annaMarch].sort(), "only anna's March entries; not April, not ben");
    const sheet = (await ws.app.store.getRecords([annaSheet]))[0]!;
    assert.equal(sheet.fields.state, 'exported');
    assert.equal(sheet.origin, 'user:test');
    assert.ok(benMarch);
  });

  it('a second lock changes nothing (export is a toggle in Kimai; it is never flipped back)', async () => {
    const report = await lock();
    assert.deepEqual(report.locked, []);
    assert.deepEqual(report.skipped.map((s) => s.reason).sort(), ['already exported', 'not submitted yet']);
    assert.equal(emu.data().timesheets.filter((t) => t.exported).length, 3);
  });

  it('refuses to change or delete a locked Kimai entry with PERIOD_LOCKED, and leaves Kimai as it was', async () => {
    await ws.run('k-timesheets'); // reads the exported flags
    const entry = (await ws.records('timeEntry')).find((r) => r.fields.personId === anna && r.fields.date === '2026-03-02')!;
    await ws.write('timeEntry', { ...entry.fields, description: 'changed after the lock' }, { id: entry.id });
    const edit = await ws.run('k-timesheets');
    assert.equal(edit.run.status, 'partial');
    assert.equal(edit.run.errors[0]!.error.code, 'PERIOD_LOCKED');
    assert.match(edit.run.errors[0]!.error.message, /is exported: its period is locked, so Timebridge will not change it/);
    const inKimai = emu.data().timesheets.find((t) => t.id === annaMarch[0])!;
    assert.equal(inKimai.description, null);

    const other = (await ws.records('timeEntry')).find((r) => r.fields.personId === anna && r.fields.date === '2026-03-03')!;
    await ws.write('timeEntry', other.fields, { id: other.id, tombstone: true });
    const del = await ws.run('k-timesheets');
    assert.ok(del.run.errors.some((e) => e.error.code === 'PERIOD_LOCKED' && /will not delete it/.test(e.error.message)));
    assert.ok(
      emu.data().timesheets.some((t) => t.id === annaMarch[1]),
      'the locked record is still in Kimai',
    );
  });

  it('an unlocked month still syncs edits', async () => {
    const april = await ws.byField('timeEntry', 'description', 'april');
    await ws.write('timeEntry', { ...april.fields, description: 'april, edited' }, { id: april.id });
    const r = await ws.run('k-timesheets');
    assert.ok(r.run.counts['push-update']! >= 1);
    assert.ok(emu.data().timesheets.some((t) => t.description === 'april, edited'));
  });
});
