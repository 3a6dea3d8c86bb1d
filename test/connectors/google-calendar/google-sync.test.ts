/**
 * Calendar sync through the hub with Google on one side: Google ⇄ hub ⇄ a real Radicale
 * (two-way, all-day and recurring events, converging without ping-pong), a stale sync
 * token mid-life (full relisting, no duplicate, no loss), and 20 % of API calls answered
 * 403 rateLimitExceeded, converging over repeated runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCaldavConnector } from '../../../src/connectors/caldav/caldav-connector.js';
import { googleEventMapper } from '../../../src/connectors/google-calendar/event-mapper.js';
import type { GoogleItem } from '../../../src/connectors/google-calendar/google-types.js';
import { icsEventMapper } from '../../../src/connectors/kit/icalendar/ical-event-mapper.js';
import { isItemFailure, type Connector } from '../../../src/connectors/kit/connector.js';
import { isTimebridgeError } from '../../../src/core/errors.js';
import { DEFAULT_POLICY } from '../../../src/core/policy.js';
import type { RunResult } from '../../../src/runtime/run-link.js';
import { syncLinks } from '../../../src/runtime/sync-links.js';
import type { LinkSpec, RunDeps } from '../../../src/runtime/types.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { needsRadicale, startRadicale, type Radicale } from '../../support/radicale.js';
import { client, connector, newCalendar, raw, startEmulator, type Running, folderLink } from './google-support.js';

let r: Running;
const roots: string[] = [];
before(async () => {
  r = await startEmulator();
});
after(async () => {
  await r.emulator.close();
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});

function ics(uid: string, summary: string, lines: string[]): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261001T000000Z',
    `SUMMARY:${summary}`,
    ...lines,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

const googleLink = (cal: string, c?: Connector<GoogleItem>): LinkSpec<GoogleItem> => ({
  id: 'link:google',
  name: 'google',
  scope: 'team',
  kind: 'event',
  window: null,
  policy: DEFAULT_POLICY,
  mapper: googleEventMapper,
  connector: c ?? connector(r, { calendar: cal }),
});

/**
 * The writes were read back and none lost anything: Google's and Radicale's own forms of
 * what they stored are no loss. Radicale's writes are all checked; a Google write of a
 * zoned time is sent as wall time plus zone, a form the mapper does not read, so it may
 * go unchecked (counted), never reported as a loss.
 */
function checkedWithoutLoss(results: RunResult[], what: string): void {
  assert.deepEqual(
    results.flatMap((x) => x.run.warnings).filter((w) => w.code === 'WRITE_LOSS'),
    [],
    `${what}: no write loss`,
  );
  for (const link of ['link:google', 'link:radicale']) {
    const counts = results.filter((x) => x.run.linkId === link).map((x) => x.run.counts);
    const written = counts.reduce((n, c) => n + (c['push-create'] ?? 0) + (c['push-update'] ?? 0), 0);
    if (written)
      assert.ok(
        counts.some((c) => (c['readBack'] ?? 0) > 0),
        `${what}: the writes of ${link} were read back`,
      );
  }
  assert.deepEqual(
    results.filter((x) => x.run.linkId === 'link:radicale' && x.run.counts['readBackUnchecked']).length,
    0,
    `${what}: every Radicale write was checked`,
  );
}

function deps(): RunDeps {
  return { store: openSqliteStore(':memory:'), clock: () => new Date() };
}

const writes = (results: RunResult[]): number =>
  results.reduce(
    (n, x) =>
      n +
      Object.entries(x.run.counts)
        .filter(([k]) => !['unchanged', 'skipped'].includes(k))
        .reduce((m, [, v]) => m + (v as number), 0),
    0,
  );

/** summary by hub uid of the live events of a Google calendar (series, not instances). */
async function googleEvents(cal: string): Promise<Map<string, string>> {
  const c = connector(r, { calendar: cal });
  const l = await c.list({ cursor: null, window: null });
  const out = new Map<string, string>();
  for (const g of await c.get(l.refs.map((x) => x.id))) {
    assert.ok(!isItemFailure(g));
    const m = googleEventMapper.toHub(g.data, { now: new Date(), link: 't' });
    assert.ok(m.ok);
    assert.ok(!out.has(m.value.fields['uid'] as string), 'no uid twice');
    out.set(m.value.fields['uid'] as string, m.value.fields['summary'] as string);
  }
  return out;
}

function folderEvents(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ics'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/\r\n[ \t]/g, '');
    const uid = /^UID:(.*)$/m.exec(text)![1]!.trim();
    assert.ok(!out.has(uid), `uid ${uid} twice in the folder`);
    out.set(uid, /^SUMMARY:(.*)$/m.exec(text)?.[1]?.trim() ?? '');
  }
  return out;
}

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-google-sync-'));
  roots.push(d);
  return d;
}

describe('Google ⇄ hub ⇄ Radicale', needsRadicale(), () => {
  let rad: Radicale;
  before(async () => {
    rad = await startRadicale();
  });
  after(async () => {
    await rad?.stop();
  });

  it('syncs both ways — timed, all-day, a series with a cancelled instance — and settles without ping-pong', async () => {
    const cal = await newCalendar(r);
    const dav = createCaldavConnector({
      url: rad.url,
      auth: { type: 'basic', username: 'alice', password: 'secret' },
      calendar: 'g-sync',
      create: true,
      displayName: null,
      batchSize: 100,
      timeoutMs: 15_000,
    });
    await dav.create(ics('dav-zoned@test', 'Dentist', ['DTSTART;TZID=Europe/Berlin:20261105T083000', 'DTEND;TZID=Europe/Berlin:20261105T093000']), {
      hubId: 'x1',
      key: 'k',
    });
    await dav.create(ics('dav-trip@test', 'Trip', ['DTSTART;VALUE=DATE:20261120', 'DTEND;VALUE=DATE:20261123']), { hubId: 'x2', key: 'k' });
    const g = client(r);
    await g.insertEvent(cal, {
      id: undefined as unknown as string,
      summary: 'Review',
      start: { dateTime: '2026-11-06T14:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-06T15:00:00', timeZone: 'Europe/Berlin' },
    });
    const series = await g.insertEvent(cal, {
      id: undefined as unknown as string,
      summary: 'Weekly',
      start: { dateTime: '2026-11-02T09:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-02T09:30:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4'],
    });
    await g.deleteEvent(cal, `${series.id}_20261109T080000Z`, series.etag!);
    await g.insertEvent(cal, { id: undefined as unknown as string, summary: 'Offsite', start: { date: '2026-11-25' }, end: { date: '2026-11-27' } });

    const d = deps();
    const links: LinkSpec[] = [
      googleLink(cal) as LinkSpec,
      {
        id: 'link:radicale',
        name: 'radicale',
        scope: 'team',
        kind: 'event',
        window: null,
        policy: DEFAULT_POLICY,
        mapper: icsEventMapper,
        connector: dav,
      } as LinkSpec,
    ];
    const first = await syncLinks(links, d, { trigger: 'test' });
    assert.ok(
      first.every((x) => x.run.status === 'ok'),
      JSON.stringify(first.map((x) => x.run.errors)),
    );
    checkedWithoutLoss(first, 'first sync');
    const listing = await dav.list({ cursor: null, window: null });
    const texts = (await dav.get(listing.refs.map((x) => x.id))).map((x) => (isItemFailure(x) ? '' : x.data.replace(/\r\n[ \t]/g, '')));
    assert.equal(texts.length, 5);
    const weekly = texts.find((t) => t.includes('SUMMARY:Weekly'))!;
    assert.match(weekly, /RRULE:FREQ=WEEKLY;COUNT=4/);
    assert.match(weekly, /EXDATE;TZID=Europe\/Berlin:20261109T090000/, 'the cancelled instance is an EXDATE in CalDAV');
    assert.match(
      texts.find((t) => t.includes('SUMMARY:Offsite'))!,
      /DTEND;VALUE=DATE:20261127/,
    );
    const inGoogle = await googleEvents(cal);
    assert.deepEqual([...inGoogle.values()].sort(), ['Dentist', 'Offsite', 'Review', 'Trip', 'Weekly']);
    assert.ok(inGoogle.has('dav-zoned@test'), 'the CalDAV UID survives in Google');

    assert.equal(writes(await syncLinks(links, d, { trigger: 'test' })), 0, 'a second sync writes nothing');

    // Edits on both sides and a deletion in Radicale.
    const review = (await g.listEvents(cal, { q: 'Review' })).items[0]!;
    await g.updateEvent(cal, review.id, { ...review, summary: 'Review (moved)' }, review.etag!);
    const dentist = (await dav.get(listing.refs.map((x) => x.id))).find((x) => !isItemFailure(x) && x.data.includes('Dentist'))!;
    assert.ok(!isItemFailure(dentist));
    await dav.update(dentist.id, dentist.data.replace('SUMMARY:Dentist', 'SUMMARY:Dentist\r\nLOCATION:Main St 1'), dentist.etag);
    const trip = (await dav.get(listing.refs.map((x) => x.id))).find((x) => !isItemFailure(x) && x.data.includes('SUMMARY:Trip'))!;
    assert.ok(!isItemFailure(trip));
    await dav.delete(trip.id, trip.etag);
    const third = await syncLinks(links, d, { trigger: 'test' });
    assert.ok(
      third.every((x) => x.run.status === 'ok'),
      JSON.stringify(third.map((x) => x.run.errors)),
    );
    checkedWithoutLoss(third, 'sync of the edits');
    assert.deepEqual([...(await googleEvents(cal)).values()].sort(), ['Dentist', 'Offsite', 'Review (moved)', 'Weekly']);
    const located = (await g.listEvents(cal, { q: 'Dentist' })).items[0]!;
    assert.equal(located.location, 'Main St 1');
    const davTexts = (await dav.get((await dav.list({ cursor: null, window: null })).refs.map((x) => x.id))).map((x) => (isItemFailure(x) ? '' : x.data));
    assert.ok(davTexts.some((t) => t.includes('SUMMARY:Review (moved)')));
    assert.equal(writes(await syncLinks(links, d, { trigger: 'test' })), 0, 'settled again');
  });
});

describe('Google ⇄ hub ⇄ .ics folder under faults', () => {
  it('a stale sync token mid-life relists in full: no duplicate, no loss, deletions seen', async () => {
    const cal = await newCalendar(r);
    const dir = tempDir();
    for (let i = 1; i <= 4; i++)
      fs.writeFileSync(path.join(dir, `f${i}.ics`), ics(`f${i}@test`, `Folder ${i}`, [`DTSTART:2026110${i}T100000Z`, `DTEND:2026110${i}T110000Z`]));
    const d = deps();
    const links: LinkSpec[] = [folderLink(dir), googleLink(cal) as LinkSpec];
    await syncLinks(links, d, { trigger: 'test' });
    assert.equal((await googleEvents(cal)).size, 4);
    const g = client(r);
    await g.insertEvent(cal, {
      id: undefined as unknown as string,
      summary: 'From Google',
      start: { dateTime: '2026-11-08T10:00:00Z', timeZone: 'UTC' },
      end: { dateTime: '2026-11-08T11:00:00Z', timeZone: 'UTC' },
    });
    const victim = (await g.listEvents(cal, { q: 'Folder 2' })).items[0]!;
    await g.deleteEvent(cal, victim.id, victim.etag!);
    await raw(r, 'POST', '/_emulator/google/invalidate-sync-tokens');
    const results = await syncLinks(links, d, { trigger: 'test' });
    assert.ok(
      results.every((x) => x.run.status === 'ok'),
      JSON.stringify(results.map((x) => x.run.errors)),
    );
    assert.deepEqual([...folderEvents(dir).values()].sort(), ['Folder 1', 'Folder 3', 'Folder 4', 'From Google']);
    assert.deepEqual([...(await googleEvents(cal)).values()].sort(), ['Folder 1', 'Folder 3', 'Folder 4', 'From Google']);
    assert.equal(writes(await syncLinks(links, d, { trigger: 'test' })), 0);
  });

  it('a read-back that fails leaves the writes standing and unchecked (counted); the next run neither duplicates nor rewrites them', async () => {
    const cal = await newCalendar(r);
    const dir = tempDir();
    for (let i = 1; i <= 3; i++)
      fs.writeFileSync(path.join(dir, `rb${i}.ics`), ics(`rb${i}@test`, `Read back ${i}`, [`DTSTART:2026111${i}T100000Z`, `DTEND:2026111${i}T110000Z`]));
    const d = deps();
    const links: LinkSpec[] = [folderLink(dir), googleLink(cal) as LinkSpec];
    // Every read of one event by id fails (503, past the client's retries): only the read-back reads events by id here.
    r.emulator.inject({ method: 'GET', path: '^/calendar/v3/calendars/[^/]+/events/[^/]+$', status: 503 });
    let first: RunResult[];
    try {
      first = await syncLinks(links, d, { trigger: 'test' });
    } finally {
      await raw(r, 'DELETE', '/_emulator/faults');
    }
    const google = first.find((x) => x.run.linkId === 'link:google')!.run;
    assert.equal(google.status, 'ok', JSON.stringify(google.errors));
    assert.deepEqual({ created: google.counts['push-create'], unchecked: google.counts['readBackUnchecked'] }, { created: 3, unchecked: 3 });
    assert.ok((google.counts['readBack'] ?? 0) >= 1);
    assert.deepEqual([...(await googleEvents(cal)).values()].sort(), ['Read back 1', 'Read back 2', 'Read back 3']);
    assert.equal(writes(await syncLinks(links, d, { trigger: 'test' })), 0, 'the unchecked writes are agreed: nothing to redo');
    assert.equal((await googleEvents(cal)).size, 3, 'no duplicate');
  });

  it('an edit in Google keeps what only the .ics file holds: alarms, attendees, organizer, X- properties', async () => {
    const cal = await newCalendar(r);
    const dir = tempDir();
    const rich = ics('rich@test', 'Board meeting', [
      'DTSTART;TZID=Europe/Berlin:20261110T100000',
      'DTEND;TZID=Europe/Berlin:20261110T120000',
      'ORGANIZER;CN=Ada Lovelace:mailto:ada@example.com',
      'ATTENDEE;CN=Charles Babbage;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:charles@example.com',
      'X-MOZ-LASTACK:20261101T000000Z',
      'X-TEAM-ROOM:North wing',
      'BEGIN:VALARM',
      'ACTION:DISPLAY',
      'DESCRIPTION:Reminder',
      'TRIGGER:-PT15M',
      'END:VALARM',
    ]);
    fs.writeFileSync(path.join(dir, 'rich.ics'), rich);
    const d = deps();
    const links: LinkSpec[] = [folderLink(dir), googleLink(cal) as LinkSpec];
    await syncLinks(links, d, { trigger: 'test' });
    const g = client(r);
    const ev = (await g.listEvents(cal, { q: 'Board meeting' })).items[0]!;
    await g.updateEvent(cal, ev.id, { ...ev, summary: 'Board meeting (moved room)' }, ev.etag!);
    const results = await syncLinks(links, d, { trigger: 'test' });
    assert.ok(
      results.every((x) => x.run.status === 'ok'),
      JSON.stringify(results.map((x) => x.run.errors)),
    );
    const text = fs.readFileSync(path.join(dir, 'rich.ics'), 'utf8').replace(/\r\n[ \t]/g, '');
    assert.match(text, /^SUMMARY:Board meeting \(moved room\)\r$/m, 'the Google edit reached the file');
    for (const kept of [
      'ORGANIZER;CN=Ada Lovelace:mailto:ada@example.com',
      'ATTENDEE;CN=Charles Babbage;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:charles@example.com',
      'X-MOZ-LASTACK:20261101T000000Z',
      'X-TEAM-ROOM:North wing',
      'BEGIN:VALARM',
      'TRIGGER:-PT15M',
    ]) {
      assert.ok(text.includes(kept), `the file lost ${kept}:\n${text}`);
    }
    assert.equal(writes(await syncLinks(links, d, { trigger: 'test' })), 0, 'settled: no ping-pong');
  });

  it('with 20 % of API calls answered 403 rateLimitExceeded, the first run syncs everything (retried within it), the second finds nothing to do', async () => {
    const cal = await newCalendar(r);
    const dir = tempDir();
    for (let i = 1; i <= 25; i++)
      fs.writeFileSync(
        path.join(dir, `e${i}.ics`),
        ics(`e${i}@test`, `Event ${i}`, [`DTSTART:202612${String(i).padStart(2, '0')}T100000Z`, `DTEND:202612${String(i).padStart(2, '0')}T110000Z`]),
      );
    const d = deps();
    const links: LinkSpec[] = [folderLink(dir), googleLink(cal) as LinkSpec];
    r.emulator.inject({ path: '^/calendar/v3/', status: 403, rate: 0.2 });
    let limited = 0,
      runs = 0,
      settled = false,
      fired = 0;
    try {
      for (; runs < 30 && !settled; runs++) {
        try {
          const res = await syncLinks(links, d, { trigger: 'test' });
          limited += res.flatMap((x) => x.run.errors).filter((e) => e.error.kind === 'rate_limited').length;
          settled = res.every((x) => x.run.status === 'ok') && writes(res) === 0;
        } catch (err) {
          assert.ok(isTimebridgeError(err) && err.kind === 'rate_limited', `only rate limits may stop a run: ${String(err)}`);
          limited++;
        }
      }
    } finally {
      fired = r.emulator.faults.list()[0]?.fired ?? 0;
      await raw(r, 'DELETE', '/_emulator/faults');
    }
    assert.ok(settled, `converged within ${runs} runs`);
    assert.equal(runs, 2, 'one run that writes, one that proves there is nothing left');
    assert.equal(limited, 0, 'no rate limit reached a run: each was retried');
    assert.ok(fired > 0, 'the faults were hit');
    const inGoogle = await googleEvents(cal);
    assert.equal(inGoogle.size, 25, 'no duplicate, no loss');
    assert.deepEqual([...inGoogle.keys()].sort(), [...folderEvents(dir).keys()].sort());
  });
});
