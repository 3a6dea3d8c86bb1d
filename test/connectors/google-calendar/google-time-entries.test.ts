/**
 * Google Calendar ⇄ time entries through the hub with the real engine: an export link
 * and an import link on the same calendar (no ping-pong: exports are not imported back,
 * imports are not exported), edits and deletions in the calendar reaching the imported
 * entries, hub edits and deletions reaching the exported events, duration rounding.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { GoogleItem } from '../../../src/connectors/google-calendar/google-types.js';
import {
  googleExportEntry,
  googleImportEntry,
  roundSeconds,
  type ExportOptions,
  type ImportOptions,
} from '../../../src/connectors/google-calendar/time-entry-mappers.js';
import type { TimeEntryFields } from '../../../src/core/fields/time-entry.js';
import type { Fields } from '../../../src/core/model.js';
import { DEFAULT_POLICY, type LinkPolicy } from '../../../src/core/policy.js';
import type { RunResult } from '../../../src/runtime/run-link.js';
import { syncLinks } from '../../../src/runtime/sync-links.js';
import type { LinkSpec, RunDeps } from '../../../src/runtime/types.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { HubStore } from '../../../src/store/types.js';
import { client, connector, newCalendar, startEmulator, type Running } from './google-support.js';

let r: Running;
before(async () => {
  r = await startEmulator();
});
after(async () => {
  await r.emulator.close();
});

function entry(description: string, start: string, minutes: number): TimeEntryFields {
  return {
    date: start.slice(0, 10),
    start,
    durationSeconds: minutes * 60,
    timeZone: 'Europe/Berlin',
    description,
    personId: null,
    projectId: 'p-1',
    activityId: null,
    taskId: null,
    billable: true,
    tags: ['dev'],
  };
}

async function putEntry(store: HubStore, id: string, fields: TimeEntryFields, version = 0, tombstone = false): Promise<void> {
  await store.commit({
    records: [
      {
        id,
        kind: 'timeEntry',
        scope: 'work',
        fields: fields as unknown as Fields,
        identity: null,
        tombstone,
        origin: 'test',
        runId: null,
        expectedVersion: version,
        updatedAt: new Date().toISOString(),
      },
    ],
  });
}

async function live(store: HubStore): Promise<Map<string, TimeEntryFields & { version: number }>> {
  const out = new Map<string, TimeEntryFields & { version: number }>();
  for (const rec of await store.listScope('work', 'timeEntry'))
    if (!rec.tombstone) out.set(rec.id, { ...(rec.fields as unknown as TimeEntryFields), version: rec.version });
  return out;
}

interface Setup {
  cal: string;
  store: HubStore;
  links: LinkSpec<GoogleItem>[];
  sync(): Promise<RunResult[]>;
}

function setup(cal: string, o: { importOptions?: Partial<ImportOptions>; exportOptions?: Partial<ExportOptions> } = {}): Setup {
  const store = openSqliteStore(':memory:');
  const policy = (p: Partial<LinkPolicy>): LinkPolicy => ({ ...DEFAULT_POLICY, ...p });
  const links: LinkSpec<GoogleItem>[] = [
    {
      id: 'link:export',
      name: 'export',
      scope: 'work',
      kind: 'timeEntry',
      window: null,
      policy: policy({ direction: 'both' }),
      connector: connector(r, { calendar: cal }),
      mapper: googleExportEntry.make(googleExportEntry.options!.parse(o.exportOptions ?? {})),
    },
    {
      id: 'link:import',
      name: 'import',
      scope: 'work',
      kind: 'timeEntry',
      window: null,
      policy: policy({ direction: 'pull' }),
      connector: connector(r, { calendar: cal, instances: true }),
      mapper: googleImportEntry.make(googleImportEntry.options!.parse(o.importOptions ?? {})),
    },
  ];
  const deps: RunDeps = { store, clock: () => new Date() };
  return { cal, store, links, sync: () => syncLinks(links, deps, { trigger: 'test' }) };
}

const writes = (results: RunResult[]): number =>
  results.reduce(
    (n, x) =>
      n +
      Object.entries(x.run.counts)
        .filter(([k]) => k !== 'unchanged' && k !== 'skipped')
        .reduce((m, [, v]) => m + (v as number), 0),
    0,
  );

describe('google time entries through the hub', () => {
  it('exports and imports on one calendar without ping-pong; calendar edits and deletions reach the imported entries', async () => {
    const cal = await newCalendar(r);
    const c = client(r);
    const meeting = await c.insertEvent(cal, {
      id: undefined as unknown as string,
      summary: 'Client call',
      start: { dateTime: '2026-11-10T10:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-10T10:50:00', timeZone: 'Europe/Berlin' },
    });
    await c.insertEvent(cal, { id: undefined as unknown as string, summary: 'Holiday', start: { date: '2026-11-11' }, end: { date: '2026-11-12' } });
    await c.insertEvent(cal, {
      id: undefined as unknown as string,
      summary: 'Stand-up',
      start: { dateTime: '2026-11-02T09:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-02T09:15:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=DAILY;COUNT=3'],
    });
    const s = setup(cal, { importOptions: { rounding: { minutes: 15, mode: 'up' } } });
    const a = randomUUID(),
      b = randomUUID();
    await putEntry(s.store, a, entry('Fix login bug', '2026-11-03T08:00:00Z', 90));
    await putEntry(s.store, b, entry('Code review', '2026-11-04T13:00:00Z', 30));

    const first = await s.sync();
    assert.ok(
      first.every((x) => x.run.status === 'ok'),
      JSON.stringify(first.map((x) => x.run.errors)),
    );
    const events = (await c.listEvents(cal, { singleEvents: 'true' })).items;
    const exported = events.filter((e) => e.summary?.startsWith('[TB] '));
    assert.deepEqual(exported.map((e) => e.summary).sort(), ['[TB] Code review', '[TB] Fix login bug']);
    assert.equal(events.length, 2 + 1 + 1 + 3, 'the two exports, the call, the holiday and three stand-ups: no imported entry was exported');
    const hub = await live(s.store);
    const imported = [...hub.values()].filter((e) => (e.extras?.['google'] as { import?: string } | undefined)?.import);
    assert.deepEqual(
      imported.map((e) => [e.description, e.durationSeconds, e.date]).sort(),
      [
        ['Client call', 3600, '2026-11-10'],
        ['Stand-up', 900, '2026-11-02'],
        ['Stand-up', 900, '2026-11-03'],
        ['Stand-up', 900, '2026-11-04'],
      ],
      'timed events and instances, 50 min rounded up to 60; no all-day event, no export read back',
    );
    assert.equal(hub.size, 6);

    const quiet = await s.sync();
    assert.equal(writes(quiet), 0, `a second sync writes nothing: ${JSON.stringify(quiet.map((x) => x.run.counts))}`);

    // Another client moves the call's end; then deletes it.
    const current = await c.getEvent(cal, meeting.id);
    await c.updateEvent(cal, meeting.id, { ...current, end: { dateTime: '2026-11-10T11:20:00', timeZone: 'Europe/Berlin' } }, current.etag!);
    await s.sync();
    assert.equal([...(await live(s.store)).values()].find((e) => e.description === 'Client call')?.durationSeconds, 5400);
    await c.deleteEvent(cal, meeting.id, (await c.getEvent(cal, meeting.id)).etag!);
    await s.sync();
    assert.equal(
      [...(await live(s.store)).values()].find((e) => e.description === 'Client call'),
      undefined,
      "the deleted event's entry is gone",
    );
    assert.equal((await live(s.store)).size, 5);

    // Hub edits and deletions reach the exported events.
    const rec = (await live(s.store)).get(a)!;
    const { version, ...fields } = rec;
    await putEntry(s.store, a, { ...fields, description: 'Fix login bug (SSO)' }, version);
    const bRec = (await live(s.store)).get(b)!;
    const { version: bv, ...bFields } = bRec;
    await putEntry(s.store, b, bFields, bv, true);
    const third = await s.sync();
    assert.ok(
      third.every((x) => x.run.status === 'ok'),
      JSON.stringify(third.map((x) => x.run.errors)),
    );
    const after = (await c.listEvents(cal, { singleEvents: 'true' })).items.filter((e) => e.summary?.startsWith('[TB] '));
    assert.deepEqual(
      after.map((e) => e.summary),
      ['[TB] Fix login bug (SSO)'],
    );
    assert.equal(writes(await s.sync()), 0, 'and it settles');
  });

  it('rounds durations per link: 1/5/10/15/30/60 minutes, nearest, up or down', () => {
    assert.equal(roundSeconds(52 * 60, { minutes: 15, mode: 'nearest' }), 45 * 60);
    assert.equal(roundSeconds(53 * 60, { minutes: 15, mode: 'nearest' }), 60 * 60);
    assert.equal(roundSeconds(61 * 60, { minutes: 30, mode: 'up' }), 90 * 60);
    assert.equal(roundSeconds(89 * 60, { minutes: 60, mode: 'down' }), 60 * 60);
    assert.equal(roundSeconds(301, { minutes: 5, mode: 'down' }), 300);
    assert.throws(() => googleImportEntry.options!.parse({ rounding: { minutes: 7 } }));
  });

  it('a failed export is retried (an insert with our own id is safe to repeat) and lands once', async () => {
    const cal = await newCalendar(r);
    const s = setup(cal);
    await putEntry(s.store, randomUUID(), entry('Retry me', '2026-11-05T08:00:00Z', 60));
    r.emulator.inject({ method: 'POST', path: '/events$', status: 503, times: 1 });
    const first = await s.sync();
    assert.equal(first[0]!.run.status, 'ok', 'retried within the run');
    r.emulator.inject({ method: 'POST', path: '/events$', status: 503, times: 6 });
    await putEntry(s.store, randomUUID(), entry('Retry me too', '2026-11-06T08:00:00Z', 60));
    assert.equal((await s.sync())[0]!.run.status, 'partial', 'six 503s in a row: the next run tries again');
    await s.sync();
    const events = (await client(r).listEvents(cal, {})).items;
    assert.deepEqual(events.map((e) => e.summary).sort(), ['[TB] Retry me', '[TB] Retry me too']);
  });
});
