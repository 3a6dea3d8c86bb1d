/**
 * The records API and `timebridge records` on one set of operations: list (filtered, only
 * what the caller may read, keyset-paged by id), read, history, create, merge-patch, delete
 * and split of hub records. Validation, locked periods and optimistic versions are
 * runtime/records.ts's; who may see and change what is app/record-access.ts's. The HTTP
 * routes and the CLI add only how they are called and how they answer.
 */
import { TimebridgeError } from '../core/errors.js';
import { HUB_KINDS } from '../core/fields/hub-kinds.js';
import { FIXED_FIELDS, mergeFields, splitEntry, SplitRefused, withDefaults, WRITABLE_KINDS, type SplitAt } from '../core/fields/record-edit.js';
import { RECORD_KINDS, type Fields, type HubRecord, type Json, type RecordKind } from '../core/model.js';
import { diffFields, type Actor, type HistoryEntry, type HubRecords } from '../runtime/records.js';
import { newId } from '../runtime/ids.js';
import type { HubStore } from '../store/types.js';
import type { RecordAccess, RecordCaller } from './record-access.js';

export interface RecordView {
  id: string;
  kind: RecordKind;
  scope: string;
  version: number;
  updatedAt: string;
  origin: string;
  deleted: boolean;
  fields: Fields;
  /** Hub id of the person the record belongs to (null: nobody's). */
  owner: string | null;
}

export interface HistoryView extends HistoryEntry {
  /** For a link's change the link's connection type (`kimai`, `google-calendar`); else the same as `via`. Null: the link is gone. */
  system: string | null;
}

export interface ListQuery {
  kind: RecordKind;
  scope?: string | undefined;
  personId?: string | undefined;
  projectId?: string | undefined;
  taskId?: string | undefined;
  assigneeId?: string | undefined;
  state?: string | undefined;
  /** A reservation's office. */
  office?: string | undefined;
  /** On a record's `date` (a time entry's day), inclusive; a reservation is in when any of its days is. */
  from?: string | undefined;
  to?: string | undefined;
  includeDeleted?: boolean | undefined;
  /** The cursor: the last id of the previous page. */
  after?: string | undefined;
  limit: number;
}

export interface DeskDeps {
  store: HubStore;
  records: HubRecords;
  access: RecordAccess;
  /** Every scope name (a listing without a scope looks in each). */
  scopes(): Promise<string[]>;
  /** The connection type of a link, by name (null: no such link). */
  systemOf(link: string): Promise<string | null>;
}

/** As timebridge.yaml names scopes (app/config-schema.ts). */
const SCOPE_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

const FILTERS = ['personId', 'projectId', 'taskId', 'assigneeId', 'state', 'office'] as const;

/** The days a record covers: a time entry's `date`, a reservation's first to last day; null: none. */
function daysOf(f: Fields): [string, string] | null {
  if (typeof f.date === 'string') return [f.date, f.date];
  if (typeof f.firstDay === 'string' && typeof f.lastDay === 'string') return [f.firstDay, f.lastDay];
  return null;
}

export function parseKind(kind: string): RecordKind {
  if ((RECORD_KINDS as readonly string[]).includes(kind)) return kind as RecordKind;
  throw new TimebridgeError('REQUEST_INVALID', `there is no record kind "${kind}"`, { hint: `use one of: ${RECORD_KINDS.join(', ')}` });
}

/** Refuse writes of kinds people do not write here: timers and timesheets have their own routes, the rest comes from links. */
export function assertWritable(kind: RecordKind): void {
  if (WRITABLE_KINDS.includes(kind)) return;
  if (kind === 'timer' || kind === 'timesheet') {
    const route = kind === 'timer' ? '/api/v1/timers/…' : '/api/v1/timesheets/…';
    throw new TimebridgeError('REQUEST_INVALID', `${kind} records are changed through their own routes, not the records API`, {
      hint: `use ${route} (they keep a ${kind}'s rules: one running timer per person, the month's states)`,
    });
  }
  throw new TimebridgeError('REQUEST_INVALID', `records of kind ${kind} are written by links only`, {
    hint: `change it in the system it comes from; the records API writes ${WRITABLE_KINDS.join(', ')}`,
  });
}

export const notFound = (id: string) =>
  new TimebridgeError('RESOURCE_NOT_FOUND', `no hub record ${id}`, {
    hint: 'list the records you can see with GET /api/v1/records/{kind} or `timebridge records list`',
  });

/** Keys a kind's schema lets be absent: a merge patch's null removes these and sets the others to null. */
function optionalKey(kind: RecordKind): (key: string) => boolean {
  const shape = (HUB_KINDS[kind]?.schema as unknown as { shape?: Record<string, { safeParse(v: unknown): { success: boolean } }> }).shape ?? {};
  return (key) => shape[key]?.safeParse(undefined).success ?? true;
}

export class RecordDesk {
  constructor(private readonly deps: DeskDeps) {}

  view(r: HubRecord): RecordView {
    const { id, kind, scope, version, updatedAt, origin, fields } = r;
    return { id, kind, scope, version, updatedAt, origin, deleted: r.tombstone, fields, owner: this.deps.records.ownerOf(r) };
  }

  /**
   * One page, ordered by id. Ids are UUIDv7 (time-ordered), so a record created while a
   * client pages lands after its cursor and is on a later page. Filters run over each scope's
   * records in memory (store.listScope): a known limit for very large scopes.
   */
  async list(caller: RecordCaller, q: ListQuery): Promise<{ items: HubRecord[]; next: string | null }> {
    const scopes = q.scope ? [q.scope] : await this.deps.scopes();
    const hits: HubRecord[] = [];
    for (const scope of scopes) {
      const readable = await this.deps.access.checker(caller, scope, 'read');
      for (const r of await this.deps.store.listScope(scope, q.kind)) {
        if (q.after !== undefined && r.id <= q.after) continue;
        if (r.tombstone && !q.includeDeleted) continue;
        if (!FILTERS.every((f) => q[f] === undefined || r.fields[f] === q[f])) continue;
        const days = daysOf(r.fields);
        if ((q.from || q.to) && (days === null || (q.from && days[1] < q.from) || (q.to && days[0] > q.to))) continue;
        if (readable(r)) hits.push(r);
      }
    }
    hits.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const items = hits.slice(0, q.limit);
    return { items, next: hits.length > q.limit ? items[items.length - 1]!.id : null };
  }

  /** A record the caller may read, of this kind when one is named; otherwise not found. */
  async get(caller: RecordCaller, kind: RecordKind | null, id: string): Promise<HubRecord> {
    const r = await this.deps.records.get(id);
    if (!r || (kind && r.kind !== kind) || !(await this.deps.access.allows(caller, r, 'read'))) throw notFound(id);
    return r;
  }

  async history(caller: RecordCaller, kind: RecordKind | null, id: string): Promise<HistoryView[]> {
    await this.get(caller, kind, id);
    const systems = new Map<string, string | null>();
    const out: HistoryView[] = [];
    for (const h of await this.deps.records.history(id)) {
      if (h.via === 'link' && !systems.has(h.by)) systems.set(h.by, await this.deps.systemOf(h.by));
      out.push({ ...h, system: h.via === 'link' ? (systems.get(h.by) ?? null) : h.via });
    }
    return out;
  }

  async create(caller: RecordCaller, actor: Actor, kind: RecordKind, scope: string, given: Fields): Promise<HubRecord> {
    assertWritable(kind);
    if (!SCOPE_NAME.test(scope))
      throw new TimebridgeError('REQUEST_INVALID', `"${scope}" is not a scope name`, { hint: 'scope names use letters, digits, - and _ only' });
    const { fields, missing } = withDefaults(kind, given);
    if (missing.length)
      throw new TimebridgeError('REQUEST_INVALID', `a new ${kind} needs ${missing.join(', ')}`, {
        hint: `required: ${missing.join(', ')}; every other field has a default`,
      });
    const id = newId();
    if (kind === 'task' && fields.key === undefined) fields.key = id;
    // A person's own time entry, reservation or task, when the writer did not say whose.
    const whose = kind === 'timeEntry' || kind === 'reservation' ? 'personId' : kind === 'task' ? 'assigneeId' : null;
    if (whose && (fields[whose] === undefined || fields[whose] === null)) {
      if (caller.role !== 'admin') fields[whose] = (await this.deps.access.personOf(caller.userId, scope)).id;
      else {
        const mine = await this.deps.access.personsOf(caller.userId, scope);
        if (mine.length === 1) fields[whose] = mine[0]!.id;
      }
    }
    const draft = { id, kind, scope, fields };
    await this.assertDecision(caller, scope, kind, null, fields);
    if (!(await this.deps.access.allows(caller, draft, 'write')))
      throw new TimebridgeError('AUTH_FORBIDDEN', `you may not create this ${kind}: it would belong to another person`, {
        hint: `leave ${whose ?? 'the owner'} out to make it yours; only the scope owner and admins write records of other persons`,
      });
    return this.deps.records.create({ scope, kind, fields, actor, id });
  }

  /** A record the caller may change (not found if they may not see it, forbidden if they may only see it). */
  private async writable(caller: RecordCaller, kind: RecordKind | null, id: string): Promise<HubRecord> {
    const r = await this.get(caller, kind, id);
    assertWritable(r.kind);
    if (r.tombstone) throw new TimebridgeError('RESOURCE_NOT_FOUND', `hub record ${id} is deleted`, { hint: 'create a new record' });
    await this.deps.access.assert(caller, r, 'write');
    return r;
  }

  private async assertStillTheirs(caller: RecordCaller, r: HubRecord, fields: Fields): Promise<void> {
    if (await this.deps.access.allows(caller, { ...r, fields }, 'write')) return;
    throw new TimebridgeError('AUTH_FORBIDDEN', `the change would give ${r.kind} ${r.id} to another person`, {
      hint: 'only the scope owner and admins move records between persons',
    });
  }

  /** Approving or rejecting a reservation is the scope's decision (admins, its owner, read-write grants), never its own person's. */
  private async assertDecision(caller: RecordCaller, scope: string, kind: string, before: Fields | null, after: Fields): Promise<void> {
    if (kind !== 'reservation' || after.state === before?.state || (after.state !== 'approved' && after.state !== 'rejected')) return;
    if (await this.deps.access.managesScope(caller, scope)) return;
    throw new TimebridgeError('AUTH_FORBIDDEN', `only admins and the owner of scope ${scope} approve or reject a reservation`, {
      hint: 'ask them to decide it; your own reservation you may cancel (state: cancelled)',
    });
  }

  async patch(caller: RecordCaller, actor: Actor, kind: RecordKind | null, id: string, patch: Record<string, Json>, ifMatch: number): Promise<HubRecord> {
    const r = await this.writable(caller, kind, id);
    const fields = mergeFields(r.fields, patch, optionalKey(r.kind));
    for (const k of FIXED_FIELDS[r.kind] ?? [])
      if (JSON.stringify(fields[k]) !== JSON.stringify(r.fields[k]))
        throw new TimebridgeError('REQUEST_INVALID', `a ${r.kind}'s ${k} does not change`, {
          hint: r.kind === 'reservation' ? 'cancel this reservation (state: cancelled) and book the other office' : `create a new ${r.kind}`,
        });
    await this.assertStillTheirs(caller, r, fields);
    await this.assertDecision(caller, r.scope, r.kind, r.fields, fields);
    // A patch that changes nothing writes no version (and reaches no link).
    if (r.version === ifMatch && !diffFields(r.fields, fields).length) return r;
    return this.deps.records.update({ id, fields, ifMatch, actor });
  }

  async remove(caller: RecordCaller, actor: Actor, kind: RecordKind | null, id: string, ifMatch: number): Promise<HubRecord> {
    await this.writable(caller, kind, id);
    return this.deps.records.remove({ id, ifMatch, actor });
  }

  /** Split a time entry in one commit: it keeps the first part, a new entry gets the rest. */
  async split(caller: RecordCaller, actor: Actor, id: string, how: SplitAt, ifMatch: number): Promise<[HubRecord, HubRecord]> {
    const r = await this.writable(caller, 'timeEntry', id);
    const recs = this.deps.records;
    if (r.version !== ifMatch) {
      throw new TimebridgeError('RESOURCE_CONFLICT', `the record is at version ${r.version}, not ${ifMatch}: it changed since you read it`, {
        hint: 'read it again, re-apply your change and send If-Match with the new version',
      });
    }
    let parts: [Fields, Fields];
    try {
      parts = splitEntry(r.fields, how);
    } catch (err) {
      if (err instanceof SplitRefused)
        throw new TimebridgeError('REQUEST_INVALID', `cannot split ${id}: ${err.message}`, { hint: 'pick a point inside the entry' });
      throw err;
    }
    const [first, second] = [recs.validate('timeEntry', parts[0]), recs.validate('timeEntry', parts[1])];
    recs.assertUnlocked('timeEntry', await recs.locks(r.scope), r.fields, first, second);
    const newOne = { id: newId(), kind: 'timeEntry' as const, scope: r.scope };
    await recs.commit([recs.write(r, first, actor, r.version), recs.write(newOne, second, actor, 0)]);
    return [await recs.mustGet(r.id), await recs.mustGet(newOne.id)];
  }
}
