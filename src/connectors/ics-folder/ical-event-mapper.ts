/**
 * iCalendar object text ⇄ hub event fields. Pure: no files, no clock but `ctx.now`,
 * so the `.ics` folder and CalDAV connectors share it. The original text rides along
 * in `extras.ics.$raw` and is written back unchanged while the fields are unchanged,
 * or patched (never rebuilt) when they are not, so nothing the hub does not model
 * (alarms, attendees, X- properties, overrides, VTIMEZONEs) is lost.
 */
import { contentHash } from '../../core/hash.js';
import type { Fields } from '../../core/model.js';
import type { HubMapping, MapContext, MapResult, Mapper } from '../kit/mapper.js';
import { STRUCTURED_KEYS, icsExtrasOf, parseEventFields, structuredOf, type EventFields, type IcsExtras } from './ical-event-fields.js';
import { eventsOf, parseCalendar, type JComp } from './ical-jcal.js';
import { normHash } from './ical-normalise.js';
import { readEventFields, sharedUid, type Read } from './ical-read.js';
import { originalLines, serialiseCalendar, type OriginalLines } from './ical-serialise.js';
import { utcStamp } from './ical-time.js';
import { cleanText, writeEvent, writeUid } from './ical-write.js';

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

/** Writes the fields into the master VEVENT of `base`, keeping everything else, untouched lines as they were. */
function patch(base: string, f: EventFields): Read<{ cal: JComp; lines: OriginalLines }> {
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
  return written.ok ? { ok: true, value: { cal: parsed.cal, lines } } : written;
}

function fresh(f: EventFields, now: Date): Read<{ cal: JComp; lines: OriginalLines }> {
  const ev: JComp = ['vevent', [['uid', {}, 'text', cleanText(f.uid)], ['dtstamp', {}, 'date-time', utcStamp(now)]], []];
  // A zoned time gets its TZID but no VTIMEZONE: the hub holds no zone rules to embed,
  // and IANA names are resolved by most servers and clients (cf. RFC 7809).
  const written = writeEvent(ev, f, null);
  if (!written.ok) return written;
  const cal: JComp = ['vcalendar', [['version', {}, 'text', '2.0'], ['prodid', {}, 'text', TIMEBRIDGE_PRODID]], [ev]];
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
  const cal = base !== null ? patch(base, f.value) : fresh(f.value, ctx.now);
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
