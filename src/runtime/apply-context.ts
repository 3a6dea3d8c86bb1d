/** Shared state of one apply pass, and the small builders every step uses. */
import type { Fields } from '../core/model.js';
import { contentHash } from '../core/hash.js';
import type { HubView } from '../core/planner.js';
import type { Action } from '../core/plan-types.js';
import type { CommitBatch, RecordWrite, RunRecord, StatusRow, StatusWrite } from '../store/types.js';
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
  failedHubIds: Set<string>;
  extFailed: boolean;
  /** The link had open conflicts when the run started (else no conflict needs clearing). */
  hasConflicts: boolean;
  /** External ids this run wrote, with the etag they now have (null: deleted). */
  extWrites: Map<string, string | null>;
}

/** Drop `$` carrier keys: the merge base needs content only. */
export function stripCarriers(f: Fields): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(f)) {
    if (k.startsWith('$')) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? stripCarriers(v) : v;
  }
  return out;
}

/**
 * The agreement after a step. `hubFields` are the hub content at `hubVersion` (which is
 * also the future merge base, found by the store from the version); `hubHash` is passed
 * when known so no hash is computed twice.
 */
export function statusRow<E>(
  ctx: ApplyCtx<E>, hubId: string, extId: string, hubVersion: number, hubFields: Fields, extEtag: string, extHash: string,
  hubHash: string = contentHash(hubFields),
): StatusWrite {
  return { linkId: ctx.link.id, hubId, extId, hubVersion, hubHash, extEtag, extHash };
}

export function recordWrite<E>(ctx: ApplyCtx<E>, id: string, fields: Fields, expectedVersion: number, tombstone = false): RecordWrite {
  return {
    id, kind: ctx.link.kind, scope: ctx.link.scope, fields, identity: ctx.link.mapper.identity(fields),
    tombstone, origin: ctx.link.id, runId: ctx.runId, expectedVersion, updatedAt: ctx.now,
  };
}

export function fail<E>(ctx: ApplyCtx<E>, a: Action, error: { code: string; kind?: string; message: string; hint?: string }): void {
  ctx.errors.push({
    id: a.extId ?? a.hubId ?? '?', label: a.label,
    error: { code: error.code, kind: (error.kind ?? 'invalid_input') as never, message: error.message, ...(error.hint ? { hint: error.hint } : {}) },
  });
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
}
