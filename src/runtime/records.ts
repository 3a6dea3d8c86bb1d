/**
 * Hub records people create and change themselves (the records API, the CLI, timers,
 * timesheets): every write is validated against its kind's schema (core/fields/hub-kinds.ts),
 * refused in a locked period (core/fields/period-lock.ts), made with optimistic concurrency
 * (the version the writer read) and goes through the change log with the actor as origin
 * (`api:<user>`, `cli:<user>`), so links pick it up like any other hub change.
 *
 * Who may do what is not decided here: the caller (interfaces/http, interfaces/cli) checks
 * ownership first. This module only refuses what nobody may do.
 */
import { TimebridgeError } from '../core/errors.js';
import { HUB_KINDS, ownerOf } from '../core/fields/hub-kinds.js';
import { lockedReason, periodLocksOf, type PeriodLocks } from '../core/fields/period-lock.js';
import type { Fields, HubChange, HubRecord, Json, RecordKind } from '../core/model.js';
import type { HubStore, RecordWrite } from '../store/types.js';
import { newId } from './ids.js';

/** Who writes: the change log's origin, `api:<user>` or `cli:<user>`. */
export interface Actor {
  origin: string;
}

export interface FieldChange {
  field: string;
  before: Json | undefined;
  after: Json | undefined;
}

/** One step of a record's history: who changed what, through which system, when. */
export interface HistoryEntry {
  seq: number;
  version: number;
  at: string;
  /** The raw origin: `link:<name>`, `api:<user>`, `cli:<user>`, `user:<…>`. */
  origin: string;
  /** Through which system: `link` (a sync run), `api`, `cli`, or `user` (undo, conflict resolution). */
  via: string;
  /** The link name or the user, as the origin names it. */
  by: string;
  runId: string | null;
  action: 'create' | 'update' | 'delete' | 'restore';
  changes: FieldChange[];
}

export function describeOrigin(origin: string): { via: string; by: string } {
  const i = origin.indexOf(':');
  return i < 0 ? { via: origin, by: '' } : { via: origin.slice(0, i), by: origin.slice(i + 1) };
}

/** Top-level field differences (and `extras.<name>`), in name order. */
export function diffFields(before: Fields | null, after: Fields | null): FieldChange[] {
  const flat = (f: Fields | null): Map<string, Json> => {
    const out = new Map<string, Json>();
    for (const [k, v] of Object.entries(f ?? {})) {
      if (k === 'extras' && v && typeof v === 'object' && !Array.isArray(v)) for (const [e, ev] of Object.entries(v)) out.set(`extras.${e}`, ev);
      else out.set(k, v);
    }
    return out;
  };
  const a = flat(before),
    b = flat(after);
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  return names.filter((n) => JSON.stringify(a.get(n)) !== JSON.stringify(b.get(n))).map((field) => ({ field, before: a.get(field), after: b.get(field) }));
}

/** The history of a record from its change log: each change's after is the next one's before, or the record now. */
export function historyOf(record: HubRecord, changes: readonly HubChange[]): HistoryEntry[] {
  return changes.map((c, i) => {
    const next = changes[i + 1];
    const after = next ? next.before : { fields: record.fields, tombstone: record.tombstone, version: record.version };
    const before = c.before;
    const action = !before ? 'create' : after?.tombstone && !before.tombstone ? 'delete' : before.tombstone && !after?.tombstone ? 'restore' : 'update';
    return {
      seq: c.seq,
      version: c.version,
      at: c.at,
      origin: c.origin,
      ...describeOrigin(c.origin),
      runId: c.runId,
      action,
      changes: action === 'delete' ? [] : diffFields(before && !before.tombstone ? before.fields : null, after?.fields ?? null),
    };
  });
}

export interface CreateRequest {
  scope: string;
  kind: RecordKind;
  fields: Fields;
  actor: Actor;
  /** A chosen id (a test, an import); default: a new one. */
  id?: string;
}

export interface UpdateRequest {
  id: string;
  /** The whole new fields (validated as a whole). */
  fields: Fields;
  /** The version the writer read (If-Match); a mismatch is RESOURCE_CONFLICT. */
  ifMatch: number;
  actor: Actor;
}

export interface DeleteRequest {
  id: string;
  ifMatch: number;
  actor: Actor;
}

const notFound = (id: string) =>
  new TimebridgeError('RESOURCE_NOT_FOUND', `no hub record ${id}`, { hint: 'list records with GET /api/v1/records/{kind} or `timebridge records list`' });

export class HubRecords {
  constructor(
    private readonly store: HubStore,
    private readonly clock: () => Date,
  ) {}

  async get(id: string): Promise<HubRecord | null> {
    return (await this.store.getRecords([id]))[0] ?? null;
  }

  async mustGet(id: string): Promise<HubRecord> {
    const r = await this.get(id);
    if (!r) throw notFound(id);
    return r;
  }

  async history(id: string): Promise<HistoryEntry[]> {
    const record = await this.mustGet(id);
    return historyOf(record, await this.store.changesOfRecord(id));
  }

  /** The locked periods of a scope (its exported timesheets). */
  async locks(scope: string): Promise<PeriodLocks> {
    return periodLocksOf(await this.store.listScope(scope, 'timesheet'));
  }

  /** Fields checked against the kind's schema; the parsed value (defaults filled) or REQUEST_INVALID naming each field. */
  validate(kind: RecordKind, fields: unknown): Fields {
    const hk = HUB_KINDS[kind];
    if (!hk) {
      throw new TimebridgeError('REQUEST_INVALID', `records of kind ${kind} are written by links only`, {
        hint: `the kinds the hub takes directly are ${Object.keys(HUB_KINDS).join(', ')}`,
      });
    }
    const parsed = hk.schema.safeParse(fields);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(fields)'}: ${i.message}`);
      throw new TimebridgeError('REQUEST_INVALID', `the ${kind} is invalid: ${problems.join('; ')}`, { hint: 'fix the fields named above' });
    }
    return parsed.data;
  }

  /** Refuse a write touching a locked period (either the record as it was, or as it would be). */
  assertUnlocked(kind: RecordKind, locks: PeriodLocks, ...sides: (Fields | null | undefined)[]): void {
    for (const f of sides) {
      const reason = lockedReason(kind, f, locks);
      if (reason)
        throw new TimebridgeError('PERIOD_LOCKED', `refused: ${reason}`, {
          hint: 'ask an admin to reopen the month, or book the time in an open month',
        });
    }
  }

  /** A write of these records in one commit (all or none); each expects the version it was read at. */
  async commit(writes: RecordWrite[]): Promise<Record<string, number>> {
    try {
      return (await this.store.commit({ records: writes })).versions;
    } catch (err) {
      if (err instanceof TimebridgeError && err.code === 'STORE_VERSION_CONFLICT') {
        throw new TimebridgeError('RESOURCE_CONFLICT', 'the record changed since you read it', {
          hint: 'read it again (its version is in the ETag), re-apply your change and send it with If-Match: <version>',
          cause: err,
        });
      }
      throw err;
    }
  }

  /** A record write as this module makes them. */
  write(r: { id: string; kind: RecordKind; scope: string }, fields: Fields, actor: Actor, expectedVersion: number, tombstone = false): RecordWrite {
    return {
      id: r.id,
      kind: r.kind,
      scope: r.scope,
      fields,
      identity: tombstone ? null : (HUB_KINDS[r.kind]?.identity(fields) ?? null),
      tombstone,
      origin: actor.origin,
      runId: null,
      expectedVersion,
      updatedAt: this.clock().toISOString(),
    };
  }

  async create(req: CreateRequest): Promise<HubRecord> {
    const fields = this.validate(req.kind, req.fields);
    this.assertUnlocked(req.kind, await this.locks(req.scope), fields);
    const identity = HUB_KINDS[req.kind]?.identity(fields) ?? null;
    const taken = async (): Promise<TimebridgeError | null> => {
      if (!identity || req.kind === 'timeEntry') return null;
      const same = await this.store.findByIdentity(req.scope, req.kind, identity);
      if (!same.length) return null;
      return new TimebridgeError('RESOURCE_CONFLICT', `a ${req.kind} with the key ${identity} exists: ${same[0]!.id}`, {
        hint: 'change that record instead (PATCH it with If-Match)',
        details: { existing: same[0]!.id },
      });
    };
    const before = await taken();
    if (before) throw before;
    const id = req.id ?? newId(this.clock().getTime());
    try {
      await this.commit([this.write({ id, kind: req.kind, scope: req.scope }, fields, req.actor, 0)]);
    } catch (err) {
      // A reservation's key is unique in the store (a unique index): another process made it meanwhile.
      throw (await taken()) ?? err;
    }
    return this.mustGet(id);
  }

  async update(req: UpdateRequest): Promise<HubRecord> {
    const current = await this.mustGet(req.id);
    if (current.tombstone) throw new TimebridgeError('RESOURCE_NOT_FOUND', `hub record ${req.id} is deleted`, { hint: 'create a new record' });
    this.assertVersion(current, req.ifMatch);
    const fields = this.validate(current.kind, req.fields);
    this.assertUnlocked(current.kind, await this.locks(current.scope), current.fields, fields);
    await this.commit([this.write(current, fields, req.actor, current.version)]);
    return this.mustGet(req.id);
  }

  async remove(req: DeleteRequest): Promise<HubRecord> {
    const current = await this.mustGet(req.id);
    if (current.tombstone) return current;
    this.assertVersion(current, req.ifMatch);
    this.assertUnlocked(current.kind, await this.locks(current.scope), current.fields);
    await this.commit([this.write(current, current.fields, req.actor, current.version, true)]);
    return this.mustGet(req.id);
  }

  /** The person a record belongs to (core/fields/hub-kinds.ts). */
  ownerOf(r: HubRecord): string | null {
    return ownerOf(r.kind, r.id, r.fields);
  }

  private assertVersion(r: HubRecord, ifMatch: number): void {
    if (r.version !== ifMatch) {
      throw new TimebridgeError('RESOURCE_CONFLICT', `the record is at version ${r.version}, not ${ifMatch}: it changed since you read it`, {
        hint: 'read it again, re-apply your change and send If-Match with the new version',
      });
    }
  }
}
