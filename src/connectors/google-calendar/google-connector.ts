/**
 * The Google Calendar connector: one calendar of one account. Items are events — a
 * series with its exceptions (`event`), or with `event-instance` every single event and
 * every instance of a series, as an import of time entries wants them.
 *
 * Reading: the first run lists everything (paging to the end) and keeps Google's
 * `nextSyncToken`; later runs list only what changed since it, cancelled events
 * becoming removals. A stale token (410 fullSyncRequired) lists everything again. A
 * listing is complete only when its last page brought the `nextSyncToken`; a page that
 * fails ends it as incomplete, so nothing is taken as deleted.
 * Writes: creates use an id derived from the hub id (409 when it exists), updates and
 * deletes send `If-Match`, so another client's edit is never overwritten.
 */
import { TimebridgeError, describeError, isTimebridgeError } from '../../core/errors.js';
import type { Connector, ExternalItem, ExternalRef, IdempotencyKey, ItemFailure, Listing, ListRequest } from '../kit/connector.js';
import { reasonOf, type GoogleCalendarClient, type ListQuery } from './google-client.js';
import { readPages } from '../kit/paging.js';
import type { GEvent, GoogleItem } from './google-types.js';
import { PROP_HUB_ID, PROP_NOT_HELD, eventEtagOf, googleIdOf, itemEtag, unsureEtag } from './ids.js';
import { instanceWrites } from './instances.js';
import { googleCalendarManifest } from './manifest.js';

export interface CalendarCreation {
  summary?: string;
  timeZone?: string;
  description?: string;
  shareWith: { email: string; role: 'owner' | 'writer' | 'reader' | 'freeBusyReader' }[];
}

export interface GoogleConnectorOptions {
  client: GoogleCalendarClient;
  /** Calendar id, `primary`, or the summary (name) of a calendar of the account. */
  calendar: string;
  /** Make the calendar (and share it) when no calendar has that name. */
  create: CalendarCreation | null;
  /** List single events and instances of series (`event-instance`) instead of series. */
  instances: boolean;
  /**
   * List deleted (cancelled) events as items rather than removals (kind `attendance`): its
   * mapper turns a deletion into a change of the hub record (a cancelled reservation).
   */
  keepCancelled?: boolean;
  pageSize: number;
}

interface Cursor {
  v: 1;
  cal: string;
  i: boolean;
  sync: string;
}

const READ_ONLY = ['kind', 'etag', 'created', 'updated', 'htmlLink', 'iCalUID', 'creator', 'organizer', 'hangoutLink', 'sequence'];

export function createGoogleCalendarConnector(opts: GoogleConnectorOptions): GoogleCalendarConnector {
  return new GoogleCalendarConnector(opts);
}

export class GoogleCalendarConnector implements Connector<GoogleItem> {
  readonly manifest = googleCalendarManifest;
  private calId: string | null = null;
  /** Items of the last listing, handed to the `get` that follows it (each once). */
  private listed = new Map<string, ExternalItem<GoogleItem>>();

  constructor(readonly opts: GoogleConnectorOptions) {}

  get client(): GoogleCalendarClient {
    return this.opts.client;
  }

  async list(req: ListRequest): Promise<Listing> {
    this.listed = new Map();
    const cursor = this.readCursor(req.cursor);
    if (cursor) {
      this.calId ??= cursor.cal;
      try {
        return await this.read({ syncToken: cursor.sync }, 'delta');
      } catch (err) {
        // Google dropped the token (age, sharing change): list everything again (api-contracts §3.3).
        if (!(isTimebridgeError(err) && err.details?.['status'] === 410)) throw err;
      }
    }
    if (!req.window) return this.read({ showDeleted: this.opts.instances ? undefined : 'true' }, 'full');
    // A window cannot prove an event outside it is gone: report what is there and the tombstones.
    return this.read({ showDeleted: 'true', timeMin: req.window.start, timeMax: req.window.end }, 'window');
  }

  async get(ids: string[]): Promise<(ExternalItem<GoogleItem> | ItemFailure)[]> {
    const out: (ExternalItem<GoogleItem> | ItemFailure)[] = [];
    for (const id of ids) {
      const cached = this.listed.get(id);
      if (cached) {
        this.listed.delete(id);
        out.push(cached);
        continue;
      }
      try {
        out.push(await this.fetch(id));
      } catch (err) {
        if (isTimebridgeError(err) && err.kind === 'auth') throw err;
        out.push({ id, error: describeError(err) });
      }
    }
    return out;
  }

  async create(data: GoogleItem, key: IdempotencyKey): Promise<ExternalRef> {
    this.writable();
    const cal = await this.calendarId();
    const id = googleIdOf(key.hubId);
    const body = writable(data.event, key.hubId);
    try {
      const made = await this.client.insertEvent(cal, { ...body, id });
      return { id: made.id, etag: itemEtag(made, await this.writeInstances(cal, made, data, [])) };
    } catch (err) {
      if (!(isTimebridgeError(err) && err.details?.['status'] === 409)) throw err;
      const there = await this.client.getEvent(cal, id);
      // Our own event, deleted earlier: Google keeps its id, so bring it back instead.
      if (there.status === 'cancelled' && there.extendedProperties?.private?.[PROP_HUB_ID] === key.hubId) {
        const revived = await this.client.updateEvent(cal, id, { ...body, id, status: body.status ?? 'confirmed' }, there.etag ?? null);
        return { id, etag: itemEtag(revived, []) };
      }
      throw new TimebridgeError('CONNECTOR_PRECONDITION', `Google Calendar already has an event with id ${id} (for hub record ${key.hubId}).`, {
        hint: 'A create of this record already landed; the sync looks it up by its key and links it.',
        cause: err,
        details: { id },
      });
    }
  }

  async update(id: string, data: GoogleItem, ifMatch: string): Promise<ExternalRef> {
    this.writable();
    const cal = await this.calendarId();
    const hubId = data.event.extendedProperties?.private?.[PROP_HUB_ID] ?? null;
    const done = await this.client.updateEvent(cal, id, { ...writable(data.event, hubId), id }, eventEtagOf(ifMatch));
    if (!done.recurrence) return { id, etag: itemEtag(done, []) };
    // The exceptions as Google has them now (the item may not have been read in this run).
    const current = (await this.fetch(id)).data.exceptions;
    return { id, etag: itemEtag(done, await this.writeInstances(cal, done, data, current)) };
  }

  /**
   * Writes the instances of a series the item wants changed (PUT on the instance id, with
   * If-Match where the exception exists); returns the series' exceptions afterwards.
   */
  private async writeInstances(cal: string, master: GEvent, data: GoogleItem, current: GEvent[]): Promise<GEvent[]> {
    const byId = new Map(current.map((x) => [x.id, x]));
    if (!master.recurrence || (!data.instances?.length && !current.length)) return [...byId.values()];
    for (const w of instanceWrites(master, data.instances ?? [], current)) {
      const id = `${master.id}_${w.key}`;
      const body = { ...writable(w.body, null), id, recurringEventId: master.id };
      byId.set(id, await this.client.updateEvent(cal, id, body, w.ifMatch));
    }
    return [...byId.values()];
  }

  async delete(id: string, ifMatch: string): Promise<void> {
    this.writable();
    await this.client.deleteEvent(await this.calendarId(), id, eventEtagOf(ifMatch));
  }

  async findByKey(key: IdempotencyKey): Promise<ExternalRef | null> {
    const list = await this.client.listEvents(await this.calendarId(), { privateExtendedProperty: `${PROP_HUB_ID}=${key.hubId}`, maxResults: 10 });
    const found = list.items.find((e) => !e.recurringEventId && e.status !== 'cancelled');
    if (!found) return null;
    return { id: found.id, etag: (await this.fetch(found.id)).etag };
  }

  /** Whether calendarId() made the calendar (rather than found it). */
  calendarMade = false;

  /** The calendar's id, found once (by name in the calendar list, made when `create` says so). */
  async calendarId(): Promise<string> {
    if (this.calId) return this.calId;
    const name = this.opts.calendar;
    if (name === 'primary' || name.includes('@')) return (this.calId = name);
    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.client.calendarList(pageToken);
      for (const c of page.items ?? []) {
        if (c.id === name || c.summary === name) return (this.calId = c.id);
        names.push(c.summary);
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    if (!this.opts.create) {
      throw new TimebridgeError('CONNECTOR_NOT_FOUND', `The Google account has no calendar named "${name}" (it has: ${names.join(', ') || 'none'}).`, {
        hint: "Use a calendar id (…@group.calendar.google.com) or an existing name as the link's collection, or set create: {shareWith: […]} on the connection to make it.",
      });
    }
    const made = await this.client.insertCalendar({
      summary: name,
      ...(this.opts.create.timeZone ? { timeZone: this.opts.create.timeZone } : {}),
      ...(this.opts.create.description ? { description: this.opts.create.description } : {}),
    });
    this.calendarMade = true;
    for (const s of this.opts.create.shareWith) await this.client.insertAcl(made.id, { role: s.role, scope: { type: 'user', value: s.email } });
    return (this.calId = made.id);
  }

  /** Instances are read for imports only: writing one would edit or cancel a meeting in the calendar. */
  private writable(): void {
    if (!this.opts.instances) return;
    throw new TimebridgeError(
      'CONNECTOR_INVALID_INPUT',
      'A link of kind event-instance only reads the calendar; it does not create, change or delete events.',
      {
        hint: "Set the import link's direction to pull (and write time entries with a google-export link of kind event).",
      },
    );
  }

  private readCursor(raw: string | null): Cursor | null {
    if (!raw) return null;
    try {
      const c = JSON.parse(raw) as Cursor;
      return c.v === 1 && c.i === this.opts.instances && typeof c.sync === 'string' && (this.calId === null || c.cal === this.calId) ? c : null;
    } catch {
      return null;
    }
  }

  /**
   * Pages to the end (kit/paging.ts). Google declares no totals and may answer short or
   * empty pages, so the proof is its own: complete only when the last page arrived with
   * its `nextSyncToken` and no event came twice. A failing page after the first makes the
   * listing incomplete, with the reason.
   */
  private async read(query: ListQuery, how: 'full' | 'delta' | 'window'): Promise<Listing> {
    const cal = await this.calendarId();
    let sync: string | undefined;
    const paged = await readPages<GEvent>({
      what: 'Google Calendar events',
      style: 'token',
      size: this.opts.pageSize,
      shortPages: true,
      id: (ev) => ev.id,
      fetch: async ({ token }) => {
        const page = await this.client.listEvents(cal, {
          ...query,
          pageToken: token ?? undefined,
          maxResults: this.opts.pageSize,
          ...(this.opts.instances ? { singleEvents: 'true' } : {}),
        });
        sync = page.nextPageToken ? undefined : page.nextSyncToken;
        return { items: page.items, last: !page.nextPageToken, next: page.nextPageToken ?? null };
      },
      softError: (err) => !(isTimebridgeError(err) && err.details?.['status'] === 410 && reasonOf(err) === 'fullSyncRequired'),
    });
    let { complete, reason } = paged;
    if (complete && !sync) {
      complete = false;
      reason = 'the last page of Google Calendar events came without a nextSyncToken';
    }
    const cursor = complete && sync ? JSON.stringify({ v: 1, cal, i: this.opts.instances, sync } satisfies Cursor) : null;
    const { refs, removed } = this.opts.instances ? this.instanceRefs(paged.items) : this.seriesRefs(paged.items, how === 'full');
    const mode = how === 'full' ? 'full' : 'delta';
    return { mode, refs, removed: mode === 'full' ? [] : removed, complete, cursor, failures: [], ...(reason ? { incompleteReason: reason } : {}) };
  }

  private instanceRefs(items: GEvent[]): { refs: ExternalRef[]; removed: string[] } {
    const refs: ExternalRef[] = [],
      removed: string[] = [];
    for (const ev of items) {
      if (ev.status === 'cancelled') {
        removed.push(ev.id);
        continue;
      }
      const etag = ev.etag ?? '';
      refs.push({ id: ev.id, etag });
      this.listed.set(ev.id, { id: ev.id, etag, data: { event: ev, exceptions: [] }, modifiedAt: ev.updated ?? null });
    }
    return { refs, removed };
  }

  /** Series with their exceptions; `whole`: the listing holds every exception, so etags are exact. */
  private seriesRefs(items: GEvent[], whole: boolean): { refs: ExternalRef[]; removed: string[] } {
    const top = new Map<string, GEvent>(),
      exceptions = new Map<string, GEvent[]>();
    for (const ev of items) {
      if (ev.recurringEventId) exceptions.set(ev.recurringEventId, [...(exceptions.get(ev.recurringEventId) ?? []), ev]);
      else top.set(ev.id, ev);
    }
    const refs: ExternalRef[] = [],
      removed: string[] = [];
    for (const ev of top.values()) {
      if (ev.status === 'cancelled' && !(this.opts.keepCancelled && !ev.recurrence)) {
        removed.push(ev.id);
        continue;
      }
      const exc = exceptions.get(ev.id) ?? [];
      if (!whole && ev.recurrence) {
        refs.push({ id: ev.id, etag: unsureEtag(ev) });
        continue;
      }
      const etag = itemEtag(ev, exc);
      refs.push({ id: ev.id, etag });
      this.listed.set(ev.id, { id: ev.id, etag, data: { event: ev, exceptions: exc }, modifiedAt: ev.updated ?? null, ...notHeld(ev) });
    }
    // An exception changed while its series did not: the series is read again.
    for (const [master, exc] of exceptions) {
      if (!top.has(master) && !whole) refs.push({ id: master, etag: unsureEtag(exc[0]!) });
    }
    return { refs, removed };
  }

  /** One item: the event, and for a series its exceptions (listed by iCalUID, cancelled ones included). */
  private async fetch(id: string): Promise<ExternalItem<GoogleItem>> {
    const cal = await this.calendarId();
    const ev = await this.client.getEvent(cal, id);
    if (ev.status === 'cancelled') {
      throw new TimebridgeError('CONNECTOR_NOT_FOUND', `Event ${id} was deleted in Google Calendar.`, {
        hint: 'Nothing to do: the sync treats it as deleted.',
        details: { id },
      });
    }
    const exceptions: GEvent[] = [];
    if (ev.recurrence && !this.opts.instances && ev.iCalUID) {
      let pageToken: string | undefined;
      do {
        const page = await this.client.listEvents(cal, { iCalUID: ev.iCalUID, showDeleted: 'true', pageToken, maxResults: this.opts.pageSize });
        exceptions.push(...page.items.filter((e) => e.recurringEventId === id));
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    return { id, etag: itemEtag(ev, exceptions), data: { event: ev, exceptions }, modifiedAt: ev.updated ?? null, ...notHeld(ev) };
  }
}

/** A warning for an event the hub holds more of than Google can (the event mapper marks it). */
function notHeld(ev: GEvent): { warnings?: string[] } {
  const what = ev.extendedProperties?.private?.[PROP_NOT_HELD];
  if (!what) return {};
  return {
    warnings: [
      `Google Calendar does not hold the ${what} of event ${ev.id} ('${ev.summary ?? ''}'); they are kept in the hub and the other calendars, and are missing from Google.`,
    ],
  };
}

/** The event as a write sends it: no read-only fields, the hub id kept in the private properties. */
function writable(ev: GEvent, hubId: string | null): GEvent {
  const out: GEvent = { ...ev };
  for (const k of READ_ONLY) delete out[k];
  if (hubId) out.extendedProperties = { ...out.extendedProperties, private: { ...out.extendedProperties?.private, [PROP_HUB_ID]: hubId } };
  return out;
}
