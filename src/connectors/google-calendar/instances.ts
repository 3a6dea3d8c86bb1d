/**
 * Exceptions of a series (moved, changed or cancelled instances) as writes. The mapper
 * says which instances the hub wants changed or cancelled; this works out, against the
 * exceptions Google has now, which instances to PUT. Pure.
 *
 * An instance id is `<series id>_<original start in UTC, YYYYMMDDTHHMMSSZ>`, or
 * `_<YYYYMMDD>` for an all-day series (api-contracts §3.4). An instance the hub no longer
 * overrides cannot be deleted (that cancels it): it is written back as the series would
 * show it, and marked so a later read does not take it for an override.
 */
import type { GEvent, GEventTime } from './google-types.js';
import { formatWall, parseRfc3339, wallToInstant } from '../kit/zone-time.js';
import { PROP_HUB_FIELDS } from './ids.js';

/** `extendedProperties.private` key on an exception: '1' written for a hub override, '0' put back to the series. */
export const PROP_OVERRIDE = 'timebridgeOverride';

export interface WantedInstance {
  /** Instance id suffix. */
  key: string;
  /** The exception as the hub wants it; null: the instance is cancelled (an EXDATE of the series). */
  event: GEvent | null;
}

export interface InstanceWrite {
  key: string;
  body: GEvent;
  /** The exception's etag when Google has one. */
  ifMatch: string | null;
}

/** The instant of a Google time (a date counts from its midnight UTC); NaN when unreadable. */
export function instantOf(t: GEventTime | undefined): number {
  if (!t) return NaN;
  if (t.date !== undefined) return Date.parse(`${t.date}T00:00:00Z`);
  const ms = parseRfc3339(t.dateTime ?? '');
  if (ms !== null) return ms;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(t.dateTime ?? '') ? wallToInstant(t.dateTime!, t.timeZone ?? 'UTC') : NaN;
}

/** Instance id suffix of an original start: a hub value ('YYYY-MM-DD', wall time in `tz`, or '…Z'). */
export function instanceKey(value: string, tz: string | null): string {
  if (!value.includes('T')) return value.replace(/-/g, '');
  const ms = value.endsWith('Z') ? Date.parse(value) : wallToInstant(value, tz ?? 'UTC');
  return `${formatWall(ms).replace(/[-:]/g, '')}Z`;
}

export function keyOf(ex: GEvent): string | null {
  const m = /_(\d{8}(?:T\d{6}Z)?)$/.exec(ex.id);
  return m ? m[1]! : null;
}

/** What an instance shows, for telling a change from none (times as instants). */
function shown(ev: GEvent): string {
  const t = (x: GEventTime | undefined) => (x?.date !== undefined ? `d${x.date}` : String(instantOf(x)));
  const own = ev.extendedProperties?.private ?? {};
  // Of the private properties only what reads differently counts: a put-back mark and the
  // kept STATUS (an exception made in Google carries its series' properties, not ours).
  return JSON.stringify([
    ev.summary ?? null,
    ev.description ?? null,
    ev.location ?? null,
    ev.status ?? 'confirmed',
    t(ev.start),
    t(ev.end),
    ev.start?.timeZone ?? null,
    own[PROP_OVERRIDE] === '0',
    keptStatus(own[PROP_HUB_FIELDS]),
  ]);
}

function keptStatus(stash: string | undefined): string | null {
  try {
    const s: unknown = stash ? JSON.parse(stash) : null;
    return s && typeof s === 'object' && typeof (s as { s?: unknown }).s === 'string' ? (s as { s: string }).s : null;
  } catch {
    return null;
  }
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The instance as the series shows it: at its original start, with the series' texts and status. */
export function seriesInstance(master: GEvent, ex: GEvent): GEvent {
  const start = ex.originalStartTime!;
  let end: GEventTime;
  if (start.date !== undefined) {
    const days = Math.round((instantOf(master.end) - instantOf(master.start)) / 86_400_000);
    end = { date: addDays(start.date, days) };
  } else {
    const ms = instantOf(start) + (instantOf(master.end) - instantOf(master.start));
    end = { dateTime: `${formatWall(ms)}Z`, ...(start.timeZone ? { timeZone: master.end?.timeZone ?? start.timeZone } : {}) };
  }
  const out: GEvent = { ...ex, start, end, status: master.status === 'tentative' ? 'tentative' : 'confirmed' };
  for (const k of ['summary', 'description', 'location'] as const) {
    if (master[k] === undefined) delete out[k];
    else out[k] = master[k];
  }
  const priv: Record<string, string> = { ...ex.extendedProperties?.private, [PROP_OVERRIDE]: '0' };
  delete priv[PROP_HUB_FIELDS];
  out.extendedProperties = { ...ex.extendedProperties, private: priv };
  return out;
}

/** True when a live exception is one the hub put back to the series and nobody changed since. */
export function isPutBack(master: GEvent, ex: GEvent): boolean {
  if (ex.extendedProperties?.private?.[PROP_OVERRIDE] !== '0') return false;
  return instantOf(ex.start) === instantOf(ex.originalStartTime) && (ex.summary ?? null) === (master.summary ?? null);
}

/**
 * The instance writes that bring Google's exceptions (`current`) to what the hub wants:
 * a wanted instance that differs is written, a cancelled one that is live is cancelled,
 * a live override the hub no longer has is put back to the series.
 */
export function instanceWrites(master: GEvent, want: readonly WantedInstance[], current: readonly GEvent[]): InstanceWrite[] {
  const now = new Map<string, GEvent>();
  for (const ex of current) {
    const key = keyOf(ex);
    if (key) now.set(key, ex);
  }
  const out: InstanceWrite[] = [];
  const wanted = new Set<string>();
  for (const w of want) {
    wanted.add(w.key);
    const cur = now.get(w.key);
    const live = cur !== undefined && cur.status !== 'cancelled';
    if (w.event === null) {
      if (live) out.push({ key: w.key, body: { ...cur, status: 'cancelled' }, ifMatch: cur.etag ?? null });
      continue;
    }
    if (live && shown(cur) === shown(w.event)) continue;
    out.push({ key: w.key, body: { ...w.event, ...(cur?.originalStartTime ? { originalStartTime: cur.originalStartTime } : {}) }, ifMatch: cur?.etag ?? null });
  }
  for (const [key, ex] of now) {
    if (wanted.has(key) || ex.status === 'cancelled' || isPutBack(master, ex)) continue;
    out.push({ key, body: seriesInstance(master, ex), ifMatch: ex.etag ?? null });
  }
  return out;
}
