/**
 * The patching writer over the fidelity corpus: every object × every kind of hub edit.
 * After an edit, the written object must say the same as the source except for the
 * master VEVENT properties the edit is about — alarms, attendees, organizer, X- and
 * IANA properties, attachments, overrides and time zones all kept — and read back with
 * the edit in place.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeIcs } from '../../../src/connectors/kit/icalendar/ical-decode.js';
import type { Fields, Json } from '../../../src/core/model.js';
import { CORPUS, corpusBytes, corpusText } from './ical-corpus.js';
import { assertValidIcs, external, hub, structured } from './ical-fixtures.js';
import { diffFacts, factsOf, masterValue } from './ical-oracle.js';

interface Edit {
  name: string;
  /** Master properties the edit may change. */
  touches: string[];
  change(f: Fields): { [key: string]: Json };
}

const TIME_PROPS = ['DTSTART', 'DTEND', 'DURATION'];

/** A wall time of the same form (UTC or not) as `like`. */
const sameForm = (like: unknown, wall: string) => (String(like).endsWith('Z') ? `${wall}Z` : wall);

const EDITS: Edit[] = [
  { name: 'summary', touches: ['SUMMARY'], change: () => ({ summary: 'Edited ✓ – Grüße, 東京; 😀 \\ done' }) },
  { name: 'description', touches: ['DESCRIPTION'], change: () => ({ description: 'New text\nwith a second line, a comma; a semicolon' }) },
  { name: 'location', touches: ['LOCATION'], change: () => ({ location: 'Raum 2, Köln' }) },
  { name: 'location removed', touches: ['LOCATION'], change: () => ({ location: null }) },
  {
    name: 'times',
    touches: TIME_PROPS,
    change: (f) =>
      f['allDay']
        ? { start: '2024-08-01', end: '2024-08-03' }
        : { start: sameForm(f['start'], '2024-08-01T09:00:00'), end: sameForm(f['end'], '2024-08-01T10:30:00') },
  },
  {
    name: 'all-day switch',
    touches: TIME_PROPS,
    change: (f) =>
      f['allDay']
        ? { allDay: false, start: '2024-08-01T09:00:00', startTz: 'Europe/Berlin', end: '2024-08-01T10:00:00', endTz: 'Europe/Berlin' }
        : { allDay: true, start: '2024-08-01', startTz: null, end: '2024-08-02', endTz: null },
  },
  { name: 'rrule', touches: ['RRULE'], change: () => ({ rrule: 'FREQ=DAILY;COUNT=3' }) },
  { name: 'rrule removed', touches: ['RRULE'], change: () => ({ rrule: null }) },
  {
    name: 'exdate added',
    touches: ['EXDATE'],
    change: (f) => ({ exdates: [...(f['exdates'] as string[]), f['allDay'] ? '2024-12-24' : sameForm(f['start'], '2024-12-24T10:00:00')] }),
  },
  {
    name: 'rdate added',
    touches: ['RDATE'],
    change: (f) => ({ rdates: [...(f['rdates'] as string[]), f['allDay'] ? '2024-12-27' : sameForm(f['start'], '2024-12-27T10:00:00')] }),
  },
  { name: 'status', touches: ['STATUS'], change: () => ({ status: 'CANCELLED' }) },
];

describe('the patching writer keeps what the hub did not change, over the corpus', () => {
  for (const entry of CORPUS) {
    describe(entry.file, () => {
      // The oracle's reading of the file, and the text the connector hands the mapper.
      const source = corpusText(entry);
      const decoded = decodeIcs(corpusBytes(entry));
      const input = decoded.ok ? decoded.text : assert.fail(decoded.error);
      it('reads as the oracle reads it', () => {
        assert.deepEqual(diffFacts(factsOf(source), factsOf(input)), { onlyA: [], onlyB: [] });
      });
      for (const edit of EDITS) {
        it(edit.name, () => {
          const before = hub(input);
          const change = edit.change(before);
          const out = external({ ...before, ...change });
          if (out !== input) assertValidIcs(out);
          const { onlyA, onlyB } = diffFacts(factsOf(source, edit.touches), factsOf(out, edit.touches));
          assert.deepEqual({ lost: onlyA, added: onlyB }, { lost: [], added: [] }, 'everything the edit is not about is kept');
          const sortedLists = (f: Fields) => ({ ...f, exdates: [...(f['exdates'] as string[])].sort(), rdates: [...(f['rdates'] as string[])].sort() });
          assert.deepEqual(structured(hub(out)), sortedLists({ ...structured(before), ...change }), 'the edit reads back');
        });
      }

      it('no edit: the text is passed through untouched', () => {
        assert.equal(external(hub(input)), input);
      });

      it('a summary edit leaves every other master property as it was, text escapes included', () => {
        const out = external({ ...hub(input), summary: 'x' });
        for (const name of ['DESCRIPTION', 'LOCATION', 'DTSTART', 'DTEND', 'DURATION', 'RRULE', 'STATUS']) {
          assert.equal(masterValue(out, name), masterValue(source, name), name);
        }
      });
    });
  }
});

type Ov = {
  id: string;
  idTz: string | null;
  allDay: boolean;
  start: string;
  startTz: string | null;
  end: string;
  endTz: string | null;
  summary: string | null;
  description: string | null;
  location: string | null;
  status: string | null;
};

/** The oracle's path of an override VEVENT, as its facts start: `VCALENDAR/VEVENT[RECURRENCE-ID…]`. */
const overridePath = (f: string): string | null => /^VCALENDAR\/VEVENT\[RECURRENCE-ID[^\]]*\]/.exec(f)?.[0] ?? null;

/** A new override of the series in `f`, at an id of the series' form. */
function newOverride(f: Fields): Ov {
  if (f['allDay']) {
    return {
      id: '2024-12-30',
      idTz: null,
      allDay: true,
      start: '2024-12-31',
      startTz: null,
      end: '2025-01-01',
      endTz: null,
      summary: 'Moved, a day later',
      description: null,
      location: 'Hall; B',
      status: null,
    };
  }
  const tz = f['startTz'] as string | null;
  const form = (wall: string) => sameForm(f['start'], wall);
  return {
    id: form('2024-12-30T10:00:00'),
    idTz: tz,
    allDay: false,
    start: form('2024-12-30T15:30:00'),
    startTz: tz,
    end: form('2024-12-30T16:00:00'),
    endTz: tz,
    summary: 'Moved ✓ – Grüße',
    description: 'Line 1\nLine 2, with a comma',
    location: null,
    status: 'TENTATIVE',
  };
}

describe('override edits through the writer, over the corpus objects with a series', () => {
  for (const entry of CORPUS) {
    const decoded = decodeIcs(corpusBytes(entry));
    const input = decoded.ok ? decoded.text : '';
    const before = decoded.ok ? hub(input) : {};
    if (before['rrule'] === null && !(before['rdates'] as string[] | undefined)?.length && !(before['overrides'] as Ov[] | undefined)?.length) continue;
    describe(entry.file, () => {
      const source = corpusText(entry);
      const overrides = before['overrides'] as Ov[];
      const check = (out: string, want: Ov[], may: (path: string) => boolean) => {
        assertValidIcs(out);
        const { onlyA, onlyB } = diffFacts(factsOf(source), factsOf(out));
        const stray = [...onlyA, ...onlyB].filter((f) => !may(overridePath(f) ?? ''));
        assert.deepEqual(stray, [], 'only the edited override changes');
        assert.deepEqual(structured(hub(out)), { ...structured(before), overrides: want }, 'the edit reads back');
        return { onlyA, onlyB };
      };

      it('an added override is a new VEVENT; everything else is kept', () => {
        const o = newOverride(before);
        const want = [...overrides, o].sort((a, b) => (a.id < b.id ? -1 : 1));
        const out = external({ ...before, overrides: want });
        const { onlyA, onlyB } = check(out, want, (p) => p.includes(o.id.replace(/[-:]/g, '')));
        assert.deepEqual(onlyA, [], 'nothing lost');
        assert.ok(
          onlyB.some((f) => f.endsWith('| SUMMARY:' + o.summary)),
          onlyB.join('\n'),
        );
      });

      if (overrides.length) {
        it('a changed override is patched in place: its alarms and other lines stay', () => {
          const first = overrides[0]!;
          const changed: Ov = { ...first, summary: 'Changed ✓', location: 'Room 7, 2nd floor' };
          const out = external({ ...before, overrides: [changed, ...overrides.slice(1)] });
          const { onlyA, onlyB } = check(out, [changed, ...overrides.slice(1)], (p) => p.includes(first.id.replace(/[-:]/g, '')));
          const props = (fs: string[]) => fs.map((f) => /\| ([A-Z-]+)[;:]/.exec(f)?.[1]).sort();
          const had = [...(first.location !== null ? ['LOCATION'] : []), ...(first.summary !== null ? ['SUMMARY'] : [])];
          assert.deepEqual(props(onlyA), had, `lost: ${onlyA.join('\n')}`);
          assert.deepEqual(props(onlyB), ['LOCATION', 'SUMMARY'], `added: ${onlyB.join('\n')}`);
        });

        it('a removed override takes its VEVENT (and only it) out', () => {
          const first = overrides[0]!;
          const out = external({ ...before, overrides: overrides.slice(1) });
          const { onlyA, onlyB } = check(out, overrides.slice(1), (p) => p.includes(first.id.replace(/[-:]/g, '')));
          assert.deepEqual(onlyB, []);
          assert.ok(onlyA.length > 0);
        });

        it('an override the hub did not change passes through byte for byte', () => {
          const out = external({ ...before, summary: 'Only the master changed' });
          const block = (text: string) =>
            text
              .replace(/\r\n/g, '\n')
              .split(/(?=BEGIN:VEVENT)/)
              .filter((b) => b.includes('RECURRENCE-ID') && b.includes(overrides[overrides.length - 1]!.id.replace(/[-:]/g, '').slice(0, 8)));
          assert.deepEqual(
            block(out).map((b) => b.split('END:VEVENT')[0]),
            block(input).map((b) => b.split('END:VEVENT')[0]),
          );
        });
      }
    });
  }
});
