/**
 * Timers and timesheets as hub operations on a real SQLite file: one running timer per
 * person, the entry a stop makes (its day in the person's zone), locked months refusing a
 * start and a stop, discarding, and the timesheet state machine under any sequence of
 * submit / reopen / lock.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { TIMESHEET_STATES } from '../../src/core/fields/timesheet.js';
import { isTimebridgeError } from '../../src/core/errors.js';
import { lockCarriers, lockMonth } from '../../src/runtime/month-lock.js';
import { HubRecords } from '../../src/runtime/records.js';
import { discardTimer, startTimer, stopTimer, timerStatus, type TimekeepingDeps } from '../../src/runtime/timers.js';
import { reopenTimesheet, showTimesheet, submitTimesheet } from '../../src/runtime/timesheets.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { HubStore } from '../../src/store/types.js';

const actor = { origin: 'cli:test' };
const at = (iso: string) => new Date(iso);
const code = (c: string) => (err: unknown) => isTimebridgeError(err) && err.code === c;

describe('timers and timesheets', () => {
  let dir: string, store: HubStore, deps: TimekeepingDeps;
  let n = 0;
  const person = async (scope: string, timeZone: string | null) => {
    const id = `person-${++n}`;
    await deps.records.create({ scope, kind: 'person', id, actor, fields: { name: id, email: null, username: id, timeZone, active: true } });
    return id;
  };
  const live = async (scope: string, kind: 'timer' | 'timeEntry') => (await store.listScope(scope, kind)).filter((r) => !r.tombstone);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-timekeeping-'));
    store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    deps = { store, records: new HubRecords(store, () => at('2026-03-10T12:00:00Z')) };
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one running timer per person: starting again stops the first and makes its entry, in one commit', async () => {
    const alice = await person('one', 'Europe/Berlin');
    const first = await startTimer(deps, {
      scope: 'one',
      personId: alice,
      projectId: 'p1',
      description: 'design',
      tags: ['a'],
      actor,
      now: at('2026-03-10T08:00:00Z'),
    });
    assert.equal(first.stopped, null);
    assert.equal(first.timer.identity, `timer:${alice}`);
    assert.equal(first.timer.fields.timeZone, 'Europe/Berlin');
    const second = await startTimer(deps, { scope: 'one', personId: alice, description: 'review', actor, now: at('2026-03-10T09:30:15Z') });
    assert.ok(second.stopped);
    assert.equal(second.stopped.timer.tombstone, true);
    assert.deepEqual(
      { ...second.stopped.entry.fields },
      {
        date: '2026-03-10',
        start: '2026-03-10T08:00:00Z',
        durationSeconds: 5415,
        timeZone: 'Europe/Berlin',
        description: 'design',
        personId: alice,
        projectId: 'p1',
        activityId: null,
        taskId: null,
        billable: null,
        tags: ['a'],
      },
    );
    assert.deepEqual(
      (await live('one', 'timer')).map((t) => t.fields.description),
      ['review'],
    );
    assert.equal((await live('one', 'timeEntry')).length, 1);
    // The stop and the new start are one commit: the entry's creation and the timer record's next version are neighbours in the log.
    assert.equal(second.timer.id, first.timer.id, "a person's timers are one record");
    const timerChanges = await store.changesOfRecord(second.timer.id);
    assert.equal(timerChanges.length, 2);
    assert.equal(Math.abs(timerChanges[1]!.seq - (await store.changesOfRecord(second.stopped.entry.id))[0]!.seq), 1);
    const status = await timerStatus(deps, 'one', alice, at('2026-03-10T09:31:15Z'));
    assert.deepEqual([status.running, status.elapsedSeconds], [true, 60]);
  });

  it("stops a timer started 23:30 in Berlin on the start's local day, even after midnight", async () => {
    const bea = await person('one', 'Europe/Berlin');
    // 23:30 Berlin on 31 March (summer time, UTC+2) is 21:30Z; it runs to 01:15 on 1 April.
    await startTimer(deps, { scope: 'one', personId: bea, actor, now: at('2026-03-31T21:30:00Z') });
    const { entry } = await stopTimer(deps, { scope: 'one', personId: bea, actor, now: at('2026-03-31T23:15:00Z') });
    assert.deepEqual([entry.fields.date, entry.fields.start, entry.fields.durationSeconds], ['2026-03-31', '2026-03-31T21:30:00Z', 6300]);
    // A UTC person's timer started at the same instant is on the UTC day.
    const utc = await person('one', null);
    await startTimer(deps, { scope: 'one', personId: utc, actor, now: at('2026-03-31T23:30:00Z') });
    const late = await stopTimer(deps, { scope: 'one', personId: utc, actor, now: at('2026-04-01T00:30:00Z') });
    assert.deepEqual([late.entry.fields.date, late.entry.fields.timeZone], ['2026-03-31', null]);
    // In Berlin that start is already 1 April.
    await startTimer(deps, { scope: 'one', personId: bea, actor, now: at('2026-03-31T23:30:00Z') });
    const april = await stopTimer(deps, { scope: 'one', personId: bea, actor, now: at('2026-04-01T00:30:00Z') });
    assert.equal(april.entry.fields.date, '2026-04-01');
  });

  it('refuses stopping without a running timer, and a stop before the start records 0 seconds', async () => {
    const cal = await person('one', null);
    await assert.rejects(stopTimer(deps, { scope: 'one', personId: cal, actor, now: at('2026-03-10T10:00:00Z') }), code('RESOURCE_NOT_FOUND'));
    await startTimer(deps, { scope: 'one', personId: cal, actor, now: at('2026-03-10T10:00:00Z') });
    const { entry } = await stopTimer(deps, { scope: 'one', personId: cal, actor, now: at('2026-03-10T09:59:00Z') });
    assert.equal(entry.fields.durationSeconds, 0);
  });

  it('refuses a start and a stop in a locked month; the timer keeps running and can be discarded', async () => {
    const dan = await person('locked', 'Europe/Berlin');
    await startTimer(deps, { scope: 'locked', personId: dan, actor, now: at('2026-02-27T09:00:00Z') });
    await submitTimesheet(deps, { scope: 'locked', personId: dan, month: '2026-02', actor });
    const report = await lockMonth({ store, scope: 'locked', year: 2026, month: 2, linkIds: [], origin: 'user:admin', now: at('2026-03-01T00:00:00Z') });
    assert.equal(report.locked.length, 1);
    await assert.rejects(stopTimer(deps, { scope: 'locked', personId: dan, actor, now: at('2026-02-27T10:00:00Z') }), code('PERIOD_LOCKED'));
    assert.equal((await timerStatus(deps, 'locked', dan, at('2026-02-27T10:00:00Z'))).running, true, 'the refused stop left the timer running');
    assert.equal((await live('locked', 'timeEntry')).length, 0);
    // Starting in February again (which would stop the running one too) is refused before anything is written.
    await assert.rejects(startTimer(deps, { scope: 'locked', personId: dan, actor, now: at('2026-02-28T10:00:00Z') }), code('PERIOD_LOCKED'));
    const discarded = await discardTimer(deps, { scope: 'locked', personId: dan, actor });
    assert.equal(discarded.tombstone, true);
    assert.equal((await timerStatus(deps, 'locked', dan, at('2026-03-02T10:00:00Z'))).running, false);
    await assert.rejects(discardTimer(deps, { scope: 'locked', personId: dan, actor }), code('RESOURCE_NOT_FOUND'));
    // March is open; the month is the person's local one: 23:30Z on 28 February is 1 March in Berlin.
    const march = await startTimer(deps, { scope: 'locked', personId: dan, actor, now: at('2026-02-28T23:30:00Z') });
    assert.equal(march.timer.tombstone, false);
    const { entry } = await stopTimer(deps, { scope: 'locked', personId: dan, actor, now: at('2026-03-01T00:30:00Z') });
    assert.equal(entry.fields.date, '2026-03-01');
  });

  it('submits (creating the record), is idempotent, reopens, and shows the month with its entries', async () => {
    const eve = await person('sheets', null);
    const virtual = await showTimesheet(deps, 'sheets', eve, '2026-03');
    assert.deepEqual([virtual.state, virtual.timesheet, virtual.totalSeconds], ['draft', null, 0]);
    await startTimer(deps, { scope: 'sheets', personId: eve, actor, now: at('2026-03-03T08:00:00Z') });
    await stopTimer(deps, { scope: 'sheets', personId: eve, actor, now: at('2026-03-03T09:00:00Z') });
    const first = await submitTimesheet(deps, { scope: 'sheets', personId: eve, month: '2026-03', actor });
    assert.deepEqual([first.changed, first.timesheet?.fields.state, first.timesheet?.version], [true, 'submitted', 1]);
    const again = await submitTimesheet(deps, { scope: 'sheets', personId: eve, month: '2026-03', actor });
    assert.deepEqual([again.changed, again.timesheet?.version], [false, 1], 'no new version');
    await assert.rejects(submitTimesheet(deps, { scope: 'sheets', personId: eve, month: '2026-03', absence: true, actor }), code('RESOURCE_CONFLICT'));
    const shown = await showTimesheet(deps, 'sheets', eve, '2026-03');
    assert.deepEqual([shown.state, shown.entries.length, shown.totalSeconds], ['submitted', 1, 3600]);
    const reopened = await reopenTimesheet(deps, { scope: 'sheets', personId: eve, month: '2026-03', actor });
    assert.deepEqual([reopened.changed, reopened.timesheet?.fields.state], [true, 'draft']);
    const absence = await submitTimesheet(deps, { scope: 'sheets', personId: eve, month: '2026-03', absence: true, actor });
    assert.equal(absence.timesheet?.fields.state, 'absence-submitted');
    const never = await reopenTimesheet(deps, { scope: 'sheets', personId: eve, month: '2026-04', actor });
    assert.deepEqual([never.changed, never.timesheet], [false, null]);
  });

  it('keeps any sequence of submit / reopen / lock in one of the four states, with exported final', async () => {
    const ops = fc.array(fc.constantFrom('submit', 'absence', 'reopen', 'lock'), { minLength: 1, maxLength: 8 });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(ops, async (seq) => {
        const scope = `prop-${++run}`;
        const p = await person(scope, null);
        const req = { scope, personId: p, month: '2026-05', actor };
        let exported = false;
        for (const op of seq) {
          const before = (await showTimesheet(deps, scope, p, '2026-05')).state;
          try {
            if (op === 'submit') await submitTimesheet(deps, req);
            else if (op === 'absence') await submitTimesheet(deps, { ...req, absence: true });
            else if (op === 'reopen') await reopenTimesheet(deps, req);
            else await lockMonth({ store, scope, year: 2026, month: 5, linkIds: [], origin: 'user:admin', now: at('2026-06-01T00:00:00Z') });
          } catch (err) {
            assert.ok(isTimebridgeError(err) && ['PERIOD_LOCKED', 'RESOURCE_CONFLICT'].includes(err.code), String(err));
            if (err.code === 'PERIOD_LOCKED') assert.equal(before, 'exported');
          }
          const after = (await showTimesheet(deps, scope, p, '2026-05')).state;
          assert.ok((TIMESHEET_STATES as readonly string[]).includes(after), after);
          if (exported) assert.equal(after, 'exported', `exported is final (${seq.join(', ')})`);
          if (op === 'lock' && before === 'submitted') assert.equal(after, 'exported');
          if (op === 'lock' && before !== 'submitted') assert.equal(after, before, 'a lock only exports a submitted month');
          exported = after === 'exported';
        }
      }),
      { numRuns: 40 },
    );
  });

  it('finds the links that carry a lock out by what their mapper holds, and attaches entries only where no link would see it', () => {
    const kimai = { id: 'link:k', kind: 'timeEntry', holds: ['date', 'durationSeconds', 'exported', 'extras.kimai'] };
    const google = { id: 'link:g', kind: 'timeEntry', holds: ['date', 'start', 'durationSeconds', 'extras.google'] };
    const people = { id: 'link:u', kind: 'person', holds: undefined };
    assert.deepEqual(lockCarriers([kimai, google, people]), { linkIds: ['link:k'], attach: true });
    assert.deepEqual(lockCarriers([google]), { linkIds: [], attach: true });
    // A time-entry link that models the whole record, or that very field, would see the attachment as a change.
    assert.deepEqual(lockCarriers([kimai, { id: 'link:w', kind: 'timeEntry', holds: undefined }]), { linkIds: ['link:k'], attach: false });
    assert.equal(lockCarriers([{ ...google, holds: [...google.holds, 'extras.timesheet'] }]).attach, false);
  });

  it('keeps one timer per person when starts race: each start either stops the one before or is refused as a conflict', async () => {
    const fay = await person('race', null);
    const starts = await Promise.allSettled(
      [0, 1, 2, 3, 4].map((i) => startTimer(deps, { scope: 'race', personId: fay, description: `start ${i}`, actor, now: at(`2026-03-10T08:0${i}:00Z`) })),
    );
    const refused = starts.filter((s) => s.status === 'rejected');
    for (const r of refused) assert.ok(code('RESOURCE_CONFLICT')((r as PromiseRejectedResult).reason), String((r as PromiseRejectedResult).reason));
    const made = starts.length - refused.length;
    assert.ok(made >= 1);
    assert.equal((await live('race', 'timer')).length, 1, 'one running timer');
    assert.equal((await live('race', 'timeEntry')).length, made - 1, 'each later start stopped the one before');
  });
});
