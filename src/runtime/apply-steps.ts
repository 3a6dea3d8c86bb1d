/**
 * One function per plan action: what it writes to the hub (as part of a commit batch)
 * and, for pushes, the external write it makes. External writes happen between the
 * intent commit and the result commit (see apply.ts).
 */
import type { ExternalRef, WriteResult } from '../connectors/kit/connector.js';
import { TimebridgeError, isTimebridgeError } from '../core/errors.js';
import { overlayFields, projectFields } from '../core/fields/holds.js';
import { contentHash } from '../core/hash.js';
import type { Fields } from '../core/model.js';
import type { Action } from '../core/plan-types.js';
import type { CommitBatch } from '../store/types.js';
import { recordWrite, statusRow, stripCarriers, type ApplyCtx } from './apply-context.js';

function extOf<E>(ctx: ApplyCtx<E>, a: Action) {
  const e = a.extId ? ctx.col.extData.get(a.extId) : undefined;
  if (!e || !e.mapped.ok) throw new TimebridgeError('CONNECTOR_BUG', `external item ${a.extId} was not collected for ${a.op}`);
  return { ...e, mapped: e.mapped };
}

function hubOf<E>(ctx: ApplyCtx<E>, a: Action) {
  const h = a.hubId ? ctx.hub.get(a.hubId) : undefined;
  if (!h) throw new TimebridgeError('CONNECTOR_BUG', `hub record ${a.hubId} was not loaded for ${a.op}`);
  return h;
}

/** Steps that only touch the hub: one commit part, no external call. */
export function localStep<E>(ctx: ApplyCtx<E>, a: Action, newId: () => string): CommitBatch {
  const ag = a.hubId ? ctx.agByHub.get(a.hubId) : undefined;
  switch (a.op) {
    case 'pull-create': {
      const e = extOf(ctx, a);
      const id = newId();
      if (e.mapped.writeBack) {
        // The item is not yet as the hub writes it: the hub side stays unagreed (version 0), so the next run pushes the record back to it.
        ctx.writeBacks = (ctx.writeBacks ?? 0) + 1;
        return { records: [recordWrite(ctx, id, e.mapped.fields, 0)], statusUpserts: [statusRow(ctx, id, e.extId, 0, '', e.etag, e.mapped.hash)] };
      }
      return {
        records: [recordWrite(ctx, id, e.mapped.fields, 0)],
        statusUpserts: [statusRow(ctx, id, e.extId, 1, e.mapped.hash, e.etag, e.mapped.hash)],
      };
    }
    case 'pull-update': {
      const e = extOf(ctx, a);
      return {
        records: [recordWrite(ctx, a.hubId!, overlayFields(hubOf(ctx, a).fields, e.mapped.fields, ctx.link.mapper.holds), a.hubVersion)],
        statusUpserts: [statusRow(ctx, a.hubId!, e.extId, a.hubVersion + 1, e.mapped.hash, e.etag, e.mapped.hash)],
        conflictsClear: [{ linkId: ctx.link.id, hubId: a.hubId! }],
      };
    }
    case 'pull-delete': {
      const h = hubOf(ctx, a);
      return {
        records: [recordWrite(ctx, h.id, h.fields, a.hubVersion, true)],
        statusDeletes: [{ linkId: ctx.link.id, hubId: h.id }],
        conflictsClear: [{ linkId: ctx.link.id, hubId: h.id }],
      };
    }
    case 'forget':
      return { statusDeletes: [{ linkId: ctx.link.id, hubId: a.hubId! }], conflictsClear: [{ linkId: ctx.link.id, hubId: a.hubId! }] };
    case 'record': {
      // Bookkeeping: take each side's version as it is now, content as agreed.
      const h = ctx.hub.get(a.hubId!);
      const e = a.extId ? ctx.col.extData.get(a.extId) : undefined;
      const hubMoved = h !== undefined && h.version !== ag!.hubVersion;
      const row = statusRow(
        ctx,
        ag!.hubId,
        ag!.extId,
        hubMoved ? h.version : ag!.hubVersion,
        hubMoved ? h.hash : ag!.hubHash,
        e?.etag ?? ag!.extEtag,
        e?.mapped.ok ? e.mapped.hash : ag!.extHash,
      );
      // Equal again after a flagged conflict: the conflict is resolved.
      return { statusUpserts: [row], conflictsClear: [{ linkId: ctx.link.id, hubId: a.hubId! }] };
    }
    case 'conflict': {
      const h = hubOf(ctx, a),
        e = extOf(ctx, a);
      return {
        conflictsUpsert: [
          {
            linkId: ctx.link.id,
            hubId: h.id,
            extId: e.extId,
            fields: a.fields ?? [],
            hubFields: stripCarriers(projectFields(h.fields, ctx.link.mapper.holds)),
            extFields: stripCarriers(projectFields(e.mapped.fields, ctx.link.mapper.holds)),
            detectedAt: ctx.now,
          },
        ],
      };
    }
    case 'merge':
    case 'adopt':
      return mergeResult(ctx, a, null);
    default:
      throw new TimebridgeError('CONNECTOR_BUG', `action ${a.op} is not a local step`);
  }
}

/**
 * Hub side of a merge or adoption, after the external write (if any) returned `ref`;
 * `extHash` is the hash of what the remote stored ('' when the write was not read back).
 */
export function mergeResult<E>(ctx: ApplyCtx<E>, a: Action, ref: ExternalRef | null, extHash = ''): CommitBatch {
  const e = extOf(ctx, a);
  const h = hubOf(ctx, a);
  const fields: Fields = mergedRecord(ctx, a, h.fields);
  const records = a.writeHub ? [recordWrite(ctx, h.id, fields, a.hubVersion)] : [];
  const version = a.writeHub ? a.hubVersion + 1 : a.hubVersion;
  const hubHash = a.merged ? contentHash(projectFields(fields, ctx.link.mapper.holds)) : h.hash;
  const row = ref ? statusRow(ctx, h.id, ref.id, version, hubHash, ref.etag, extHash) : statusRow(ctx, h.id, e.extId, version, hubHash, e.etag, e.mapped.hash);
  return { records, statusUpserts: [row], conflictsClear: [{ linkId: ctx.link.id, hubId: h.id }] };
}

/** The whole record after a merge: the merged fields the link holds over the hub record's others. */
function mergedRecord<E>(ctx: ApplyCtx<E>, a: Action, hub: Fields): Fields {
  return a.merged ? overlayFields(hub, a.merged, ctx.link.mapper.holds) : hub;
}

/** The content an external write sends, or null when the mapper skips the record. */
export function externalData<E>(ctx: ApplyCtx<E>, a: Action): { data: E } | { skip: string } {
  const hub = hubOf(ctx, a);
  const fields = mergedRecord(ctx, a, hub.fields);
  const previous = a.extId ? (ctx.col.extData.get(a.extId)?.data ?? ctx.col.previousItems?.get(a.extId) ?? null) : null;
  const mapCtx = { now: new Date(ctx.now), link: ctx.link.name, record: hub.id, ...(ctx.link.refs ? { refs: ctx.link.refs } : {}) };
  const r = ctx.link.mapper.toExternal(fields, mapCtx, previous);
  if (r.ok) return { data: r.value };
  if ('skip' in r) return { skip: r.skip };
  throw new TimebridgeError(r.code ?? 'ITEM_UNPARSABLE', `${a.label}: ${r.error}`);
}

/** Perform the external write of a push or merge; returns the ref it produced (null for deletes). */
export async function externalWrite<E>(ctx: ApplyCtx<E>, a: Action, data: E | null): Promise<WriteResult<E> | null> {
  const c = ctx.link.connector;
  switch (a.op) {
    case 'push-create': {
      const key = { hubId: a.hubId!, key: a.hubId! };
      try {
        return await c.create(data as E, key);
      } catch (err) {
        // A create that already happened (crash before commit, retried): adopt it, never duplicate.
        if (isTimebridgeError(err) && err.kind === 'precondition') {
          const found = await c.findByKey(key);
          if (found) return found;
        }
        throw err;
      }
    }
    case 'push-update':
    case 'merge':
    case 'adopt':
      return c.update(a.extId!, data as E, a.extEtag!);
    case 'push-delete':
      try {
        await c.delete(a.extId!, a.extEtag!, ctx.link.mapper.deleteOptions);
      } catch (err) {
        if (!(isTimebridgeError(err) && err.kind === 'not_found')) throw err;
      }
      return null;
    default:
      throw new TimebridgeError('CONNECTOR_BUG', `action ${a.op} makes no external write`);
  }
}

/** Hub side of a push, once its external write returned (`extHash` as for mergeResult). */
export function pushResult<E>(ctx: ApplyCtx<E>, a: Action, ref: ExternalRef | null, extHash = ''): CommitBatch {
  if (a.op === 'push-delete') {
    if (!a.hubId) return {}; // an item the hub never had: no status row to drop
    return { statusDeletes: [{ linkId: ctx.link.id, hubId: a.hubId! }], conflictsClear: [{ linkId: ctx.link.id, hubId: a.hubId! }] };
  }
  if (a.op === 'merge' || a.op === 'adopt') return mergeResult(ctx, a, ref, extHash);
  const h = hubOf(ctx, a);
  return { statusUpserts: [statusRow(ctx, h.id, ref!.id, h.version, h.hash, ref!.etag, extHash)], conflictsClear: [{ linkId: ctx.link.id, hubId: h.id }] };
}

export function writesExternal(a: Action): boolean {
  if (a.op === 'push-create' || a.op === 'push-update' || a.op === 'push-delete') return true;
  return (a.op === 'merge' || a.op === 'adopt') && a.writeExt === true;
}
