/**
 * Who may see and change which hub records. A user is a person in a scope when a person
 * record of that scope has the user's id as its `username`, or as its e-mail (any case).
 * Records belong to a person (core/fields/hub-kinds.ts: a time entry's, timer's or
 * timesheet's `personId`, a task's assignee, a person itself). Admins see and change
 * everything. A user:
 * - in a scope they own or were granted read-write (app/scopes.ts): sees and changes all of it;
 * - granted read: sees all of it, changes their own person's records;
 * - otherwise: sees and changes their own person's records, and sees the records that belong
 *   to nobody (projects, activities, unassigned tasks) of a scope they are a person in.
 * Records of other persons are answered as not found, so ids cannot be probed.
 */
import { TimebridgeError } from '../core/errors.js';
import { ownerOf } from '../core/fields/hub-kinds.js';
import type { HubRecord } from '../core/model.js';
import type { HubStore, Role } from '../store/types.js';
import type { Scopes } from './scopes.js';

export interface RecordCaller {
  userId: string;
  role: Role;
}

export type RecordRight = 'read' | 'write';

export class RecordAccess {
  constructor(
    private readonly store: HubStore,
    private readonly scopes: Scopes,
  ) {}

  /** The person records of a scope that are this user (usually one). */
  async personsOf(userId: string, scope: string): Promise<HubRecord[]> {
    const id = userId.toLowerCase();
    return (await this.store.listScope(scope, 'person')).filter(
      (p) => !p.tombstone && (p.fields.username === userId || (typeof p.fields.email === 'string' && p.fields.email.toLowerCase() === id)),
    );
  }

  /** The user's person in a scope, or a clear error saying how to become one. */
  async personOf(userId: string, scope: string): Promise<HubRecord> {
    const mine = await this.personsOf(userId, scope);
    if (mine.length === 1) return mine[0]!;
    throw new TimebridgeError(
      mine.length ? 'RESOURCE_CONFLICT' : 'RESOURCE_NOT_FOUND',
      mine.length
        ? `user ${userId} is ${mine.length} persons in scope ${scope} (${mine.map((p) => p.id).join(', ')})`
        : `user ${userId} is no person in scope ${scope}`,
      {
        hint: mine.length
          ? 'give only one person record this username or e-mail'
          : `an admin makes a person with username "${userId}" (POST /api/v1/records/person?scope=${scope}), or syncs one from Kimai or Jira`,
      },
    );
  }

  /** Whether the caller may change every record of the scope: admins, its owner and users granted it read-write. */
  async managesScope(caller: RecordCaller, scope: string): Promise<boolean> {
    if (caller.role === 'admin') return true;
    const access = await this.scopes.access(caller.userId, scope);
    return access === 'own' || access === 'read-write';
  }

  /** Whether the caller may read or change this record; `false` for read means: answer 404. */
  async allows(caller: RecordCaller, record: Pick<HubRecord, 'id' | 'kind' | 'scope' | 'fields'>, right: RecordRight): Promise<boolean> {
    return (await this.checker(caller, record.scope, right))(record);
  }

  /**
   * The same rule as `allows` for many records of one scope: the scope's access and the
   * caller's persons are read once (a listing checks each record).
   */
  async checker(caller: RecordCaller, scope: string, right: RecordRight): Promise<(record: Pick<HubRecord, 'id' | 'kind' | 'fields'>) => boolean> {
    if (caller.role === 'admin') return () => true;
    const access = await this.scopes.access(caller.userId, scope);
    if (access === 'own' || access === 'read-write') return () => true;
    if (access === 'read' && right === 'read') return () => true;
    const mine = new Set((await this.personsOf(caller.userId, scope)).map((p) => p.id));
    return (record) => {
      const owner = ownerOf(record.kind, record.id, record.fields);
      if (owner !== null) return mine.has(owner);
      return right === 'read' && mine.size > 0;
    };
  }

  /** Throw unless allowed: not found for what the caller may not even see, forbidden for what they may only see. */
  async assert(caller: RecordCaller, record: Pick<HubRecord, 'id' | 'kind' | 'scope' | 'fields'>, right: RecordRight): Promise<void> {
    if (await this.allows(caller, record, right)) return;
    if (right === 'write' && (await this.allows(caller, record, 'read'))) {
      throw new TimebridgeError('AUTH_FORBIDDEN', `you may read ${record.kind} ${record.id} but not change it`, {
        hint: 'only its person, the scope owner and admins change it',
      });
    }
    throw new TimebridgeError('RESOURCE_NOT_FOUND', `no hub record ${record.id}`, { hint: 'list the records you can see with GET /api/v1/records/{kind}' });
  }
}
