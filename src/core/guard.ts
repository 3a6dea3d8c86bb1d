/**
 * Safety guards checked before anything is written: a side that is suddenly empty, or
 * more deletions than the link allows (count and share), stop the run unless allowed.
 */
import type { GuardLimits } from './policy.js';
import type { Action, GuardVerdict } from './plan-types.js';

export function checkGuards(actions: Action[], linked: number, externalCount: number | null, limits: GuardLimits): GuardVerdict {
  if (limits.allowDeletes) return { ok: true };
  // Deletes of items the hub never had (externalOnly: delete, a mapper's removal) are not hub deletions; on their own, only their number is limited.
  const externalOnly = actions.filter((a) => a.op === 'push-delete' && a.hubId === null).length;
  if (externalOnly > limits.maxDeleteCount) {
    return {
      ok: false,
      code: 'PLAN_MASS_DELETE',
      message: `the plan deletes ${externalOnly} items that exist only in the external system (externalOnly: delete, or the mapper's removals such as attendance.foreignEvents: delete; limit: ${limits.maxDeleteCount}); nothing was written`,
      hint: 'review them with `timebridge plan`; if they really must go, run again with --allow-deletes, or set externalOnly: import (foreignEvents: report) to keep them',
    };
  }
  if (linked === 0) return { ok: true };
  const pullDeletes = actions.filter((a) => a.op === 'pull-delete').length;
  const pushDeletes = actions.filter((a) => a.op === 'push-delete' && a.hubId !== null).length;
  // A full listing with nothing in it, or a delta listing that removes every synced item.
  const emptied = externalCount === 0 || (externalCount === null && pullDeletes === linked);
  if (emptied && pullDeletes > 0) {
    return {
      ok: false,
      code: 'PLAN_EMPTY_SIDE',
      message: `the external side lists no items at all, but ${linked} were synced before; nothing was written`,
      hint: 'check that the folder/calendar is the right one and reachable; if it was really emptied, run again with --allow-deletes',
    };
  }
  if (pushDeletes > 0 && pushDeletes === linked) {
    return {
      ok: false,
      code: 'PLAN_EMPTY_SIDE',
      message: `every one of the ${linked} synced hub records is deleted; nothing was written`,
      hint: 'if the hub scope was really emptied on purpose, run again with --allow-deletes; otherwise `timebridge undo <run>` restores it',
    };
  }
  for (const [n, where] of [
    [pullDeletes, 'the hub'],
    [pushDeletes, 'the external side'],
  ] as const) {
    if (n > limits.maxDeleteCount && n / linked > limits.maxDeleteShare) {
      return {
        ok: false,
        code: 'PLAN_MASS_DELETE',
        message: `the plan deletes ${n} of ${linked} synced items in ${where} (limit: more than ${limits.maxDeleteCount} and more than ${Math.round(limits.maxDeleteShare * 100)} %); nothing was written`,
        hint: 'review it with `timebridge plan`; if the deletions are intended, run again with --allow-deletes',
      };
    }
  }
  return { ok: true };
}
