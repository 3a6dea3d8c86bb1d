/**
 * Reads the structured hub fields out of a parsed VCALENDAR (jCal). Errors are
 * returned as text saying what is wrong; the caller adds what to do next.
 */
import ICAL from 'ical.js';
import { sortOverrides, type EventFields, type Override } from '../../../core/fields/event.js';
import { findProp, stringValue, tzidOf, type JComp, type JProp } from './ical-jcal.js';
import { addDays, endFromDuration, isDateTimeValue, isDateValue, isUtc, parseDuration } from './ical-time.js';

export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

interface Point {
  value: string;
  tz: string | null;
  date: boolean;
}

function readPoint(prop: JProp, what: string): Read<Point> {
  const value = prop[3];
  const date = prop[2] === 'date';
  const valid = typeof value === 'string' && (date ? isDateValue(value) : isDateTimeValue(value));
  if (!valid) return { ok: false, error: `${what} value ${JSON.stringify(value)} is not a valid ${prop[2].toUpperCase()}` };
  // A TZID on a DATE or on a UTC time means nothing; only wall times carry one.
  return { ok: true, value: { value, date, tz: date || isUtc(value) ? null : tzidOf(prop) } };
}

type Times = Pick<EventFields, 'allDay' | 'start' | 'startTz' | 'end' | 'endTz'>;

function readEnd(ev: JComp, start: Point): Read<{ end: string; endTz: string | null }> {
  const dtend = findProp(ev, 'dtend');
  if (dtend) {
    const end = readPoint(dtend, 'DTEND');
    if (!end.ok) return end;
    if (end.value.date !== start.date) return { ok: false, error: 'DTEND and DTSTART differ in value type (DATE vs DATE-TIME)' };
    return { ok: true, value: { end: end.value.value, endTz: end.value.tz } };
  }
  const duration = findProp(ev, 'duration');
  if (duration) {
    const d = parseDuration(String(duration[3]));
    if (!d || d.sign < 0) return { ok: false, error: `DURATION ${JSON.stringify(duration[3])} is not a positive duration` };
    return { ok: true, value: { end: endFromDuration(start.value, start.tz, d), endTz: start.tz } };
  }
  // RFC 5545 §3.6.1: a DATE event lasts one day, a DATE-TIME event ends where it starts.
  return { ok: true, value: { end: start.date ? addDays(start.value, 1) : start.value, endTz: start.tz } };
}

function readTimes(ev: JComp): Read<Times> {
  const dtstart = findProp(ev, 'dtstart');
  if (!dtstart) return { ok: false, error: 'the VEVENT has no DTSTART' };
  const start = readPoint(dtstart, 'DTSTART');
  if (!start.ok) return start;
  const end = readEnd(ev, start.value);
  if (!end.ok) return end;
  const s = start.value;
  return { ok: true, value: { allDay: s.date, start: s.value, startTz: s.tz, ...end.value } };
}

/** RRULE value as text with FREQ first (RFC 5545 §3.3.10 asks for that for old readers). */
export function recurText(recur: Record<string, unknown>): string {
  const { freq, ...rest } = recur;
  return ICAL.stringify.property(['rrule', {}, 'recur', { freq, ...rest }], ICAL.design.icalendar, true).slice('RRULE:'.length);
}

function readRrule(ev: JComp): Read<string | null> {
  const prop = findProp(ev, 'rrule');
  if (!prop) return { ok: true, value: null };
  const recur = prop[3] as Record<string, unknown> | undefined;
  if (!recur || typeof recur !== 'object' || !recur['freq']) return { ok: false, error: 'RRULE has no FREQ' };
  return { ok: true, value: recurText(recur) };
}

/** All values of every `name` property, as hub strings; periods become 'start/end'. */
function readDates(ev: JComp, name: 'exdate' | 'rdate'): Read<string[]> {
  const out: string[] = [];
  for (const prop of ev[1]) {
    if (prop[0] !== name) continue;
    for (const v of prop.slice(3)) {
      const text = Array.isArray(v) ? v.join('/') : String(v);
      const ok = Array.isArray(v) ? name === 'rdate' : isDateValue(text) || isDateTimeValue(text);
      if (!ok) return { ok: false, error: `${name.toUpperCase()} value ${JSON.stringify(v)} is not a valid date` };
      out.push(text);
    }
  }
  return { ok: true, value: out.sort() };
}

/** The structured fields of one RECURRENCE-ID VEVENT. */
export function readOverride(ev: JComp): Read<Override> {
  const rid = findProp(ev, 'recurrence-id')!;
  const id = readPoint(rid, 'RECURRENCE-ID');
  if (!id.ok) return id;
  const times = readTimes(ev);
  if (!times.ok) return { ok: false, error: `the override ${id.value.value}: ${times.error}` };
  return {
    ok: true,
    value: {
      id: id.value.value,
      idTz: id.value.tz,
      ...times.value,
      summary: stringValue(ev, 'summary'),
      description: stringValue(ev, 'description'),
      location: stringValue(ev, 'location'),
      status: stringValue(ev, 'status'),
    },
  };
}

/** The override VEVENTs of an object: every RECURRENCE-ID VEVENT but the one standing in for a missing master. */
export function overrideEvents(master: JComp, events: JComp[]): JComp[] {
  return events.filter((e) => e !== master && findProp(e, 'recurrence-id'));
}

function readOverrides(master: JComp, events: JComp[]): Read<Override[]> {
  const out: Override[] = [];
  for (const ev of overrideEvents(master, events)) {
    const o = readOverride(ev);
    if (!o.ok) return o;
    if (out.some((x) => x.id === o.value.id)) return { ok: false, error: `two overrides have RECURRENCE-ID ${o.value.id}` };
    out.push(o.value);
  }
  return { ok: true, value: sortOverrides(out) };
}

/** The structured fields of the master VEVENT and of its overrides. */
export function readEventFields(uid: string, master: JComp, events: JComp[]): Read<EventFields> {
  const times = readTimes(master);
  if (!times.ok) return times;
  const rrule = readRrule(master);
  if (!rrule.ok) return rrule;
  const exdates = readDates(master, 'exdate');
  if (!exdates.ok) return exdates;
  const rdates = readDates(master, 'rdate');
  if (!rdates.ok) return rdates;
  const periods = rdates.value.filter((v) => v.includes('/'));
  const overrides = readOverrides(master, events);
  if (!overrides.ok) return overrides;
  return {
    ok: true,
    value: {
      uid,
      summary: stringValue(master, 'summary'),
      description: stringValue(master, 'description'),
      location: stringValue(master, 'location'),
      status: stringValue(master, 'status'),
      transp: stringValue(master, 'transp'),
      ...times.value,
      rrule: rrule.value,
      exdates: exdates.value,
      rdates: rdates.value.filter((v) => !v.includes('/')),
      ...(periods.length ? { rdatePeriods: periods } : {}),
      overrides: overrides.value,
    },
  };
}

/** The one UID shared by all VEVENTs, or what is wrong with them. */
export function sharedUid(events: JComp[]): Read<string> {
  const uids = new Set<string>();
  for (const ev of events) {
    const uid = stringValue(ev, 'uid');
    if (!uid) {
      const summary = stringValue(ev, 'summary');
      return { ok: false, error: `a VEVENT${summary ? ` ('${summary}')` : ''} has no UID` };
    }
    uids.add(uid);
  }
  if (uids.size > 1) {
    return { ok: false, error: `VEVENTs with different UIDs (${[...uids].join(', ')}) share one object` };
  }
  return { ok: true, value: [...uids][0]! };
}
