/**
 * The Kimai timesheet connector: one collection — a Kimai user's timesheets (collection
 * = the user id) or every user's (`all`, needs `view_other_timesheet`).
 *
 * - Listing: see timesheet-listing.ts (full listings with `outsideWindow`, delta listings
 *   by `modified_after`, deletions confirmed by a 404).
 * - Etags are content hashes (Kimai has no version); `update`/`delete` read the record
 *   first and refuse with `precondition` when it changed, and with `PERIOD_LOCKED` when it
 *   is exported (a locked month): Kimai itself lets admins edit exported records. An
 *   update of an entry the hub locked (`exported`) sets Kimai's exported flag after the
 *   content (PATCH …/export, a toggle: sent only on a record read as not exported).
 * - Creates are retry-safe by a key kept in Kimai: the description's last line
 *   `[timebridge id=<hub id>]` (timesheet-codec.ts; reading strips it again). Kimai's list
 *   searches descriptions with `term`, so `findByKey` asks the server, and a fresh process
 *   finds what a crashed one created. Tags would need one global tag per record (and the
 *   create_tag permission), and meta fields exist only where an admin configured them;
 *   the description is always writable. A timed create also adopts an unmarked record with
 *   its natural key (user, begin, end, project, activity), e.g. one typed in by hand.
 *   A day-granular entry (`start` null) is placed after the user's latest record of that
 *   day, or at `dayStart`.
 */
import { TimebridgeError, describeError } from '../../core/errors.js';
import type { Connector, ExternalItem, ExternalRef, IdempotencyKey, ItemFailure, Listing, ListRequest } from '../kit/connector.js';
import type { KimaiApi } from './kimai-api.js';
import type { KimaiEntry, RawTimesheet, RawUser } from './kimai-types.js';
import { kimaiManifest } from './manifest.js';
import { dayFilter, dayTime, placeInDay, readTimesheet, sameNaturalKey, spanOf, splitKey, timesheetEtag, writeBody } from './timesheet-codec.js';
import { listTimesheets } from './timesheet-listing.js';
import { instantToLocalDate, instantToWall, isKnownZone } from '../kit/zone-time.js';

export interface TimesheetConnectorOptions {
  /** A Kimai user id, or `all`. */
  collection: string;
  pageSize: number;
  fullListingEvery: number;
  /** Minutes after midnight where a day's first day-granular entry starts. */
  dayStartMinutes: number;
  /** Zone for users whose own zone cannot be read. */
  fallbackZone: string;
  now?: () => number;
}

interface Users {
  me: RawUser;
  zones: Map<number, string>;
}

export class KimaiTimesheetConnector implements Connector<KimaiEntry> {
  readonly manifest = { ...kimaiManifest, incremental: 'delta-cursor' as const, idempotency: 'marker' as const };
  /** Records as the last listing or write returned them: `get` answers from here first. */
  private readonly seen = new Map<string, RawTimesheet>();
  private readonly knownTags = new Set<string>();
  private users: Users | null = null;
  private readonly now: () => number;

  constructor(
    private readonly api: KimaiApi,
    private readonly opts: TimesheetConnectorOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async list(req: ListRequest): Promise<Listing> {
    const users = await this.loadUsers(true);
    // Only what this listing returned is kept, so memory follows one listing, not history.
    this.seen.clear();
    return listTimesheets(
      {
        api: this.api,
        user: this.opts.collection,
        pageSize: this.opts.pageSize,
        fullListingEvery: this.opts.fullListingEvery,
        callerZone: this.zone(users.me.id),
        seen: (rows) => {
          for (const t of rows) this.seen.set(String(t.id), t);
        },
      },
      req,
    );
  }

  async get(ids: string[]): Promise<(ExternalItem<KimaiEntry> | ItemFailure)[]> {
    await this.loadUsers(false);
    const out: (ExternalItem<KimaiEntry> | ItemFailure)[] = [];
    for (const id of ids) {
      try {
        const raw = this.seen.get(id) ?? (await this.fetch(id));
        out.push({ id, etag: timesheetEtag(raw), data: readTimesheet(raw, (u) => this.users?.zones.get(u) ?? null, this.opts.fallbackZone), modifiedAt: null });
      } catch (err) {
        out.push({ id, error: describeError(err) });
      }
    }
    return out;
  }

  async create(data: KimaiEntry, key: IdempotencyKey): Promise<ExternalRef> {
    // The natural-key lookup comes first (a retried create's exactly), so the whole create is safe to repeat.
    return this.api.repeatable(`create timesheet for ${key.hubId}`, () => this.createOnce(data, key));
  }

  private async createOnce(data: KimaiEntry, key: IdempotencyKey): Promise<ExternalRef> {
    const users = await this.loadUsers(false);
    const user = this.ownerOf(data);
    const existing = (await this.findMarked(key.hubId)) ?? (await this.findUnmarked(data, user));
    if (existing) return this.remember(await this.exportedAsAsked(data, existing));
    const span = spanOf(data, data.start !== null ? Date.parse(data.start) : await this.placement(data, user, this.dayZone(data, user)));
    await this.api.ensureTags(data.tags, this.knownTags);
    const body = writeBody(data, span, this.zone(users.me.id), user === users.me.id ? null : user, key.hubId);
    return this.remember(await this.exportedAsAsked(data, await this.api.json<RawTimesheet>('POST', '/timesheets', { body })));
  }

  /** A created (or found) record of a locked hub entry is exported too: an entry of a locked month created again stays locked in Kimai. */
  private async exportedAsAsked(data: KimaiEntry, raw: RawTimesheet): Promise<RawTimesheet> {
    return data.exported && !raw.exported ? this.markExported(String(raw.id)) : raw;
  }

  async update(id: string, data: KimaiEntry, ifMatch: string): Promise<ExternalRef> {
    const users = await this.loadUsers(false);
    const current = await this.writable(id, ifMatch, 'change');
    const user = this.ownerOf(data);
    const currentEntry = readTimesheet(current, (u) => this.users?.zones.get(u) ?? null, this.opts.fallbackZone);
    // Locking alone (same content): only the flag is sent, so Kimai's record is otherwise left as it is.
    if (data.exported && sameContent(currentEntry, data, user)) return this.remember(await this.markExported(id));
    let begin: number;
    if (data.start !== null) begin = Date.parse(data.start);
    else if (currentEntry.start && instantToLocalDate(Date.parse(currentEntry.start), this.dayZone(data, user)) === data.date)
      begin = Date.parse(currentEntry.start);
    else begin = await this.placement(data, user, this.dayZone(data, user));
    await this.api.ensureTags(data.tags, this.knownTags);
    const body = writeBody(data, spanOf(data, begin), this.zone(users.me.id), user === current.user ? null : user, splitKey(current.description).key);
    // Every field is sent with its value: a repeat writes the same.
    const raw = await this.api.json<RawTimesheet>('PATCH', `/timesheets/${encodeURIComponent(id)}`, { body, idempotent: true });
    return this.remember(data.exported && !raw.exported ? await this.markExported(id) : raw);
  }

  /**
   * Set Kimai's exported flag (a locked period). `/export` toggles, so it is sent only on a
   * record just read as not exported, and checked after: a retry never un-exports.
   */
  private async markExported(id: string): Promise<RawTimesheet> {
    const path = `/timesheets/${encodeURIComponent(id)}/export`;
    const after = await this.api.json<RawTimesheet>('PATCH', path);
    if (after.exported) return after;
    const current = await this.api.timesheet(id);
    return current.exported ? current : this.api.json<RawTimesheet>('PATCH', path);
  }

  async delete(id: string, ifMatch: string): Promise<void> {
    await this.writable(id, ifMatch, 'delete');
    // A repeat after the delete landed meets 404, which the run takes as deleted.
    await this.api.request('DELETE', `/timesheets/${encodeURIComponent(id)}`, { idempotent: true });
    this.seen.delete(id);
  }

  async findByKey(key: IdempotencyKey): Promise<ExternalRef | null> {
    await this.loadUsers(false);
    const found = await this.findMarked(key.hubId);
    return found ? this.remember(found) : null;
  }

  /** Users and their zones: reloaded at each listing, so a changed preference is seen. */
  private async loadUsers(fresh: boolean): Promise<Users> {
    if (this.users && !fresh) return this.users;
    const me = await this.api.me();
    const zones = new Map<number, string>();
    for (const u of await this.api.users()) if (u.timezone) zones.set(u.id, u.timezone);
    if (me.timezone) zones.set(me.id, me.timezone);
    this.users = { me, zones };
    return this.users;
  }

  private zone(user: number): string {
    return this.users?.zones.get(user) ?? this.opts.fallbackZone;
  }

  /** The zone an entry's day is counted in: the hub entry's own, else its Kimai user's. */
  private dayZone(data: KimaiEntry, user: number): string {
    return data.timeZone && isKnownZone(data.timeZone) ? data.timeZone : this.zone(user);
  }

  /** The Kimai user an entry goes to: its own, or the collection's; refused when it belongs to another collection. */
  private ownerOf(data: KimaiEntry): number {
    const collection = this.opts.collection === 'all' ? null : Number(this.opts.collection);
    const user = data.user ?? collection;
    if (user === null) {
      throw new TimebridgeError(
        'CONNECTOR_INVALID_INPUT',
        `This time entry has no person, and the link covers every Kimai user (collection: all), so it has no owner in Kimai.`,
        {
          hint: "Set the entry's person, or push such entries through a link whose collection is one Kimai user id.",
        },
      );
    }
    if (collection !== null && user !== collection) {
      throw new TimebridgeError(
        'CONNECTOR_INVALID_INPUT',
        `This time entry belongs to Kimai user ${user}, but the link covers user ${collection}'s timesheets.`,
        {
          hint: "Give each Kimai user's link its own hub scope, or use collection: all for one link that covers every user.",
        },
      );
    }
    return user;
  }

  private async fetch(id: string): Promise<RawTimesheet> {
    const raw = await this.api.timesheet(id);
    this.seen.set(id, raw);
    return raw;
  }

  private remember(raw: RawTimesheet): ExternalRef {
    this.seen.set(String(raw.id), raw);
    return { id: String(raw.id), etag: timesheetEtag(raw) };
  }

  /** The record as it is now, if it may be written with this etag; otherwise the reason as an error. */
  private async writable(id: string, ifMatch: string, what: 'change' | 'delete'): Promise<RawTimesheet> {
    this.seen.delete(id);
    const current = await this.fetch(id);
    if (timesheetEtag(current) !== ifMatch) {
      throw new TimebridgeError('CONNECTOR_PRECONDITION', `Kimai timesheet ${id} changed since it was read; nothing was written.`, {
        hint: 'The next run reads it again and merges.',
      });
    }
    if (current.exported) {
      throw new TimebridgeError(
        'PERIOD_LOCKED',
        `Kimai timesheet ${id} (${current.begin.slice(0, 10)}) is exported: its period is locked, so Timebridge will not ${what} it.`,
        {
          hint: 'Undo the change in the hub, or have a Kimai admin un-export the record (PATCH /api/timesheets/{id}/export) if the period must be reopened.',
        },
      );
    }
    return current;
  }

  /** The record a create with this hub id made, asked of the server: `term` narrows it to descriptions holding the id. */
  private async findMarked(hubId: string): Promise<RawTimesheet | null> {
    const { rows } = await this.api.timesheetPages({ user: this.opts.collection, term: hubId }, this.opts.pageSize);
    return rows.find((t) => splitKey(t.description).key === hubId) ?? null;
  }

  /** An unmarked record with the natural key of a timed entry (user, begin, end, project, activity). */
  private async findUnmarked(data: KimaiEntry, user: number): Promise<RawTimesheet | null> {
    if (data.start === null) return null;
    const me = (await this.loadUsers(false)).me;
    const span = spanOf(data, Date.parse(data.start));
    const at = instantToWall(span.begin, this.zone(me.id));
    const { rows } = await this.api.timesheetPages({ user: String(user), begin: at.slice(0, 16), end: `${at.slice(0, 16)}:59` }, this.opts.pageSize);
    return rows.find((t) => splitKey(t.description).key === null && sameNaturalKey(t, user, span, data)) ?? null;
  }

  private async placement(data: KimaiEntry, user: number, zone: string): Promise<number> {
    const me = (await this.loadUsers(false)).me;
    const { rows } = await this.api.timesheetPages({ user: String(user), ...dayFilter(zone, data.date, this.zone(me.id)) }, this.opts.pageSize);
    return placeInDay(rows, dayTime(zone, data.date, this.opts.dayStartMinutes), this.now());
  }
}

/** The entry as read says what `data` says (all a write sends but the exported flag). */
function sameContent(current: KimaiEntry, data: KimaiEntry, user: number): boolean {
  const tags = (t: string[]) => [...t].sort().join('\n');
  return (
    (data.start === null ? current.date === data.date : current.start === data.start) &&
    current.durationSeconds === data.durationSeconds &&
    current.breakSeconds === data.breakSeconds &&
    current.user === user &&
    current.project === data.project &&
    current.activity === data.activity &&
    (current.description ?? null) === (data.description ?? null) &&
    tags(current.tags) === tags(data.tags) &&
    current.billable === data.billable
  );
}
