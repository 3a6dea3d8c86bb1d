/**
 * Recurrence exceptions both ways, through the engine with the real connectors: an
 * .ics folder ⇄ hub ⇄ the Google emulator. An instance moved in Google (a PATCH on the
 * instance id, as Google clients do it) becomes a RECURRENCE-ID override in the file; an
 * override added in the file becomes the exception of that instance in Google; an
 * instance cancelled in Google becomes an EXDATE; an override removed from the file puts
 * the instance back in Google. Each step settles: a second run writes nothing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { googleEventMapper } from '../../../src/connectors/google-calendar/event-mapper.js';
import { DEFAULT_POLICY } from '../../../src/core/policy.js';
import type { RunResult } from '../../../src/runtime/run-link.js';
import { syncLinks } from '../../../src/runtime/sync-links.js';
import type { LinkSpec, RunDeps } from '../../../src/runtime/types.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { accessToken, client, connector, newCalendar, raw, startEmulator, type Running, folderLink } from './google-support.js';

let r: Running;
const roots: string[] = [];
before(async () => {
  r = await startEmulator();
});
after(async () => {
  await r.emulator.close();
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});

/** Actions of a run that write a system or the hub; `record` (a status row taking the read-back hash after a push) is not one. */
const writes = (results: RunResult[]): number =>
  results.reduce(
    (n, x) =>
      n +
      Object.entries(x.run.counts)
        .filter(([k]) => !['unchanged', 'skipped', 'record'].includes(k))
        .reduce((m, [, v]) => m + (v as number), 0),
    0,
  );
const planned = (x: RunResult): unknown[] => (x.run.plan as { actions?: unknown[] } | null)?.actions ?? [];
const actions = (results: RunResult[]): number => results.reduce((n, x) => n + planned(x).length, 0);

const MASTER = [
  'BEGIN:VEVENT',
  'UID:standup@test',
  'DTSTAMP:20261001T000000Z',
  'SUMMARY:Standup',
  'DTSTART;TZID=Europe/Berlin:20261102T090000',
  'DTEND;TZID=Europe/Berlin:20261102T093000',
  'RRULE:FREQ=WEEKLY;COUNT=6',
  'ORGANIZER;CN=Ada:mailto:ada@example.com',
  'ATTENDEE;CN="Babbage, Charles";PARTSTAT=ACCEPTED:mailto:charles@example.com',
  'X-TEAM-ROOM:North wing',
  'BEGIN:VALARM',
  'ACTION:DISPLAY',
  'DESCRIPTION:Standup soon',
  'TRIGGER:-PT10M',
  'END:VALARM',
  'END:VEVENT',
];
const FILE = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...MASTER, 'END:VCALENDAR', ''].join('\r\n');

/** The VEVENT blocks of a file, unfolded, each as its lines. */
function vevents(text: string): string[][] {
  const lines = text.replace(/\r\n[ \t]/g, '').split('\r\n');
  const out: string[][] = [];
  let cur: string[] | null = null;
  let depth = 0;
  for (const l of lines) {
    if (l === 'BEGIN:VEVENT') {
      cur = [];
      depth = 0;
    }
    if (cur) cur.push(l);
    if (cur && l.startsWith('BEGIN:V') && l !== 'BEGIN:VEVENT') depth++;
    if (cur && l.startsWith('END:V') && l !== 'END:VEVENT') depth--;
    if (cur && l === 'END:VEVENT' && depth === 0) {
      out.push(cur);
      cur = null;
    }
  }
  return out;
}

const isOverride = (ev: string[]) => ev.some((l) => l.startsWith('RECURRENCE-ID'));

describe('recurrence exceptions between an .ics folder and Google', () => {
  it('moves, adds, cancels and removes instances both ways, keeping the master and its other lines, with no ping-pong', async () => {
    const cal = await newCalendar(r);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-recur-'));
    roots.push(dir);
    const file = path.join(dir, 'standup.ics');
    fs.writeFileSync(file, FILE);
    const d: RunDeps = { store: openSqliteStore(':memory:'), clock: () => new Date() };
    const links: LinkSpec[] = [
      folderLink(dir),
      {
        id: 'link:google',
        name: 'google',
        scope: 'team',
        kind: 'event',
        window: null,
        policy: DEFAULT_POLICY,
        mapper: googleEventMapper,
        connector: connector(r, { calendar: cal }),
      } as LinkSpec,
    ];
    const run = async (what: string) => {
      const res = await syncLinks(links, d, { trigger: 'test' });
      assert.ok(
        res.every((x) => x.run.status === 'ok'),
        `${what}: ${JSON.stringify(res.map((x) => x.run.errors))}`,
      );
      const again = await syncLinks(links, d, { trigger: 'test' });
      assert.equal(writes(again), 0, `${what}: a second run writes nothing: ${JSON.stringify(again.map(planned))}`);
      const third = await syncLinks(links, d, { trigger: 'test' });
      assert.equal(actions(third), 0, `${what}: a third run has nothing to do: ${JSON.stringify(third.map(planned))}`);
    };
    await run('first sync');
    const g = client(r);
    const series = (await g.listEvents(cal, { q: 'Standup' })).items.find((e) => e.recurrence)!;
    assert.ok(series, 'the series reached Google');

    // 1. Move the 2nd instance (9 Nov, 09:00 Berlin = 08:00Z) in Google with a PATCH on the instance.
    const token = await accessToken(r);
    const second = `${series.id}_20261109T080000Z`;
    const patched = await raw(r, 'PATCH', `/calendar/v3/calendars/${encodeURIComponent(cal)}/events/${second}`, {
      token,
      body: {
        start: { dateTime: '2026-11-09T11:00:00+01:00', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2026-11-09T11:45:00+01:00', timeZone: 'Europe/Berlin' },
      },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.recurringEventId, series.id);
    const masterBefore = vevents(fs.readFileSync(file, 'utf8')).find((e) => !isOverride(e))!;
    await run('instance moved in Google');
    let text = fs.readFileSync(file, 'utf8');
    const events = vevents(text);
    assert.deepEqual(
      events.find((e) => !isOverride(e)),
      masterBefore,
      'the master VEVENT is untouched, line for line',
    );
    const moved = events.find((e) => e.includes('RECURRENCE-ID;TZID=Europe/Berlin:20261109T090000'));
    assert.ok(moved, `the file has the override of 9 Nov:\n${text}`);
    assert.ok(moved.includes('DTSTART;TZID=Europe/Berlin:20261109T110000') && moved.includes('DTEND;TZID=Europe/Berlin:20261109T114500'), moved.join('\n'));

    // 2. Move the 3rd instance in the file and rename it.
    const added = [
      'BEGIN:VEVENT',
      'UID:standup@test',
      'DTSTAMP:20261001T000000Z',
      'RECURRENCE-ID;TZID=Europe/Berlin:20261116T090000',
      'DTSTART;TZID=Europe/Berlin:20261116T140000',
      'DTEND;TZID=Europe/Berlin:20261116T143000',
      'SUMMARY:Standup (afternoon)',
      'X-OVERRIDE-NOTE:only in the file',
      'END:VEVENT',
    ];
    text = text.replace('END:VCALENDAR', `${added.join('\r\n')}\r\nEND:VCALENDAR`);
    fs.writeFileSync(file, text);
    await run('override added in the file');
    const third = await g.getEvent(cal, `${series.id}_20261116T080000Z`);
    assert.equal(third.summary, 'Standup (afternoon)');
    assert.equal(third.recurringEventId, series.id);
    assert.equal(Date.parse(third.start!.dateTime!), Date.parse('2026-11-16T13:00:00Z'));
    assert.equal(Date.parse(third.end!.dateTime!), Date.parse('2026-11-16T13:30:00Z'));
    assert.equal(Date.parse((await g.getEvent(cal, second)).start!.dateTime!), Date.parse('2026-11-09T10:00:00Z'), 'the Google move stays');
    assert.ok(fs.readFileSync(file, 'utf8').includes('X-OVERRIDE-NOTE:only in the file'), 'the override keeps its own lines');

    // 3. Cancel the 4th instance in Google.
    const fourth = await g.getEvent(cal, `${series.id}_20261123T080000Z`);
    await g.deleteEvent(cal, fourth.id, fourth.etag!);
    await run('instance cancelled in Google');
    text = fs.readFileSync(file, 'utf8');
    assert.match(text.replace(/\r\n[ \t]/g, ''), /EXDATE;TZID=Europe\/Berlin:20261123T090000/);
    assert.equal(vevents(text).filter(isOverride).length, 2, 'both overrides kept');

    // 4. Remove the 9 Nov override in the file: Google shows that instance at its series time again.
    text = vevents(text)
      .filter((e) => !e.includes('RECURRENCE-ID;TZID=Europe/Berlin:20261109T090000'))
      .map((e) => e.join('\r\n'))
      .join('\r\n');
    fs.writeFileSync(file, ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', text, 'END:VCALENDAR', ''].join('\r\n'));
    await run('override removed in the file');
    const back = await g.getEvent(cal, second);
    assert.equal(back.status, 'confirmed');
    assert.equal(Date.parse(back.start!.dateTime!), Date.parse('2026-11-09T08:00:00Z'), 'the instance is back at 09:00 Berlin');
    assert.equal(vevents(fs.readFileSync(file, 'utf8')).filter(isOverride).length, 1, 'the file keeps only the 16 Nov override');
  });
});
