/**
 * Locked periods in a plan (architecture.md, "Locked periods"). A link never creates,
 * changes or deletes a hub time entry whose period is locked (core/fields/period-lock.ts),
 * and never leaves the remote silently different: after the decision table has planned,
 * every action that would write such an entry into the hub is replaced —
 * - by a push that restores the remote from the hub, when the link may push and the
 *   kind takes that write (as `direction: mirror` restores);
 * - otherwise by an `error` PERIOD_LOCKED that names the entry, the period and what to do
 *   (the run parks it: reported once, skipped until either side moves).
 * A new remote item in a locked month is always an error: a remote item the hub never had
 * is never deleted for it. Pushes of a locked entry stay as they are: that is how the lock
 * reaches the remote (Kimai's exported flag). Pure.
 */
import { lockedMonthReason, lockedReason, type PeriodLocks } from './fields/period-lock.js';
import type { Fields } from './model.js';
import type { Action } from './plan-types.js';
import { canPush, type LinkPolicy } from './policy.js';

/** What the post-pass needs to know of the plan's input, by id. */
export interface LockLookup {
  locks: PeriodLocks;
  policy: LinkPolicy;
  can: { create: boolean; update: boolean; delete: boolean } | undefined;
  /** The remote as a person names it (the connection), for messages. */
  system: string;
  /** The hub record as it is now (or as agreed, when the run did not load it). */
  hub(hubId: string): { fields: Fields; tombstone: boolean } | null;
  /** The fields the external item maps to, when it was read this run. */
  ext(extId: string): Fields | null;
}

/** True when the action would write the hub record of its item (or create one). */
export function writesHub(a: Action): boolean {
  if (a.op === 'pull-create' || a.op === 'pull-update' || a.op === 'pull-delete' || a.op === 'conflict') return true;
  return (a.op === 'merge' || a.op === 'adopt') && a.writeHub === true;
}

/** Why the hub write of this action touches a locked period (the entry as it is, or where the remote would move it), or null. */
export function lockedWrite(a: Action, look: LockLookup): string | null {
  if (!writesHub(a)) return null;
  const before = a.hubId ? look.hub(a.hubId) : null;
  const held = lockedReason('timeEntry', before?.fields, look.locks);
  if (held) return held;
  const after = a.op === 'pull-delete' ? null : (a.merged ?? (a.extId ? look.ext(a.extId) : null));
  return lockedMonthReason('timeEntry', after, look.locks);
}

const WHAT: Partial<Record<Action['op'], string>> = {
  'pull-create': 'new',
  'pull-update': 'changed',
  'pull-delete': 'deleted',
  merge: 'changed',
  conflict: 'changed',
  adopt: 'found with other content',
};

/** The item and the versions an action was planned at, without what it would have written. */
function itemOf(a: Action): Pick<Action, 'hubId' | 'extId' | 'hubVersion' | 'extEtag' | 'label'> {
  return { hubId: a.hubId, extId: a.extId, hubVersion: a.hubVersion, extEtag: a.extEtag, label: a.label };
}

/** The push that makes the remote what the hub holds again, or null when the link cannot make it. */
function restoreOf(a: Action, look: LockLookup, why: string): Action | null {
  if (!canPush(look.policy) || !a.hubId || !a.extId) return null;
  const can = look.can ?? { create: true, update: true, delete: true };
  const tail = `restored from the hub: the entry's period is locked (${why})`;
  const base = itemOf(a);
  if (a.op === 'pull-delete') return can.create ? { ...base, op: 'push-create', reason: `deleted externally; ${tail}` } : null;
  if (look.hub(a.hubId)?.tombstone) return null; // deleted in the hub, changed outside: nothing to restore it from
  if (!can.update) return null;
  if (a.op === 'adopt') return { ...base, op: 'adopt', writeHub: false, writeExt: true, reason: `${a.reason}; ${tail}` };
  return { ...base, op: 'push-update', reason: `changed externally${a.op === 'pull-update' ? '' : ' and in hub'}; ${tail}` };
}

function refusal(a: Action, look: LockLookup, why: string): Action {
  const base = itemOf(a);
  const ids = [a.hubId ? `hub id ${a.hubId}` : null, a.extId ? `${look.system} id ${a.extId}` : null].filter((x) => x !== null).join(', ');
  const todo =
    a.op === 'pull-create'
      ? `delete it in ${look.system} or move it to an open month, or ask an admin to reopen the month`
      : `change it back in ${look.system}, or ask an admin to reopen the month`;
  const kept = a.op === 'pull-create' ? 'it is not taken into the hub' : 'the hub keeps the entry as it is';
  return {
    ...base,
    op: 'error',
    reason: `${WHAT[a.op] ?? 'changed'} in ${look.system}, but the period is locked`,
    error: { code: 'PERIOD_LOCKED', message: `${a.label} (${ids}) was ${WHAT[a.op] ?? 'changed'} in ${look.system}, but ${why}: ${kept}; ${todo}` },
  };
}

/** The plan's actions with every hub write of a locked entry replaced (see the file comment). */
export function holdLockedPeriods(actions: Action[], look: LockLookup): Action[] {
  return actions.map((a) => {
    const why = lockedWrite(a, look);
    if (!why) return a;
    return (a.op === 'pull-create' ? null : restoreOf(a, look, why)) ?? refusal(a, look, why);
  });
}
