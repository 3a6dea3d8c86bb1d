/**
 * Parked items in a run (core/parking.ts says which refusals park): which planned writes
 * are still parked and are skipped, and the park a refused write leaves, with a reason
 * that names the item, where it comes from, the server's answer and what to do.
 */
import { describeError, errorInfo, remoteAnswer, type ErrorInfo } from '../core/errors.js';
import { answerExcerpt, parksItem, parksPlanned } from '../core/parking.js';
import type { Action } from '../core/plan-types.js';
import type { CommitBatch, IntentAction, ParkedItem } from '../store/types.js';
import { fail, mergeBatch, type ApplyCtx } from './apply-context.js';
import { linkNameOf } from './types.js';

export const RETRY_PARKED_HINT = 'run `timebridge sync --retry-parked`';

/** The key of an action's park: its hub id, or its external id for an item the hub never had. */
export const parkKey = (a: Action): string => a.hubId ?? `external-only:${a.extId}`;

/** The write an action makes; a planned refusal stands for the hub write it refused (a create when the hub never had the item). */
export function writeOf(a: Action): IntentAction {
  if (a.op === 'error') return a.hubId ? 'update' : 'create';
  return a.op === 'push-create' ? 'create' : a.op === 'push-delete' ? 'delete' : 'update';
}

/**
 * A write, or a refusal of the planner, parked at the versions it is planned at again: the
 * hub record has not changed and the external item has not moved since it was refused, so
 * it would be refused again. Anything newer is tried (and unparked on success). A planned
 * refusal is matched by its code, a write by the write it was.
 */
export function stillParked<E>(ctx: ApplyCtx<E>, a: Action): boolean {
  const p = ctx.parked.get(parkKey(a));
  if (!p || p.hubVersion !== a.hubVersion || p.extEtag !== (a.extEtag ?? null)) return false;
  return a.op === 'error' ? p.code === a.error?.code : p.action === writeOf(a);
}

/** Clears the item's park, when it had one: its step went through. */
export function unparkOf<E>(ctx: ApplyCtx<E>, a: Action): CommitBatch {
  return ctx.parked.has(parkKey(a)) ? { parkedClear: [{ linkId: ctx.link.id, hubId: parkKey(a) }] } : {};
}

/**
 * A planned `error` action. One whose code parks (core/parking.ts `parksPlanned`) is skipped
 * while still parked (count `parked`), else reported in full and parked at its versions in
 * `local` (committed with the run's result); any other is an item failure, every run.
 */
export function refusePlanned<E>(ctx: ApplyCtx<E>, a: Action, local: CommitBatch): void {
  const error = a.error ?? { code: 'CONNECTOR_BUG', message: a.reason };
  if (!parksPlanned(error.code)) return fail(ctx, a, error);
  if (stillParked(ctx, a)) {
    ctx.counts.parked = (ctx.counts.parked ?? 0) + 1;
    return;
  }
  const remote = ctx.link.connection ?? `link ${ctx.link.name}`;
  const hint = `it is taken up again when the entry changes in the hub or the item changes in ${remote}, or ${RETRY_PARKED_HINT}`;
  const info = errorInfo(error.code, error.message, hint);
  const park: ParkedItem = {
    linkId: ctx.link.id,
    hubId: parkKey(a),
    extId: a.extId,
    action: writeOf(a),
    code: info.code,
    kind: info.kind,
    message: info.message,
    answer: null,
    status: null,
    label: a.label,
    // The refused change comes from this link's item: changing it there (back) takes it up again.
    source: a.extId ? `${a.extId} of link ${ctx.link.name}` : null,
    hubVersion: a.hubVersion,
    hubHash: (a.hubId ? ctx.hub.get(a.hubId)?.hash : undefined) ?? '',
    extEtag: a.extEtag ?? null,
    parkedAt: ctx.now,
    runId: ctx.runId,
  };
  mergeBatch(local, { parkedUpsert: [park] });
  fail(ctx, a, info, true);
}

/**
 * Where the item comes from: the link that last wrote the hub record, else another link
 * paired with it (the record was last edited in the hub), with that link's id for it.
 */
async function sourceOf<E>(ctx: ApplyCtx<E>, hubId: string | null): Promise<string | null> {
  if (!hubId) return null;
  const [record] = await ctx.deps.store.getRecords([hubId]);
  const others = (await ctx.deps.store.pairingsOf(hubId)).filter((p) => p.linkId !== ctx.link.id);
  const from = others.find((p) => p.linkId === record?.origin) ?? others[0];
  if (from) return `${from.extId} of link ${linkNameOf(from.linkId)}`;
  return record ? `hub record ${hubId} (last written by ${record.origin})` : null;
}

/**
 * The park of a write the remote refused for good, or null when the error is one a
 * retry may cure. Its `info` is the item's failure as the run reports it.
 */
export async function parkFor<E>(ctx: ApplyCtx<E>, a: Action, err: unknown): Promise<{ park: ParkedItem; info: ErrorInfo } | null> {
  const base = describeError(err);
  const answer = remoteAnswer(err);
  if (!parksItem(base, answer?.status)) return null;
  const uid = a.hubId ? (ctx.hub.get(a.hubId)?.identity ?? null) : null;
  const label = uid && uid !== a.label ? `${a.label} (UID ${uid})` : a.label;
  const source = await sourceOf(ctx, a.hubId);
  const where = [a.hubId ? `hub id ${a.hubId}` : null, a.extId ? `${ctx.link.name} id ${a.extId}` : null, source ? `from ${source}` : null]
    .filter((x) => x !== null)
    .join(', ');
  const body = answer?.body ? answerExcerpt(answer.body) : null;
  // The client's message shows the start of the answer; the whole excerpt follows when it is longer.
  const more = body && !base.message.includes(body) ? `; the server's whole answer: ${body}` : '';
  const message = `${label} (${where}) was refused by link ${ctx.link.name} and is parked: ${base.message}${more}`;
  const fix = source ? `fix the item in ${source}` : 'fix the item in the hub';
  const hint = `${fix} and it is tried again on its next change, or ${RETRY_PARKED_HINT}`;
  const park: ParkedItem = {
    linkId: ctx.link.id,
    hubId: parkKey(a),
    extId: a.extId,
    action: writeOf(a),
    code: base.code,
    kind: base.kind,
    message,
    answer: body,
    status: answer?.status ?? null,
    label,
    source,
    hubVersion: a.hubVersion,
    hubHash: (a.hubId ? ctx.hub.get(a.hubId)?.hash : undefined) ?? '',
    extEtag: a.extEtag ?? null,
    parkedAt: ctx.now,
    runId: ctx.runId,
  };
  return { park, info: { ...base, message, hint } };
}
