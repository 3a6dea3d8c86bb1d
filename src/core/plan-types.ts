/** The plan: what one run of one link will do, as data that can be printed, saved and applied. */
import type { Fields } from './model.js';

export type ActionOp =
  | 'push-create'
  | 'push-update'
  | 'push-delete'
  | 'pull-create'
  | 'pull-update'
  | 'pull-delete'
  | 'merge'
  | 'adopt'
  | 'record'
  | 'forget'
  | 'conflict'
  | 'error'
  /** A write the link's external kind cannot take (a read-only kind, a delete it refuses): planned, shown, not made. */
  | 'unsupported';

export interface Action {
  op: ActionOp;
  /** The reason that fired, in words a person reads in `timebridge plan`. */
  reason: string;
  label: string;
  hubId: string | null;
  extId: string | null;
  /** Hub version this action was planned against (drift check and optimistic write). */
  hubVersion: number;
  /** External etag this action was planned against. */
  extEtag: string | null;
  /** Fields that change, where known. */
  fields?: string[];
  /** Merged content for `merge`/`adopt` that writes both sides. */
  merged?: Fields;
  /** Sides a merge/adopt must write. */
  writeHub?: boolean;
  writeExt?: boolean;
  error?: { code: string; message: string };
}

export interface GuardVerdict {
  ok: boolean;
  code?: 'PLAN_EMPTY_SIDE' | 'PLAN_MASS_DELETE';
  message?: string;
  hint?: string;
}

export interface Plan {
  linkId: string;
  createdAt: string;
  actions: Action[];
  counts: Partial<Record<ActionOp, number>>;
  guard: GuardVerdict;
  /** The listing was partial: no deletion was inferred from it. */
  partialListing: boolean;
}

export function countActions(actions: Action[]): Partial<Record<ActionOp, number>> {
  const counts: Partial<Record<ActionOp, number>> = {};
  for (const a of actions) counts[a.op] = (counts[a.op] ?? 0) + 1;
  return counts;
}

/** Actions that change something somewhere (everything but bookkeeping and reports). */
export function isWrite(a: Action): boolean {
  return a.op !== 'record' && a.op !== 'forget' && a.op !== 'conflict' && a.op !== 'error' && a.op !== 'unsupported';
}
