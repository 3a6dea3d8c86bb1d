/**
 * Calendar events ⇄ time entries (core/fields/time-entry.ts). Pure.
 *
 * `google-import` (kind `event-instance`): each timed event, and each instance of a
 * series, becomes a time entry of its rounded duration; edits and deletions in the
 * calendar follow. Events Timebridge exported are skipped, so nothing comes back.
 * `google-export` (kind `event`): each finished time entry becomes an event with a
 * visible marker in the summary and `extendedProperties.private.timebridgeExport`;
 * entries that were imported from a calendar are never exported. The entry's fields
 * the event cannot show ride in `timebridgeEntry`, so reading the event back gives the
 * same entry (no change, no ping-pong). The export is a one-way copy by default
 * (`defaultDirection: mirror`): a moved event is moved back; on a `direction: both` link
 * it moves the entry.
 */
import { z } from 'zod';
import { timeEntryFieldsSchema, type TimeEntryFields } from '../../core/fields/time-entry.js';
import type { Fields, Json } from '../../core/model.js';
import type { HubMapping, MapResult, Mapper, MapperEntry } from '../kit/mapper.js';
import type { GEvent, GoogleItem } from './google-types.js';
import { PROP_HUB_ID } from './ids.js';
import { formatWall, instantToWall, isKnownZone, parseRfc3339 } from '../kit/zone-time.js';

export const PROP_EXPORT = 'timebridgeExport';
export const PROP_ENTRY = 'timebridgeEntry';
const DEFAULT_MARKER = '[TB]';
const READ_ONLY = [
  'kind',
  'etag',
  'created',
  'updated',
  'htmlLink',
  'iCalUID',
  'creator',
  'organizer',
  'sequence',
  'recurringEventId',
  'originalStartTime',
  'recurrence',
];

const zone = z.string().refine(isKnownZone, 'is not an IANA time zone such as Europe/Berlin');

export const importOptionsSchema = z
  .object({
    /** Import all-day events too, as entries of `allDayHours` per day. */
    includeAllDay: z.boolean().default(false),
    allDayHours: z.number().positive().max(24).default(8),
    rounding: z
      .object({
        minutes: z.union([z.literal(1), z.literal(5), z.literal(10), z.literal(15), z.literal(30), z.literal(60)]).default(1),
        mode: z.enum(['nearest', 'up', 'down']).default('nearest'),
      })
      .strict()
      .default({ minutes: 1, mode: 'nearest' }),
    /** Zone of an entry whose event has none (the entry's day is taken in it). */
    timeZone: zone.default('UTC'),
    /** Events whose summary starts with this are Timebridge's own exports. */
    marker: z.string().min(1).default(DEFAULT_MARKER),
  })
  .strict();
export type ImportOptions = z.infer<typeof importOptionsSchema>;

export const exportOptionsSchema = z
  .object({
    /** Put in front of the summary, so people (and imports) see the event is an export. */
    marker: z.string().min(1).default(DEFAULT_MARKER),
    /** Zone of an event whose entry has none. */
    timeZone: zone.default('UTC'),
    /** Google colour (1–11) for exported events. */
    colorId: z
      .string()
      .regex(/^([1-9]|1[01])$/, 'is an event colour 1–11')
      .optional(),
  })
  .strict();
export type ExportOptions = z.infer<typeof exportOptionsSchema>;

export function roundSeconds(seconds: number, r: ImportOptions['rounding']): number {
  const unit = r.minutes * 60;
  const q = seconds / unit;
  const n = r.mode === 'up' ? Math.ceil(q) : r.mode === 'down' ? Math.floor(q) : Math.round(q);
  return n * unit;
}

const utcStamp = (ms: number): string => `${formatWall(ms)}Z`;
const dayIn = (ms: number, tz: string): string => instantToWall(ms, tz).slice(0, 10);

function isOwnExport(ev: GEvent, marker: string): boolean {
  const priv = ev.extendedProperties?.private ?? {};
  return priv[PROP_EXPORT] !== undefined || (ev.summary ?? '').startsWith(marker);
}

/**
 * Who the meeting was with, for booking rules (core/booking.ts): `extras.invite`. Not held,
 * so it is written when the entry is created and neither hashed nor followed afterwards.
 */
function inviteOf(ev: GEvent): Record<string, Json> | null {
  const email = (v: unknown): string | null =>
    v && typeof v === 'object' && typeof (v as { email?: unknown }).email === 'string' ? (v as { email: string }).email : null;
  const organizer = email(ev.organizer);
  const attendees = Array.isArray(ev.attendees) ? (ev.attendees as unknown[]).map(email).filter((e): e is string => e !== null) : [];
  if (!organizer && !attendees.length) return null;
  return { ...(organizer ? { organizer } : {}), ...(attendees.length ? { attendees } : {}) };
}

function importToHub(item: GoogleItem, o: ImportOptions): MapResult<HubMapping> {
  const ev = item.event;
  if (isOwnExport(ev, o.marker)) return { ok: false, skip: 'exported by Timebridge: not imported back' };
  const google: Record<string, Json> = { import: ev.id, ...(ev.recurringEventId ? { series: ev.recurringEventId } : {}) };
  const invite = inviteOf(ev);
  const base = { personId: null, projectId: null, activityId: null, taskId: null, billable: null, tags: [], extras: { google, ...(invite ? { invite } : {}) } };
  const description = ev.summary?.trim() || null;
  if (ev.start?.date !== undefined) {
    if (!o.includeAllDay) return { ok: false, skip: 'all-day event (set includeAllDay to import these)' };
    const days = Math.max(1, Math.round((Date.parse(`${ev.end?.date ?? ev.start.date}T00:00:00Z`) - Date.parse(`${ev.start.date}T00:00:00Z`)) / 86_400_000));
    const fields: TimeEntryFields = {
      ...base,
      date: ev.start.date,
      start: null,
      durationSeconds: roundSeconds(days * o.allDayHours * 3600, o.rounding),
      timeZone: null,
      description,
    };
    return { ok: true, value: { fields: fields as unknown as Fields, identity: null } };
  }
  const start = parseRfc3339(ev.start?.dateTime ?? ''),
    end = parseRfc3339(ev.end?.dateTime ?? '');
  if (start === null || end === null) return { ok: false, error: `event ${ev.id} has no valid start or end` };
  if (end <= start) return { ok: false, skip: 'the event ends where it starts' };
  const tz = ev.start?.timeZone ?? o.timeZone;
  const fields: TimeEntryFields = {
    ...base,
    date: dayIn(start, tz),
    start: utcStamp(Math.floor(start / 1000) * 1000),
    durationSeconds: roundSeconds((end - start) / 1000, o.rounding),
    timeZone: tz,
    description,
  };
  return { ok: true, value: { fields: fields as unknown as Fields, identity: null } };
}

function label(fields: Fields): string {
  const what = typeof fields['description'] === 'string' && fields['description'] ? fields['description'] : '(no description)';
  const minutes = typeof fields['durationSeconds'] === 'number' ? ` ${Math.round(fields['durationSeconds'] / 60)} min` : '';
  return `${what} (${String(fields['start'] ?? fields['date'] ?? '')}${minutes})`;
}

export function makeImportMapper(o: ImportOptions): Mapper<GoogleItem> {
  return {
    name: 'google-import',
    hubKind: 'timeEntry',
    // The times and the title; who, what project and which task are booked in the hub.
    holds: ['date', 'start', 'durationSeconds', 'timeZone', 'description', 'extras.google'],
    toHub: (item) => importToHub(item, o),
    toExternal: () => ({ ok: false, skip: 'google-import only reads the calendar; a google-export link writes time entries to it' }),
    identity: () => null,
    label,
  };
}

/** What the export keeps of an entry: everything but the text the summary shows. */
type Kept = Omit<TimeEntryFields, 'description'>;

function exportToExternal(fields: Fields, o: ExportOptions, previous: GoogleItem | null): MapResult<GoogleItem> {
  const r = timeEntryFieldsSchema.safeParse(fields);
  if (!r.success)
    return {
      ok: false,
      error: `time entry fields are invalid (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); fix the hub record`,
    };
  const t = r.data;
  const google = t.extras?.['google'] as Record<string, unknown> | undefined;
  if (google?.['import'] !== undefined) return { ok: false, skip: 'imported from Google Calendar: not exported back' };
  if (t.durationSeconds === null) return { ok: false, skip: 'the entry is still running; it is exported once it has a duration' };
  const ev: GEvent = { ...(previous?.event ?? { id: '' }) };
  for (const k of READ_ONLY) delete ev[k];
  const text = t.description?.trim() || '(no description)';
  ev.summary = `${o.marker} ${text}`.slice(0, 200);
  const minutes = Math.round(t.durationSeconds / 60);
  ev.description = `Time entry exported by Timebridge: ${Math.floor(minutes / 60)} h ${minutes % 60} min. Edit it in its source system: a change made here is undone at the next sync unless the export link is two-way.`;
  if (t.start === null) {
    const days = Math.max(1, Math.ceil(t.durationSeconds / 86_400));
    ev.start = { date: t.date };
    ev.end = { date: new Date(Date.parse(`${t.date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10) };
  } else {
    const tz = t.timeZone ?? o.timeZone;
    const startMs = Date.parse(t.start);
    ev.start = { dateTime: t.start, timeZone: tz };
    ev.end = { dateTime: utcStamp(startMs + t.durationSeconds * 1000), timeZone: tz };
  }
  if (o.colorId) ev.colorId = o.colorId;
  const { description: _t, ...kept } = t;
  void _t;
  const priv: Record<string, string> = { ...ev.extendedProperties?.private, [PROP_EXPORT]: '1', [PROP_ENTRY]: JSON.stringify(kept) };
  if (priv[PROP_ENTRY]!.length > 1024) {
    return {
      ok: false,
      error: 'the entry carries more than Google keeps in an event property (1024 characters of references, tags and extras); shorten its tags',
    };
  }
  ev.extendedProperties = { ...ev.extendedProperties, private: priv };
  return { ok: true, value: { event: ev, exceptions: [] } };
}

function exportToHub(item: GoogleItem, o: ExportOptions): MapResult<HubMapping> {
  const ev = item.event;
  const priv = ev.extendedProperties?.private ?? {};
  if (priv[PROP_EXPORT] === undefined || priv[PROP_HUB_ID] === undefined) return { ok: false, skip: 'not a Timebridge export (an import link reads these)' };
  let kept: Kept;
  try {
    kept = JSON.parse(priv[PROP_ENTRY] ?? '') as Kept;
  } catch {
    return { ok: false, error: `event ${ev.id}: the ${PROP_ENTRY} property was changed by hand and is not JSON; delete the event so it is exported again` };
  }
  const summary = ev.summary ?? '';
  const text = summary.startsWith(`${o.marker} `) ? summary.slice(o.marker.length + 1) : summary;
  const description = text === '(no description)' || text === '' ? null : text;
  const tz = kept.timeZone ?? o.timeZone;
  let fields: TimeEntryFields;
  // Times as exported give back the entry's own values (its day, an all-day entry's hours); moved ones are read from the event.
  if (ev.start?.date !== undefined) {
    const days = Math.max(1, Math.round((Date.parse(`${ev.end?.date ?? ev.start.date}T00:00:00Z`) - Date.parse(`${ev.start.date}T00:00:00Z`)) / 86_400_000));
    const same =
      kept.start === null && kept.date === ev.start.date && kept.durationSeconds !== null && Math.max(1, Math.ceil(kept.durationSeconds / 86_400)) === days;
    fields = { ...kept, date: ev.start.date, start: null, durationSeconds: same ? kept.durationSeconds : days * 86_400, description };
  } else {
    const start = parseRfc3339(ev.start?.dateTime ?? ''),
      end = parseRfc3339(ev.end?.dateTime ?? '');
    if (start === null || end === null || end < start) return { ok: false, error: `event ${ev.id} has no valid start or end` };
    const startText = utcStamp(start);
    fields = {
      ...kept,
      date: kept.start === startText ? kept.date : dayIn(start, tz),
      start: startText,
      durationSeconds: Math.round((end - start) / 1000),
      description,
    };
  }
  const checked = timeEntryFieldsSchema.safeParse(fields);
  if (!checked.success) return { ok: false, error: `event ${ev.id}: the exported entry does not read back (${checked.error.issues[0]?.message ?? 'invalid'})` };
  return { ok: true, value: { fields: checked.data as unknown as Fields, identity: null } };
}

export function makeExportMapper(o: ExportOptions): Mapper<GoogleItem> {
  return {
    name: 'google-export',
    hubKind: 'timeEntry',
    // An edit of the exported event can move it and retitle it; the rest belongs to the entry's own system.
    holds: ['date', 'start', 'durationSeconds', 'description'],
    toHub: (item) => exportToHub(item, o),
    toExternal: (fields, _ctx, previous) => exportToExternal(fields, o, previous),
    identity: () => null,
    label,
  };
}

export const googleImportEntry: MapperEntry<GoogleItem, ImportOptions> = {
  externalKind: 'event-instance',
  hubKind: 'timeEntry',
  options: importOptionsSchema,
  make: makeImportMapper,
};

/** A one-way copy unless the link says `direction: both`: moving or deleting the event must not move or delete the Jira or Kimai entry. */
export const googleExportEntry: MapperEntry<GoogleItem, ExportOptions> = {
  externalKind: 'event',
  hubKind: 'timeEntry',
  options: exportOptionsSchema,
  make: makeExportMapper,
  defaultDirection: 'mirror',
};
