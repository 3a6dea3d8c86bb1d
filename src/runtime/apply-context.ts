/** Shared state of one apply pass, and the small builders every step uses. */
import type { Fields } from '../core/model.js';
import { errorInfo, type ErrorInfo } from '../core/errors.js';
import type { HubView } from '../core/planner.js';
import type { Action } from '../core/plan-types.js';
import type { CommitBatch, ParkedItem, RecordWrite, RunRecord, RunWarning, StatusRow, StatusWrite } from '../store/types.js';
import type { Collected } from './collect.js';
import type { LinkSpec, RunDeps } from './types.js';

export interface ApplyCtx<E> {
  link: LinkSpec<E>;
  deps: RunDeps;
  col: Collected<E>;
  runId: string;
  now: string;
  /** Hub records by id: changed ones, adoption candidates, and any loaded for a step. */
  hub: Map<string, HubView>;
  agByHub: Map<string, StatusRow>;
  counts: Record<string, number>;
  errors: RunRecord['errors'];
  /** What the run should tell without failing: write losses found by the read-back. */
  warnings: RunWarning[];
  failedHubIds: Set<string>;
  extFailed: boolean;
  /** The link had open conflicts when the run started (else no conflict needs clearing). */
  hasConflicts: boolean;
  /** Hub records this run wrote (each one change-log entry). */
  hubWrites: number;
  /** Pull-creates whose item the next run writes back (Mapped.writeBack): the hub cursor stays before them. */
  writeBacks?: number;
  /** External ids this run wrote, with the etag they now have (null: deleted). */
  extWrites: Map<string, string | null>;
  /**
   * Writes to existing external items refused because the item changed since it was read
   * (HTTP 412): collected here to be read and planned again (replan.ts). Null: report
   * them as failures (the re-plan pass itself, and applying a saved plan).
   */
  stale: Action[] | null;
  /** The link's parked items by park key (runtime/parking.ts), as they were when the run started. */
  parked: Map<string, ParkedItem>;
}

const REPLANNABLE = new Set<Action['op']>(['push-update', 'push-delete', 'merge', 'adopt']);

/** Drop `$` carrier keys: the merge base needs content only. */
export function stripCarriers(f: Fields): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(f)) {
    if (k.startsWith('$')) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? stripCarriers(v) : v;
  }
  return out;
}

/** The agreement after a step: the hub at `hubVersion` (its content hash) and the external item as written or read. */
export function statusRow<E>(
  ctx: ApplyCtx<E>,
  hubId: string,
  extId: string,
  hubVersion: number,
  hubHash: string,
  extEtag: string,
  extHash: string,
): StatusWrite {
  return { linkId: ctx.link.id, hubId, extId, hubVersion, hubHash, extEtag, extHash };
}

export function recordWrite<E>(ctx: ApplyCtx<E>, id: string, fields: Fields, expectedVersion: number, tombstone = false): RecordWrite {
  return {
    id,
    kind: ctx.link.kind,
    scope: ctx.link.scope,
    fields,
    identity: ctx.link.mapper.identity(fields),
    tombstone,
    origin: ctx.link.id,
    runId: ctx.runId,
    expectedVersion,
    updatedAt: ctx.now,
  };
}

/**
 * Record an item's failure. A failed item holds the cursors back, so the next run reads
 * it again; a `parked` one does not: it is not retried until it changes, and re-reading
 * it every run would only skip it again.
 */
export function fail<E>(ctx: ApplyCtx<E>, a: Action, error: ErrorInfo | { code: string; message: string }, parked = false): void {
  const info = 'kind' in error ? error : errorInfo(error.code, error.message);
  // A parked refusal (a write into a locked period is a precondition that parks) is reported, not re-planned.
  if (!parked && ctx.stale && info.kind === 'precondition' && a.extId && a.hubId && REPLANNABLE.has(a.op)) {
    ctx.stale.push(a);
    return;
  }
  ctx.errors.push({ id: a.extId ?? a.hubId ?? '?', label: a.label, error: info });
  if (parked) {
    ctx.counts.failed = (ctx.counts.failed ?? 0) + 1;
    return;
  }
  if (a.hubId) ctx.failedHubIds.add(a.hubId);
  if (a.extId) ctx.extFailed = true;
  ctx.counts.failed = (ctx.counts.failed ?? 0) + 1;
}

export function done<E>(ctx: ApplyCtx<E>, a: Action): void {
  ctx.counts[a.op] = (ctx.counts[a.op] ?? 0) + 1;
}

/** Append every list of `from` to `into` (the parts of one commit, gathered per step). In place: it runs per action. */
export function mergeBatch(into: CommitBatch, from: CommitBatch): void {
  const append = <T>(target: T[] | undefined, items: T[] | undefined): T[] | undefined => {
    if (!items?.length) return target;
    const list = target ?? [];
    for (const x of items) list.push(x);
    return list;
  };
  into.records = append(into.records, from.records);
  into.statusUpserts = append(into.statusUpserts, from.statusUpserts);
  into.statusDeletes = append(into.statusDeletes, from.statusDeletes);
  into.intentsClear = append(into.intentsClear, from.intentsClear);
  into.conflictsUpsert = append(into.conflictsUpsert, from.conflictsUpsert);
  into.conflictsClear = append(into.conflictsClear, from.conflictsClear);
  into.parkedUpsert = append(into.parkedUpsert, from.parkedUpsert);
  into.parkedClear = append(into.parkedClear, from.parkedClear);
  into.lossesPut = append(into.lossesPut, from.lossesPut);
  into.lossesClear = append(into.lossesClear, from.lossesClear);
}
