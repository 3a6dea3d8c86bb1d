/**
 * Time entries between two Kimai instances through the hub (Kimai A ↔ hub ↔ Kimai B,
 * different ids on each side, matched through the taxonomy and user links), day-granular
 * entries placed within their day, deletions seen through window re-listings, and one
 * failing create in a push of 50.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KimaiData } from '../../../src/emulators/kimai/kimai-data.js';
import type { RunResult } from '../../../src/runtime/run-link.js';
import { ADMIN_TOKEN, startKimai, testData } from './kimai-fixture.js';
import { config, kimaiLinks, taxonomy, workspace, type Workspace } from './kimai-workspace.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;
const WINDOW = 'window: { pastDays: 60, futureDays: 60 }';

/** The same names as testData, other ids: Kimai B is another installation. */
function otherIds(): KimaiData {
  const d = testData();
  for (const u of d.users) u.id += 6; // anna 7, ben 8
  for (const c of d.customers) c.id += 500;
  for (const p of d.projects) {
    p.id += 500;
    p.customer += 500;
  }
  for (const a of d.activities) {
    a.id += 500;
    if (a.project !== null) a.project += 500;
  }
  return d;
}

/** Every write was read back and none lost anything: each server's own form of what it stored is no loss. */
function checkedWithoutLoss(results: RunResult[], what: string): void {
  assert.deepEqual(
    results.flatMap((x) => x.run.warnings).filter((w) => w.code === 'WRITE_LOSS'),
    [],
    `${what}: no write loss`,
  );
  assert.ok(
    results.some((x) => (x.run.counts['readBack'] ?? 0) > 0),
    `${what}: the writes were read back`,
  );
  assert.deepEqual(
    results.filter((x) => x.run.counts['readBackUnchecked']).map((x) => x.run.linkId),
    [],
    `${what}: every write was checked`,
  );
}

async function kimai(emu: Emu, method: string, path: string, body?: object) {
  const res = await fetch(`${emu.base}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

describe('Kimai ↔ hub ↔ Kimai', () => {
  let a: Emu, b: Emu, ws: Workspace;
  before(async () => {
    a = await startKimai();
    b = await startKimai({ data: otherIds() });
    ws = await workspace(config([kimaiLinks('a', a.base, { timesheets: WINDOW }), kimaiLinks('b', b.base, { timesheets: WINDOW })]));
    const results = await ws.runAll([...taxonomy('a'), ...taxonomy('b')]);
    assert.ok(
      results.every((r) => r.run.status === 'ok'),
      JSON.stringify(results.map((r) => r.run.errors)),
    );
  });
  after(async () => {
    await ws.close();
    await a.close();
    await b.close();
  });

  const sync = () => ws.runAll(['a-timesheets', 'b-timesheets', 'a-timesheets']);

  it("matches both instances' taxonomy and users to the same hub records", async () => {
    assert.equal((await ws.records('customer')).length, 2);
    assert.equal((await ws.records('project')).length, 3);
    assert.equal((await ws.records('activity')).length, 3);
    assert.equal((await ws.records('person')).length, 2);
  });

  let entryA: number;
  it("copies a timesheet made in A to B, with B's user, project and activity ids and the same time", async () => {
    const made = await kimai(a, 'POST', '/timesheets', {
      user: 1,
      project: 20,
      activity: 31,
      begin: '2026-03-02T09:00',
      end: '2026-03-02T10:30',
      description: 'Landing page',
      tags: 'meeting',
    });
    entryA = made.id;
    const results = await sync();
    assert.ok(
      results.every((r) => r.run.status === 'ok'),
      JSON.stringify(results.map((r) => r.run.errors)),
    );
    checkedWithoutLoss(results, 'the copy to B');
    const inB = b.data().timesheets;
    assert.equal(inB.length, 1);
    assert.deepEqual([inB[0]!.user, inB[0]!.project, inB[0]!.activity], [7, 520, 531]);
    assert.equal(inB[0]!.begin, Date.UTC(2026, 2, 2, 8, 0), '09:00 in Berlin');
    assert.equal(inB[0]!.end, Date.UTC(2026, 2, 2, 9, 30));
    assert.deepEqual(inB[0]!.tags, ['meeting'], 'the tag exists in B (it was there already)');
    const hub = await ws.byField('timeEntry', 'description', 'Landing page');
    assert.equal(hub.fields.start, '2026-03-02T08:00:00Z');
    assert.equal(hub.fields.durationSeconds, 5400);
    assert.equal(hub.fields.personId, (await ws.byField('person', 'username', 'anna')).id);
  });

  it('brings an edit made in B back to A, and creates a tag A did not have', async () => {
    const inB = b.data().timesheets[0]!;
    await kimai(b, 'POST', '/tags', { name: 'urgent' });
    await kimai(b, 'PATCH', `/timesheets/${inB.id}`, { description: 'Landing page v2', tags: 'meeting,urgent' });
    const results = await sync();
    assert.ok(
      results.every((r) => r.run.status === 'ok'),
      JSON.stringify(results.map((r) => r.run.errors)),
    );
    checkedWithoutLoss(results, 'the edit back to A');
    const inA = a.data().timesheets.find((t) => t.id === entryA)!;
    assert.equal(inA.description, 'Landing page v2');
    assert.deepEqual([...inA.tags].sort(), ['meeting', 'urgent']);
    assert.equal(a.data().timesheets.length, 1, 'no copy came back as a new record');
  });

  it("a Kimai edit of one field keeps every field only other systems hold (the task, Jira's and Google's extras)", async () => {
    const anna = (await ws.byField('person', 'username', 'anna')).id;
    const website = (await ws.byField('project', 'name', 'Website')).id;
    const design = (await ws.byField('activity', 'name', 'Design')).id;
    const others = { jira: { billableSeconds: 1200, visibility: { type: 'group', value: 'devs' } }, google: { colorId: '5' } };
    const id = await ws.write('timeEntry', {
      date: '2026-03-04',
      start: '2026-03-04T08:00:00Z',
      durationSeconds: 1800,
      timeZone: 'Europe/Berlin',
      description: 'Wireframes',
      personId: anna,
      projectId: website,
      activityId: design,
      taskId: 'task-a-1',
      billable: true,
      tags: [],
      extras: others,
    });
    assert.ok((await sync()).every((r) => r.run.status === 'ok'));
    const inA = a.data().timesheets.find((t) => t.description?.startsWith('Wireframes'))!;
    await kimai(a, 'PATCH', `/timesheets/${inA.id}`, { description: 'Wireframes, round two' });
    const results = await sync();
    assert.ok(
      results.every((r) => r.run.status === 'ok'),
      JSON.stringify(results.map((r) => r.run.errors)),
    );
    const entry = (await ws.records('timeEntry')).find((r) => r.id === id)!;
    assert.equal(entry.fields.description, 'Wireframes, round two');
    assert.equal(entry.fields.taskId, 'task-a-1', 'the task Kimai cannot hold is kept');
    const extras = entry.fields.extras as Record<string, unknown>;
    assert.deepEqual([extras.jira, extras.google], [others.jira, others.google], "the other systems' extras are kept");
    assert.deepEqual([entry.fields.date, entry.fields.timeZone, entry.fields.start], ['2026-03-04', 'Europe/Berlin', '2026-03-04T08:00:00Z']);
    // The cases below count timesheets: take this one away again.
    await ws.write('timeEntry', entry.fields, { id, tombstone: true });
    assert.ok((await sync()).every((r) => r.run.status === 'ok'));
  });

  it("places day-granular hub entries one after another from dayStart, in the user's zone", async () => {
    const ben = (await ws.byField('person', 'username', 'ben')).id;
    const website = (await ws.byField('project', 'name', 'Website')).id;
    const meeting = (await ws.byField('activity', 'name', 'Meeting')).id;
    const entry = (description: string, durationSeconds: number) => ({
      date: '2026-03-03',
      start: null,
      durationSeconds,
      timeZone: null,
      description,
      personId: ben,
      projectId: website,
      activityId: meeting,
      taskId: null,
      billable: true,
      tags: [],
    });
    await ws.write('timeEntry', entry('standup', 3600));
    await ws.write('timeEntry', entry('review', 1800));
    const results = await sync();
    assert.ok(
      results.every((r) => r.run.status === 'ok'),
      JSON.stringify(results.map((r) => r.run.errors)),
    );
    for (const emu of [a, b]) {
      const day = emu
        .data()
        .timesheets.filter((t) => t.user === (emu === a ? 2 : 8))
        .sort((x, y) => x.begin - y.begin);
      assert.equal(day.length, 2);
      assert.equal(day[0]!.begin, Date.UTC(2026, 2, 3, 13, 0), '08:00 in New York');
      assert.equal(day[1]!.begin, day[0]!.end, 'the second starts where the first ends');
    }
  });

  it('sees a deletion in A through the window re-listing and deletes the copy in B', async () => {
    await kimai(a, 'DELETE', `/timesheets/${entryA}`);
    const results = await sync();
    assert.ok(
      results.every((r) => r.run.status === 'ok'),
      JSON.stringify(results.map((r) => r.run.errors)),
    );
    assert.equal(results[0]!.run.counts['pull-delete'], 1);
    assert.equal((await ws.records('timeEntry')).filter((r) => String(r.fields.description).startsWith('Landing')).length, 0);
    assert.equal(b.data().timesheets.filter((t) => t.user === 7).length, 0);
  });

  it('a record edited out of the window is not taken as deleted', async () => {
    const made = await kimai(a, 'POST', '/timesheets', {
      user: 1,
      project: 20,
      activity: 30,
      begin: '2026-03-05T09:00',
      end: '2026-03-05T10:00',
      description: 'moves away',
    });
    await sync();
    await kimai(a, 'PATCH', `/timesheets/${made.id}`, { begin: '2025-06-05T09:00', end: '2025-06-05T10:00' });
    const results = await sync();
    assert.ok(results.every((r) => r.run.status === 'ok'));
    assert.equal(results[0]!.run.counts['pull-delete'] ?? 0, 0);
    const hub = await ws.byField('timeEntry', 'description', 'moves away');
    assert.equal(hub.fields.date, '2025-06-05', 'the move itself was pulled');
  });
});

describe('Kimai push with a failing create', () => {
  let emu: Emu, ws: Workspace;
  before(async () => {
    emu = await startKimai();
    ws = await workspace(config([kimaiLinks('k', emu.base)]));
    await ws.runAll(taxonomy('k'));
  });
  after(async () => {
    await ws.close();
    await emu.close();
  });

  it('a 500 on one of 50 creates is retried within the run; six in a row make it partial and the next run creates it once, nothing lost or doubled', async () => {
    const anna = (await ws.byField('person', 'username', 'anna')).id;
    const website = (await ws.byField('project', 'name', 'Website')).id;
    const design = (await ws.byField('activity', 'name', 'Design')).id;
    for (let i = 0; i < 50; i++) {
      const start = new Date(Date.UTC(2026, 1, 1, 7) + i * 7_200_000).toISOString().slice(0, 19) + 'Z';
      await ws.write('timeEntry', {
        date: start.slice(0, 10),
        start,
        durationSeconds: 3600,
        timeZone: 'Europe/Berlin',
        description: `task ${i}`,
        personId: anna,
        projectId: website,
        activityId: design,
        taskId: null,
        billable: true,
        tags: [],
      });
    }
    // One 500: the create (lookup, then POST) is repeated as a whole and lands.
    emu.inject({ method: 'POST', path: '^/api/timesheets$', status: 500, after: 10, times: 1 });
    // Six 500s in a row for one create: its six tries (the default maxAttempts) fail, the others land.
    emu.inject({ method: 'POST', path: '^/api/timesheets$', status: 500, after: 20, times: 6 });
    const first = await ws.run('k-timesheets');
    assert.equal(first.run.status, 'partial');
    assert.equal(first.run.errors.length, 1);
    assert.equal(first.run.errors[0]!.error.kind, 'transient');
    assert.equal(first.run.counts['push-create'], 49);
    assert.equal(emu.data().timesheets.length, 49);
    const second = await ws.run('k-timesheets');
    assert.equal(second.run.status, 'ok', JSON.stringify(second.run.errors));
    assert.equal(second.run.counts['push-create'], 1);
    const descriptions = emu.data().timesheets.map((t) => t.description);
    assert.equal(descriptions.length, 50);
    assert.equal(new Set(descriptions).size, 50, 'no duplicate');
    const third = await ws.run('k-timesheets');
    assert.equal(third.hubWrites, 0);
    assert.deepEqual(third.run.counts, {});
  });
});

describe('Kimai deletions without a window', () => {
  let emu: Emu, ws: Workspace;
  before(async () => {
    emu = await startKimai();
    // `window: null` turns off the timesheet links' default window of ±31 days.
    const parts = kimaiLinks('k', emu.base, { timesheets: 'window: null' });
    ws = await workspace(config([{ ...parts, connection: `${parts.connection}    fullListingEvery: 3\n` }]));
    await ws.runAll(taxonomy('k'));
  });
  after(async () => {
    await ws.close();
    await emu.close();
  });

  it('a delta listing cannot see a deletion; --full and every fullListingEvery-th listing do', async () => {
    const keep = await kimai(emu, 'POST', '/timesheets', {
      user: 1,
      project: 20,
      activity: 31,
      begin: '2026-03-02T09:00',
      end: '2026-03-02T10:00',
      description: 'keep',
    });
    const gone = await kimai(emu, 'POST', '/timesheets', {
      user: 1,
      project: 20,
      activity: 31,
      begin: '2026-03-03T09:00',
      end: '2026-03-03T10:00',
      description: 'gone',
    });
    await ws.run('k-timesheets'); // full: the first listing
    await kimai(emu, 'DELETE', `/timesheets/${gone.id}`);
    const delta = await ws.run('k-timesheets');
    assert.equal(delta.run.counts['pull-delete'] ?? 0, 0, 'modified_after never reports a deletion');
    const full = await ws.run('k-timesheets', { full: true });
    assert.equal(full.run.counts['pull-delete'], 1);
    assert.equal((await ws.records('timeEntry')).length, 1);

    const other = await kimai(emu, 'POST', '/timesheets', {
      user: 1,
      project: 20,
      activity: 31,
      begin: '2026-03-04T09:00',
      end: '2026-03-04T10:00',
      description: 'other',
    });
    await ws.run('k-timesheets'); // delta 1 pulls it
    await kimai(emu, 'DELETE', `/timesheets/${other.id}`);
    assert.equal((await ws.run('k-timesheets')).run.counts['pull-delete'] ?? 0, 0, 'delta 2');
    assert.equal((await ws.run('k-timesheets')).run.counts['pull-delete'], 1, 'the third listing after a full one is full again');
    assert.ok(keep.id);
  });
});

describe('Kimai with the hub authoritative (externalOnly: delete)', () => {
  let emu: Emu, ws: Workspace;
  before(async () => {
    emu = await startKimai();
    ws = await workspace(config([kimaiLinks('k', emu.base, { timesheets: `${WINDOW}, externalOnly: delete` })]));
    await ws.runAll(taxonomy('k'));
  });
  after(async () => {
    await ws.close();
    await emu.close();
  });

  it("deletes a timesheet typed directly into Kimai, keeps and pushes the hub's own, and never deletes one the hub has", async () => {
    const anna = (await ws.byField('person', 'username', 'anna')).id;
    const website = (await ws.byField('project', 'name', 'Website')).id;
    const meeting = (await ws.byField('activity', 'name', 'Meeting')).id;
    await ws.write('timeEntry', {
      date: '2026-03-04',
      start: '2026-03-04T08:00:00Z',
      durationSeconds: 3600,
      timeZone: 'Europe/Berlin',
      description: 'from the hub',
      personId: anna,
      projectId: website,
      activityId: meeting,
      taskId: null,
      billable: true,
      tags: [],
    });
    const first = await ws.run('k-timesheets');
    assert.equal(first.run.status, 'ok', JSON.stringify(first.run.errors));
    assert.equal(first.run.counts['push-create'], 1);

    const typed = await kimai(emu, 'POST', '/timesheets', {
      user: 1,
      project: 20,
      activity: 31,
      begin: '2026-03-05T09:00',
      end: '2026-03-05T10:00',
      description: 'typed into Kimai',
    });
    const second = await ws.run('k-timesheets');
    assert.equal(second.run.status, 'ok', JSON.stringify(second.run.errors));
    assert.equal(second.run.counts['push-delete'], 1);
    const action = second.plan.actions.find((a) => a.op === 'push-delete');
    assert.match(action!.reason, /externalOnly: delete/);
    assert.deepEqual(
      emu.data().timesheets.map((t) => t.description?.replace(/\n\n\[timebridge id=[^\]]+\]$/, '')),
      ['from the hub'],
      `${typed.id} is gone, the hub's own stays`,
    );
    assert.equal((await ws.records('timeEntry')).length, 1, 'nothing was imported');
    const third = await ws.run('k-timesheets');
    assert.deepEqual(third.run.counts, {}, 'a third run has nothing to do');
  });
});

describe('Kimai with the hub authoritative, on a first run against a full Kimai', () => {
  it('stops before deleting more typed-in timesheets than the guard allows, and deletes them once confirmed', async () => {
    const emu = await startKimai();
    const ws = await workspace(config([kimaiLinks('k', emu.base, { timesheets: `${WINDOW}, externalOnly: delete` })]));
    try {
      await ws.runAll(taxonomy('k'));
      for (let i = 0; i < 12; i++) {
        await kimai(emu, 'POST', '/timesheets', {
          user: 1,
          project: 20,
          activity: 31,
          begin: `2026-03-0${1 + (i % 9)}T${String(8 + Math.floor(i / 9)).padStart(2, '0')}:00`,
          end: `2026-03-0${1 + (i % 9)}T${String(8 + Math.floor(i / 9)).padStart(2, '0')}:30`,
        });
      }
      const stopped = await ws.run('k-timesheets');
      assert.equal(stopped.run.status, 'stopped');
      assert.equal(stopped.run.errors[0]!.error.code, 'PLAN_MASS_DELETE');
      assert.match(stopped.run.errors[0]!.error.message, /12 items that exist only in the external system/);
      assert.equal(emu.data().timesheets.length, 12, 'nothing was deleted');
      const confirmed = await ws.run('k-timesheets', { allowDeletes: true });
      assert.equal(confirmed.run.counts['push-delete'], 12);
      assert.equal(emu.data().timesheets.length, 0);
    } finally {
      await ws.close();
      await emu.close();
    }
  });
});
