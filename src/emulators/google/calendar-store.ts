/**
 * The emulator's calendars and events: writes with etags and a change sequence, so sync
 * tokens, tombstones, `If-Match` and instance exceptions behave as api-contracts §3
 * says. Pure in-memory state; the HTTP routes translate to and from it.
 */
import { randomBytes } from 'node:crypto';
import type { AclRule, Calendar, CalendarEvent, EventDateTime } from './types.js';
import { isZoneName, parseRfc3339, rfc3339At, wallTimeToInstant } from '../kit/time-text.js';
import { GoogleApiError, bad } from './errors.js';
import { expand, type Occurrence } from './recurrence.js';

export interface StoredEvent {
  ev: CalendarEvent;
  /** Change sequence of the last write (sync tokens compare against it). */
  seq: number;
  startMs: number;
  endMs: number;
}

export interface CalendarRecord {
  cal: Calendar;
  owner: string;
  acl: Map<string, AclRule>;
  events: Map<string, StoredEvent>;
  /** Sync tokens of another generation are stale (410); invalidating them starts a new one. */
  generation: number;
}

const ID_RE = /^[a-v0-9]{5,1024}$/;
/** Instances expanded per series when the request sets no timeMax. */
export const MAX_INSTANCES = 730;

export const newId = (): string => [...randomBytes(20)].map((b) => '0123456789abcdefghijklmnopqrstuv'[b % 32]).join('');

export class CalendarStore {
  seq = 0;
  readonly calendars = new Map<string, CalendarRecord>();
  /** Called after every change of a calendar's events (push channels listen). */
  onChange: (calendarId: string) => void = () => undefined;

  constructor(private readonly now: () => number) {}

  reset(): void {
    this.seq = 0;
    this.calendars.clear();
  }

  private next(): { seq: number; etag: string; at: string } {
    this.seq++;
    return { seq: this.seq, etag: `"${3181161784712000 + this.seq * 1000}"`, at: new Date(this.now()).toISOString() };
  }

  createCalendar(owner: string, body: { id?: string; summary?: string; description?: string; timeZone?: string }): Calendar {
    if (!body.summary) throw bad('Missing title (summary).', 'required');
    const id = body.id ?? `${newId().slice(0, 26)}@group.calendar.google.com`;
    const { etag } = this.next();
    const cal: Calendar = {
      kind: 'calendar#calendar',
      id,
      etag,
      summary: body.summary,
      timeZone: body.timeZone ?? 'UTC',
      ...(body.description ? { description: body.description } : {}),
    };
    const acl = new Map<string, AclRule>([
      [`user:${owner}`, { kind: 'calendar#aclRule', id: `user:${owner}`, role: 'owner', scope: { type: 'user', value: owner } }],
    ]);
    this.calendars.set(id, { cal, owner, acl, events: new Map(), generation: 0 });
    return cal;
  }

  /** The calendar, `primary` being the caller's own (made on first use); 404 without access. */
  calendar(id: string, principal: string, need: 'reader' | 'writer' | 'owner' = 'reader'): CalendarRecord {
    const realId = id === 'primary' ? principal : id;
    let rec = this.calendars.get(realId);
    if (!rec && realId === principal) {
      this.createCalendar(principal, { id: principal, summary: principal });
      rec = this.calendars.get(realId)!;
    }
    const role = rec ? roleOf(rec, principal) : null;
    if (!rec || !role) throw new GoogleApiError(404, 'notFound', 'Not Found');
    const rank = { freeBusyReader: 0, reader: 1, writer: 2, owner: 3, none: -1 } as const;
    if (rank[role] < rank[need]) throw new GoogleApiError(403, 'forbidden', `You need to have ${need} access to this calendar.`);
    return rec;
  }

  insertAcl(rec: CalendarRecord, body: Partial<AclRule>): AclRule {
    const scope = body.scope;
    if (!scope?.type || !body.role) throw bad('role and scope are required', 'required');
    const id = scope.type === 'default' ? 'default' : `${scope.type}:${scope.value ?? ''}`;
    const rule: AclRule = {
      kind: 'calendar#aclRule',
      id,
      etag: this.next().etag,
      role: body.role,
      scope: { type: scope.type, ...(scope.value ? { value: scope.value } : {}) },
    };
    rec.acl.set(id, rule);
    // Google invalidates sync tokens when sharing changes (api-contracts §3.3).
    rec.generation++;
    return rule;
  }

  invalidateSyncTokens(): void {
    for (const rec of this.calendars.values()) rec.generation++;
  }

  /** `principal`: who inserts it, Google's read-only `creator` (the calendar is the `organizer`); a client's own creator/organizer are ignored. */
  insertEvent(rec: CalendarRecord, body: Partial<CalendarEvent>, principal?: string): CalendarEvent {
    if (body.id !== undefined && !ID_RE.test(body.id)) throw bad('Invalid resource id value.', 'invalid');
    if (body.id !== undefined && body.iCalUID !== undefined) throw bad('Give id or iCalUID, not both.', 'invalid');
    const id = body.id ?? newId();
    if (rec.events.has(id)) throw new GoogleApiError(409, 'duplicate', 'The requested identifier already exists.');
    const people = principal ? { creator: { email: principal }, organizer: { email: rec.cal.id, displayName: rec.cal.summary, self: true } } : {};
    return this.store(rec, { ...body, ...people, id, iCalUID: body.iCalUID ?? `${id}@google.com` }, null);
  }

  /** PUT (`merge` false) or PATCH (`merge` true) of an event or of one instance of a series. */
  writeEvent(rec: CalendarRecord, id: string, body: CalendarEvent, ifMatch: string | undefined, merge: boolean): CalendarEvent {
    const current = this.getEvent(rec, id);
    checkMatch(current, ifMatch);
    const base: CalendarEvent = merge ? mergePatch(current, body) : { ...body };
    const keep = {
      id: current.id,
      iCalUID: current.iCalUID,
      created: current.created,
      creator: current['creator'],
      organizer: current['organizer'],
      recurringEventId: current.recurringEventId,
      originalStartTime: current.originalStartTime,
    };
    return this.store(rec, { ...base, ...dropUndefined(keep), status: base.status ?? 'confirmed' }, current);
  }

  deleteEvent(rec: CalendarRecord, id: string, ifMatch: string | undefined): void {
    const current = this.getEvent(rec, id);
    if (current.status === 'cancelled') throw new GoogleApiError(410, 'deleted', 'Resource has been deleted');
    checkMatch(current, ifMatch);
    this.store(rec, { ...current, status: 'cancelled' }, current);
    if (current.recurrence) {
      for (const s of rec.events.values()) {
        if (s.ev.recurringEventId === id && s.ev.status !== 'cancelled') this.store(rec, { ...s.ev, status: 'cancelled' }, s.ev, false);
      }
    }
    this.onChange(rec.cal.id);
  }

  /** A stored event, or an instance of a series computed on the fly; 404 when neither. */
  getEvent(rec: CalendarRecord, id: string): CalendarEvent {
    const stored = rec.events.get(id);
    if (stored) return stored.ev;
    const m = /^(.+)_(\d{8}(?:T\d{6}Z)?)$/.exec(id);
    const master = m ? rec.events.get(m[1]!) : undefined;
    if (master?.ev.recurrence) {
      const occ = this.instancesOf(master.ev, {}).find((o) => o.key === m![2]);
      if (occ) return instanceOf(master.ev, occ);
    }
    throw new GoogleApiError(404, 'notFound', 'Not Found');
  }

  instancesOf(master: CalendarEvent, opts: { timeMin?: number; timeMax?: number }): Occurrence[] {
    const r = expand(master, { ...opts, limit: MAX_INSTANCES });
    return r.ok ? r.occurrences : [];
  }

  private store(rec: CalendarRecord, ev: CalendarEvent, previous: CalendarEvent | null, notify = true): CalendarEvent {
    const times = validateTimes(ev);
    if (ev.recurrence) {
      if (ev.recurringEventId) throw bad('An instance cannot carry recurrence rules.');
      if (ev.start?.dateTime && !ev.start.timeZone) throw bad('Missing time zone definition for start time.', 'invalid');
      const r = expand({ ...ev, start: times.start, end: times.end }, { limit: 1 });
      if (!r.ok) throw bad(`Invalid recurrence rule: ${r.error}`, 'invalid');
    }
    const { seq, etag, at } = this.next();
    const out: CalendarEvent = {
      ...ev,
      kind: 'calendar#event',
      etag,
      status: ev.status ?? 'confirmed',
      created: previous?.created ?? at,
      updated: at,
      sequence: (previous?.sequence ?? -1) + 1,
      htmlLink: `https://calendar.google.com/calendar/event?eid=${ev.id}`,
      eventType: previous?.eventType ?? ev.eventType ?? 'default',
      start: times.start,
      end: times.end,
    };
    rec.events.set(out.id, { ev: out, seq, startMs: times.startMs, endMs: times.endMs });
    if (notify) this.onChange(rec.cal.id);
    return out;
  }
}

function roleOf(rec: CalendarRecord, principal: string): AclRule['role'] | null {
  if (rec.owner === principal) return 'owner';
  const rule = rec.acl.get(`user:${principal}`) ?? rec.acl.get(`domain:${principal.split('@')[1] ?? ''}`) ?? rec.acl.get('default');
  return rule && rule.role !== 'none' ? rule.role : null;
}

function checkMatch(current: CalendarEvent, ifMatch: string | undefined): void {
  if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current.etag) throw new GoogleApiError(412, 'conditionNotMet', 'Precondition Failed');
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** PATCH: top-level fields replace, arrays wholesale; extendedProperties maps merge key by key. */
function mergePatch(current: CalendarEvent, body: CalendarEvent): CalendarEvent {
  const out: CalendarEvent = { ...current, ...body };
  if (body.extendedProperties && current.extendedProperties) {
    out.extendedProperties = {
      private: { ...current.extendedProperties.private, ...body.extendedProperties.private },
      shared: { ...current.extendedProperties.shared, ...body.extendedProperties.shared },
    };
  }
  return out;
}

/** Checks start/end and gives both a normalised form (dateTime with offset) and instants. */
function validateTimes(ev: CalendarEvent): { start: EventDateTime; end: EventDateTime; startMs: number; endMs: number } {
  if (!ev.start || !ev.end) throw bad('Missing end time.', 'required');
  const s = point(ev.start, 'start');
  const e = point(ev.end, 'end');
  if (s.allDay !== e.allDay) throw bad('Start and end must both be dates or both be date-times.');
  if (e.ms < s.ms || (s.allDay && e.ms === s.ms)) throw bad('The specified time range is empty.', 'timeRangeEmpty');
  return { start: s.time, end: e.time, startMs: s.ms, endMs: e.ms };
}

function point(t: EventDateTime, what: string): { time: EventDateTime; ms: number; allDay: boolean } {
  if (t.date !== undefined) {
    const ms = Date.parse(`${t.date}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(t.date) || Number.isNaN(ms)) throw bad(`Invalid ${what} date.`);
    return { time: { date: t.date }, ms, allDay: true };
  }
  if (t.dateTime === undefined) throw bad(`Missing ${what} time.`, 'required');
  if (t.timeZone !== undefined && !isZoneName(t.timeZone)) throw bad(`Invalid time zone definition for ${what} time.`);
  let ms = parseRfc3339(t.dateTime);
  if (ms === null && t.timeZone && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(t.dateTime)) ms = wallTimeToInstant(t.dateTime, t.timeZone);
  if (ms === null) throw bad(`Invalid ${what} time: give an offset or a timeZone.`);
  return { time: { dateTime: rfc3339At(ms, t.timeZone), ...(t.timeZone ? { timeZone: t.timeZone } : {}) }, ms, allDay: false };
}

/** One instance of a series as Google shows it: the master's fields at the occurrence's times. */
export function instanceOf(master: CalendarEvent, occ: Occurrence, status?: CalendarEvent['status']): CalendarEvent {
  const { recurrence: _r, ...rest } = master;
  void _r;
  return {
    ...rest,
    id: `${master.id}_${occ.key}`,
    recurringEventId: master.id,
    originalStartTime: occ.start,
    start: occ.start,
    end: occ.end,
    status: status ?? (master.status === 'cancelled' ? 'cancelled' : (rest.status ?? 'confirmed')),
  };
}
