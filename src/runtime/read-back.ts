/**
 * After the writes of an apply batch: what did the remote store? The stored item (from
 * the write's answer, else one batched `get` of the written ids) and what was sent are
 * both mapped to hub fields and compared over the fields the link holds. A difference is
 * a write loss (core/fields/write-loss.ts). The agreement then records the stored etag
 * and hash, so the next run neither re-reads the item nor takes the server's own form of
 * it (or its loss) for an edit. A read-back that fails leaves the write unchecked: the
 * agreement keeps the write's etag and an unknown hash, as without a check.
 */
import { isItemFailure, type ExternalItem, type WriteResult } from '../connectors/kit/connector.js';
import { projectFields } from '../core/fields/holds.js';
import { keepSentOverLosses, shownValue, writeLosses, type FieldLoss } from '../core/fields/write-loss.js';
import { contentHash } from '../core/hash.js';
import type { Fields } from '../core/model.js';
import type { Action } from '../core/plan-types.js';
import type { RunWarning } from '../store/types.js';
import type { ApplyCtx } from './apply-context.js';

export interface Written<E> {
  action: Action;
  ref: WriteResult<E>;
  sent: E;
}

/** A checked write: the agreement's external side as stored, and what the remote did not keep. */
export interface Checked {
  etag: string;
  extHash: string;
  losses: FieldLoss[];
}

const bump = (counts: Record<string, number>, key: string, by = 1) => {
  if (by) counts[key] = (counts[key] ?? 0) + by;
};

/** The stored items of these writes by id: from the write answers, the rest read in manifest-sized batches. */
async function storedItems<E>(ctx: ApplyCtx<E>, written: Written<E>[]): Promise<Map<string, ExternalItem<E>>> {
  const out = new Map<string, ExternalItem<E>>();
  const ask: string[] = [];
  for (const w of written) {
    if (w.ref.stored) out.set(w.ref.id, w.ref.stored);
    else ask.push(w.ref.id);
  }
  const size = Math.max(1, ctx.link.connector.manifest.batchSize);
  for (let i = 0; i < ask.length; i += size) {
    bump(ctx.counts, 'readBack');
    try {
      for (const g of await ctx.link.connector.get(ask.slice(i, i + size))) if (!isItemFailure(g)) out.set(g.id, g);
    } catch {
      // The writes stand; these items are simply not checked this run (counted below as unchecked).
    }
  }
  return out;
}

function mapped<E>(ctx: ApplyCtx<E>, data: E): Fields | null {
  try {
    const r = ctx.link.mapper.toHub(data, { now: new Date(ctx.now), link: ctx.link.name, ...(ctx.link.refs ? { refs: ctx.link.refs } : {}) });
    return r.ok ? r.value.fields : null;
  } catch {
    return null;
  }
}

/** Check each write against what the remote stored. Writes missing from the answer are unchecked (`readBackUnchecked`). */
export async function readBack<E>(ctx: ApplyCtx<E>, written: Written<E>[]): Promise<Map<string, Checked>> {
  const checked = new Map<string, Checked>();
  if (!written.length) return checked;
  const stored = await storedItems(ctx, written);
  const holds = ctx.link.mapper.holds;
  for (const w of written) {
    const item = stored.get(w.ref.id);
    // Stored exactly as sent (a file): nothing to compare, and the agreement stays as an unchecked write's, with no mapping cost.
    if (item && item.data === w.sent && (!w.ref.etag || item.etag === w.ref.etag)) {
      checked.set(w.ref.id, { etag: item.etag, extHash: '', losses: [] });
      continue;
    }
    // Another write since ours (the etag moved) would be taken for our loss: leave it to the next run's read.
    const sent = item && (!w.ref.etag || item.etag === w.ref.etag) ? mapped(ctx, w.sent) : null;
    const got = sent && item ? mapped(ctx, item.data) : null;
    if (!sent || !got || !item) {
      bump(ctx.counts, 'readBackUnchecked');
      continue;
    }
    const losses = writeLosses(sent, got, holds);
    const agreed = keepSentOverLosses(got, losses).fields;
    checked.set(w.ref.id, { etag: item.etag, extHash: contentHash(projectFields(agreed, holds)), losses });
    if (losses.length) {
      bump(ctx.counts, 'writeLosses');
      ctx.warnings.push(lossWarning(ctx, w, sent, losses));
    }
  }
  return checked;
}

function lossWarning<E>(ctx: ApplyCtx<E>, w: Written<E>, sent: Fields, losses: FieldLoss[]): RunWarning {
  const uid = ctx.link.mapper.identity(sent);
  const what = losses.map((l) => `${l.field} sent ${shownValue(l.sent)}, stored ${shownValue(l.stored)}`).join('; ');
  return {
    id: w.ref.id,
    label: w.action.label,
    code: 'WRITE_LOSS',
    message:
      `WRITE_LOSS: link ${ctx.link.name} wrote ${w.ref.id}${uid ? ` (UID ${uid})` : ''} and the server stored it differently: ${what}. ` +
      'The hub keeps what was sent and will not take the stored value for an edit; change the value so the server can hold it, ' +
      'or edit it on the server. `timebridge status` lists items with losses.',
  };
}
