/**
 * Google event ⇄ hub event (the fields of core/fields/event.ts), so Google,
 * CalDAV and `.ics` folders sync through one hub scope. Pure.
 *
 * What Google cannot hold exactly is kept in the event's private properties, so a round
 * trip through Google changes nothing the other calendars see: the hub UID
 * (`timebridgeUid`, since a create picks the event id), and in `timebridgeHub` an
 * explicit STATUS:CONFIRMED or TRANSP:OPAQUE (on an exception: its STATUS) and the other
 * connectors' hashed extras (such as `extras.ics.norm`). Google-only fields (colorId,
 * visibility, event type) go under `extras.$google`: carried, but never counted as a change.
 *
 * A series' exceptions are its overrides: a moved or changed instance is an override, a
 * cancelled one an EXDATE. Writing, the item names the instances the hub wants
 * (`instances`); the connector writes those that differ (instances.ts).
 */
import type { Fields, Json } from '../../core/model.js';
import { STRUCTURED_KEYS, parseEventFields, sortOverrides, type EventFields, type Override } from '../../core/fields/event.js';
import type { HubMapping, MapResult, Mapper } from '../kit/mapper.js';
import type { GEvent, GEventTime, GoogleItem } from './google-types.js';
import { PROP_OVERRIDE, instanceKey, isPutBack, type WantedInstance } from './instances.js';
import { PROP_HUB_FIELDS, PROP_NOT_HELD, PROP_UID } from './ids.js';
import { dateLine, parseRecurrence, type DateValue } from './recurrence-lines.js';
import { formatWall, instantToWall, isUtcZone, parseRfc3339, wallToInstant } from '../kit/zone-time.js';

export { PROP_HUB_FIELDS };
const PROP_LIMIT = 1024;
const READ_ONLY = ['kind', 'etag', 'created', 'updated', 'htmlLink', 'iCalUID', 'creator', 'organizer', 'sequence', 'recurringEventId', 'originalStartTime'];

interface Stash {
  s?: string;
  t?: string;
  x?: Record<string, Json>;
}

function readStash(ev: GEvent): Stash {
  try {
    const raw = ev.extendedProperties?.private?.[PROP_HUB_FIELDS];
    const v: unknown = raw ? JSON.parse(raw) : {};
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Stash) : {};
  } catch {
    return {};
  }
}

/** A point of Google's in the series' form: a date, wall time in `tz`, or UTC with 'Z'. */
function hubPoint(t: GEventTime | undefined, allDay: boolean, tz: string | null): string | null {
  if (!t) return null;
  if (t.date !== undefined) return t.date;
  const ms = parseRfc3339(t.dateTime ?? '');
  if (ms === null) return null;
  if (allDay) return formatWall(ms).slice(0, 10);
  return tz ? instantToWall(ms, tz) : `${formatWall(ms)}Z`;
}

function seriesValue(v: DateValue, allDay: boolean, tz: string | null): string {
  if (v.value.includes('/')) return v.value;
  if (allDay) return v.value.slice(0, 10);
  if (!v.value.includes('T')) return v.value;
  if (v.value.endsWith('Z')) return tz ? instantToWall(Date.parse(v.value), tz) : v.value;
  if (!v.tzid || v.tzid === tz) return v.value;
  const ms = wallToInstant(v.value, v.tzid);
  return tz ? instantToWall(ms, tz) : `${formatWall(ms)}Z`;
}

const uniqSorted = (xs: string[]): string[] => [...new Set(xs)].sort();

/** A live exception as a hub override; `tz` is the series' zone (null: UTC or all-day). */
function overrideOf(x: GEvent, allDay: boolean, tz: string | null): Override | null {
  const id = hubPoint(x.originalStartTime, allDay, tz);
  const xAllDay = x.start?.date !== undefined;
  // An instance written without a zone (an offset only) is shown in the series' zone.
  const zoneOf = (t: GEventTime | undefined): string | null => (xAllDay ? null : t?.timeZone ? (isUtcZone(t.timeZone) ? null : t.timeZone) : tz);
  const startTz = zoneOf(x.start),
    endTz = x.end?.timeZone ? zoneOf(x.end) : startTz;
  const start = hubPoint(x.start, xAllDay, startTz),
    end = hubPoint(x.end, xAllDay, endTz);
  if (id === null || start === null || end === null) return null;
  return {
    id,
    idTz: allDay || id.endsWith('Z') ? null : tz,
    allDay: xAllDay,
    start,
    startTz,
    end,
    endTz,
    summary: x.summary ?? null,
    description: x.description ?? null,
    location: x.location ?? null,
    status: x.status === 'tentative' ? 'TENTATIVE' : (readStash(x).s ?? null),
  };
}

function toHub(item: GoogleItem): MapResult<HubMapping> {
  const ev = item.event;
  const allDay = ev.start?.date !== undefined;
  const zone = (t: GEventTime | undefined): string | null => (allDay || isUtcZone(t?.timeZone) ? null : t!.timeZone!);
  const startTz = zone(ev.start),
    endTz = ev.end?.timeZone ? zone(ev.end) : startTz;
  const start = hubPoint(ev.start, allDay, startTz),
    end = hubPoint(ev.end, allDay, endTz);
  if (start === null || end === null) return { ok: false, error: `event ${ev.id} has no valid start or end` };
  const stash = readStash(ev);
  const rec = parseRecurrence(ev.recurrence);
  const cancelled = item.exceptions.filter((x) => x.status === 'cancelled');
  const moved = item.exceptions.filter((x) => x.status !== 'cancelled' && !isPutBack(ev, x));
  const overrides: Override[] = [];
  for (const x of moved) {
    const o = overrideOf(x, allDay, startTz);
    if (!o) return { ok: false, error: `event ${ev.id}: the exception ${x.id} has no valid start, end or original start` };
    overrides.push(o);
  }
  const points = (xs: GEvent[]): string[] => xs.map((x) => hubPoint(x.originalStartTime, allDay, startTz)).filter((v): v is string => v !== null);
  const google: Record<string, Json> = { id: ev.id };
  if (ev.colorId) google['colorId'] = ev.colorId;
  if (ev.visibility && ev.visibility !== 'default') google['visibility'] = ev.visibility;
  if (ev.eventType && ev.eventType !== 'default') google['eventType'] = ev.eventType;
  const notMapped = [...rec.unsupported, ...rec.rdates.filter((v) => v.value.includes('/')).map((v) => dateLine('RDATE', v.value, v.tzid))];
  if (notMapped.length) google['recurrenceNotMapped'] = notMapped;
  const fields: Fields = {
    uid: ev.extendedProperties?.private?.[PROP_UID] ?? ev.iCalUID ?? `${ev.id}@google.com`,
    summary: ev.summary ?? null,
    description: ev.description ?? null,
    location: ev.location ?? null,
    status: ev.status === 'tentative' ? 'TENTATIVE' : (stash.s ?? null),
    transp: ev.transparency === 'transparent' ? 'TRANSPARENT' : (stash.t ?? null),
    allDay,
    start,
    startTz,
    end,
    endTz,
    rrule: rec.rrule,
    exdates: uniqSorted([...rec.exdates.map((v) => seriesValue(v, allDay, startTz)), ...points(cancelled)]),
    rdates: uniqSorted(rec.rdates.filter((v) => !v.value.includes('/')).map((v) => seriesValue(v, allDay, startTz))),
    overrides: sortOverrides(overrides),
    extras: { ...(stash.x ?? {}), $google: google },
  };
  const parsed = parseEventFields(fields);
  if (!parsed.ok) return { ok: false, error: `event ${ev.id}: ${parsed.error}` };
  return { ok: true, value: { fields, identity: fields['uid'] as string } };
}

function timeOf(value: string, tz: string | null, allDay: boolean): GEventTime {
  if (allDay) return { date: value };
  if (value.endsWith('Z')) return { dateTime: value, timeZone: 'UTC' };
  // A floating time has no zone in Google: it is pinned to UTC.
  return { dateTime: value, timeZone: tz ?? 'UTC' };
}

/** Hashed extras of other connectors, without their `$` carriers. */
function foreignExtras(fields: Fields): Record<string, Json> {
  const extras = fields['extras'];
  if (!extras || typeof extras !== 'object' || Array.isArray(extras)) return {};
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(extras)) if (!k.startsWith('$') && k !== 'google') out[k] = dropCarriers(v);
  return out;
}

function dropCarriers(v: Json): Json {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => !k.startsWith('$'))
      .map(([k, x]) => [k, dropCarriers(x)]),
  );
}

function stashOf(f: EventFields, fields: Fields): string | null {
  const s: Stash = {};
  if (f.status?.toUpperCase() === 'CONFIRMED' || f.status?.toUpperCase() === 'CANCELLED') s.s = f.status;
  if (f.transp && f.transp.toUpperCase() !== 'TRANSPARENT') s.t = f.transp;
  const x = foreignExtras(fields);
  if (Object.keys(x).length) s.x = x;
  // Google caps a property value at 1024 characters: drop the least needed parts first.
  for (const drop of [null, 'x'] as const) {
    if (drop) delete s[drop];
    const text = JSON.stringify(s);
    if (text.length <= PROP_LIMIT) return text === '{}' ? null : text;
  }
  return null;
}

/** The event to write: the previous one (fields the hub does not model survive) with the hub's fields on top. */
export function eventFromFields(f: EventFields, fields: Fields, previous: GEvent | null): GEvent {
  const ev: GEvent = { ...(previous ?? { id: '' }) };
  for (const k of READ_ONLY) delete ev[k];
  const carried = (fields['extras'] as { $google?: Record<string, string> } | undefined)?.$google;
  if (!previous && carried) {
    if (carried['colorId']) ev.colorId = carried['colorId'];
    if (carried['visibility']) ev.visibility = carried['visibility'] as GEvent['visibility'];
  }
  for (const k of ['summary', 'description', 'location'] as const) {
    if (f[k] === null) delete ev[k];
    else ev[k] = f[k];
  }
  ev.status = f.status?.toUpperCase() === 'TENTATIVE' ? 'tentative' : 'confirmed';
  ev.transparency = f.transp?.toUpperCase() === 'TRANSPARENT' ? 'transparent' : 'opaque';
  ev.start = timeOf(f.start, f.startTz, f.allDay);
  ev.end = timeOf(f.end, f.endTz ?? f.startTz, f.allDay);
  const recurrence = f.rrule ? [`RRULE:${f.rrule}`] : [];
  // RDATEs make a series without an RRULE too (the start plus each RDATE).
  if (f.rrule || f.rdates.length) {
    for (const v of f.exdates) recurrence.push(dateLine('EXDATE', v, f.startTz));
    // Periods are not Google's (see holds); a plain RDATE list of an older record may still hold one.
    for (const v of f.rdates) if (!v.includes('/')) recurrence.push(dateLine('RDATE', v, f.startTz));
  }
  if (recurrence.length) ev.recurrence = recurrence;
  else delete ev.recurrence;
  const priv: Record<string, string> = { ...ev.extendedProperties?.private, [PROP_UID]: f.uid };
  const stash = stashOf(f, fields);
  if (stash) priv[PROP_HUB_FIELDS] = stash;
  else delete priv[PROP_HUB_FIELDS];
  const periods = f.rdatePeriods ?? [];
  if (periods.length) priv[PROP_NOT_HELD] = `RDATE periods ${periods.join(', ')}`.slice(0, PROP_LIMIT);
  else delete priv[PROP_NOT_HELD];
  ev.extendedProperties = { ...ev.extendedProperties, private: priv };
  return ev;
}

/** An override as the exception to write: the series' other fields, the override's own on top. */
function exceptionOf(o: Override, master: GEvent): GEvent {
  const { recurrence: _r, id: _id, ...rest } = master;
  const ev: GEvent = { ...rest, id: '' };
  for (const k of ['summary', 'description', 'location'] as const) {
    if (o[k] === null) delete ev[k];
    else ev[k] = o[k];
  }
  ev.status = o.status?.toUpperCase() === 'TENTATIVE' ? 'tentative' : 'confirmed';
  ev.start = timeOf(o.start, o.startTz, o.allDay);
  ev.end = timeOf(o.end, o.endTz ?? o.startTz, o.allDay);
  const priv: Record<string, string> = { ...master.extendedProperties?.private, [PROP_OVERRIDE]: '1' };
  delete priv[PROP_HUB_FIELDS];
  const status = o.status?.toUpperCase();
  if (status === 'CONFIRMED' || status === 'CANCELLED') priv[PROP_HUB_FIELDS] = JSON.stringify({ s: o.status });
  ev.extendedProperties = { ...master.extendedProperties, private: priv };
  return ev;
}

/** The instances the hub wants: each override as an exception, each EXDATE cancelled. */
function wantedInstances(f: EventFields, master: GEvent): WantedInstance[] {
  if (!f.rrule && !f.rdates.length) return [];
  const tz = f.allDay ? null : f.startTz;
  return [
    ...f.overrides.map((o) => ({ key: instanceKey(o.id, o.idTz ?? tz), event: exceptionOf(o, master) })),
    ...f.exdates.map((v) => ({ key: instanceKey(v, tz), event: null })),
  ];
}

function toExternal(fields: Fields, previous: GoogleItem | null): MapResult<GoogleItem> {
  const f = parseEventFields(fields);
  if (!f.ok) return f;
  if (!f.value.rrule && !f.value.rdates.length && f.value.overrides.length) {
    // An invitation to some instances of a series one does not have: Google holds no exception without its series.
    return { ok: false, skip: 'it holds instances of a series (RECURRENCE-ID) without the series, which Google cannot hold' };
  }
  const event = eventFromFields(f.value, fields, previous?.event ?? null);
  return { ok: true, value: { event, exceptions: previous?.exceptions ?? [], instances: wantedInstances(f.value, event) } };
}

export const googleEventMapper: Mapper<GoogleItem> = {
  name: 'google-event',
  hubKind: 'event',
  // Alarms, attendees and other iCalendar-only parts (extras.ics) are not Google's: a pull keeps
  // them. Nor are RDATE periods: Google refuses them (an instance with its own length), so they
  // stay in the hub and the files, and are missing from Google.
  holds: [...STRUCTURED_KEYS.filter((k) => k !== 'rdatePeriods'), 'extras.$google'],
  toHub: (item) => toHub(item),
  toExternal: (fields, _ctx, previous) => toExternal(fields, previous),
  identity: (fields) => (typeof fields['uid'] === 'string' ? fields['uid'] : null),
  label(fields) {
    const summary = typeof fields['summary'] === 'string' && fields['summary'].trim() ? fields['summary'] : '(no title)';
    const tz = typeof fields['startTz'] === 'string' ? ` ${fields['startTz']}` : '';
    return `${summary} (${String(fields['start'] ?? 'no start')}${tz})`;
  },
};
