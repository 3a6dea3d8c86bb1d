/**
 * The Google emulator's own recurrence lines and series expansion, checked against instants
 * worked out by hand from RFC 5545 and the zones' published rules (Berlin: 29 March 02:00 →
 * 03:00, 25 October 03:00 → 02:00; New York: 8 March 02:00 → 03:00, 1 November 02:00 →
 * 01:00, all in 2026), not against the connector's code, which the emulator exists to check.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readRecurrenceLines } from '../../src/emulators/google/recurrence-lines.js';
import { expand } from '../../src/emulators/google/recurrence.js';
import type { CalendarEvent } from '../../src/emulators/google/types.js';

const at = (iso: string): number => Date.parse(iso);

function series(start: CalendarEvent['start'], end: CalendarEvent['end'], recurrence: string[]): CalendarEvent {
  return { id: 'series0001', start, end, recurrence };
}

function keys(ev: CalendarEvent): string[] {
  const r = expand(ev, { limit: 50 });
  if (!r.ok) throw new Error(r.error);
  return r.occurrences.map((o) => o.key);
}

describe('Google emulator recurrence lines', () => {
  it('reads EXDATE and RDATE in their date, UTC, TZID (quoted or not) and PERIOD forms', () => {
    const r = readRecurrenceLines([
      'RRULE:FREQ=WEEKLY;BYDAY=MO',
      'EXDATE;TZID=Europe/Berlin:20261025T023000,20261026T090000',
      'exdate;value=date:20261224',
      'EXDATE;TZID="America/New_York":20261101T013000',
      'RDATE:20261224T100000Z',
      'RDATE;VALUE=PERIOD:20261225T100000Z/PT1H,20261226T100000Z/20261226T110000Z',
      'RDATE:20261227T100000',
    ]);
    assert.deepEqual(r.refused, []);
    assert.equal(r.rrule, 'FREQ=WEEKLY;BYDAY=MO');
    assert.deepEqual(r.exdates, [
      { form: 'wall', wall: '2026-10-25T02:30:00', tzid: 'Europe/Berlin' },
      { form: 'wall', wall: '2026-10-26T09:00:00', tzid: 'Europe/Berlin' },
      { form: 'date', date: '2026-12-24' },
      { form: 'wall', wall: '2026-11-01T01:30:00', tzid: 'America/New_York' },
    ]);
    assert.deepEqual(r.rdates, [
      { form: 'utc', instantMs: at('2026-12-24T10:00:00Z') },
      { form: 'utc', instantMs: at('2026-12-25T10:00:00Z') },
      { form: 'utc', instantMs: at('2026-12-26T10:00:00Z') },
      { form: 'wall', wall: '2026-12-27T10:00:00', tzid: null },
    ]);
  });

  it('refuses, with the reason, what it cannot expand', () => {
    const r = readRecurrenceLines([
      'RRULE:FREQ=DAILY',
      'RRULE:FREQ=WEEKLY',
      'EXRULE:FREQ=DAILY',
      'DTSTART:20261224T100000Z',
      'EXDATE;TZID=Mars/Olympus:20261025T023000',
      'EXDATE:2026-10-25',
      'EXDATE;VALUE=DATE:20260230',
      'EXDATE;VALUE=PERIOD:20261225T100000Z/PT1H',
      'EXDATE:20261025T250000',
      'no colon here',
    ]);
    assert.equal(r.rrule, 'FREQ=DAILY');
    assert.deepEqual(
      r.refused.map((x) => x.why),
      [
        'a second RRULE',
        'EXRULE is not expanded by the emulator',
        'DTSTART is not expanded by the emulator',
        'TZID=Mars/Olympus is not a time zone the emulator knows (use an IANA name such as Europe/Berlin)',
        '2026-10-25 is not a DATE-TIME (YYYYMMDDTHHMMSS, optionally ending in Z)',
        '20260230 is not a real date',
        'VALUE=PERIOD is not allowed on EXDATE',
        '20261025T250000 is not a real date and time',
        'not a NAME[;PARAM=value]:value line',
      ],
    );
  });
});

describe('Google emulator series expansion', () => {
  it('keeps 09:00 Berlin across the March change; an EXDATE in another TZID removes the instance at that instant', () => {
    const start = { dateTime: '2026-03-23T09:00:00+01:00', timeZone: 'Europe/Berlin' };
    const end = { dateTime: '2026-03-23T10:00:00+01:00', timeZone: 'Europe/Berlin' };
    assert.deepEqual(keys(series(start, end, ['RRULE:FREQ=WEEKLY;COUNT=3'])), ['20260323T080000Z', '20260330T070000Z', '20260406T070000Z']);
    // 03:00 in New York on 30 March (EDT, -04:00) is 07:00Z, which is 09:00 CEST.
    assert.deepEqual(keys(series(start, end, ['RRULE:FREQ=WEEKLY;COUNT=3', 'EXDATE;TZID=America/New_York:20260330T030000'])), [
      '20260323T080000Z',
      '20260406T070000Z',
    ]);
    // Read in the event's own zone, the same wall text is another instant and removes nothing.
    assert.deepEqual(keys(series(start, end, ['RRULE:FREQ=WEEKLY;COUNT=3', 'EXDATE:20260330T030000'])), [
      '20260323T080000Z',
      '20260330T070000Z',
      '20260406T070000Z',
    ]);
  });

  it('02:30 daily in Berlin: the day of the gap starts at 03:30 CEST', () => {
    const r = expand(
      series({ dateTime: '2026-03-28T02:30:00+01:00', timeZone: 'Europe/Berlin' }, { dateTime: '2026-03-28T03:00:00+01:00', timeZone: 'Europe/Berlin' }, [
        'RRULE:FREQ=DAILY;COUNT=3',
      ]),
      { limit: 10 },
    );
    assert.ok(r.ok);
    assert.deepEqual(
      r.occurrences.map((o) => [o.key, o.start.dateTime, o.end.dateTime]),
      [
        ['20260328T013000Z', '2026-03-28T02:30:00+01:00', '2026-03-28T03:00:00+01:00'],
        ['20260329T013000Z', '2026-03-29T03:30:00+02:00', '2026-03-29T04:00:00+02:00'],
        ['20260330T003000Z', '2026-03-30T02:30:00+02:00', '2026-03-30T03:00:00+02:00'],
      ],
    );
  });

  it('01:30 daily in New York: the doubled hour of 1 November is its first (EDT); an EXDATE of that wall time removes it', () => {
    const start = { dateTime: '2026-10-31T01:30:00-04:00', timeZone: 'America/New_York' };
    const end = { dateTime: '2026-10-31T02:00:00-04:00', timeZone: 'America/New_York' };
    assert.deepEqual(keys(series(start, end, ['RRULE:FREQ=DAILY;COUNT=3'])), ['20261031T053000Z', '20261101T053000Z', '20261102T063000Z']);
    assert.deepEqual(keys(series(start, end, ['RRULE:FREQ=DAILY;COUNT=3', 'EXDATE;TZID=America/New_York:20261101T013000'])), [
      '20261031T053000Z',
      '20261102T063000Z',
    ]);
  });

  it('all-day: dates with an exclusive end; EXDATE;VALUE=DATE removes a day', () => {
    const r = expand(series({ date: '2026-12-24' }, { date: '2026-12-25' }, ['RRULE:FREQ=DAILY;COUNT=3', 'EXDATE;VALUE=DATE:20261225']), { limit: 10 });
    assert.ok(r.ok);
    assert.deepEqual(
      r.occurrences.map((o) => [o.key, o.start, o.end]),
      [
        ['20261224', { date: '2026-12-24' }, { date: '2026-12-25' }],
        ['20261226', { date: '2026-12-26' }, { date: '2026-12-27' }],
      ],
    );
  });

  it('UTC: Z forms in EXDATE, RDATE and an inclusive UNTIL; instance times end in Z', () => {
    const r = expand(
      series({ dateTime: '2026-05-04T09:00:00Z', timeZone: 'UTC' }, { dateTime: '2026-05-04T09:30:00Z', timeZone: 'UTC' }, [
        'RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260513T090000Z',
        'EXDATE:20260506T090000Z',
        'RDATE:20260516T120000Z',
      ]),
      { limit: 10 },
    );
    assert.ok(r.ok);
    assert.deepEqual(
      r.occurrences.map((o) => o.start.dateTime),
      ['2026-05-04T09:00:00Z', '2026-05-11T09:00:00Z', '2026-05-13T09:00:00Z', '2026-05-16T12:00:00Z'],
    );
  });

  it('a line it cannot expand makes the whole series refused, naming the line and the reason', () => {
    const r = expand(
      series({ dateTime: '2026-05-04T09:00:00Z', timeZone: 'UTC' }, { dateTime: '2026-05-04T09:30:00Z', timeZone: 'UTC' }, [
        'RRULE:FREQ=DAILY',
        'EXDATE;TZID=Mars/Olympus:20260505T090000',
      ]),
      { limit: 10 },
    );
    assert.deepEqual(r, {
      ok: false,
      error:
        'recurrence lines not supported by the emulator: EXDATE;TZID=Mars/Olympus:20260505T090000 (TZID=Mars/Olympus is not a time zone the emulator knows (use an IANA name such as Europe/Berlin))',
    });
  });
});
