import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentHash } from '../../../src/core/hash.js';
import {
  BERLIN_VTIMEZONE,
  NEW_YORK_VTIMEZONE,
  assertValidIcs,
  external,
  hub,
  icsOf,
  patchRoundTrip,
  structured,
  unfold,
  vcal,
  vevent,
} from './ical-fixtures.js';

/** Unfolded lines of the first VEVENT. */
function masterLines(text: string): string[] {
  const lines = unfold(text);
  return lines.slice(lines.indexOf('BEGIN:VEVENT'), lines.indexOf('END:VEVENT'));
}

const RECURRING = vcal(
  BERLIN_VTIMEZONE,
  vevent([
    'DTSTART;TZID=Europe/Berlin:20240401T090000',
    'DTEND;TZID=Europe/Berlin:20240401T100000',
    'SUMMARY:Weekly',
    'RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20240630T215959Z',
    'EXDATE;TZID=Europe/Berlin:20240403T090000,20240410T090000',
    'RDATE;TZID=Europe/Berlin:20240706T090000',
  ]),
  vevent(['RECURRENCE-ID;TZID=Europe/Berlin:20240408T090000', 'DTSTART;TZID=Europe/Berlin:20240408T110000', 'SUMMARY:Moved']),
  vevent(['RECURRENCE-ID;TZID=Europe/Berlin:20240415T090000', 'DTSTART;TZID=Europe/Berlin:20240415T090000', 'SUMMARY:Special']),
);

describe('patch round trips', () => {
  it('keeps RRULE, zoned EXDATE, RDATE and both overrides', () => {
    const { before, out, after } = patchRoundTrip(RECURRING, { summary: 'Weekly sync' });
    assert.deepEqual(structured(after), { ...structured(before), summary: 'Weekly sync' });
    assert.equal(after['rrule'], 'FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20240630T215959Z');
    assert.deepEqual(
      (after['overrides'] as { id: string }[]).map((o) => o.id),
      ['2024-04-08T09:00:00', '2024-04-15T09:00:00'],
    );
    const lines = unfold(out);
    assert.ok(lines.includes('SUMMARY:Moved') && lines.includes('SUMMARY:Special'), 'overrides untouched');
    assert.ok(lines.includes('EXDATE;TZID=Europe/Berlin:20240403T090000,20240410T090000'), 'unchanged EXDATE keeps its form');
  });

  it('writes changed recurrence fields and reads them back', () => {
    const change = {
      rrule: 'FREQ=DAILY;COUNT=5',
      exdates: ['2024-04-02T09:00:00'],
      rdates: ['2024-05-01T09:00:00', '2024-05-02T09:00:00'],
    };
    const { before, out, after } = patchRoundTrip(RECURRING, change);
    assert.deepEqual(structured(after), { ...structured(before), ...change });
    assert.ok(unfold(out).includes('EXDATE;TZID=Europe/Berlin:20240402T090000'));
    const cleared = patchRoundTrip(RECURRING, { rrule: null, exdates: [], rdates: [] });
    assert.deepEqual([cleared.after['rrule'], cleared.after['exdates'], cleared.after['rdates']], [null, [], []]);
    assert.ok(!masterLines(cleared.out).some((l) => /^(RRULE|EXDATE|RDATE)/.test(l)));
  });

  it('writes all-day EXDATE and RDATE values as DATEs', () => {
    const text = vcal(vevent(['DTSTART;VALUE=DATE:20240101', 'RRULE:FREQ=WEEKLY;COUNT=10', 'EXDATE;VALUE=DATE:20240115']));
    const change = { exdates: ['2024-01-08', '2024-01-22'], rdates: ['2024-03-30'] };
    const { before, out, after } = patchRoundTrip(text, change);
    assert.deepEqual(structured(after), { ...structured(before), ...change });
    const lines = masterLines(out);
    assert.ok(lines.includes('EXDATE;VALUE=DATE:20240108') && lines.includes('RDATE;VALUE=DATE:20240330'));
  });

  it("an override's SUMMARY is a structured field; its other properties count in norm", () => {
    const edited = RECURRING.replace('SUMMARY:Special', 'SUMMARY:Extra special');
    assert.equal((structured(hub(edited))['overrides'] as { summary: string }[])[1]!.summary, 'Extra special');
    assert.equal(icsOf(hub(edited)).norm, icsOf(hub(RECURRING)).norm);
    assert.notEqual(contentHash(hub(edited)), contentHash(hub(RECURRING)));
    const alarmed = RECURRING.replace('SUMMARY:Special', 'SUMMARY:Special\r\nX-OVERRIDE-NOTE:kept');
    assert.deepEqual(structured(hub(alarmed)), structured(hub(RECURRING)));
    assert.notEqual(icsOf(hub(alarmed)).norm, icsOf(hub(RECURRING)).norm);
  });

  it('keeps unknown properties, parameters and VALARMs', () => {
    const text = vcal(
      vevent([
        'DTSTART:20240415T090000Z',
        'SUMMARY:Review',
        'X-FOO;X-BAR="a:b";X-BAZ=c:value\\, with; stuff',
        'ATTENDEE;CN="Doe, Jane";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:jane@example.org',
        'BEGIN:VALARM',
        'ACTION:DISPLAY',
        'DESCRIPTION:Reminder',
        'TRIGGER:-PT15M',
        'END:VALARM',
      ]),
    );
    const { before, out, after } = patchRoundTrip(text, { summary: 'Review 2', description: 'notes' });
    assert.deepEqual(structured(after), { ...structured(before), summary: 'Review 2', description: 'notes' });
    // Apart from the two written fields, every line is unchanged and in its place.
    const rest = unfold(out).filter((l) => l !== 'SUMMARY:Review 2' && l !== 'DESCRIPTION:notes');
    assert.deepEqual(
      rest,
      unfold(text).filter((l) => l !== 'SUMMARY:Review'),
    );
    // SUMMARY and DESCRIPTION are structured fields: their change shows in the content hash,
    // not in `norm`, which covers only what no structured field carries (so edits of different
    // fields on two sides merge instead of colliding on extras.ics).
    assert.equal(icsOf(after).norm, icsOf(before).norm);
    assert.notEqual(contentHash(after), contentHash(before));
  });
});

describe('text encoding', () => {
  // 300 characters (code points), several of them 2, 3 and 4 UTF-8 octets long.
  const long = Array.from(('Café 日本 😀 naïve ' + 'x'.repeat(7)).repeat(14))
    .slice(0, 300)
    .join('');

  it('folds long lines at ≤75 octets without splitting a character and unfolds them back', () => {
    assert.equal(Array.from(long).length, 300);
    const f = structured(hub(vcal(vevent(['DTSTART:20240415T090000Z']))));
    const out = external({ ...f, description: long, summary: '😀'.repeat(40) });
    assertValidIcs(out);
    assert.ok(out.split('\r\n').filter((l) => l.startsWith(' ')).length >= 6, 'the description is folded');
    const back = hub(out);
    assert.equal(back['description'], long);
    assert.equal(back['summary'], '😀'.repeat(40));
  });

  it('escapes backslash, semicolon, comma and newline, and reads \\N', () => {
    const f = structured(hub(vcal(vevent(['DTSTART:20240415T090000Z']))));
    const summary = 'a\\b;c,d\ne';
    const out = external({ ...f, summary });
    assert.ok(unfold(out).includes('SUMMARY:a\\\\b\\;c\\,d\\ne'));
    assert.equal(hub(out)['summary'], summary);
    assert.equal(hub(vcal(vevent(['DTSTART:20240415T090000Z', 'SUMMARY:one\\Ntwo\\nthree'])))['summary'], 'one\ntwo\nthree');
  });

  it('turns CR and CRLF into newlines and drops other control characters', () => {
    const f = structured(hub(vcal(vevent(['DTSTART:20240415T090000Z']))));
    const out = external({ ...f, description: 'a\r\nb\rc\u0007d\te' });
    assertValidIcs(out);
    assert.equal(hub(out)['description'], 'a\nb\nc' + 'd\te');
  });
});

describe('norm', () => {
  const base = [
    'DTSTART;TZID=Europe/Berlin:20240415T090000',
    'DTEND;TZID=America/New_York:20240415T040000',
    'SUMMARY:Planning',
    'LOCATION:Room 4',
    'CATEGORIES:work,planning',
    'X-FOO:1',
  ];
  const original = vcal(BERLIN_VTIMEZONE, NEW_YORK_VTIMEZONE, vevent(base));
  const same = (text: string): void => {
    const [a, b] = [hub(original), hub(text)];
    assert.equal(icsOf(b).norm, icsOf(a).norm);
    assert.equal(contentHash(b), contentHash(a));
  };
  const different = (text: string): void => {
    const [a, b] = [hub(original), hub(text)];
    assert.notEqual(icsOf(b).norm, icsOf(a).norm);
    assert.notEqual(contentHash(b), contentHash(a));
  };

  it('ignores PRODID, DTSTAMP, X-TIMEBRIDGE-ID and CALSCALE:GREGORIAN', () => {
    same(
      original
        .replace('PRODID:-//Test//Test//EN', 'PRODID:-//Other//Server//EN\r\nCALSCALE:GREGORIAN')
        .replace('DTSTAMP:20240101T120000Z', 'DTSTAMP:20240909T090909Z\r\nX-TIMEBRIDGE-ID:abc'),
    );
  });

  it('ignores folding, VTIMEZONE order and property order', () => {
    same(original.replace('SUMMARY:Planning', 'SUMMARY:Pla\r\n nning').replace('LOCATION:Room 4', 'LOCATION:R\r\n\toom 4'));
    same(vcal(NEW_YORK_VTIMEZONE, BERLIN_VTIMEZONE, vevent([...base].reverse())));
    same(vcal(BERLIN_VTIMEZONE, NEW_YORK_VTIMEZONE, vevent(base)).replace(/\r\n/g, '\n'));
  });

  it('sees a structured change (LOCATION) in the content hash only, not in norm', () => {
    const [a, b] = [hub(original), hub(original.replace('LOCATION:Room 4', 'LOCATION:Room 5'))];
    assert.equal(icsOf(b).norm, icsOf(a).norm);
    assert.notEqual(contentHash(b), contentHash(a));
  });

  it('sees real changes beyond the structured fields: an X- property, a parameter, a VTIMEZONE rule', () => {
    different(original.replace('X-FOO:1', 'X-FOO:2'));
    different(original.replace('X-FOO:1', 'X-FOO;X-P=q:1'));
    different(original.replace('TZOFFSETTO:+0200', 'TZOFFSETTO:+0300'));
    different(original.replace('PRODID:-//Test//Test//EN', 'PRODID:x\r\nCALSCALE:JULIAN'));
  });
});
