/**
 * iCalendar object text ⇄ hub event fields. Pure: no files, no clock but `ctx.now`,
 * so the `.ics` folder and CalDAV connectors share it. The original text rides along
 * in `extras.ics.$raw` and is written back unchanged while the fields are unchanged,
 * or patched (never rebuilt) when they are not, so nothing the hub does not model
 * (alarms, attendees, X- properties, overrides, VTIMEZONEs) is lost.
 */
import { contentHash } from '../../../core/hash.js';
import type { Fields } from '../../../core/model.js';
import type { HubMapping, MapContext, MapResult, Mapper } from '../mapper.js';
import { STRUCTURED_KEYS, parseEventFields, structuredOf, type EventFields, type Override } from '../../../core/fields/event.js';
import { icsExtrasOf, type IcsExtras } from './ics-extras.js';
import { eventsOf, parseCalendar, type JComp } from './ical-jcal.js';
import { normHash } from './ical-normalise.js';
import { overrideEvents, readEventFields, readOverride, sharedUid, type Read } from './ical-read.js';
import { originalLines, serialiseCalendar, type OriginalLines } from './ical-serialise.js';
import { utcStamp } from './ical-time.js';
import { cleanText, sameOverride, writeEvent, writeOverride, writeUid } from './ical-write.js';

export const TIMEBRIDGE_PRODID = '-//Timebridge//Timebridge//EN';

function broken(what: string): { ok: false; error: string } {
  return { ok: false, error: `${what}; fix the file or remove it` };
}

function toHub(text: string): MapResult<HubMapping> {
  const parsed = parseCalendar(text);
  if (!parsed.ok) return broken(parsed.error);
  const { events, master } = eventsOf(parsed.cal);
  if (!master) return { ok: false, skip: 'no VEVENT in this object' };
  const uid = sharedUid(events);
  if (!uid.ok) return broken(uid.error);
  const read = readEventFields(uid.value, master, events);
  if (!read.ok) return broken(`VEVENT ${uid.value}: ${read.error}`);
  const structured = structuredOf(read.value);
  const ics: IcsExtras = { $raw: text, $fieldsHash: contentHash(structured), norm: normHash(parsed.cal, master) };
  return { ok: true, value: { fields: { ...structured, extras: { ics: { ...ics } } }, identity: uid.value } };
}

function newEvent(uid: string, now: Date): JComp {
  return [
    'vevent',
    [
      ['uid', {}, 'text', cleanText(uid)],
      ['dtstamp', {}, 'date-time', utcStamp(now)],
    ],
    [],
  ];
}

/**
 * Brings the override VEVENTs in line with `want`: a changed one is patched (its other
 * lines kept), a new one appended after the last VEVENT, a dropped one removed; one the
 * hub did not change is the same arrays, so its lines are written as they were.
 */
function patchOverrides(cal: JComp, master: JComp, events: JComp[], want: Override[], uid: string, now: Date): void {
  const have = new Map<string, { ev: JComp; current: Override | null }>();
  for (const ev of overrideEvents(master, events)) {
    const read = readOverride(ev);
    const id = read.ok ? read.value.id : String(ev[1].find((p) => p[0] === 'recurrence-id')?.[3]);
    have.set(id, { ev, current: read.ok ? read.value : null });
  }
  const wanted = new Set(want.map((o) => o.id));
  cal[2] = cal[2].filter((c) => ![...have].some(([id, h]) => h.ev === c && !wanted.has(id)));
  for (const o of want) {
    const there = have.get(o.id);
    if (there?.current && sameOverride(there.current, o)) continue;
    if (there) {
      writeOverride(there.ev, o, there.current);
      continue;
    }
    const ev = newEvent(uid, now);
    writeOverride(ev, o, null);
    const last = cal[2].map((c) => c[0]).lastIndexOf('vevent');
    cal[2].splice(last + 1, 0, ev);
  }
}

/** Writes the fields into the master VEVENT of `base` and its overrides, keeping everything else, untouched lines as they were. */
function patch(base: string, f: EventFields, now: Date): Read<{ cal: JComp; lines: OriginalLines }> {
  const parsed = parseCalendar(base);
  const { events, master } = parsed.ok ? eventsOf(parsed.cal) : { events: [], master: undefined };
  if (!parsed.ok || !master) {
    const why = parsed.ok ? 'it holds no VEVENT' : parsed.error;
    return { ok: false, error: `the stored iCalendar text cannot be updated (${why}); fix or remove the object so it can be rewritten` };
  }
  // Paired before any edit: an edited property is a new array, so it has no original line.
  const lines = originalLines(base, parsed.cal);
  const uid = sharedUid(events);
  const current = uid.ok ? readEventFields(uid.value, master, events) : null;
  if (!uid.ok || uid.value !== f.uid) writeUid(events, f.uid);
  const written = writeEvent(master, f, current?.ok ? current.value : null);
  if (!written.ok) return written;
  patchOverrides(parsed.cal, master, events, f.overrides, f.uid, now);
  return { ok: true, value: { cal: parsed.cal, lines } };
}

function fresh(f: EventFields, now: Date): Read<{ cal: JComp; lines: OriginalLines }> {
  const ev = newEvent(f.uid, now);
  // A zoned time gets its TZID but no VTIMEZONE: the hub holds no zone rules to embed,
  // and IANA names are resolved by most servers and clients (cf. RFC 7809).
  const written = writeEvent(ev, f, null);
  if (!written.ok) return written;
  const cal: JComp = [
    'vcalendar',
    [
      ['version', {}, 'text', '2.0'],
      ['prodid', {}, 'text', TIMEBRIDGE_PRODID],
    ],
    [ev],
  ];
  patchOverrides(cal, ev, [ev], f.overrides, f.uid, now);
  return { ok: true, value: { cal, lines: new Map() } };
}

function toExternal(fields: Fields, ctx: MapContext, previous: string | null): MapResult<string> {
  const ics = icsExtrasOf(fields);
  // Fast path: the fields are what was read from $raw, so $raw is already the answer.
  if (ics.$raw !== undefined && ics.$fieldsHash === contentHash(structuredOf(fields))) {
    return { ok: true, value: ics.$raw };
  }
  const f = parseEventFields(fields);
  if (!f.ok) return f;
  const base = ics.$raw ?? previous;
  const cal = base !== null ? patch(base, f.value, ctx.now) : fresh(f.value, ctx.now);
  return cal.ok ? { ok: true, value: serialiseCalendar(cal.value.cal, cal.value.lines) } : cal;
}

export const icsEventMapper: Mapper<string> = {
  name: 'ics-event',
  hubKind: 'event',
  holds: [...STRUCTURED_KEYS, 'extras.ics'],
  toHub: (text) => toHub(text),
  toExternal,
  identity: (fields) => (typeof fields['uid'] === 'string' ? fields['uid'] : null),
  label(fields) {
    const summary = typeof fields['summary'] === 'string' && fields['summary'].trim() ? fields['summary'] : '(no title)';
    const tz = typeof fields['startTz'] === 'string' ? ` ${fields['startTz']}` : '';
    return `${summary} (${String(fields['start'] ?? 'no start')}${tz})`;
  },
};
