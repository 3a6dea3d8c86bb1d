/**
 * Locked periods on a two-way Kimai timesheet link (the Kimai emulator). Once March is
 * locked (the month lock, carried out to Kimai's exported flag), Kimai itself refuses a
 * user's delete of an exported record (403: `edit_exported_timesheet` is an admin's); an
 * admin may still delete it, and then the next run creates it again from the hub — the
 * locked hub entry is never deleted. An entry of an open month deleted in Kimai is
 * deleted in the hub as before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lockMonth } from '../../src/runtime/month-lock.js';
import { ADMIN_TOKEN, USER_TOKEN, startKimai } from '../connectors/kimai/kimai-fixture.js';
import { CLOCK, config, kimaiLinks, taxonomy, workspace, type Workspace } from '../connectors/kimai/kimai-workspace.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;

describe('locked periods on a two-way Kimai timesheet link', () => {
  let emu: Emu, ws: Workspace;
  let annaMarch: number, benMarch: number, annaApril: number;

  async function kimai(method: string, path: string, token: string, body?: object): Promise<{ status: number; json: { id: number } | null }> {
    const res = await fetch(`${emu.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as { id: number }) : null };
  }
  const post = async (body: object) => (await kimai('POST', '/api/timesheets', ADMIN_TOKEN, body)).json!.id;
  const entryOf = (day: string, who: string) => ws.one('timeEntry', (f) => f.personId === who && f.date === day);

  before(async () => {
    emu = await startKimai();
    ws = await workspace(config([kimaiLinks('k', emu.base)]));
    annaMarch = await post({ user: 1, project: 20, activity: 31, begin: '2026-03-02T09:00', end: '2026-03-02T12:00', description: 'anna march' });
    benMarch = await post({ user: 2, project: 22, activity: 30, begin: '2026-03-03T09:00', end: '2026-03-03T10:00', description: 'ben march' });
    annaApril = await post({ user: 1, project: 20, activity: 31, begin: '2026-04-01T09:00', end: '2026-04-01T10:00', description: 'anna april' });
    const synced = await ws.runAll([...taxonomy('k'), 'k-timesheets']);
    assert.ok(
      synced.every((r) => r.run.status === 'ok'),
      JSON.stringify(synced.map((r) => r.run.errors)),
    );
    for (const username of ['anna', 'ben']) {
      const person = (await ws.byField('person', 'username', username)).id;
      await ws.write('timesheet', { personId: person, month: '2026-03', state: 'submitted' });
    }
    await lockMonth({ store: ws.app.store, scope: 'work', year: 2026, month: 3, origin: 'user:test', now: CLOCK, linkIds: ['link:k-timesheets'] });
    const carried = await ws.run('k-timesheets');
    assert.equal(carried.run.status, 'ok', JSON.stringify(carried.run.errors));
    assert.deepEqual(
      emu
        .data()
        .timesheets.filter((t) => t.exported)
        .map((t) => t.id)
        .sort(),
      [annaMarch, benMarch].sort(),
    );
  });
  after(async () => {
    await ws.close();
    await emu.close();
  });

  it("Kimai refuses a user's delete of an exported record; nothing changes in the hub", async () => {
    const refused = await kimai('DELETE', `/api/timesheets/${benMarch}`, USER_TOKEN);
    assert.equal(refused.status, 403);
    const r = await ws.run('k-timesheets');
    assert.equal(r.run.status, 'ok', JSON.stringify(r.run.errors));
    assert.ok(emu.data().timesheets.some((t) => t.id === benMarch));
  });

  it('an exported record an admin deletes in Kimai is created again from the hub; the locked hub entry is never deleted', async () => {
    const anna = (await ws.byField('person', 'username', 'anna')).id;
    const locked = await entryOf('2026-03-02', anna);
    assert.equal(locked.fields.exported, true);
    assert.equal((await kimai('DELETE', `/api/timesheets/${annaMarch}`, ADMIN_TOKEN)).status, 204);

    const r = await ws.run('k-timesheets');
    assert.equal(r.run.status, 'ok', JSON.stringify(r.run.errors));
    const restore = r.plan.actions.find((a) => a.hubId === locked.id)!;
    assert.equal(restore.op, 'push-create');
    assert.match(restore.reason, /^deleted externally; restored from the hub: the entry's period is locked \(the entry of 2026-03-02 is exported/);
    const again = await entryOf('2026-03-02', anna);
    assert.equal(again.version, locked.version, 'the hub entry is neither deleted nor written');
    const copy = emu.data().timesheets.find((t) => t.user === 1 && t.id !== annaMarch && t.id !== annaApril);
    assert.ok(copy, 'a new Kimai record holds the entry again');
    assert.equal(copy.exported, true, 'and it is exported, as the hub entry is');
    assert.equal(copy.end! - copy.begin, 3 * 3_600_000);
    const quiet = await ws.run('k-timesheets');
    assert.equal(quiet.run.status, 'ok');
    assert.deepEqual(
      quiet.plan.actions.filter((a) => a.op !== 'record'),
      [],
    );
  });

  it('an exported record an admin edits in Kimai: the restore Kimai cannot take (exported) is reported once and parked, and the hub keeps its entry', async () => {
    const ben = (await ws.byField('person', 'username', 'ben')).id;
    const locked = await entryOf('2026-03-03', ben);
    const edited = await kimai('PATCH', `/api/timesheets/${benMarch}`, ADMIN_TOKEN, { description: 'edited by an admin' });
    assert.equal(edited.status, 200);
    const first = await ws.run('k-timesheets');
    assert.equal(first.plan.actions.find((a) => a.hubId === locked.id)?.op, 'push-update', 'planned as a restore');
    assert.equal(first.run.status, 'partial');
    assert.deepEqual(
      first.run.errors.map((e) => e.error.code),
      ['PERIOD_LOCKED'],
    );
    assert.match(first.run.errors[0]!.error.message, /is parked: Kimai timesheet \d+ \(2026-03-03\) is exported: its period is locked/);
    const second = await ws.run('k-timesheets', { full: true });
    assert.equal(second.run.status, 'ok', JSON.stringify(second.run.errors));
    assert.equal(second.run.counts.parked, 1);
    const now = await entryOf('2026-03-03', ben);
    assert.equal(now.version, locked.version);
    assert.equal(now.fields.description, 'ben march');
  });

  it('an open month deleted in Kimai is deleted in the hub as before', async () => {
    const april = await ws.byField('timeEntry', 'description', 'anna april');
    assert.equal((await kimai('DELETE', `/api/timesheets/${annaApril}`, ADMIN_TOKEN)).status, 204);
    const r = await ws.run('k-timesheets');
    assert.equal(r.run.status, 'ok', JSON.stringify(r.run.errors));
    assert.equal(r.plan.actions.find((a) => a.hubId === april.id)?.op, 'pull-delete');
    assert.equal((await ws.records('timeEntry')).filter((e) => e.fields.description === 'anna april').length, 0);
  });
});
