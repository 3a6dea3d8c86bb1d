/**
 * Writes hub fields into a VEVENT (jCal), in place. Properties the hub does not model
 * are left alone, and so are modelled ones whose value did not change: a property the
 * writer leaves alone is the same array, which the serialiser writes as its original line.
 * When the times change, DTSTART and DTEND are written (a DURATION becomes an explicit DTEND).
 */
import ICAL from 'ical.js';
import type { EventFields, Override } from '../../../core/fields/event.js';
import { findProp, type JComp, type JParams, type JProp } from './ical-jcal.js';
import type { Read } from './ical-read.js';
import { isDateValue, isUtc } from './ical-time.js';

/**
 * RFC 5545 TEXT cannot hold control characters other than TAB and LF (escaped as
 * \n); CR and CRLF become LF, the others are dropped, lone surrogates become U+FFFD.
 */
export function cleanText(s: string): string {
  return (
    s
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
  );
}

/** Replaces every `names` property by `replacement`, at the place of the first one. */
function replaceProps(props: JProp[], names: string[], replacement: JProp[]): void {
  // Everything before the first match is kept, so its index is also its index in `kept`.
  const at = props.findIndex((p) => names.includes(p[0]));
  const kept = props.filter((p) => !names.includes(p[0]));
  kept.splice(at < 0 ? kept.length : at, 0, ...replacement);
  props.splice(0, props.length, ...kept);
}

function withoutTzid(params: JParams | undefined): JParams {
  const { tzid: _tzid, ...rest } = params ?? {};
  return rest;
}

/** A DATE, DATE-TIME or PERIOD property; wall times get the TZID of the event. */
function timeProp(name: string, value: string, tz: string | null, params: JParams = {}): JProp {
  const [from, to] = value.split('/');
  const zoned = tz !== null && !isDateValue(from!) && !isUtc(from!);
  const p = zoned ? { ...params, tzid: tz } : params;
  if (to !== undefined) return [name, p, 'period', [from, to]];
  return [name, p, isDateValue(value) ? 'date' : 'date-time', value];
}

type Span = Pick<EventFields, 'allDay' | 'start' | 'startTz' | 'end' | 'endTz'>;

function writeTimes(ev: JComp, f: Span): void {
  const tz = f.allDay ? null : f.startTz;
  replaceProps(ev[1], ['dtstart'], [timeProp('dtstart', f.start, tz, withoutTzid(findProp(ev, 'dtstart')?.[1]))]);
  // RFC 5545 §3.8.2.2 wants DTEND after DTSTART; a zero-length timed event has none.
  const noEnd = !f.allDay && f.end === f.start && f.endTz === f.startTz;
  const dtend = timeProp('dtend', f.end, f.allDay ? null : f.endTz, withoutTzid(findProp(ev, 'dtend')?.[1]));
  replaceProps(ev[1], ['dtend', 'duration'], noEnd ? [] : [dtend]);
}

function writeText(ev: JComp, name: string, value: string | null): void {
  const old = findProp(ev, name);
  if (value === null) return replaceProps(ev[1], [name], []);
  const text = cleanText(value);
  if (old && old[3] === text && old.length === 4) return;
  // ALTREP points at another rendering of the old text, so it goes with it.
  const { altrep: _altrep, ...params } = old?.[1] ?? {};
  replaceProps(ev[1], [name], [[name, params, 'text', text]]);
}

function writeRrule(ev: JComp, rrule: string | null): Read<void> {
  if (rrule === null) {
    replaceProps(ev[1], ['rrule'], []);
    return { ok: true, value: undefined };
  }
  let prop: JProp;
  try {
    prop = ICAL.parse.property('RRULE:' + rrule, ICAL.design.icalendar) as JProp;
  } catch (e) {
    return { ok: false, error: `rrule '${rrule}' is not a valid RRULE (${(e as Error).message})` };
  }
  if (!(prop[3] as Record<string, unknown>)['freq']) return { ok: false, error: `rrule '${rrule}' has no FREQ` };
  replaceProps(ev[1], ['rrule'], [prop]);
  return { ok: true, value: undefined };
}

/** Sets the UID of every VEVENT, so overrides stay with their master. */
export function writeUid(events: JComp[], uid: string): void {
  for (const ev of events) writeText(ev, 'uid', uid);
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((v, i) => v === b[i]);
}

const TIMES = ['allDay', 'start', 'startTz', 'end', 'endTz'] as const;
const TEXTS = ['summary', 'description', 'location', 'status'] as const;
type Shown = Span & Pick<EventFields, (typeof TEXTS)[number]>;

/** The times and texts an event and an override share; only what differs from `current` is written. */
function writeSpan(ev: JComp, f: Shown, current: Shown | null): void {
  if (!current || TIMES.some((k) => current[k] !== f[k])) writeTimes(ev, f);
  for (const key of TEXTS) {
    if (!current || current[key] !== f[key]) writeText(ev, key, f[key]);
  }
}

/** Writes an override into its VEVENT; `current` is what the VEVENT holds now (null for a new one). */
export function writeOverride(ev: JComp, o: Override, current: Override | null): void {
  if (!current || current.id !== o.id || current.idTz !== o.idTz) {
    replaceProps(ev[1], ['recurrence-id'], [timeProp('recurrence-id', o.id, o.idTz, withoutTzid(findProp(ev, 'recurrence-id')?.[1]))]);
  }
  writeSpan(ev, o, current);
}

export function sameOverride(a: Override, b: Override): boolean {
  return (Object.keys(a) as (keyof Override)[]).every((k) => a[k] === b[k]);
}

/**
 * Writes `f` into `ev`. `current` is what `ev` holds now (null when unknown): groups
 * equal to it are not rewritten, so their original form (EXDATE grouping, params) stays.
 */
export function writeEvent(ev: JComp, f: EventFields, current: EventFields | null): Read<void> {
  writeSpan(ev, f, current);
  if (!current || current.transp !== f.transp) writeText(ev, 'transp', f.transp);
  if (!current || current.rrule !== f.rrule) {
    const r = writeRrule(ev, f.rrule);
    if (!r.ok) return r;
  }
  const tz = f.allDay ? null : f.startTz;
  if (!current || !sameList(f.exdates, current.exdates)) {
    replaceProps(
      ev[1],
      ['exdate'],
      [...f.exdates].sort().map((v) => timeProp('exdate', v, tz)),
    );
  }
  // Plain RDATEs and periods share the RDATE lines: when either changes, both are written.
  const rdates = (x: EventFields) => [...x.rdates, ...(x.rdatePeriods ?? [])];
  if (!current || !sameList(rdates(f), rdates(current))) {
    replaceProps(
      ev[1],
      ['rdate'],
      rdates(f)
        .sort()
        .map((v) => timeProp('rdate', v, tz)),
    );
  }
  return { ok: true, value: undefined };
}
