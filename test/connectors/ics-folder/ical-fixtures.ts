/** Shared helpers for the iCalendar mapper tests. */
import assert from 'node:assert/strict';
import { icsEventMapper } from '../../../src/connectors/kit/icalendar/ical-event-mapper.js';
import type { MapContext } from '../../../src/connectors/kit/mapper.js';
import type { Fields, Json } from '../../../src/core/model.js';

export const ctx: MapContext = { now: new Date('2024-05-01T10:00:00.123Z'), link: 'test' };

export const BERLIN_VTIMEZONE = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

export const NEW_YORK_VTIMEZONE = [
  'BEGIN:VTIMEZONE',
  'TZID:America/New_York',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:-0500',
  'TZOFFSETTO:-0400',
  'TZNAME:EDT',
  'DTSTART:20070311T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:-0400',
  'TZOFFSETTO:-0500',
  'TZNAME:EST',
  'DTSTART:20071104T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

/** Content lines joined with CRLF, with the final CRLF. */
export function ics(lines: string[]): string {
  return lines.join('\r\n') + '\r\n';
}

/** A VCALENDAR holding `components` (each a list of lines). */
export function vcal(...components: string[][]): string {
  return ics(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//Test//EN', ...components.flat(), 'END:VCALENDAR']);
}

/** A VEVENT with UID and DTSTAMP plus `lines`. */
export function vevent(lines: string[], uid = 'ev-1@test'): string[] {
  return ['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20240101T120000Z', ...lines, 'END:VEVENT'];
}

/** toHub, asserting success. */
export function hub(text: string): Fields {
  const r = icsEventMapper.toHub(text, ctx);
  if (!r.ok) assert.fail(`toHub failed: ${'error' in r ? r.error : 'skip' in r ? r.skip : r.remove}`);
  return r.value.fields;
}

/** toExternal, asserting success. */
export function external(fields: Fields, previous: string | null = null): string {
  const r = icsEventMapper.toExternal(fields, ctx, previous);
  if (!r.ok) assert.fail(`toExternal failed: ${'error' in r ? r.error : r.skip}`);
  return r.value;
}

/** The fields without extras. */
export function structured(fields: Fields): Fields {
  const { extras: _extras, ...rest } = fields;
  return rest;
}

export function icsOf(fields: Fields): { $raw: string; $fieldsHash: string; norm: string } {
  return (fields['extras'] as { ics: { $raw: string; $fieldsHash: string; norm: string } }).ics;
}

/** Reads `text`, applies `change`, writes through the patch path and reads the result. */
export function patchRoundTrip(text: string, change: { [key: string]: Json }): { before: Fields; out: string; after: Fields } {
  const before = hub(text);
  const out = external({ ...before, ...change });
  assertValidIcs(out);
  return { before, out, after: hub(out) };
}

/** RFC 5545 §3.1: CRLF line ends, ≤75 octets a line, no bare CR or LF, valid UTF-8 splits. */
export function assertValidIcs(text: string): void {
  assert.ok(text.endsWith('\r\n'), 'text ends with CRLF');
  const lines = text.slice(0, -2).split('\r\n');
  for (const line of lines) {
    assert.ok(!/[\r\n]/.test(line), `bare CR/LF in ${JSON.stringify(line)}`);
    assert.ok(Buffer.byteLength(line) <= 75, `line over 75 octets: ${JSON.stringify(line)}`);
    // A split inside a surrogate pair would leave a lone surrogate at a line edge.
    assert.ok(!/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(line), `character split in ${JSON.stringify(line)}`);
  }
}

/** Unfolded content lines of a text. */
export function unfold(text: string): string[] {
  return text
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter((l) => l !== '');
}
