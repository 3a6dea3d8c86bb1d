/** The hub's own record operations (runtime/records.ts) on a real SQLite store: validation, versions, locked periods, history. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TimebridgeError } from '../../src/core/errors.js';
import { lockedReason, periodKey, periodLocksOf } from '../../src/core/fields/period-lock.js';
import type { Fields } from '../../src/core/model.js';
import { diffFields, HubRecords } from '../../src/runtime/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { HubStore } from '../../src/store/types.js';

const NOW = new Date('2026-03-10T09:00:00Z');
const api = { origin: 'api:alice' };

function entry(over: Partial<Fields> = {}): Fields {
  return {
    date: '2026-03-09',
    start: '2026-03-09T08:00:00Z',
    durationSeconds: 3600,
    timeZone: 'Europe/Berlin',
    description: 'review',
    personId: 'p-alice',
    projectId: null,
    activityId: null,
    taskId: null,
    billable: null,
    tags: [],
    ...over,
  };
}

async function withRecords(fn: (records: HubRecords, store: HubStore) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-records-'));
  const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
  try {
    await fn(new HubRecords(store, () => NOW), store);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const codeOf = (err: unknown): string => (err instanceof TimebridgeError ? err.code : String(err));

describe('hub records', () => {
  it('creates a valid record through the change log with the actor as origin', () =>
    withRecords(async (records, store) => {
      const r = await records.create({ scope: 'work', kind: 'timeEntry', fields: entry(), actor: api });
      assert.equal(r.version, 1);
      assert.equal(r.origin, 'api:alice');
      const changes = await store.changesSince('work', 'timeEntry', 0);
      assert.deepEqual(
        changes.map((c) => [c.recordId, c.origin, c.runId]),
        [[r.id, 'api:alice', null]],
      );
    }));

  it('refuses invalid fields naming each field, and kinds only links write', () =>
    withRecords(async (records, store) => {
      await assert.rejects(
        records.create({ scope: 'work', kind: 'timeEntry', fields: entry({ date: '9.3.2026', durationSeconds: -1 }), actor: api }),
        (err: unknown) => codeOf(err) === 'REQUEST_INVALID' && /date/.test((err as Error).message) && /durationSeconds/.test((err as Error).message),
      );
      await assert.rejects(records.create({ scope: 'work', kind: 'event', fields: {}, actor: api }), /written by links only/);
      assert.equal(await store.headSeq(), 0, 'nothing was written');
    }));

  it('updates only at the version the writer read', () =>
    withRecords(async (records) => {
      const r = await records.create({ scope: 'work', kind: 'timeEntry', fields: entry(), actor: api });
      const r2 = await records.update({ id: r.id, fields: entry({ description: 'first' }), ifMatch: 1, actor: api });
      assert.equal(r2.version, 2);
      await assert.rejects(
        records.update({ id: r.id, fields: entry({ description: 'stale' }), ifMatch: 1, actor: { origin: 'api:bob' } }),
        (err: unknown) => codeOf(err) === 'RESOURCE_CONFLICT',
      );
      assert.equal((await records.mustGet(r.id)).fields.description, 'first');
    }));

  it('refuses writes in a locked period, before and after the change, and leaves the record as it was', () =>
    withRecords(async (records) => {
      const open = await records.create({ scope: 'work', kind: 'timeEntry', fields: entry({ date: '2026-04-01', start: '2026-04-01T08:00:00Z' }), actor: api });
      const march = await records.create({ scope: 'work', kind: 'timeEntry', fields: entry(), actor: api });
      await records.create({ scope: 'work', kind: 'timesheet', fields: { personId: 'p-alice', month: '2026-03', state: 'exported' }, actor: api });
      const locked = (err: unknown) => codeOf(err) === 'PERIOD_LOCKED';
      await assert.rejects(records.update({ id: march.id, fields: entry({ description: 'x' }), ifMatch: 1, actor: api }), locked);
      await assert.rejects(records.remove({ id: march.id, ifMatch: 1, actor: api }), locked);
      await assert.rejects(records.create({ scope: 'work', kind: 'timeEntry', fields: entry({ date: '2026-03-02' }), actor: api }), locked);
      // Moving an open entry into the locked month is a write into it.
      await assert.rejects(records.update({ id: open.id, fields: entry({ date: '2026-03-31' }), ifMatch: 1, actor: api }), locked);
      // Another person's March is not locked.
      await records.create({ scope: 'work', kind: 'timeEntry', fields: entry({ personId: 'p-bob' }), actor: api });
      assert.equal((await records.mustGet(march.id)).version, 1);
      assert.equal((await records.mustGet(open.id)).fields.date, '2026-04-01');
    }));

  it('keeps one record per natural key of kinds that have one', () =>
    withRecords(async (records) => {
      const sheet = { personId: 'p-alice', month: '2026-03', state: 'draft' };
      await records.create({ scope: 'work', kind: 'timesheet', fields: sheet, actor: api });
      await assert.rejects(
        records.create({ scope: 'work', kind: 'timesheet', fields: sheet, actor: api }),
        (err: unknown) => codeOf(err) === 'RESOURCE_CONFLICT',
      );
      // The same key in another scope is another record.
      await records.create({ scope: 'other', kind: 'timesheet', fields: sheet, actor: api });
    }));

  it('answers a history: who changed which field, through which system, and a delete', () =>
    withRecords(async (records, store) => {
      const r = await records.create({ scope: 'work', kind: 'timeEntry', fields: entry(), actor: api });
      // A link's pull writes it next (as a run would).
      await store.commit({
        records: [
          {
            id: r.id,
            kind: 'timeEntry',
            scope: 'work',
            fields: entry({ durationSeconds: 5400 }),
            identity: null,
            tombstone: false,
            origin: 'link:kimai-sheets',
            runId: 'run-1',
            expectedVersion: 1,
            updatedAt: NOW.toISOString(),
          },
        ],
      });
      await records.update({ id: r.id, fields: entry({ durationSeconds: 5400, projectId: 'proj-1' }), ifMatch: 2, actor: { origin: 'cli:root' } });
      await records.remove({ id: r.id, ifMatch: 3, actor: api });
      const h = await records.history(r.id);
      assert.deepEqual(
        h.map((e) => [e.version, e.via, e.by, e.action, e.runId, e.changes.map((c) => `${c.field}:${JSON.stringify(c.before)}→${JSON.stringify(c.after)}`)]),
        [
          [1, 'api', 'alice', 'create', null, h[0]!.changes.map((c) => `${c.field}:undefined→${JSON.stringify(c.after)}`)],
          [2, 'link', 'kimai-sheets', 'update', 'run-1', ['durationSeconds:3600→5400']],
          [3, 'cli', 'root', 'update', null, ['projectId:null→"proj-1"']],
          [4, 'api', 'alice', 'delete', null, []],
        ],
      );
      assert.ok(h[0]!.changes.some((c) => c.field === 'description' && c.after === 'review'));
    }));

  it("diffs extras per entry, so one system's extras are named on their own", () => {
    assert.deepEqual(diffFields({ a: 1, extras: { kimai: { id: 1 }, google: { x: 1 } } }, { a: 1, extras: { kimai: { id: 2 }, google: { x: 1 } } }), [
      { field: 'extras.kimai', before: { id: 1 }, after: { id: 2 } },
    ]);
  });
});

describe('locked periods (pure)', () => {
  it('a time entry is locked exactly when it is exported or its person has an exported timesheet of its month', () => {
    const month = fc.constantFrom('2026-01', '2026-02', '2026-03');
    const person = fc.constantFrom('p1', 'p2');
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ personId: person, month, state: fc.constantFrom('draft', 'submitted', 'absence-submitted', 'exported'), tombstone: fc.boolean() }),
        ),
        person,
        month,
        fc.integer({ min: 1, max: 28 }),
        fc.boolean(),
        (sheets, p, m, day, exported) => {
          const locks = periodLocksOf(sheets.map((s) => ({ fields: { personId: s.personId, month: s.month, state: s.state }, tombstone: s.tombstone })));
          const fields: Fields = { date: `${m}-${String(day).padStart(2, '0')}`, personId: p, ...(exported ? { exported: true } : {}) };
          const expected = exported || sheets.some((s) => !s.tombstone && s.state === 'exported' && s.personId === p && s.month === m);
          assert.equal(lockedReason('timeEntry', fields, locks) !== null, expected);
          assert.equal(
            locks.has(periodKey(p, m)),
            sheets.some((s) => !s.tombstone && s.state === 'exported' && s.personId === p && s.month === m),
          );
        },
      ),
    );
  });

  it('only time entries and timers are bound to periods', () => {
    const locks = new Set([periodKey('p1', '2026-03')]);
    assert.equal(lockedReason('task', { personId: 'p1', date: '2026-03-01' }, locks), null);
    assert.match(lockedReason('timer', { personId: 'p1', start: '2026-03-01T10:00:00Z' }, locks) ?? '', /2026-03 of person p1 is locked/);
    // A timer's month is the person's local month: 23:30 UTC on 28 February is already March in Berlin.
    assert.match(lockedReason('timer', { personId: 'p1', start: '2026-02-28T23:30:00Z', timeZone: 'Europe/Berlin' }, locks) ?? '', /2026-03/);
    assert.equal(lockedReason('timer', { personId: 'p1', start: '2026-02-28T23:30:00Z', timeZone: null }, locks), null);
  });
});
