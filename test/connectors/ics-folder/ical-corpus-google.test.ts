/**
 * The fidelity corpus through Google: folder → hub → the Google emulator, and from Google
 * through a second hub into an empty folder, so the copy holds only what Google carried.
 * The copy is compared with the source by the oracle on what the Google mapper holds
 * (the event's structured fields and its overrides'); whatever differs there must be a
 * named loss of the Google column of the table. Everything else of the source (alarms,
 * attendees, organizer, X- and IANA properties, VTIMEZONEs, an override's other lines) is
 * not Google's: it stays in the hub and in the source file, which an edit made in Google
 * must leave as it was but for that edit.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { googleEventMapper } from '../../../src/connectors/google-calendar/event-mapper.js';
import type { GoogleItem } from '../../../src/connectors/google-calendar/google-types.js';
import { createIcsFolderConnector } from '../../../src/connectors/ics-folder/folder-connector.js';
import { icsEventMapper } from '../../../src/connectors/kit/icalendar/ical-event-mapper.js';
import { DEFAULT_POLICY } from '../../../src/core/policy.js';
import type { RunResult } from '../../../src/runtime/run-link.js';
import { syncLinks } from '../../../src/runtime/sync-links.js';
import type { LinkSpec, RunDeps } from '../../../src/runtime/types.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { client, connector, newCalendar, startEmulator, type Running } from '../google-calendar/google-support.js';
import { CORPUS, corpusBytes, corpusText, type CorpusEntry, type Loss } from './ical-corpus.js';
import { diffFacts, factsOf, masterValue } from './ical-oracle.js';

/** Properties the Google mapper holds, of the master VEVENT and of each override. */
const HELD = /^VCALENDAR\/VEVENT(\[[^\]]*\])? \| (UID|SUMMARY|DESCRIPTION|LOCATION|STATUS|TRANSP|DTSTART|DTEND|DURATION|RRULE|EXDATE|RDATE|RECURRENCE-ID)[;:]/;
const held = (text: string, ignore: string[] = []) => factsOf(text, ignore).filter((f) => HELD.test(f));

const files = (dir: string, uid: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ics'))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .filter((t) => t.replace(/\r?\n[ \t]/g, '').includes(`UID:${uid}`));

const folderLink = (name: string, dir: string): LinkSpec =>
  ({
    id: `link:${name}`,
    name,
    scope: 'team',
    kind: 'event',
    window: null,
    policy: DEFAULT_POLICY,
    mapper: icsEventMapper,
    connector: createIcsFolderConnector({ path: dir, create: true }),
  }) as LinkSpec;
const writes = (results: RunResult[]): number =>
  results.reduce(
    (n, x) =>
      n +
      Object.entries(x.run.counts)
        .filter(([k]) => !['unchanged', 'skipped', 'record'].includes(k))
        .reduce((m, [, v]) => m + (v as number), 0),
    0,
  );

let r: Running;
const roots: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-corpus-google-'));
  roots.push(d);
  return d;
};

describe('corpus: folder → hub → Google → hub → folder', () => {
  const src = tempDir(),
    copy = tempDir();
  let cal = '';
  const runs: RunResult[][] = [];
  let settled = -1;
  const googleLink = (): LinkSpec =>
    ({
      id: 'link:google',
      name: 'google',
      scope: 'team',
      kind: 'event',
      window: null,
      policy: DEFAULT_POLICY,
      mapper: googleEventMapper,
      connector: connector(r, { calendar: cal }),
    }) as LinkSpec<GoogleItem> as LinkSpec;
  before(async () => {
    r = await startEmulator();
    cal = await newCalendar(r);
    for (const e of CORPUS) fs.writeFileSync(path.join(src, e.file), corpusBytes(e));
    const one: RunDeps = { store: openSqliteStore(':memory:'), clock: () => new Date() };
    const two: RunDeps = { store: openSqliteStore(':memory:'), clock: () => new Date() };
    const srcLinks = [folderLink('src', src), googleLink()];
    runs.push(await syncLinks(srcLinks, one, { trigger: 'test' }));
    runs.push(await syncLinks([googleLink(), folderLink('copy', copy)], two, { trigger: 'test' }));
    // An edit in Google: every event renamed there, as another Google client would.
    const g = client(r);
    for (const ev of (await g.listEvents(cal, {})).items.filter((x) => !x.recurringEventId && x.status !== 'cancelled')) {
      const uid = ev.extendedProperties?.private?.['timebridgeUid'];
      await g.updateEvent(cal, ev.id, { ...ev, summary: `Renamed in Google ${uid}` }, ev.etag!);
    }
    runs.push(await syncLinks(srcLinks, one, { trigger: 'test' }));
    settled = writes(await syncLinks(srcLinks, one, { trigger: 'test' }));
  });
  after(async () => {
    await r.emulator.close();
    for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
  });

  it('every object reaches Google and the copy; the runs fail nothing; after the Google edit a run writes nothing', () => {
    for (const res of runs) for (const x of res) assert.deepEqual(x.run.errors, [], `run of ${x.run.linkId}`);
    assert.equal(settled, 0);
  });

  it('a run that reads an event Google holds less of warns, naming the event and the part not held', () => {
    const warned = runs
      .flat()
      .filter((x) => x.run.linkId === 'link:google')
      .flatMap((x) => x.run.warnings)
      .map((w) => w.message);
    assert.ok(warned.length > 0, 'warned');
    for (const m of warned)
      assert.match(
        m,
        /^Google Calendar does not hold the RDATE periods 2024-07-03T09:00:00Z\/2024-07-03T12:00:00Z, 2024-07-05T13:00:00Z\/PT2H30M of event \S+ \('(Lab slots|Renamed in Google rdate-period@corpus)'\)/,
      );
  });

  for (const e of CORPUS.filter((x) => x.googleSkips)) {
    it(`${e.file}: not written to Google, a named loss: ${e.googleSkips}; the source is left as it was`, () => {
      assert.deepEqual(files(copy, e.uid), [], 'no copy');
      const d = diffFacts(factsOf(corpusText(e)), factsOf(files(src, e.uid)[0]!));
      assert.deepEqual({ lost: d.onlyA, added: d.onlyB }, { lost: [], added: [] });
      assert.ok(
        runs[0]!.some((x) => x.run.linkId === 'link:google' && (x.run.counts['skipped'] ?? 0) > 0),
        'the run counts the skip',
      );
    });
  }

  for (const e of CORPUS.filter((x) => !x.googleSkips)) {
    const named = e.google.length ? ` but for ${e.google.map((l) => l.name).join('; ')}` : '';
    it(`${e.file}: the copy through Google says what the source says in what Google holds${named}`, () => {
      const [text, ...more] = files(copy, e.uid);
      assert.ok(text && !more.length, `one copy of ${e.uid}`);
      sameHeldBut(e, text, e.google);
    });
    const backNamed = e.google
      .filter((l) => l.reachesSource)
      .map((l) => ` but for ${l.name}`)
      .join('');
    it(`${e.file}: the Google edit reaches the source file, which keeps everything else${backNamed}`, () => {
      const [text] = files(src, e.uid);
      assert.equal(masterValue(text!, 'SUMMARY'), `Renamed in Google ${e.uid}`);
      // A field Google holds but gives back changed (a named loss marked so) reaches the source too; nothing else may.
      const back = e.google.filter((l) => l.reachesSource);
      const d = diffFacts(factsOf(corpusText(e), ['SUMMARY']), factsOf(text!, ['SUMMARY']));
      const unexplained = [...d.onlyA.filter((f) => !back.some((l) => l.dropped?.test(f))), ...d.onlyB.filter((f) => !back.some((l) => l.added?.test(f)))];
      assert.deepEqual(unexplained, [], 'nothing else of the source changed');
    });
  }
});

function sameHeldBut(e: CorpusEntry, copy: string, losses: Loss[]): void {
  const d = diffFacts(held(corpusText(e)), held(copy));
  const unexplained = [
    ...d.onlyA.filter((f) => !losses.some((l) => l.dropped?.test(f))).map((f) => `lost: ${f}`),
    ...d.onlyB.filter((f) => !losses.some((l) => l.added?.test(f))).map((f) => `added: ${f}`),
  ];
  assert.deepEqual(unexplained, [], `the copy of ${e.file} through Google differs beyond the named losses`);
  for (const l of losses) {
    const seen = d.onlyA.some((f) => l.dropped?.test(f)) || d.onlyB.some((f) => l.added?.test(f));
    assert.ok(seen, `named loss "${l.name}" of ${e.file} no longer happens; remove it from the table`);
  }
}
