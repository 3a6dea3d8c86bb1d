/**
 * Pure conversions between Kimai timesheets and the connector's `KimaiEntry`: reading
 * (instant, local day, zone), the content etag, the write body in the caller's local
 * time, where a day-granular entry goes within its day, and the key line a create
 * leaves in the description.
 */
import { TimebridgeError } from '../../core/errors.js';
import { contentHash } from '../../core/hash.js';
import { instantToWall, wallMsToInstant } from '../kit/zone-time.js';
import { parseKimai, parseLocal, utcInstant } from './kimai-time.js';
import type { KimaiEntry, RawTimesheet } from './kimai-types.js';

/**
 * The idempotency key of a create, kept in Kimai itself: a last description line
 * `[timebridge id=<hub id>]`. Kimai's list takes a free-text `term` that searches the
 * description, so the key is found again by any process (see `KimaiTimesheetConnector`).
 */
const KEY_LINE = /\n*\[timebridge id=([^\s\]]+)\]\s*$/;

/** The description without its key line, and the key it carried (null: none). */
export function splitKey(text: string | null | undefined): { description: string | null; key: string | null } {
  const t = text ?? '';
  const m = KEY_LINE.exec(t);
  if (!m) return { description: t === '' ? null : t, key: null };
  const rest = t.slice(0, m.index);
  return { description: rest === '' ? null : rest, key: m[1]! };
}

/** The description as written to Kimai: the entry's text, then the key line (when there is a key). */
export function withKey(description: string | null, key: string | null): string {
  if (!key) return description ?? '';
  const line = `[timebridge id=${key}]`;
  return description ? `${description}\n\n${line}` : line;
}

/** A content etag: Kimai sends no modification time or version, so equal content is the same version. */
export function timesheetEtag(t: RawTimesheet): string {
  return contentHash({
    begin: t.begin,
    end: t.end,
    duration: t.duration ?? null,
    break: t.break ?? 0,
    user: t.user,
    project: t.project,
    activity: t.activity,
    description: t.description,
    tags: [...t.tags].sort(),
    billable: t.billable,
    exported: t.exported,
  }).slice(0, 32);
}

/** `zoneOf` answers a Kimai user's own zone (null: not readable); `fallbackZone` is the connection's. */
export function readTimesheet(t: RawTimesheet, zoneOf: (user: number) => string | null, fallbackZone: string): KimaiEntry {
  const begin = parseKimai(t.begin);
  if (!begin) {
    throw new TimebridgeError('ITEM_UNPARSABLE', `Kimai timesheet ${t.id} has a begin "${t.begin}" that is not Kimai's Y-m-d\\TH:i:sO format.`, {
      hint: 'Check that the connection points at a Kimai 2 API; report this with the Kimai version if it does.',
    });
  }
  return {
    start: utcInstant(begin.instantMs),
    date: begin.date,
    durationSeconds: t.end === null ? null : (t.duration ?? 0),
    breakSeconds: t.break ?? 0,
    timeZone: zoneOf(t.user),
    fallbackZone,
    user: t.user,
    project: t.project,
    activity: t.activity,
    description: splitKey(t.description).description,
    tags: [...t.tags],
    billable: t.billable,
    exported: t.exported,
  };
}

/** Begin and end instants of an entry to write, its begin given (placed or kept). */
export function spanOf(e: KimaiEntry, beginMs: number): { begin: number; end: number | null } {
  return { begin: beginMs, end: e.durationSeconds === null ? null : beginMs + (e.durationSeconds + e.breakSeconds) * 1000 };
}

/** The form body of a create or PATCH: local wall times in the caller's zone (Kimai reads them so), the key line kept under the text. */
export function writeBody(
  e: KimaiEntry,
  span: { begin: number; end: number | null },
  callerZone: string,
  user: number | null,
  key: string | null,
): Record<string, unknown> {
  return {
    begin: instantToWall(span.begin, callerZone),
    ...(span.end !== null ? { end: instantToWall(span.end, callerZone) } : {}),
    project: e.project,
    activity: e.activity,
    description: withKey(splitKey(e.description).description, key),
    tags: e.tags.join(','),
    billable: e.billable,
    ...(e.breakSeconds ? { break: e.breakSeconds } : {}),
    ...(user !== null ? { user } : {}),
  };
}

/** The instant a wall time `date` + `minutes` after midnight stands for in `zone`. */
export function dayTime(zone: string, date: string, minutes: number): number {
  const midnight = parseLocal(`${date}T00:00`);
  if (midnight === null) throw new TimebridgeError('ITEM_UNPARSABLE', `"${date}" is not a day (YYYY-MM-DD).`);
  return wallMsToInstant(midnight + minutes * 60_000, zone);
}

/** The local-time filter (in the caller's zone) for records whose begin lies on `date` in `zone`. */
export function dayFilter(zone: string, date: string, callerZone: string): { begin: string; end: string } {
  const from = dayTime(zone, date, 0);
  const to = dayTime(zone, date, 24 * 60) - 1000;
  return { begin: instantToWall(from, callerZone), end: instantToWall(to, callerZone) };
}

/**
 * Where a day-granular entry starts: right after the latest record of that user's day,
 * or at `dayStart` when the day is empty or its records end earlier — never all at
 * midnight, so a day's entries sit one after another.
 */
export function placeInDay(sameDay: RawTimesheet[], dayStartMs: number, nowMs: number): number {
  let at = dayStartMs;
  for (const t of sameDay) {
    const end = t.end === null ? nowMs : parseKimai(t.end)?.instantMs;
    if (end !== undefined && end > at) at = end;
  }
  return at;
}

/** A record equals what a create would have made (the natural key: user, begin, end, project, activity). */
export function sameNaturalKey(t: RawTimesheet, user: number, span: { begin: number; end: number | null }, e: KimaiEntry): boolean {
  const begin = parseKimai(t.begin)?.instantMs;
  const end = t.end === null ? null : parseKimai(t.end)?.instantMs;
  const minute = (ms: number | null) => (ms === null ? null : Math.floor(ms / 60_000));
  return (
    t.user === user &&
    t.project === e.project &&
    t.activity === e.activity &&
    minute(begin ?? null) === minute(span.begin) &&
    minute(end ?? null) === minute(span.end)
  );
}
