/**
 * Radicale for the peer benchmark: one server per scenario (test/support/radicale.ts),
 * one calendar per tool under user alice, calendars made (and optionally filled) by
 * writing Radicale's storage before it starts, and the harness's own requests (warm-up,
 * side-B edits) sent between the measured tool runs, so they never count for a tool.
 * Every server started here is remembered, so an interrupted run can still stop it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { basicAuth, startRadicale, type Radicale } from '../test/support/radicale.js';

export const USER = 'alice';
export const PASSWORD = 'secret';

/** What Radicale's MKCALENDAR writes to `.Radicale.props` (storage/multifilesystem/meta.py: json.dump, sort_keys). */
const CALENDAR_PROPS = { 'C:supported-calendar-component-set': 'VEVENT', tag: 'VCALENDAR' };

const running = new Set<Radicale>();

export async function startPeerRadicale(dir: string): Promise<Radicale> {
  const r = await startRadicale({ dir, users: { [USER]: PASSWORD }, logRequests: true });
  running.add(r);
  return r;
}

export async function stopPeerRadicale(r: Radicale): Promise<void> {
  running.delete(r);
  await r.stop();
}

/** Stops every server still running (on error or Ctrl-C). */
export async function stopAllRadicales(): Promise<void> {
  await Promise.allSettled([...running].map((r) => stopPeerRadicale(r)));
}

/** `<dir>/collections/collection-root`, as startRadicale will name it. */
export function storageRootOf(radicaleDir: string): string {
  return path.join(radicaleDir, 'collections', 'collection-root');
}

/** Folder of one calendar's items in Radicale's storage (one `<href>` file per item). */
export function calendarDir(storageRoot: string, calendar: string): string {
  return path.join(storageRoot, USER, calendar);
}

/**
 * Make a calendar in the storage of a Radicale that is not running, with `items` as its
 * members (href → iCalendar text). Radicale fills its item cache on first read.
 */
export function writeCalendar(storageRoot: string, calendar: string, items: Iterable<[string, string]>): number {
  const dir = calendarDir(storageRoot, calendar);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '.Radicale.props'), JSON.stringify(CALENDAR_PROPS));
  let count = 0;
  for (const [href, text] of items) {
    fs.writeFileSync(path.join(dir, href), text);
    count++;
  }
  return count;
}

/** The resource name the harness gives an event it puts on the server. */
export function hrefOf(uid: string): string {
  return `${uid.replace(/@.*$/, '').replace(/[^A-Za-z0-9_-]/g, '_')}.ics`;
}

async function dav(r: Radicale, method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(new URL(url, r.url), {
    method,
    headers: { ...basicAuth(USER, PASSWORD), ...headers },
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(600_000),
  });
  await res.arrayBuffer();
  return res.status;
}

function itemUrl(calendar: string, href: string): string {
  return `/${USER}/${calendar}/${encodeURIComponent(href)}`;
}

/** PUT an item as another calendar client would (not counted for any tool). */
export async function putItem(r: Radicale, calendar: string, href: string, text: string): Promise<void> {
  const status = await dav(r, 'PUT', itemUrl(calendar, href), text, { 'content-type': 'text/calendar; charset=utf-8' });
  if (status !== 201 && status !== 204) throw new Error(`harness PUT ${itemUrl(calendar, href)}: HTTP ${status}`);
}

export async function deleteItem(r: Radicale, calendar: string, href: string): Promise<void> {
  const status = await dav(r, 'DELETE', itemUrl(calendar, href));
  if (status !== 200 && status !== 204) throw new Error(`harness DELETE ${itemUrl(calendar, href)}: HTTP ${status}`);
}

/**
 * One calendar-query for every member's etag: Radicale parses each item it has not
 * cached yet and stores it in its item cache, and nothing else (unlike a sync-collection
 * report, which would also start the sync history one of the tools uses).
 */
export async function warmCalendar(r: Radicale, calendar: string): Promise<number> {
  const body =
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">' +
    '<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>';
  const t0 = performance.now();
  const status = await dav(r, 'REPORT', `/${USER}/${calendar}/`, body, { depth: '1', 'content-type': 'application/xml; charset=utf-8' });
  if (status !== 207) throw new Error(`warming /${USER}/${calendar}/: HTTP ${status}`);
  return (performance.now() - t0) / 1000;
}

/** Requests by method between two `requestCounts()` snapshots. */
export function requestDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [method, n] of Object.entries(after)) {
    const d = n - (before[method] ?? 0);
    if (d) out[method] = d;
  }
  return out;
}

/** "1 REPORT", "201: 200 PUT, 1 PROPFIND", "0". */
export function formatRequests(counts: Record<string, number> | null): string {
  if (!counts) return '—';
  const parts = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = parts.reduce((s, [, n]) => s + n, 0);
  const list = parts.map(([m, n]) => `${n.toLocaleString('en')} ${m}`).join(', ');
  return parts.length === 0 ? '0' : parts.length === 1 ? list : `${total.toLocaleString('en')}: ${list}`;
}

export function logSize(r: Radicale): number {
  return fs.statSync(r.logFile, { throwIfNoEntry: false })?.size ?? 0;
}

/**
 * Seconds Radicale spent answering the requests logged between two log offsets (its own
 * `… response status for … in 0.012 seconds` lines): how much of a run was the server.
 */
export function serverSeconds(r: Radicale, from: number, to: number): number {
  if (to <= from) return 0;
  const fd = fs.openSync(r.logFile, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    fs.readSync(fd, buf, 0, buf.length, from);
    let s = 0;
    for (const m of buf.toString('utf8').matchAll(/ response status for .*? in ([\d.]+) seconds/g)) s += Number(m[1]);
    return s;
  } finally {
    fs.closeSync(fd);
  }
}
