/**
 * How the timesheet connector lists a collection. Kimai has no deleted feed and no
 * version on a record, so:
 * - a **full** listing (no cursor, `--full`, every `fullListingEvery`-th run) reads every
 *   record of the collection, newest id first; records outside the link's window are marked
 *   `outsideWindow`, so a window never makes old records look deleted. Deletions are
 *   inferred only from a listing the paging proved whole (`KimaiApi.timesheetPages`).
 * - a **delta** listing asks for `modified_after` the server time (Date header) of the
 *   previous listing, and, when the link has a window, lists the window again: ids the
 *   last listing had in the window and this one lacks are read one by one — 404 means
 *   deleted (the only way to see a Kimai deletion), anything else moved out of the window.
 *   Without a window, deletions wait for the next full listing.
 * The cursor is stored by the engine only after a complete listing's items are applied.
 */
import { isTimebridgeError } from '../../core/errors.js';
import { inDayWindow, isDayWindow, type ExternalRef, type Listing, type ListRequest } from '../kit/connector.js';
import { modifiedAfter, type KimaiApi } from './kimai-api.js';
import { instantToWall } from '../kit/zone-time.js';
import { parseKimai } from './kimai-time.js';
import type { RawTimesheet } from './kimai-types.js';
import { timesheetEtag } from './timesheet-codec.js';

export interface ListingSetup {
  api: KimaiApi;
  /** `user` query value: a user id or `all`. */
  user: string;
  pageSize: number;
  /** Every n-th listing is a full one (deletions without a window are seen then). */
  fullListingEvery: number;
  /** The token user's zone: list filters are local times in it. */
  callerZone: string;
  /** Called with every record read, so `get` can answer from what the listing returned. */
  seen(rows: RawTimesheet[]): void;
}

interface Cursor {
  v: 1;
  /** The collection the cursor was made for; another one discards it. */
  for: string;
  /** `modified_after` for the next delta listing (UTC wall time from the server's clock). */
  since: string;
  /** Delta listings since the last full one. */
  n: number;
  /** Ids inside the window at the last listing (only for links with a window). */
  ids?: number[];
}

export async function listTimesheets(s: ListingSetup, req: ListRequest): Promise<Listing> {
  const cursor = readCursor(req.cursor, s.user);
  const windowed = req.window !== null;
  if (!cursor || cursor.n + 1 >= s.fullListingEvery || windowed !== (cursor.ids !== undefined)) return fullListing(s, req);
  return deltaListing(s, req, cursor);
}

function readCursor(text: string | null, user: string): Cursor | null {
  if (!text) return null;
  try {
    const c = JSON.parse(text) as Cursor;
    return c.v === 1 && c.for === user && typeof c.since === 'string' ? c : null;
  } catch {
    return null;
  }
}

function refOf(t: RawTimesheet): ExternalRef {
  return { id: String(t.id), etag: timesheetEtag(t) };
}

function inWindow(t: RawTimesheet, window: ListRequest['window']): boolean {
  if (!window) return true;
  const begin = parseKimai(t.begin);
  if (!begin) return false;
  // A day window is the record's own days: Kimai writes `begin` in the zone it was entered in.
  if (isDayWindow(window)) return inDayWindow(begin.date, window);
  return begin.instantMs >= Date.parse(window.start) && begin.instantMs < Date.parse(window.end);
}

/** The `begin`/`end` filter (local times of the caller's zone) that lists at least the window; `inWindow` then cuts it exactly. */
function windowFilter(window: NonNullable<ListRequest['window']>, zone: string): { begin: string; end: string } {
  if (!isDayWindow(window)) return { begin: instantToWall(Date.parse(window.start), zone), end: instantToWall(Date.parse(window.end) - 1000, zone) };
  // Records' zones differ from the caller's by at most a day: a day more on each side lists them all.
  const day = 86_400_000;
  return {
    begin: instantToWall(Date.parse(`${window.start}T00:00:00Z`) - day, 'UTC'),
    end: instantToWall(Date.parse(`${window.end}T00:00:00Z`) + day - 1000, 'UTC'),
  };
}

function cursorText(s: ListingSetup, serverTime: number | null, n: number, window: ListRequest['window'], windowIds: number[]): string | null {
  // Without the server's clock there is no sound watermark: the next listing is a full one.
  if (serverTime === null) return null;
  const c: Cursor = { v: 1, for: s.user, since: modifiedAfter(serverTime), n, ...(window ? { ids: windowIds.sort((a, b) => a - b) } : {}) };
  return JSON.stringify(c);
}

async function fullListing(s: ListingSetup, req: ListRequest): Promise<Listing> {
  const pages = await s.api.timesheetPages({ user: s.user }, s.pageSize);
  s.seen(pages.rows);
  const outside = pages.rows.filter((t) => !inWindow(t, req.window));
  const windowIds = pages.rows.filter((t) => inWindow(t, req.window)).map((t) => t.id);
  return {
    mode: 'full',
    refs: pages.rows.map(refOf),
    removed: [],
    complete: pages.complete,
    failures: [],
    ...(pages.reason ? { incompleteReason: pages.reason } : {}),
    cursor: cursorText(s, pages.serverTime, 0, req.window, windowIds),
    ...(req.window ? { outsideWindow: outside.map((t) => String(t.id)) } : {}),
  };
}

async function deltaListing(s: ListingSetup, req: ListRequest, cursor: Cursor): Promise<Listing> {
  const changed = await s.api.timesheetPages({ user: s.user, modified_after: cursor.since }, s.pageSize);
  const rows = new Map(changed.rows.map((t) => [t.id, t]));
  let complete = changed.complete;
  let reason = changed.reason;
  const removed: string[] = [];
  let windowIds: number[] = [];
  if (req.window) {
    const w = await s.api.timesheetPages({ user: s.user, ...windowFilter(req.window, s.callerZone) }, s.pageSize);
    complete &&= w.complete;
    reason ??= w.reason;
    for (const t of w.rows) rows.set(t.id, t);
    windowIds = w.rows.filter((t) => inWindow(t, req.window)).map((t) => t.id);
    const now = new Set(windowIds);
    for (const id of cursor.ids ?? []) {
      if (now.has(id) || rows.has(id)) continue;
      try {
        rows.set(id, await s.api.timesheet(String(id)));
      } catch (err) {
        if (!(isTimebridgeError(err) && err.kind === 'not_found')) throw err;
        removed.push(String(id));
      }
    }
  }
  const all = [...rows.values()];
  s.seen(all);
  return {
    mode: 'delta',
    refs: all.map(refOf),
    removed,
    complete,
    failures: [],
    ...(reason ? { incompleteReason: reason } : {}),
    cursor: cursorText(s, changed.serverTime, cursor.n + 1, req.window, windowIds),
    ...(req.window ? { outsideWindow: all.filter((t) => !inWindow(t, req.window)).map((t) => String(t.id)) } : {}),
  };
}
