import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { icsEventMapper } from '../../../src/connectors/kit/icalendar/ical-event-mapper.js';
import { contentHash } from '../../../src/core/hash.js';
import type { Fields } from '../../../src/core/model.js';
import { BERLIN_VTIMEZONE, ctx, external, hub, icsOf, patchRoundTrip, structured, unfold, vcal, vevent } from './ical-fixtures.js';

describe('icsEventMapper.toHub', () => {
  it('reads every structured field and keeps the text as $raw', () => {
    const text = vcal(
      BERLIN_VTIMEZONE,
      vevent([
        'DTSTART;TZID=Europe/Berlin:20240415T090000',
        'DTEND;TZID=Europe/Berlin:20240415T100000',
        'SUMMARY:Standup',
        'DESCRIPTION:Daily',
        'LOCATION:Room 1',
        'STATUS:CONFIRMED',
        'TRANSP:OPAQUE',
      ]),
    );
    const r = icsEventMapper.toHub(text, ctx);
    assert.ok(r.ok);
    assert.equal(r.value.identity, 'ev-1@test');
    assert.deepEqual(structured(r.value.fields), {
      uid: 'ev-1@test',
      summary: 'Standup',
      description: 'Daily',
      location: 'Room 1',
      status: 'CONFIRMED',
      transp: 'OPAQUE',
      allDay: false,
      start: '2024-04-15T09:00:00',
      startTz: 'Europe/Berlin',
      end: '2024-04-15T10:00:00',
      endTz: 'Europe/Berlin',
      rrule: null,
      exdates: [],
      rdates: [],
      overrides: [],
    });
    const extras = icsOf(r.value.fields);
    assert.equal(extras.$raw, text);
    assert.equal(extras.$fieldsHash, contentHash(structured(r.value.fields)));
    assert.match(extras.norm, /^[\w-]{22}$/);
  });

  it('reads floating and UTC times without a TZID', () => {
    const floating = hub(vcal(vevent(['DTSTART:20240415T090000', 'DTEND:20240415T093000'])));
    assert.deepEqual([floating['start'], floating['startTz'], floating['end'], floating['endTz']], ['2024-04-15T09:00:00', null, '2024-04-15T09:30:00', null]);
    const utc = hub(vcal(vevent(['DTSTART:20240415T070000Z', 'DTEND:20240415T080000Z'])));
    assert.deepEqual([utc['start'], utc['startTz'], utc['end'], utc['endTz']], ['2024-04-15T07:00:00Z', null, '2024-04-15T08:00:00Z', null]);
  });

  it('reads all-day events with an exclusive end', () => {
    const single = hub(vcal(vevent(['DTSTART;VALUE=DATE:20240415', 'DTEND;VALUE=DATE:20240416'])));
    assert.deepEqual([single['allDay'], single['start'], single['end']], [true, '2024-04-15', '2024-04-16']);
    const multi = hub(vcal(vevent(['DTSTART;VALUE=DATE:20241230', 'DTEND;VALUE=DATE:20250102'])));
    assert.deepEqual([multi['start'], multi['end']], ['2024-12-30', '2025-01-02']);
  });

  it('defaults the end: one day after a DATE, equal to a DATE-TIME', () => {
    const date = hub(vcal(vevent(['DTSTART;VALUE=DATE:20240228'])));
    assert.deepEqual([date['start'], date['end']], ['2024-02-28', '2024-02-29']);
    const timed = hub(vcal(vevent(['DTSTART;TZID=Europe/Berlin:20240415T090000'])));
    assert.deepEqual([timed['end'], timed['endTz']], ['2024-04-15T09:00:00', 'Europe/Berlin']);
  });

  it('computes the end from DURATION: days nominal, hours exact across DST', () => {
    const end = (start: string, duration: string): unknown => hub(vcal(vevent([start, `DURATION:${duration}`])))['end'];
    assert.equal(end('DTSTART;VALUE=DATE:20240415', 'P3D'), '2024-04-18');
    assert.equal(end('DTSTART:20240415T090000Z', 'PT1H30M'), '2024-04-15T10:30:00Z');
    assert.equal(end('DTSTART;TZID=Europe/Berlin:20240330T120000', 'P1D'), '2024-03-31T12:00:00');
    // 01:30 CET + 1h exact = 03:30 CEST: the clock skips 02:00–03:00 that night.
    assert.equal(end('DTSTART;TZID=Europe/Berlin:20240331T013000', 'PT1H'), '2024-03-31T03:30:00');
    assert.equal(end('DTSTART:20240331T013000', 'P1W'), '2024-04-07T01:30:00');
  });

  it('keeps RRULE text with FREQ first, sorted EXDATE/RDATE values and override ids', () => {
    const text = vcal(
      BERLIN_VTIMEZONE,
      vevent([
        'DTSTART;TZID=Europe/Berlin:20240401T090000',
        'DTEND;TZID=Europe/Berlin:20240401T100000',
        'RRULE:BYDAY=MO,WE;FREQ=WEEKLY;UNTIL=20240630T215959Z',
        'EXDATE;TZID=Europe/Berlin:20240410T090000,20240403T090000',
        'RDATE:20240702T070000Z',
        'RDATE;VALUE=PERIOD:20240801T070000Z/PT2H',
      ]),
      vevent(['RECURRENCE-ID;TZID=Europe/Berlin:20240417T090000', 'DTSTART;TZID=Europe/Berlin:20240417T110000']),
      vevent(['RECURRENCE-ID;TZID=Europe/Berlin:20240408T090000', 'DTSTART;TZID=Europe/Berlin:20240408T100000']),
    );
    const f = hub(text);
    assert.equal(f['rrule'], 'FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20240630T215959Z');
    assert.deepEqual(f['exdates'], ['2024-04-03T09:00:00', '2024-04-10T09:00:00']);
    assert.deepEqual([f['rdates'], f['rdatePeriods']], [['2024-07-02T07:00:00Z'], ['2024-08-01T07:00:00Z/PT2H']]);
    const ov = (id: string, start: string) => ({
      id,
      idTz: 'Europe/Berlin',
      allDay: false,
      start,
      startTz: 'Europe/Berlin',
      end: start,
      endTz: 'Europe/Berlin',
      summary: null,
      description: null,
      location: null,
      status: null,
    });
    assert.deepEqual(f['overrides'], [ov('2024-04-08T09:00:00', '2024-04-08T10:00:00'), ov('2024-04-17T09:00:00', '2024-04-17T11:00:00')]);
    assert.equal(f['start'], '2024-04-01T09:00:00', 'the master is the VEVENT without RECURRENCE-ID');
  });

  it('accepts LF line ends and a leading byte order mark, keeping $raw as given', () => {
    const text = '\ufeff' + vcal(vevent(['DTSTART:20240101T100000Z', 'SUMMARY:bom'])).replace(/\r\n/g, '\n');
    const f = hub(text);
    assert.equal(f['summary'], 'bom');
    assert.equal(icsOf(f).$raw, text);
  });

  it('takes the first override as master when the object holds only overrides; the others are its overrides', () => {
    const f = hub(
      vcal(
        vevent(['RECURRENCE-ID:20240417T090000Z', 'DTSTART:20240417T100000Z', 'SUMMARY:moved']),
        vevent(['RECURRENCE-ID:20240424T090000Z', 'DTSTART:20240424T090000Z', 'DTEND:20240424T093000Z']),
      ),
    );
    assert.deepEqual(
      [f['summary'], f['start'], (f['overrides'] as { id: string }[]).map((o) => o.id)],
      ['moved', '2024-04-17T10:00:00Z', ['2024-04-24T09:00:00Z']],
    );
  });
});

describe('icsEventMapper errors', () => {
  const fail = (text: string): string => {
    const r = icsEventMapper.toHub(text, ctx);
    assert.ok(!r.ok && 'error' in r, `expected an error, got ${JSON.stringify(r)}`);
    assert.match(r.error, /; fix the file or remove it$/);
    return r.error;
  };

  it('returns broken text as an error, never throws', () => {
    assert.match(fail('this is not a calendar'), /invalid line.*this is not a calendar/);
    assert.match(fail(''), /no BEGIN:VCALENDAR/);
    assert.match(fail('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n' + vevent(['DTSTART:20240101T100000Z']).join('\r\n')), /did not end/);
    assert.match(fail(vcal() + vcal()), /2 VCALENDAR objects/);
  });

  it('names the UIDs when VEVENTs disagree', () => {
    const text = vcal(vevent(['DTSTART:20240101T100000Z'], 'a@x'), vevent(['DTSTART:20240101T100000Z'], 'b@x'));
    assert.match(fail(text), /different UIDs \(a@x, b@x\)/);
  });

  it('rejects a VEVENT without UID or DTSTART, and impossible dates', () => {
    assert.match(fail(vcal(['BEGIN:VEVENT', 'SUMMARY:Lunch', 'DTSTART:20240101T100000Z', 'END:VEVENT'])), /VEVENT \('Lunch'\) has no UID/);
    assert.match(fail(vcal(vevent(['SUMMARY:x']))), /ev-1@test: the VEVENT has no DTSTART/);
    assert.match(fail(vcal(vevent(['DTSTART;VALUE=DATE:20240230']))), /DTSTART value "2024-02-30" is not a valid DATE/);
    assert.match(fail(vcal(vevent(['DTSTART:20240101T100000Z', 'DURATION:soon']))), /DURATION "soon"/);
    assert.match(fail(vcal(vevent(['DTSTART;VALUE=DATE:20240101', 'DTEND:20240102T100000']))), /differ in value type/);
  });

  it('skips objects without a VEVENT', () => {
    const r = icsEventMapper.toHub(vcal(['BEGIN:VTODO', 'UID:t1', 'SUMMARY:Buy milk', 'END:VTODO']), ctx);
    assert.deepEqual(r, { ok: false, skip: 'no VEVENT in this object' });
  });

  it('rejects invalid hub fields on write, naming each field', () => {
    const f = hub(vcal(vevent(['DTSTART:20240101T100000Z', 'DTEND:20240101T110000Z'])));
    const writeError = (change: Fields): string => {
      const r = icsEventMapper.toExternal({ ...f, ...change }, ctx, null);
      assert.ok(!r.ok && 'error' in r, `expected an error for ${JSON.stringify(change)}`);
      return r.error;
    };
    assert.match(writeError({ start: '2024-01-01' }), /start: '2024-01-01' is not 'YYYY-MM-DDTHH:MM:SS'.*; fix the hub record$/);
    assert.match(writeError({ end: '2023-12-31T10:00:00Z' }), /end: '2023-12-31T10:00:00Z' is before start '2024-01-01T10:00:00Z'/);
    assert.match(writeError({ allDay: true }), /start: .* is not 'YYYY-MM-DD' \(allDay is true\)/);
    assert.match(writeError({ start: '2024-01-01T10:00:00', startTz: 'Bad"Zone' }), /startTz: is not a usable TZID/);
    assert.match(writeError({ startTz: 'Europe/Berlin' }), /startTz: must be null for an all-day or UTC time/);
    assert.match(writeError({ exdates: ['soon'] }), /exdates\.0: 'soon' is not a date/);
    assert.match(writeError({ rrule: 'FREQ=DAILY;X-A=1\r\nX-INJECTED:1' }), /rrule: is not a one-line RRULE value/);
    assert.match(writeError({ rrule: 'FREQ=NEVER' }), /rrule 'FREQ=NEVER' is not a valid RRULE/);
  });
});

describe('icsEventMapper.toExternal', () => {
  it('returns $raw itself when the fields are unchanged (fast path)', () => {
    // Odd but valid formatting that any re-serialisation would change.
    const text = vcal(vevent(['DTSTART:20240101T100000Z', 'SUMMARY:fold', ' ed', 'x-lower:case']));
    const f = hub(text);
    assert.equal(external(f), text);
    assert.equal(external(f, 'something else entirely'), text);
  });

  it('keeps wall time and TZID through DST gaps and overlaps on the patch path', () => {
    for (const [start, end] of [
      ['20240331T023000', '20240331T033000'],
      ['20241027T023000', '20241027T033000'],
    ]) {
      const text = vcal(BERLIN_VTIMEZONE, vevent([`DTSTART;TZID=Europe/Berlin:${start}`, `DTEND;TZID=Europe/Berlin:${end}`]));
      const { before, out, after } = patchRoundTrip(text, { summary: 'changed' });
      assert.deepEqual(structured(after), { ...structured(before), summary: 'changed' });
      assert.ok(unfold(out).includes(`DTSTART;TZID=Europe/Berlin:${start}`));
      assert.equal(unfold(out).filter((l) => l === 'BEGIN:VTIMEZONE').length, 1, 'the VTIMEZONE is kept');
    }
  });

  it('keeps floating, UTC and all-day values on the patch path', () => {
    for (const times of [
      ['DTSTART:20240415T090000', 'DTEND:20240415T093000'],
      ['DTSTART:20240415T070000Z', 'DTEND:20240415T080000Z'],
      ['DTSTART;VALUE=DATE:20241230', 'DTEND;VALUE=DATE:20250102'],
      ['DTSTART;VALUE=DATE:20240415'],
    ]) {
      const { before, after } = patchRoundTrip(vcal(vevent(times)), { location: 'elsewhere' });
      assert.deepEqual(structured(after), { ...structured(before), location: 'elsewhere' });
    }
  });

  it('keeps DURATION while the times do not change, and writes a DTEND when they do', () => {
    const text = vcal(BERLIN_VTIMEZONE, vevent(['DTSTART;TZID=Europe/Berlin:20240415T090000', 'DURATION:PT45M']));
    const kept = patchRoundTrip(text, { summary: 'x' });
    assert.equal(kept.before['end'], '2024-04-15T09:45:00');
    assert.ok(unfold(kept.out).includes('DURATION:PT45M') && !unfold(kept.out).some((l) => l.startsWith('DTEND')));
    const { out, after } = patchRoundTrip(text, { end: '2024-04-15T10:00:00' });
    const lines = unfold(out);
    assert.ok(lines.includes('DTEND;TZID=Europe/Berlin:20240415T100000'));
    assert.ok(!lines.some((l) => l.startsWith('DURATION')));
    assert.deepEqual([after['end'], after['endTz']], ['2024-04-15T10:00:00', 'Europe/Berlin']);
  });

  it('builds a fresh VCALENDAR when there is no previous text', () => {
    const f = structured(
      hub(vcal(vevent(['DTSTART;TZID=Europe/Berlin:20240415T090000', 'DTEND;VALUE=DATE-TIME;TZID=Europe/Berlin:20240415T100000', 'SUMMARY:a']))),
    );
    const lines = unfold(external(f));
    assert.deepEqual(lines.slice(0, 9), [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Timebridge//Timebridge//EN',
      'BEGIN:VEVENT',
      'UID:ev-1@test',
      'DTSTAMP:20240501T100000Z',
      'DTSTART;TZID=Europe/Berlin:20240415T090000',
      'DTEND;TZID=Europe/Berlin:20240415T100000',
      'SUMMARY:a',
    ]);
    assert.deepEqual(structured(hub(external(f))), f);
  });

  it('patches `previous` when the fields carry no $raw', () => {
    const previous = vcal(vevent(['DTSTART:20240101T100000Z', 'X-KEEP:me', 'SUMMARY:old']));
    const f = { ...structured(hub(previous)), summary: 'new' };
    const out = external(f, previous);
    assert.ok(unfold(out).includes('X-KEEP:me'));
    assert.equal(hub(out)['summary'], 'new');
  });

  it('labels and identifies by summary, start and UID', () => {
    const f = hub(vcal(vevent(['DTSTART;TZID=Europe/Berlin:20240415T090000', 'SUMMARY:Standup'])));
    assert.equal(icsEventMapper.label(f), 'Standup (2024-04-15T09:00:00 Europe/Berlin)');
    assert.equal(icsEventMapper.label({ ...f, summary: null, startTz: null }), '(no title) (2024-04-15T09:00:00)');
    assert.equal(icsEventMapper.identity(f), 'ev-1@test');
    assert.equal(icsEventMapper.name, 'ics-event');
    assert.equal(icsEventMapper.hubKind, 'event');
  });
});
