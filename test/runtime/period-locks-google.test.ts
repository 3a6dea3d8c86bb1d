/**
 * Locked periods on a pull-only link (Google Calendar import, the Google emulator): the
 * event of a locked entry moved in the calendar is refused with PERIOD_LOCKED — reported
 * once (the run is partial), skipped as parked while neither side moves (the runs are
 * ok), reported again when the event moves again — and the hub entry is never written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GoogleItem } from '../../src/connectors/google-calendar/google-types.js';
import { googleImportEntry } from '../../src/connectors/google-calendar/time-entry-mappers.js';
import type { HubRecord } from '../../src/core/model.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { runLink, type RunResult } from '../../src/runtime/run-link.js';
import type { LinkSpec, RunDeps } from '../../src/runtime/types.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { HubStore } from '../../src/store/types.js';
import { client, connector, newCalendar, startEmulator, timedEvent, type Running } from '../connectors/google-calendar/google-support.js';

let r: Running;
before(async () => {
  r = await startEmulator();
});
after(async () => {
  await r.emulator.close();
});

async function put(store: HubStore, rec: Pick<HubRecord, 'id' | 'kind' | 'fields'>, expectedVersion: number): Promise<void> {
  await store.commit({
    records: [
      { ...rec, scope: 'work', identity: null, tombstone: false, origin: 'user:test', runId: null, expectedVersion, updatedAt: new Date().toISOString() },
    ],
  });
}

describe('locked periods on a pull-only Google import link', () => {
  let store: HubStore, cal: string, eventId: string, link: LinkSpec<GoogleItem>;
  const run = (): Promise<RunResult> => runLink(link, { store, clock: () => new Date() } satisfies RunDeps, { trigger: 'test' });
  const entry = async () => (await store.listScope('work', 'timeEntry')).find((e) => e.fields.description === 'Workshop')!;
  const move = async (start: string, end: string) => {
    const c = client(r);
    const now = await c.getEvent(cal, eventId);
    await c.updateEvent(
      cal,
      eventId,
      { ...now, start: { dateTime: start, timeZone: 'Europe/Berlin' }, end: { dateTime: end, timeZone: 'Europe/Berlin' } },
      now.etag!,
    );
  };

  before(async () => {
    store = openSqliteStore(':memory:');
    cal = await newCalendar(r);
    link = {
      id: 'link:import',
      name: 'import',
      connection: 'google',
      scope: 'work',
      kind: 'timeEntry',
      window: null,
      policy: { ...DEFAULT_POLICY, direction: 'pull' },
      connector: connector(r, { calendar: cal, instances: true }),
      mapper: googleImportEntry.make(googleImportEntry.options!.parse({})),
    };
    eventId = (await client(r).insertEvent(cal, timedEvent('Workshop', '2026-03-12T10:00:00', '2026-03-12T12:00:00'))).id;
    assert.equal((await run()).run.status, 'ok');
    // The imported entry is Ann's (the import does not hold the person), and Ann's March is locked.
    const e = await entry();
    await put(store, { id: e.id, kind: 'timeEntry', fields: { ...e.fields, personId: 'p-ann' } }, e.version);
    await put(store, { id: 'ts-ann-march', kind: 'timesheet', fields: { personId: 'p-ann', month: '2026-03', state: 'exported' } }, 0);
    assert.equal((await run()).run.status, 'ok');
  });

  it('reports the moved event once with PERIOD_LOCKED, skips it while parked, reports it again when it moves again; the hub entry stays', async () => {
    const locked = await entry();
    await move('2026-03-12T14:00:00', '2026-03-12T17:00:00');
    const first = await run();
    assert.equal(first.run.status, 'partial');
    assert.deepEqual(
      first.run.errors.map((e) => e.error.code),
      ['PERIOD_LOCKED'],
    );
    const err = first.run.errors[0]!.error;
    assert.match(
      err.message,
      /^Workshop \(2026-03-12T13:00:00Z 180 min\) \(hub id .*, google id .*\) was changed in google, but 2026-03 of person p-ann is locked \(its timesheet is exported\)/,
    );
    assert.match(err.message, /change it back in google, or ask an admin to reopen the month$/);
    assert.match(err.hint ?? '', /timebridge sync --retry-parked/);
    const parked = await store.listParked('link:import');
    assert.deepEqual(
      parked.map((p) => [p.hubId, p.code, p.hubVersion]),
      [[locked.id, 'PERIOD_LOCKED', locked.version]],
    );

    const second = await run();
    assert.equal(second.run.status, 'ok', JSON.stringify(second.run.errors));
    assert.deepEqual(second.run.errors, []);
    const full = await runLink(link, { store, clock: () => new Date() }, { trigger: 'test', full: true });
    assert.equal(full.run.status, 'ok', JSON.stringify(full.run.errors));
    assert.equal(full.run.counts.parked, 1, 'a full read meets it again and skips it as parked');

    await move('2026-03-13T09:00:00', '2026-03-13T10:00:00');
    const third = await run();
    assert.equal(third.run.status, 'partial');
    assert.deepEqual(
      third.run.errors.map((e) => e.error.code),
      ['PERIOD_LOCKED'],
    );

    const now = await entry();
    assert.equal(now.version, locked.version, 'the hub entry was never written');
    assert.deepEqual(now.fields, locked.fields);
  });

  it('once the month is reopened, the change is taken in (a full read: the feed listed it before) and the park is cleared', async () => {
    const [sheet] = await store.getRecords(['ts-ann-march']);
    await put(store, { id: 'ts-ann-march', kind: 'timesheet', fields: { ...sheet!.fields, state: 'submitted' } }, sheet!.version);
    const reopened = await runLink(link, { store, clock: () => new Date() }, { trigger: 'test', full: true });
    assert.equal(reopened.run.status, 'ok', JSON.stringify(reopened.run.errors));
    assert.equal((await entry()).fields.date, '2026-03-13');
    assert.deepEqual(await store.listParked('link:import'), []);
  });
});
