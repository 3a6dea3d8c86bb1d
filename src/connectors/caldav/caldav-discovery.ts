/**
 * CalDAV discovery (RFC 4791 §6.2, RFC 5397, RFC 6764): from the configured URL to
 * one calendar collection. The URL may be the calendar itself, a principal, a
 * calendar home, or the server root (then current-user-principal, then its
 * calendar-home-set, then the calendars in it). A missing calendar is created with
 * MKCALENDAR only when the config allows it; otherwise the error lists the calendars.
 */
import { TimebridgeError, isTimebridgeError } from '../../core/errors.js';
import type { HttpClient } from '../kit/http-client.js';
import {
  hasResourceType,
  hrefProp,
  mkcalendarBody,
  parseMultistatus,
  parseMultistatusBytes,
  propfindBody,
  textProp,
  type DavProp,
  type DavResponse,
  type Multistatus,
} from './dav-xml.js';

export interface DavCalendar {
  /** Absolute path of the collection, ending in `/`. */
  path: string;
  displayName: string;
}

export interface CalendarChoice {
  /** Path segment or display name of the calendar; null: the URL must be a calendar, or the home must hold exactly one. */
  calendar: string | null;
  create: boolean;
  /** Display name for a created calendar (default: `calendar`). */
  displayName: string | null;
}

const PROBE: DavProp[] = ['D:resourcetype', 'D:displayname', 'D:current-user-principal', 'C:calendar-home-set'];

/** The HTTP client and the server's origin: hrefs are absolute paths on it. */
export interface Dav {
  http: HttpClient;
  origin: string;
}

/** An absolute URL for a server path (the client would otherwise put it under the configured URL's path). */
export function at(dav: Dav, path: string): string {
  return new URL(path, dav.origin).href;
}

export async function propfind(dav: Dav, path: string, depth: 0 | 1, props: DavProp[]): Promise<Multistatus> {
  const res = await dav.http.request({
    method: 'PROPFIND',
    path: at(dav, path),
    headers: { depth: String(depth), 'content-type': 'application/xml; charset=utf-8' },
    body: propfindBody(props),
  });
  return parseMultistatus(res.text, `PROPFIND ${path}`);
}

/** `calendarData`: keep each calendar-data as its bytes (dav-xml.ts `parseMultistatusBytes`), for reports that read objects. */
export async function report(dav: Dav, path: string, depth: 0 | 1, body: string, o: { calendarData?: boolean } = {}): Promise<Multistatus> {
  const res = await dav.http.request({
    method: 'REPORT',
    path: at(dav, path),
    headers: { depth: String(depth), 'content-type': 'application/xml; charset=utf-8' },
    body,
  });
  return o.calendarData ? parseMultistatusBytes(res.bytes, `REPORT ${path}`) : parseMultistatus(res.text, `REPORT ${path}`);
}

/** The path of an href (absolute or relative to the server), without query, always decoded the same way. */
export function hrefPath(href: string, base: string): string {
  return new URL(href, base).pathname;
}

export async function discoverCalendar(dav: Dav, url: string, choice: CalendarChoice): Promise<DavCalendar> {
  const start = new URL(url);
  const self = await probe(dav, start);
  const props = self.props;
  const here = hrefPath(self.href, start.href);
  if (hasResourceType(props, 'calendar')) {
    const cal = { path: withSlash(here), displayName: textProp(props, 'displayname') };
    if (choice.calendar === null || matches(cal, choice.calendar)) return cal;
    // The URL is another calendar: look beside it, in its home.
  }
  const home = await homeOf(dav, start, here, props);
  const calendars = await listCalendars(dav, start, home);
  if (choice.calendar === null) {
    if (calendars.length === 1) return calendars[0]!;
    throw new TimebridgeError('CONFIG_INVALID', `${url} holds ${calendars.length} calendars; the connection must say which one to sync.`, {
      hint: calendars.length ? `Set calendar: to one of ${names(calendars)}.` : 'Set calendar: to a name and create: true to make one.',
    });
  }
  const found = calendars.find((c) => matches(c, choice.calendar!));
  if (found) return found;
  if (!choice.create) {
    throw new TimebridgeError('CONNECTOR_NOT_FOUND', `There is no calendar "${choice.calendar}" in ${new URL(home, start).href}.`, {
      hint: calendars.length ? `Use one of ${names(calendars)}, or set create: true to make it.` : 'Set create: true on the connection to make it.',
    });
  }
  return makeCalendar(dav, home, choice.calendar, choice.displayName ?? choice.calendar);
}

export async function listCalendars(dav: Dav, start: URL, home: string): Promise<DavCalendar[]> {
  const ms = await propfind(dav, home, 1, ['D:resourcetype', 'D:displayname']);
  return ms.responses
    .filter((r) => hasResourceType(r.props, 'calendar'))
    .map((r) => ({ path: withSlash(hrefPath(r.href, start.href)), displayName: textProp(r.props, 'displayname') }));
}

/** The calendar home of the user the credentials belong to. */
export async function homeOf(dav: Dav, start: URL, here: string, props: Record<string, unknown>): Promise<string> {
  const direct = hrefProp(props, 'calendar-home-set');
  if (direct) return withSlash(hrefPath(direct, start.href));
  const principal = hrefProp(props, 'current-user-principal');
  if (!principal) {
    // No principal: maybe the URL is itself a home (it holds calendars).
    if (hasResourceType(props, 'collection')) return withSlash(here);
    throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `${start.href} names no current-user-principal, so its calendars cannot be found.`, {
      hint: 'Set url to the calendar itself (the address its server shows for it) or to your calendar home.',
    });
  }
  const ms = await propfind(dav, hrefPath(principal, start.href), 0, ['C:calendar-home-set']);
  const home = ms.responses[0] ? hrefProp(ms.responses[0].props, 'calendar-home-set') : null;
  if (!home) {
    throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `The principal ${principal} has no calendar-home-set.`, {
      hint: 'The account may have no calendars enabled; set url to the calendar itself.',
    });
  }
  return withSlash(hrefPath(home, start.href));
}

async function probe(dav: Dav, start: URL): Promise<DavResponse> {
  let ms: Multistatus;
  try {
    ms = await propfind(dav, start.href, 0, PROBE);
  } catch (err) {
    // RFC 6764: a server root that is not the DAV context may redirect from /.well-known/caldav.
    if (!(isTimebridgeError(err) && (err.kind === 'not_found' || err.kind === 'invalid_input')) || start.pathname !== '/') throw err;
    ms = await propfind(dav, new URL('/.well-known/caldav', start).href, 0, PROBE);
  }
  const first = ms.responses[0];
  if (!first)
    throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `PROPFIND ${start.href} answered with no properties.`, {
      hint: 'Check that url points at a CalDAV server.',
    });
  return first;
}

async function makeCalendar(dav: Dav, home: string, name: string, displayName: string): Promise<DavCalendar> {
  if (/[/\\?#]/.test(name) || name === '.' || name === '..') {
    throw new TimebridgeError('CONFIG_INVALID', `Cannot create a calendar named "${name}": a calendar name is one path segment.`, {
      hint: 'Use letters, digits, - and _ for a calendar that Timebridge creates.',
    });
  }
  const path = `${home}${encodeURIComponent(name)}/`;
  await dav.http.request({
    method: 'MKCALENDAR',
    path: at(dav, path),
    headers: { 'content-type': 'application/xml; charset=utf-8' },
    body: mkcalendarBody(displayName),
  });
  return { path, displayName };
}

/** The calendar's own name in its path (`/alice/team/` → `team`). */
function segmentOf(cal: DavCalendar): string {
  return decodeURIComponent(cal.path.replace(/\/+$/, '').split('/').pop() ?? '');
}

function matches(cal: DavCalendar, wanted: string): boolean {
  return segmentOf(cal) === wanted || (cal.displayName !== '' && cal.displayName === wanted);
}

function names(calendars: DavCalendar[]): string {
  return calendars
    .map((c) => {
      const segment = segmentOf(c);
      return c.displayName && c.displayName !== segment ? `"${segment}" (${c.displayName})` : `"${segment}"`;
    })
    .join(', ');
}

function withSlash(p: string): string {
  return p.endsWith('/') ? p : `${p}/`;
}
