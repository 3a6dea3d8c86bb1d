/**
 * The month lock is a hub operation carried out by the engine: locking marks the hub
 * entries and timesheet, and the next run of the Kimai timesheet link exports the Kimai
 * records as planned push-updates, journaled first — a run killed after its intents are
 * written is completed by the next one, with one export toggle per record.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Plan } from '../../../src/core/plan-types.js';
import { lockMonth } from '../../../src/runtime/month-lock.js';
import { ADMIN_TOKEN, startKimai } from './kimai-fixture.js';
import { CLOCK, config, kimaiLinks, taxonomy, workspace, type Workspace } from './kimai-workspace.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;

async function post(emu: Emu, body: object): Promise<number> {
  const res = await fetch(`${emu.base}/api/timesheets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { id: number }).id;
}

describe('Kimai month lock through the engine', () => {
  let emu: Emu, ws: Workspace;
  const march: number[] = [];
  const toggles = () => [...emu.counts].filter(([k]) => k.startsWith('PATCH') && k.endsWith('/export')).reduce((n, [, c]) => n + c, 0);

  before(async () => {
    emu = await startKimai();
    ws = await workspace(config([kimaiLinks('k', emu.base)]));
    for (const day of ['02', '03'])
      march.push(
        await post(emu, { user: 1, project: 20, activity: 31, begin: `2026-03-${day}T09:00`, end: `2026-03-${day}T12:00`, description: `work ${day}` }),
      );
    const results = await ws.runAll([...taxonomy('k'), 'k-timesheets']);
    assert.ok(
      results.every((r) => r.run.status === 'ok'),
      JSON.stringify(results.map((r) => r.run.errors)),
    );
  });
  after(async () => {
    await ws.close();
    await emu.close();
  });

  it('marks the hub entries and the timesheet; Kimai is untouched until a run of the link', async () => {
    const anna = (await ws.byField('person', 'username', 'anna')).id;
    const sheet = await ws.write('timesheet', { personId: anna, month: '2026-03', state: 'submitted' });
    const report = await lockMonth({
      store: ws.app.store,
      scope: 'work',
      year: 2026,
      month: 3,
      origin: 'user:test',
      now: CLOCK,
      linkIds: ['link:k-timesheets'],
    });
    assert.deepEqual(
      report.locked.map((l) => [l.timesheetId, l.entries.length, [...l.exported].sort()]),
      [[sheet, 2, march.map(String).sort()]],
    );
    const entries = (await ws.records('timeEntry')).filter((e) => e.fields.personId === anna);
    assert.deepEqual(
      entries.map((e) => e.fields.exported),
      [true, true],
    );
    assert.equal((await ws.app.store.getRecords([sheet]))[0]!.fields.state, 'exported');
    assert.equal(emu.data().timesheets.filter((t) => t.exported).length, 0);
    assert.equal(toggles(), 0);
  });

  it('plans push-updates for the lock, journals them, and a run killed after the journal is completed by the next', async () => {
    await assert.rejects(
      ws.run(
        'k-timesheets',
        {},
        {
          fault: (point) => {
            if (point === 'after-intent') throw new Error('killed after intent');
          },
        },
      ),
      /killed after intent/,
    );
    // The killed run's record keeps its plan: the lock is two push-updates of the exported flag, with their reason.
    const killed = (await ws.app.store.listRuns({ linkId: 'link:k-timesheets', limit: 1 }))[0]!;
    const updates = ((killed.plan as unknown as Plan | null)?.actions ?? []).filter((a) => a.op === 'push-update');
    assert.equal(updates.length, 2, JSON.stringify(killed.plan));
    assert.deepEqual(
      updates.map((a) => a.reason),
      ['changed in hub', 'changed in hub'],
    );
    assert.equal((await ws.app.store.openIntents('link:k-timesheets')).length, 2, 'both writes were journaled before anything was sent');
    assert.equal(emu.data().timesheets.filter((t) => t.exported).length, 0, 'killed before the write');

    const second = await ws.run('k-timesheets');
    assert.equal(second.run.status, 'ok', JSON.stringify(second.run.errors));
    assert.deepEqual(
      emu
        .data()
        .timesheets.filter((t) => t.exported)
        .map((t) => t.id)
        .sort(),
      [...march].sort(),
    );
    assert.equal(toggles(), 2, 'one export toggle per record');
    assert.deepEqual(
      emu.data().timesheets.map((t) => t.description),
      ['work 02', 'work 03'],
      'only the flag changed',
    );
    assert.equal((await ws.app.store.openIntents('link:k-timesheets')).length, 0);

    const third = await ws.run('k-timesheets');
    assert.equal(third.run.status, 'ok');
    assert.equal(third.plan.actions.filter((a) => a.op.startsWith('push')).length, 0, JSON.stringify(third.plan.actions));
    assert.equal(toggles(), 2);
    assert.equal(emu.data().timesheets.filter((t) => t.exported).length, 2);
  });
});
