/**
 * The audit (runtime/audit.ts) of a Kimai timesheet link after a sync: it finds a planted
 * duplicate (the same timesheet twice in Kimai), orphans (a paired timesheet deleted in
 * Kimai; a timesheet no hub record is paired with) and a differing pair (a description
 * edited in Kimai), and it is read-only: the emulator answers only GETs, and the hub's
 * change log, status rows and runs stay as they were.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditClean, auditLink, formatAudit } from '../../src/runtime/audit.js';
import { newTimesheet } from '../../src/emulators/kimai/kimai-data.js';
import { startKimai, testData } from '../connectors/kimai/kimai-fixture.js';
import { config, kimaiLinks, taxonomy, workspace, type Workspace } from '../connectors/kimai/kimai-workspace.js';

const CLOCK = new Date(Date.UTC(2026, 2, 10, 12));
const HOUR = 3_600_000;
const DAY9 = Date.UTC(2026, 2, 9, 9);

describe('audit of a Kimai timesheet link', () => {
  let kimai: Awaited<ReturnType<typeof startKimai>>;
  let ws: Workspace;

  before(async () => {
    const data = testData();
    for (const [id, begin, description] of [
      [500, DAY9, 'Review'],
      [501, DAY9 + 2 * HOUR, 'Hotline'],
      [502, DAY9 + 4 * HOUR, 'Planning'],
    ] as const)
      newTimesheet(data, { id, user: 2, project: 20, activity: 30, begin, description });
    data.nextId = 600;
    kimai = await startKimai({ data });
    ws = await workspace(config([kimaiLinks('kimai', kimai.base, { collection: '"2"' })]));
    for (const r of await ws.runAll([...taxonomy('kimai'), 'kimai-timesheets'])) assert.equal(r.run.status, 'ok', JSON.stringify(r.run.errors));
  });
  after(async () => {
    await ws.close();
    await kimai.close();
  });

  const audit = () => auditLink(ws.app.links.get('kimai-timesheets')!, ws.app.store, CLOCK);

  it('right after a sync the link is clean', async () => {
    const r = await audit();
    assert.equal(r.listed, 3);
    assert.equal(r.paired, 3);
    assert.ok(auditClean(r), formatAudit(r));
    assert.match(formatAudit(r), /clean: no duplicates, orphans or differences/);
  });

  it('finds a planted duplicate, two kinds of orphan and a differing pair, and writes nothing', async () => {
    const d = kimai.data();
    // The same timesheet twice: a copy of "Review" (same user, project, activity, times, text).
    d.timesheets.push({ ...structuredClone(d.timesheets.find((t) => t.id === 500)!), id: 601 });
    // A paired timesheet deleted in Kimai; a paired one edited there.
    d.timesheets.splice(
      d.timesheets.findIndex((t) => t.id === 501),
      1,
    );
    d.timesheets.find((t) => t.id === 502)!.description = 'Planning (moved)';

    const store = ws.app.store;
    const before = {
      head: await store.headSeq(),
      status: await store.loadStatusIndex('link:kimai-timesheets'),
      runs: (await store.listRuns({ linkId: 'link:kimai-timesheets', limit: 1000 })).length,
    };
    kimai.counts.clear();
    const r = await audit();

    const review = (await ws.one('timeEntry', (f) => f.description === 'Review', 'work')).id;
    const hotline = (await ws.one('timeEntry', (f) => f.description === 'Hotline', 'work')).id;
    const planning = (await ws.one('timeEntry', (f) => f.description === 'Planning', 'work')).id;
    assert.deepEqual(
      r.duplicates.map((f) => [f.side, f.ids]),
      [['external', ['500', '601']]],
      formatAudit(r),
    );
    assert.match(r.duplicates[0]!.detail, /the same natural key/);
    assert.deepEqual(
      r.orphans.map((f) => [f.side, f.ids, f.detail]),
      [
        ['hub', [hotline], 'paired with 501, which is gone from kimai'],
        ['external', ['601'], 'paired with no hub record'],
      ],
      formatAudit(r),
    );
    assert.deepEqual(
      r.differs.map((f) => [f.ids, f.detail]),
      [[[planning, '502'], 'differs in description']],
    );
    assert.ok(!r.orphans.some((f) => f.ids.includes(review)), 'the paired original of the duplicate is no orphan');

    // Read-only: the remote saw only reads, the hub is as it was.
    const methods = [...kimai.counts.keys()].map((k) => k.split(' ')[0]);
    assert.ok(methods.length > 0);
    assert.deepEqual([...new Set(methods)], ['GET'], [...kimai.counts.keys()].join(', '));
    assert.equal(await store.headSeq(), before.head);
    assert.deepEqual(await store.loadStatusIndex('link:kimai-timesheets'), before.status);
    assert.equal((await store.listRuns({ linkId: 'link:kimai-timesheets', limit: 1000 })).length, before.runs);
    assert.equal(kimai.data().timesheets.find((t) => t.id === 502)!.description, 'Planning (moved)', 'nothing was put back');

    const text = formatAudit(r);
    assert.match(text, /duplicate external .*\[500, 601\]: the same natural key/);
    assert.match(text, /differs {3}hub {6}.*differs in description/);
  });
});
