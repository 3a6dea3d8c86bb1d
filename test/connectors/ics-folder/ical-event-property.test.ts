import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Fields } from '../../../src/core/model.js';
import { assertValidIcs, external, hub, structured, unfold, vcal, vevent } from './ical-fixtures.js';

// RFC 5545 TEXT cannot carry these (the mapper drops them; see the encoding tests).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const textUnit = fc.oneof(
  fc.constantFrom(';', ',', '\\', '\n', '\\n', '\\N', ':', '"', ' ', '\t', 'é', '日本', '😀', '👩‍👩‍👧'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => !CONTROL.test(c)),
);
const text = fc.string({ unit: textUnit, maxLength: 120 });

const wall = (ms: number): string => new Date(ms).toISOString().slice(0, 19);
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const instant = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2099, 11, 31) }).map((ms) => ms - (ms % 1000));

const timed = fc
  .record({
    at: instant,
    minutes: fc.integer({ min: 0, max: 3000 }),
    zone: fc.constantFrom(null, 'UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'),
  })
  .map(({ at, minutes, zone }) => {
    const z = zone === 'UTC' ? 'Z' : '';
    const tz = zone === 'UTC' ? null : zone;
    return { allDay: false, start: wall(at) + z, startTz: tz, end: wall(at + minutes * 60_000) + z, endTz: tz };
  });

const allDay = fc
  .record({ at: instant, days: fc.integer({ min: 1, max: 20 }) })
  .map(({ at, days }) => ({ allDay: true, start: day(at), startTz: null, end: day(at + days * 86_400_000), endTz: null }));

const eventFields: fc.Arbitrary<Fields> = fc
  .record({
    uid: fc.string({ unit: textUnit, minLength: 1, maxLength: 40 }),
    summary: fc.option(text, { nil: null }),
    description: fc.option(text, { nil: null }),
    location: fc.option(text, { nil: null }),
    status: fc.constantFrom(null, 'CONFIRMED', 'TENTATIVE', 'CANCELLED'),
    transp: fc.constantFrom(null, 'OPAQUE', 'TRANSPARENT'),
    times: fc.oneof(timed, allDay),
  })
  .map(({ times, ...rest }) => ({ ...rest, ...times, rrule: null, exdates: [], rdates: [], overrides: [] }));

describe('generated events', () => {
  it('survive toExternal (fresh) → toHub unchanged', () => {
    fc.assert(
      fc.property(eventFields, (fields) => {
        const out = external(fields);
        assertValidIcs(out);
        assert.deepEqual(structured(hub(out)), fields);
      }),
      { numRuns: 400 },
    );
  });

  it('survive the patch path over an object with extra properties', () => {
    const base = hub(
      vcal(
        vevent([
          'DTSTART;VALUE=DATE:20240101',
          'SUMMARY:base',
          'X-FOO;X-P=1:keep',
          'LOCATION;LANGUAGE=de:Raum',
          'BEGIN:VALARM',
          'ACTION:DISPLAY',
          'TRIGGER:-PT5M',
          'END:VALARM',
        ]),
      ),
    );
    fc.assert(
      fc.property(eventFields, (fields) => {
        const out = external({ ...fields, extras: base['extras']! });
        assertValidIcs(out);
        assert.deepEqual(structured(hub(out)), fields);
        assert.ok(unfold(out).includes('X-FOO;X-P=1:keep') && unfold(out).includes('TRIGGER:-PT5M'));
      }),
      { numRuns: 200 },
    );
  });
});

/** A series with generated overrides: ids in the series' form (zone or UTC), distinct. */
const series: fc.Arbitrary<Fields> = fc
  .record({
    base: eventFields,
    zone: fc.constantFrom(null, 'UTC', 'Europe/Berlin', 'America/New_York'),
    overrides: fc.uniqueArray(
      fc.record({
        at: instant,
        shown: fc.oneof(timed, allDay),
        summary: fc.option(text, { nil: null }),
        description: fc.option(text, { nil: null }),
        location: fc.option(text, { nil: null }),
        status: fc.constantFrom(null, 'CONFIRMED', 'TENTATIVE', 'CANCELLED'),
      }),
      { maxLength: 4, selector: (o) => wall(o.at) },
    ),
  })
  .map(({ base, zone, overrides }) => {
    const z = zone === 'UTC' ? 'Z' : '';
    const tz = zone === 'UTC' ? null : zone;
    const list = overrides.map(({ at, shown, ...texts }) => ({ id: wall(at) + z, idTz: tz, ...shown, ...texts })).sort((a, b) => (a.id < b.id ? -1 : 1));
    return {
      ...base,
      allDay: false,
      start: '2024-01-01T09:00:00' + z,
      startTz: tz,
      end: '2024-01-01T10:00:00' + z,
      endTz: tz,
      rrule: 'FREQ=DAILY',
      overrides: list,
    };
  });

describe('generated overrides', () => {
  it('survive structured overrides → iCalendar → structured overrides, fresh and as a patch over other overrides', () => {
    const other = hub(
      vcal(
        vevent(['DTSTART:20240101T090000Z', 'RRULE:FREQ=DAILY', 'SUMMARY:base']),
        vevent(['RECURRENCE-ID:20240102T090000Z', 'DTSTART:20240102T100000Z', 'X-KEEP:me', 'BEGIN:VALARM', 'ACTION:DISPLAY', 'TRIGGER:-PT5M', 'END:VALARM']),
      ),
    );
    fc.assert(
      fc.property(series, (fields) => {
        const fresh = external(fields);
        assertValidIcs(fresh);
        assert.deepEqual(structured(hub(fresh)), fields);
        const patched = external({ ...fields, extras: other['extras']! });
        assertValidIcs(patched);
        assert.deepEqual(structured(hub(patched)), fields);
      }),
      { numRuns: 300 },
    );
  });
});
