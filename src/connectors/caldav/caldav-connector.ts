/**
 * The CalDAV connector: one calendar collection on a CalDAV server (Radicale, Nextcloud,
 * Baikal, iCloud, Fastmail…). The item id is the resource name in the collection (the
 * last href segment, decoded) and the item data is its iCalendar text; parsing is the
 * shared iCalendar mapper's job, as for the `.ics` folder, and so is decoding the bytes of
 * each object (`ical-decode.ts`: folds mended, other encodings converted or refused).
 *
 * Reading: a `sync-collection` report (RFC 6578) lists what changed since the sync
 * token in the cursor, so a run with nothing to do costs one request. Without a token
 * (first run, token rejected as stale) the same report with an empty token lists every
 * member with its etag. Servers without sync-collection get a depth-1 PROPFIND etag
 * listing, skipped while the collection's ctag is unchanged. Items are read with
 * `calendar-multiget` in batches. Writes are conditional: `If-None-Match: *` on create,
 * `If-Match` on update and delete, so another client's edit is never overwritten.
 */
import { TimebridgeError, describeError, isTimebridgeError } from '../../core/errors.js';
import type { Connector, ExternalItem, ExternalRef, IdempotencyKey, ItemFailure, Listing, ListRequest } from '../kit/connector.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { createHttpClient, type HttpAuth, type HttpResponse } from '../kit/http-client.js';
import { accountKey, clientOptions, type HttpSetup } from '../kit/http-setup.js';
import { at, discoverCalendar, hrefPath, propfind, report, type Dav, type DavCalendar } from './caldav-discovery.js';
import { decodeIcs } from '../kit/icalendar/ical-decode.js';
import { bytesProp, multigetBody, syncCollectionBody, textProp, timeRangeQueryBody, type DavResponse } from './dav-xml.js';
import { caldavManifest } from './manifest.js';

export interface CaldavOptions {
  /** Server root, principal, calendar home or the calendar itself. */
  url: string;
  auth?: HttpAuth;
  /** Calendar path segment or display name; null: `url` is the calendar, or the home holds exactly one. */
  calendar: string | null;
  /** MKCALENDAR the calendar when it does not exist. */
  create: boolean;
  displayName: string | null;
  /** Items per calendar-multiget. */
  batchSize: number;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Pacing, retries and clock (the catalog's); absent: the defaults. */
  http?: HttpSetup;
  /** Where requests may go (users' connections: serve.outbound); none: anywhere. */
  outbound?: OutboundGuard;
}

/** What the engine stores between runs: the calendar found (no discovery next run) and the sync state. */
interface Cursor {
  v: 1;
  /** The settings the cursor was made for; a changed url or calendar discards it. */
  for: string;
  cal: string;
  /** RFC 6578 sync token; or, on servers without one, the collection's ctag. */
  sync?: string;
  ctag?: string;
}

const ICS_TYPE = 'text/calendar; charset=utf-8';

function credentialOf(auth: HttpAuth | undefined): string[] {
  if (!auth) return [];
  return auth.type === 'basic' ? [auth.username, auth.password] : [auth.token];
}

export function createCaldavConnector(opts: CaldavOptions): Connector<string> {
  return new CaldavConnector(opts);
}

class CaldavConnector implements Connector<string> {
  readonly manifest: typeof caldavManifest;
  private readonly dav: Dav;
  private readonly settingsKey: string;
  private calendar: DavCalendar | null = null;

  constructor(private readonly opts: CaldavOptions) {
    this.manifest = { ...caldavManifest, batchSize: opts.batchSize };
    // One account per server and credential; CalDAV servers publish no limit, so only rate-limited answers pause it.
    const account = { key: accountKey(new URL(opts.url).origin, ...credentialOf(opts.auth)), published: caldavManifest.rateLimit ?? null };
    const http = createHttpClient({
      baseUrl: opts.url,
      timeoutMs: opts.timeoutMs,
      ...(opts.auth ? { auth: opts.auth } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...clientOptions(opts.http, account),
      ...(opts.outbound ? { outbound: opts.outbound } : {}),
    });
    this.dav = { http, origin: new URL(opts.url).origin };
    this.settingsKey = `${opts.url}#${opts.calendar ?? ''}`;
  }

  async list(req: ListRequest): Promise<Listing> {
    const cursor = this.readCursor(req.cursor);
    if (cursor) {
      this.calendar ??= { path: cursor.cal, displayName: '' };
      try {
        if (cursor.sync !== undefined) return await this.syncDelta(cursor.sync);
        if (cursor.ctag !== undefined) return await this.ctagListing(cursor.ctag, req);
      } catch (err) {
        // A token that expired or was never valid (RFC 6578 valid-sync-token): list everything again.
        const stale = isTimebridgeError(err) && isStaleToken(err);
        // A calendar that moved or is gone: find it again (a missing one is an error, never an empty listing).
        const gone = isTimebridgeError(err) && err.kind === 'not_found';
        if (!stale && !gone) throw err;
        if (gone) this.calendar = null;
      }
    }
    return this.fullListing(req);
  }

  async get(ids: string[]): Promise<(ExternalItem<string> | ItemFailure)[]> {
    const out: (ExternalItem<string> | ItemFailure)[] = [];
    const size = Math.max(1, this.opts.batchSize);
    for (let i = 0; i < ids.length; i += size) out.push(...(await this.getBatch(ids.slice(i, i + size))));
    return out;
  }

  async create(data: string, key: IdempotencyKey): Promise<ExternalRef> {
    const id = `${key.hubId}.ics`;
    const res = await this.put(id, data, { 'if-none-match': '*' }, 'created');
    return { id, etag: await this.etagAfterWrite(id, res) };
  }

  async update(id: string, data: string, ifMatch: string): Promise<ExternalRef> {
    const res = await this.put(id, data, { 'if-match': ifMatch }, 'updated');
    return { id, etag: await this.etagAfterWrite(id, res) };
  }

  async delete(id: string, ifMatch: string): Promise<void> {
    const path = await this.itemPath(id);
    try {
      await this.dav.http.request({ method: 'DELETE', path: at(this.dav, path), headers: { 'if-match': ifMatch } });
    } catch (err) {
      // Servers answer a missing resource with If-Match by 412 too (RFC 9110 §13.1.1): tell the two apart.
      if (isTimebridgeError(err) && err.kind === 'precondition' && !(await this.currentEtag(id))) throw gone(id, path, 'deleted', err);
      throw explain(err, id, 'deleted');
    }
  }

  async findByKey(key: IdempotencyKey): Promise<ExternalRef | null> {
    const id = `${key.hubId}.ics`;
    const etag = await this.currentEtag(id);
    return etag === null ? null : { id, etag };
  }

  /** The calendar this connection syncs, found once per process (or taken from the cursor). */
  private async calendarPath(): Promise<string> {
    this.calendar ??= await discoverCalendar(this.dav, this.opts.url, {
      calendar: this.opts.calendar,
      create: this.opts.create,
      displayName: this.opts.displayName,
    });
    return this.calendar.path;
  }

  private async itemPath(id: string): Promise<string> {
    if (id === '' || id === '.' || id === '..' || /[/\\]/.test(id)) {
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `"${id}" is not a valid item id for a CalDAV calendar.`, {
        hint: 'Ids are resource names inside the calendar, such as "abc.ics", without "/".',
        details: { id },
      });
    }
    return `${await this.calendarPath()}${encodeURIComponent(id)}`;
  }

  private readCursor(raw: string | null): Cursor | null {
    if (!raw) return null;
    try {
      const c = JSON.parse(raw) as Cursor;
      return c.v === 1 && c.for === this.settingsKey && typeof c.cal === 'string' ? c : null;
    } catch {
      return null;
    }
  }

  private cursor(cal: string, state: { sync?: string; ctag?: string }): string {
    return JSON.stringify({ v: 1, for: this.settingsKey, cal, ...state } satisfies Cursor);
  }

  /** Changes since `token`: changed members with their etags, removed ones as 404 responses. */
  private async syncDelta(token: string): Promise<Listing> {
    const cal = await this.calendarPath();
    const { changed, removed, next } = await this.syncCollection(cal, token);
    return { mode: 'delta', refs: changed, removed, complete: true, cursor: this.cursor(cal, { sync: next }), failures: [] };
  }

  /** Every member with its etag: sync-collection with an empty token, or (`viaSync` false, or unsupported) a PROPFIND. */
  private async fullListing(req: ListRequest, viaSync = true): Promise<Listing> {
    const cal = await this.calendarPath();
    let listed: { refs: ExternalRef[]; state: { sync?: string; ctag?: string } } | null = null;
    if (viaSync) {
      try {
        const all = await this.syncCollection(cal, '');
        listed = { refs: all.changed, state: { sync: all.next } };
      } catch (err) {
        if (!(isTimebridgeError(err) && isUnsupportedReport(err))) throw err;
      }
    }
    const { refs, state } = listed ?? (await this.etagListing(cal));
    const outside = req.window ? await this.outsideWindow(cal, refs, req.window) : [];
    return {
      mode: 'full',
      refs,
      removed: [],
      complete: true,
      cursor: this.cursor(cal, state),
      failures: [],
      ...(outside.length ? { outsideWindow: outside } : {}),
    };
  }

  /** Servers without sync-collection: skip the listing while the ctag stays the same. */
  private async ctagListing(ctag: string, req: ListRequest): Promise<Listing> {
    const cal = await this.calendarPath();
    const ms = await propfind(this.dav, cal, 0, ['CS:getctag']);
    const now = ms.responses[0] ? textProp(ms.responses[0].props, 'getctag') : '';
    if (now !== '' && now === ctag) return { mode: 'delta', refs: [], removed: [], complete: true, cursor: this.cursor(cal, { ctag }), failures: [] };
    // This server has no sync-collection (that is why the cursor holds a ctag): go straight to the PROPFIND.
    return this.fullListing(req, false);
  }

  private async etagListing(cal: string): Promise<{ refs: ExternalRef[]; state: { ctag?: string } }> {
    const ms = await propfind(this.dav, cal, 1, ['D:resourcetype', 'D:getetag', 'CS:getctag']);
    const refs: ExternalRef[] = [];
    let ctag = '';
    for (const r of ms.responses) {
      const id = memberOf(r.href, this.dav.origin, cal);
      if (id === SELF) ctag = textProp(r.props, 'getctag');
      else if (id !== null && r.status !== 404) refs.push(refOf(id, r));
    }
    return { refs, state: ctag ? { ctag } : {} };
  }

  /** One sync-collection exchange, following 507 truncation with the token it returns. */
  private async syncCollection(cal: string, token: string): Promise<{ changed: ExternalRef[]; removed: string[]; next: string }> {
    const changed = new Map<string, ExternalRef>();
    const removed = new Set<string>();
    let current = token;
    for (;;) {
      const ms = await report(this.dav, cal, 0, syncCollectionBody(current));
      let truncated = false;
      for (const r of ms.responses) {
        const id = memberOf(r.href, this.dav.origin, cal);
        if (id === SELF) {
          truncated ||= r.status === 507;
          continue;
        }
        if (id === null) continue;
        if (r.status === 404) {
          removed.add(id);
          changed.delete(id);
          continue;
        }
        changed.set(id, refOf(id, r));
        removed.delete(id);
      }
      if (!ms.syncToken) {
        throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `REPORT sync-collection on ${cal} returned no sync token.`, {
          hint: 'The server does not implement RFC 6578 correctly; report it to its maintainers.',
        });
      }
      if (!truncated || ms.syncToken === current) return { changed: [...changed.values()], removed: [...removed], next: ms.syncToken };
      current = ms.syncToken;
    }
  }

  /** Members not overlapping the window (calendar-query time-range): present, but not read unless already linked. */
  private async outsideWindow(cal: string, refs: ExternalRef[], window: { start: string; end: string }): Promise<string[]> {
    const ms = await report(this.dav, cal, 1, timeRangeQueryBody(new Date(window.start), new Date(window.end)));
    const inside = new Set<string>();
    for (const r of ms.responses) {
      const id = memberOf(r.href, this.dav.origin, cal);
      if (typeof id === 'string') inside.add(id);
    }
    return refs.filter((r) => !inside.has(r.id)).map((r) => r.id);
  }

  private async getBatch(ids: string[]): Promise<(ExternalItem<string> | ItemFailure)[]> {
    const cal = await this.calendarPath();
    const paths = new Map(ids.map((id) => [`${cal}${encodeURIComponent(id)}`, id]));
    let responses: DavResponse[];
    try {
      responses = (await report(this.dav, cal, 1, multigetBody([...paths.keys()]), { calendarData: true })).responses;
    } catch (err) {
      // One bad item can fail a whole multiget: read the batch one by one so only it fails.
      if (ids.length > 1 && isTimebridgeError(err) && (err.kind === 'transient' || err.kind === 'invalid_input')) {
        const single: (ExternalItem<string> | ItemFailure)[] = [];
        for (const id of ids) single.push(...(await this.getBatch([id])));
        return single;
      }
      return ids.map((id) => ({ id, error: describeError(explain(err, id, 'read')) }));
    }
    const byId = new Map<string, DavResponse>();
    for (const r of responses) {
      const id = memberOf(r.href, this.dav.origin, cal);
      if (typeof id === 'string') byId.set(id, r);
    }
    return ids.map((id) => itemOf(id, byId.get(id), cal));
  }

  private async put(id: string, data: string, condition: Record<string, string>, verb: string): Promise<HttpResponse> {
    const path = await this.itemPath(id);
    try {
      return await this.dav.http.request({ method: 'PUT', path: at(this.dav, path), headers: { 'content-type': ICS_TYPE, ...condition }, body: data });
    } catch (err) {
      throw refusedPut(explain(err, id, verb), path, data, verb);
    }
  }

  /** The ETag a PUT answered with; servers that rewrite the object may send none, then it is asked for. */
  private async etagAfterWrite(id: string, res: HttpResponse): Promise<string> {
    const etag = res.headers.get('etag');
    if (etag) return etag;
    const now = await this.currentEtag(id);
    if (now === null) {
      throw new TimebridgeError('CONNECTOR_TRANSIENT', `${id} was written but cannot be found right after.`, {
        hint: 'Another client may have deleted it at once; the next sync reads the calendar again.',
      });
    }
    return now;
  }

  /** The etag of one resource, or null when it does not exist. */
  private async currentEtag(id: string): Promise<string | null> {
    const path = await this.itemPath(id);
    try {
      const ms = await propfind(this.dav, path, 0, ['D:getetag']);
      return ms.responses[0] ? textProp(ms.responses[0].props, 'getetag') || null : null;
    } catch (err) {
      if (isTimebridgeError(err) && err.kind === 'not_found') return null;
      throw err;
    }
  }
}

const SELF = Symbol('the calendar collection itself');

/** The decoded resource name of a direct member of `cal`, SELF for `cal` itself, null for anything else. */
function memberOf(href: string, origin: string, cal: string): string | typeof SELF | null {
  const path = hrefPath(href, origin);
  if (path === cal || `${path}/` === cal) return SELF;
  if (!path.startsWith(cal)) return null;
  const rest = path.slice(cal.length);
  if (rest === '' || rest.includes('/')) return null;
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

/** A listed member with its etag; one listed without an etag is still there: '' never equals a stored etag, so it is fetched. */
function refOf(id: string, r: DavResponse): ExternalRef {
  return { id, etag: textProp(r.props, 'getetag') };
}

function itemOf(id: string, r: DavResponse | undefined, cal: string): ExternalItem<string> | ItemFailure {
  if (!r || r.status === 404) {
    return {
      id,
      error: describeError(
        new TimebridgeError('CONNECTOR_NOT_FOUND', `${cal}${id} does not exist (any more).`, {
          hint: 'It was deleted on the server; the next sync picks that up.',
        }),
      ),
    };
  }
  const bytes = bytesProp(r.props, 'calendar-data');
  if (r.status !== null && r.status >= 300) {
    return {
      id,
      error: describeError(
        new TimebridgeError(
          r.status >= 500 ? 'CONNECTOR_TRANSIENT' : 'CONNECTOR_INVALID_INPUT',
          `The server could not return ${cal}${id} (HTTP ${r.status}).`,
          { hint: 'The next sync tries again.' },
        ),
      ),
    };
  }
  if (bytes === null) {
    return {
      id,
      error: describeError(
        new TimebridgeError('CONNECTOR_TRANSIENT', `The server returned ${cal}${id} without its calendar data.`, { hint: 'The next sync tries again.' }),
      ),
    };
  }
  // The same reading as the .ics folder's (ical-decode.ts): folds mended on octets, other encodings converted with a warning, or refused.
  const d = decodeIcs(bytes);
  if (!d.ok) {
    return {
      id,
      error: describeError(
        new TimebridgeError('ITEM_UNPARSABLE', `${cal}${id} was not read: ${d.error}.`, {
          hint: 'Open the event in a calendar client and save it again (clients write UTF-8), or fix its text on the server; the rest of the calendar syncs.',
        }),
      ),
    };
  }
  const data = crlf(d.text);
  const warnings = d.warning
    ? { warnings: [`${cal}${id} ${d.warning}. Check its text; the server's copy is rewritten, as UTF-8, only when the event is next changed.`] }
    : {};
  return { id, etag: textProp(r.props, 'getetag'), data, modifiedAt: modifiedAtOf(textProp(r.props, 'getlastmodified'), data), ...warnings };
}

/**
 * iCalendar lines end in CRLF (RFC 5545 §3.1), but XML parsing turns every CRLF inside
 * calendar-data into LF (XML 1.0 §2.11) and the trimmed text loses its last line end:
 * put both back, so what reaches a folder is valid iCalendar.
 */
function crlf(text: string): string {
  return `${text.replace(/\r?\n/g, '\r\n').replace(/(\r\n)+$/, '')}\r\n`;
}

/** getlastmodified when the server reports it in a REPORT (Radicale does not), else the object's LAST-MODIFIED in UTC. */
function modifiedAtOf(header: string, data: string): string | null {
  const http = Date.parse(header);
  if (!Number.isNaN(http)) return new Date(http).toISOString();
  const m = /^LAST-MODIFIED:(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\r?$/m.exec(data);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : null;
}

function statusOf(err: TimebridgeError): number | undefined {
  const s = err.details?.status;
  return typeof s === 'number' ? s : undefined;
}

function bodyOf(err: TimebridgeError): string {
  return String(err.details?.body ?? '');
}

/** RFC 6578 §3.2: an expired or unknown token fails the DAV:valid-sync-token precondition (403; some servers 409/400/500). */
function isStaleToken(err: TimebridgeError): boolean {
  const status = statusOf(err);
  if (status === 410) return true;
  return status !== undefined && status >= 400 && bodyOf(err).includes('valid-sync-token');
}

/** The server has no sync-collection (RFC 4918 DAV:supported-report, or 501/405). */
function isUnsupportedReport(err: TimebridgeError): boolean {
  const status = statusOf(err);
  if (status === 501 || status === 405) return true;
  return (status === 400 || status === 403) && /supported-report|sync-collection/i.test(bodyOf(err));
}

function gone(id: string, path: string, verb: string, cause: unknown): TimebridgeError {
  return new TimebridgeError('CONNECTOR_NOT_FOUND', `${path} does not exist, so it was not ${verb}.`, {
    hint: 'Someone else deleted it; the next sync picks up the change.',
    cause,
    details: { id },
  });
}

/**
 * A PUT the server refused with a 4xx that `explain` left as the client's error ("PUT …
 * failed with HTTP 400: Bad Request"): say which resource and which UID, keeping the
 * status and answer in details (a parked item records them).
 */
function refusedPut(err: unknown, path: string, data: string, verb: string): unknown {
  if (!isTimebridgeError(err) || err.details?.['id'] !== undefined) return err;
  const status = statusOf(err);
  if (status === undefined || status < 400 || status >= 500 || err.kind !== 'invalid_input') return err;
  const uid = /^UID:(.*)$/m.exec(data.replace(/\r?\n[ \t]/g, ''))?.[1]?.trim();
  const body = bodyOf(err);
  return new TimebridgeError(
    err.code,
    `PUT ${path}${uid ? ` (UID ${uid})` : ''} was not ${verb}: the server answered HTTP ${status}${body ? `: ${body.slice(0, 200)}` : '.'}`,
    {
      hint: 'The server refused this calendar object; its answer above says why (Radicale logs the full reason on its side).',
      cause: err,
      details: { ...err.details, path },
    },
  );
}

/** Adds what a CalDAV status means for this item to the HTTP client's error. */
function explain(err: unknown, id: string, verb: string): unknown {
  if (!isTimebridgeError(err)) return err;
  const status = statusOf(err);
  if (status === 409 && /no-uid-conflict/.test(bodyOf(err))) {
    return new TimebridgeError('CONNECTOR_CONFLICT', `${id} was not ${verb}: the calendar already holds another resource with the same UID.`, {
      hint: 'Two copies of one event exist; delete one of them on the server (or in the hub) and sync again.',
      cause: err,
      details: { id },
    });
  }
  if (err.kind === 'precondition' && verb === 'created') {
    return new TimebridgeError('CONNECTOR_PRECONDITION', `${id} already exists on the server, so it was not created again.`, {
      hint: 'An earlier create with this key already made it; use findByKey to pick it up.',
      cause: err,
      details: { id },
    });
  }
  if (err.kind === 'precondition') {
    return new TimebridgeError('CONNECTOR_PRECONDITION', `${id} changed on the server since it was read, so it was not ${verb}.`, {
      hint: 'Another client edited it; Timebridge reads it again and re-plans it.',
      cause: err,
      details: { id },
    });
  }
  return err;
}
