/**
 * The Advoware appointment mapper, one rule at a time (seed-systems §AW): default start and
 * end times, an end of 00:00 as the end of the day, multi-day entries without a 24-hour limit,
 * all-day entries, series ↔ RRULE where they map and a named loss where they do not, zones,
 * and the round trip hub → Advoware → hub.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appointmentMapper, appointmentToExternal, appointmentToHub, type AppointmentItem } from '../../../src/connectors/advoware/appointment-mapper.js';
import type { RawTermin } from '../../../src/connectors/advoware/advoware-types.js';
import type { Fields } from '../../../src/core/model.js';

const O = { timeZone: 'Europe/Berlin' };
const item = (t: Partial<RawTermin>): AppointmentItem => ({ termin: { frNr: 7, datum: '2026-03-12T00:00:00', text: 'T', ...t }, kuerzel: 'MUE' });

function hub(t: Partial<RawTermin>): Fields {
  const r = appointmentToHub(item(t), O);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value.fields;
}
const times = (f: Fields) => [f['allDay'], f['start'], f['startTz'], f['end'], f['endTz']];

/** Back to Advoware and read again: the hub fields the mapper holds come back the same. */
function roundTrip(f: Fields): { t: RawTermin; again: Fields } {
  const ext = appointmentToExternal(f, O, null);
  assert.ok(ext.ok, JSON.stringify(ext));
  const r = appointmentToHub({ ...ext.value, termin: { ...ext.value.termin, frNr: 7 } }, O);
  assert.ok(r.ok);
  return { t: ext.value.termin, again: r.value.fields };
}

describe('Advoware appointment mapper', () => {
  it('defaults a missing start to 09:00 and a missing end to one hour after the start', () => {
    assert.deepEqual(times(hub({})), [false, '2026-03-12T09:00:00', 'Europe/Berlin', '2026-03-12T10:00:00', 'Europe/Berlin']);
    assert.deepEqual(times(hub({ uhrzeitVon: '14:30:00' })).slice(1, 4), ['2026-03-12T14:30:00', 'Europe/Berlin', '2026-03-12T15:30:00']);
    assert.deepEqual(
      times(hub({ datum: '2026-03-12T11:00:00' })).slice(1, 4),
      ['2026-03-12T11:00:00', 'Europe/Berlin', '2026-03-12T12:00:00'],
      'a time in datum',
    );
    assert.equal(hub({ uhrzeitVon: '08:00', uhrzeitBis: '08:45' })['end'], '2026-03-12T08:45:00', 'HH:MM is read');
  });

  it('reads an end of 00:00:00 as the end of that day', () => {
    const f = hub({ uhrzeitVon: '20:00:00', uhrzeitBis: '00:00:00' });
    assert.deepEqual([f['start'], f['end']], ['2026-03-12T20:00:00', '2026-03-13T00:00:00']);
    const { t, again } = roundTrip(f);
    assert.deepEqual([t.datum, t.uhrzeitVon, t.datumBis, t.uhrzeitBis], ['2026-03-12T00:00:00', '20:00:00', null, '00:00:00']);
    assert.deepEqual(times(again), times(f));
  });

  it('spans days through datumBis with no 24-hour limit, and defaults its end to 10:00 there', () => {
    const f = hub({ uhrzeitVon: '09:00:00', datumBis: '2026-03-15T00:00:00', uhrzeitBis: '17:00:00' });
    assert.deepEqual(times(f), [false, '2026-03-12T09:00:00', 'Europe/Berlin', '2026-03-15T17:00:00', 'Europe/Berlin']);
    assert.equal(hub({ uhrzeitVon: '15:00:00', datumBis: '2026-03-14T00:00:00' })['end'], '2026-03-14T10:00:00');
    const { t, again } = roundTrip(f);
    assert.deepEqual([t.datum, t.datumBis, t.uhrzeitBis, t.dauertermin], ['2026-03-12T00:00:00', '2026-03-15T00:00:00', '17:00:00', 0]);
    assert.deepEqual(times(again), times(f));
  });

  it('makes dauertermin an all-day span through datumBis (its 23:59 end is the whole last day)', () => {
    const f = hub({ dauertermin: 1, datumBis: '2026-03-14T00:00:00', uhrzeitBis: '23:59:00' });
    assert.deepEqual(times(f), [true, '2026-03-12', null, '2026-03-15', null]);
    assert.deepEqual(times(hub({ dauertermin: 1 })), [true, '2026-03-12', null, '2026-03-13', null]);
    const { t, again } = roundTrip(f);
    assert.deepEqual([t.datum, t.datumBis, t.uhrzeitVon, t.uhrzeitBis, t.dauertermin], ['2026-03-12T00:00:00', '2026-03-14T00:00:00', null, '23:59:00', 1]);
    assert.deepEqual(times(again), times(f));
  });

  it('maps turnus/turnusArt to an RRULE and back: interval, UNTIL from datumBis, endless from 2037', () => {
    const weekly = hub({ uhrzeitVon: '08:30:00', uhrzeitBis: '09:00:00', turnus: 2, turnusArt: 2, datumBis: '2026-06-30T00:00:00' });
    assert.equal(weekly['rrule'], 'FREQ=WEEKLY;INTERVAL=2;UNTIL=20260630T063000Z');
    assert.deepEqual([weekly['start'], weekly['end']], ['2026-03-12T08:30:00', '2026-03-12T09:00:00'], 'each occurrence lasts its day only');
    const { t, again } = roundTrip(weekly);
    assert.deepEqual([t.turnus, t.turnusArt, t.datumBis, t.uhrzeitBis], [2, 2, '2026-06-30T00:00:00', '09:00:00']);
    assert.equal(again['rrule'], weekly['rrule']);
    const endless = hub({ turnus: 1, turnusArt: 3, datumBis: '2037-12-31T00:00:00' });
    assert.equal(endless['rrule'], 'FREQ=MONTHLY');
    const back = roundTrip(endless);
    assert.equal(back.t.datumBis, '2037-12-31T00:00:00');
    assert.equal(back.again['rrule'], 'FREQ=MONTHLY');
    const yearlyAllDay = hub({ turnus: 1, turnusArt: 4, dauertermin: 1, datumBis: '2030-03-12T00:00:00' });
    assert.deepEqual([yearlyAllDay['rrule'], yearlyAllDay['start'], yearlyAllDay['end']], ['FREQ=YEARLY;UNTIL=20300312', '2026-03-12', '2026-03-13']);
    assert.equal(roundTrip(yearlyAllDay).again['rrule'], 'FREQ=YEARLY;UNTIL=20300312');
  });

  it('names what does not map: an unknown series kind in extras, an RRULE Advoware cannot hold as a carried rule', () => {
    const odd = hub({ turnus: 3, turnusArt: 9 });
    assert.equal(odd['rrule'], null);
    assert.deepEqual(odd['extras'], { advoware: { turnusNotMapped: 'turnus=3;turnusArt=9' } });
    const f = { ...hub({ uhrzeitVon: '10:00:00' }), rrule: 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10' };
    const ext = appointmentToExternal(f, O, null);
    assert.ok(ext.ok);
    assert.deepEqual([ext.value.termin.turnus, ext.value.termin.turnusArt], [0, 0], 'written as its first occurrence');
    assert.equal(ext.value.rruleNotMapped, 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10');
    // What was sent maps back with the rule; what Advoware stores (without the carrier) without it: the engine's read-back records the loss of rrule.
    const sent = appointmentToHub({ ...ext.value, termin: { ...ext.value.termin, frNr: 7 } }, O);
    const stored = appointmentToHub({ termin: { ...ext.value.termin, frNr: 7 }, kuerzel: 'MUE' }, O);
    assert.ok(sent.ok && stored.ok);
    assert.equal(sent.value.fields['rrule'], 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10');
    assert.equal(stored.value.fields['rrule'], null);
  });

  it('writes times of another zone, or UTC, as Berlin wall time', () => {
    const f = { ...hub({}), start: '2026-03-12T08:00:00', startTz: 'America/New_York', end: '2026-03-12T09:00:00', endTz: 'America/New_York' };
    const ext = appointmentToExternal(f, O, null);
    assert.ok(ext.ok);
    assert.deepEqual([ext.value.termin.uhrzeitVon, ext.value.termin.uhrzeitBis], ['13:00:00', '14:00:00']);
    const utc = appointmentToExternal({ ...f, start: '2026-07-01T22:30:00Z', startTz: null, end: '2026-07-01T23:30:00Z', endTz: null }, O, null);
    assert.ok(utc.ok);
    assert.deepEqual(
      [utc.value.termin.datum, utc.value.termin.uhrzeitVon, utc.value.termin.datumBis, utc.value.termin.uhrzeitBis],
      ['2026-07-02T00:00:00', '00:30:00', null, '01:30:00'],
    );
  });

  it('keeps fields the hub does not model from the entry as last read, and texts with CRLF notes', () => {
    const previous = item({ sb: 'SCH', anwalt: 'MUE', vorbereitungsDauer: '00:30:00', notiz: 'a\r\nb' });
    const f = hub(previous.termin);
    assert.equal(f['description'], 'a\nb');
    const ext = appointmentToExternal({ ...f, summary: 'Neu' }, O, previous);
    assert.ok(ext.ok);
    assert.deepEqual(
      [ext.value.termin.sb, ext.value.termin.anwalt, ext.value.termin.vorbereitungsDauer, ext.value.termin.notiz, ext.value.termin.text],
      ['SCH', 'MUE', '00:30:00', 'a\r\nb', 'Neu'],
    );
  });

  it('refuses an entry without a date, naming the field', () => {
    const r = appointmentMapper(O).toHub(item({ datum: 'morgen' }), { now: new Date(), link: 'l' });
    assert.ok(!r.ok && 'error' in r);
    assert.match(r.error, /datum 'morgen' is not a date/);
  });
});
