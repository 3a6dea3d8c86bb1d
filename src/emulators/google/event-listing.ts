/**
 * events.list and events.instances of the emulator: filters, `singleEvents` expansion,
 * paging and sync tokens with the rules of api-contracts §3.2–3.3.
 */
import type { CalendarEvent, EventList } from './types.js';
import { parseRfc3339 } from '../kit/time-text.js';
import { instanceOf, type CalendarRecord, type CalendarStore, type StoredEvent } from './calendar-store.js';
import { GoogleApiError, bad } from './errors.js';
import { servePage, type ListingFault } from '../kit/listing-faults.js';

export interface ListQuery {
  timeMin?: string;
  timeMax?: string;
  singleEvents?: string;
  orderBy?: string;
  showDeleted?: string;
  syncToken?: string;
  pageToken?: string;
  maxResults?: string;
  iCalUID?: string;
  /** events.instances: only the instance with this original start (RFC 3339). */
  originalStart?: string;
  q?: string;
  updatedMin?: string;
  privateExtendedProperty?: string | string[];
  sharedExtendedProperty?: string | string[];
  eventTypes?: string | string[];
}

interface Row {
  ev: CalendarEvent;
  startMs: number;
  endMs: number;
}

const FORBIDDEN_WITH_SYNC = ['iCalUID', 'orderBy', 'privateExtendedProperty', 'q', 'sharedExtendedProperty', 'timeMin', 'timeMax', 'updatedMin'] as const;
const DEFAULT_TYPES = ['default', 'focusTime', 'outOfOffice'];

const encode = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
function decode<T>(text: string, what: string): T {
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as T;
  } catch {
    throw bad(`Invalid ${what}.`);
  }
}
const many = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function time(q: string | undefined, name: string): number | undefined {
  if (q === undefined) return undefined;
  const ms = parseRfc3339(q);
  if (ms === null) throw bad(`Bad Request: ${name} must be RFC 3339 with an offset.`);
  return Math.floor(ms / 1000) * 1000;
}

/**
 * Pages are cut by key, not by offset: a page token names the last row served (its id,
 * and its start with `orderBy=startTime`), and the next page starts after it, so a row
 * deleted or added meanwhile never shifts a live one out of the listing. A listing fault
 * (emulator kit) may shorten or empty the page, or delete the listing's first row first.
 */
export function listEvents(store: CalendarStore, rec: CalendarRecord, q: ListQuery, maxPageSize: number, fault: ListingFault | null = null): EventList {
  const single = q.singleEvents === 'true';
  if (q.syncToken !== undefined) {
    const bad1 = FORBIDDEN_WITH_SYNC.filter((k) => q[k] !== undefined);
    if (bad1.length) throw bad(`${bad1.join(', ')} cannot be used together with syncToken.`);
  }
  if (q.orderBy === 'startTime' && !single) throw bad('The requested ordering is not available for the particular query.');
  const timeMin = time(q.timeMin, 'timeMin');
  const timeMax = time(q.timeMax, 'timeMax');
  if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin)
    throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.');
  const page = q.pageToken ? decode<{ k: [number, string]; h: number; s: number | null }>(q.pageToken, 'page token') : null;
  let since: number | null = page?.s ?? null;
  if (!page && q.syncToken !== undefined) {
    const t = decode<{ c: string; s: number; e: boolean; g: number }>(q.syncToken, 'sync token');
    if (t.c !== rec.cal.id || t.e !== single) throw bad('The sync token was made for another query.');
    if (t.g !== rec.generation) throw new GoogleApiError(410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.');
    since = t.s;
  }
  const head = page?.h ?? store.seq;
  const showDeleted = since !== null || q.showDeleted === 'true';
  const byStart = q.orderBy === 'startTime';
  const read = () =>
    collectRows(store, rec, { single, since, timeMin, timeMax })
      .filter((r) => keep(r, q, { showDeleted, timeMin, timeMax }))
      .sort(byStart ? (a, b) => a.startMs - b.startMs || cmp(a.ev.id, b.ev.id) : (a, b) => cmp(a.ev.id, b.ev.id));
  let rows = read();
  if (fault?.kind === 'shift') {
    const victim = rows.find((r) => rec.events.has(r.ev.id) && r.ev.status !== 'cancelled');
    if (victim) store.deleteEvent(rec, victim.ev.id, undefined);
    rows = read();
  }
  const asked = q.maxResults === undefined ? 250 : Number(q.maxResults);
  if (!Number.isInteger(asked) || asked < 1) throw bad('maxResults must be a whole number ≥ 1.');
  const size = Math.min(asked, 2500, maxPageSize);
  const keyOf = (r: Row): [number, string] => [byStart ? r.startMs : 0, r.ev.id];
  const after = (r: Row) => {
    if (!page) return true;
    const [start, id] = keyOf(r);
    return start > page.k[0] || (start === page.k[0] && cmp(id, page.k[1]) > 0);
  };
  const offset = rows.findIndex(after);
  // Google may answer a short or empty page with a token: rows the fault held back come on the next page.
  const served = servePage(fault?.kind === 'shift' ? null : fault, rows, offset < 0 ? rows.length : offset, size, () => undefined);
  const last = served.rows[served.rows.length - 1];
  const key: [number, string] = last ? keyOf(last) : (page?.k ?? [Number.MIN_SAFE_INTEGER, '']);
  const more = offset >= 0 && offset + served.rows.length < rows.length;
  return {
    kind: 'calendar#events',
    etag: `"${head}"`,
    summary: rec.cal.summary,
    timeZone: rec.cal.timeZone ?? 'UTC',
    items: served.rows.map((r) => r.ev),
    ...(more ? { nextPageToken: encode({ k: key, h: head, s: since }) } : { nextSyncToken: encode({ c: rec.cal.id, s: head, e: single, g: rec.generation }) }),
  };
}

/** The instant of an instance's original start (a date from its midnight UTC). */
function instantOf(t: CalendarEvent['originalStartTime']): number | null {
  if (!t) return null;
  return t.date !== undefined ? Date.parse(`${t.date}T00:00:00Z`) : parseRfc3339(t.dateTime ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Stored events, or with `single` the series expanded (exceptions in place of their instances). */
function collectRows(store: CalendarStore, rec: CalendarRecord, o: { single: boolean; since: number | null; timeMin?: number; timeMax?: number }): Row[] {
  const changed = (s: StoredEvent) => o.since === null || s.seq > o.since;
  const rows: Row[] = [];
  for (const s of rec.events.values()) {
    if (!o.single) {
      if (!changed(s)) continue;
      if (s.ev.recurrence && o.since === null && (o.timeMin !== undefined || o.timeMax !== undefined)) {
        // A series is kept when one of its instances overlaps the window.
        if (!store.instancesOf(s.ev, { timeMin: o.timeMin, timeMax: o.timeMax }).length) continue;
        rows.push({ ev: s.ev, startMs: o.timeMin ?? s.startMs, endMs: o.timeMax ?? s.endMs });
        continue;
      }
      rows.push({ ev: s.ev, startMs: s.startMs, endMs: s.endMs });
      continue;
    }
    if (!s.ev.recurrence) {
      if (changed(s)) rows.push({ ev: s.ev, startMs: s.startMs, endMs: s.endMs });
      continue;
    }
    // A changed series reports all its instances (cancelled ones when the series is cancelled).
    if (!changed(s)) continue;
    for (const occ of store.instancesOf(s.ev, { timeMin: o.since === null ? o.timeMin : undefined, timeMax: o.since === null ? o.timeMax : undefined })) {
      const id = `${s.ev.id}_${occ.key}`;
      if (rec.events.has(id)) continue;
      rows.push({ ev: instanceOf(s.ev, occ), startMs: occ.startMs, endMs: occ.endMs });
    }
  }
  return rows;
}

function keep(r: Row, q: ListQuery, o: { showDeleted: boolean; timeMin?: number; timeMax?: number }): boolean {
  const ev = r.ev;
  if (ev.status === 'cancelled' && !o.showDeleted) return false;
  if (o.timeMin !== undefined && r.endMs <= o.timeMin) return false;
  if (o.timeMax !== undefined && r.startMs >= o.timeMax) return false;
  if (q.iCalUID !== undefined && ev.iCalUID !== q.iCalUID) return false;
  if (q.q !== undefined && !`${ev.summary ?? ''} ${ev.description ?? ''} ${ev.location ?? ''}`.toLowerCase().includes(q.q.toLowerCase())) return false;
  const types = many(q.eventTypes);
  if (!(types.length ? types : DEFAULT_TYPES).includes(ev.eventType ?? 'default')) return false;
  for (const [param, map] of [
    [q.privateExtendedProperty, ev.extendedProperties?.private],
    [q.sharedExtendedProperty, ev.extendedProperties?.shared],
  ] as const) {
    for (const c of many(param)) {
      const i = c.indexOf('=');
      if (i < 1) throw bad('Extended property constraints are name=value.');
      if (map?.[c.slice(0, i)] !== c.slice(i + 1)) return false;
    }
  }
  return true;
}

/** events.instances: the expanded instances of one series, exceptions included. */
export function listInstances(store: CalendarStore, rec: CalendarRecord, masterId: string, q: ListQuery, maxPageSize: number): EventList {
  const master = rec.events.get(masterId);
  if (!master) throw new GoogleApiError(404, 'notFound', 'Not Found');
  if (!master.ev.recurrence) throw bad('The event is not a recurring event.');
  const timeMin = time(q.timeMin, 'timeMin');
  const timeMax = time(q.timeMax, 'timeMax');
  const originalStart = time(q.originalStart, 'originalStart');
  const rows: Row[] = store
    .instancesOf(master.ev, { timeMin, timeMax })
    .map((occ) => {
      const ex = rec.events.get(`${masterId}_${occ.key}`);
      return ex ? { ev: ex.ev, startMs: ex.startMs, endMs: ex.endMs } : { ev: instanceOf(master.ev, occ), startMs: occ.startMs, endMs: occ.endMs };
    })
    .filter((r) => r.ev.status !== 'cancelled' || q.showDeleted === 'true')
    .filter((r) => originalStart === undefined || instantOf(r.ev.originalStartTime) === originalStart);
  const size = Math.min(Number(q.maxResults ?? 250) || 250, 2500, maxPageSize);
  const offset = q.pageToken ? decode<{ o: number }>(q.pageToken, 'page token').o : 0;
  const more = offset + size < rows.length;
  return {
    kind: 'calendar#events',
    summary: rec.cal.summary,
    timeZone: rec.cal.timeZone ?? 'UTC',
    items: rows.slice(offset, offset + size).map((r) => r.ev),
    ...(more ? { nextPageToken: encode({ o: offset + size }) } : {}),
  };
}
