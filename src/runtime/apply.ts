/**
 * Apply a plan in batches. For every external write: (1) an intent is committed to the
 * journal, (2) the remote is called with the idempotency key, (3) the hub change, the new
 * status row and the intent's removal are committed together. A crash between any two
 * steps is repaired by recover.ts on the next run. One failing item never stops the run.
 */
import { setImmediate } from 'node:timers/promises';
import { WAITING_TO_BOOK } from '../core/booking.js';
import { newId } from './ids.js';
import type { WriteResult } from '../connectors/kit/connector.js';
import { TimebridgeError, describeError, isTimebridgeError } from '../core/errors.js';
import { isWrite, type Action, type Plan } from '../core/plan-types.js';
import type { CommitBatch, Intent } from '../store/types.js';
import { done, fail, mergeBatch, type ApplyCtx } from './apply-context.js';
import { toHubView } from './collect.js';
import { externalData, externalWrite, localStep, pushResult, writesExternal } from './apply-steps.js';
import { parkFor, refusePlanned, stillParked, unparkOf } from './parking.js';
import { readBack, type Checked, type Written } from './read-back.js';
import { eachLimited } from './write-pool.js';

interface Pending<E> {
  index: number;
  action: Action;
  intent: Intent;
  data: E | null;
}

/** Load hub records a step needs that the collection did not bring (unchanged ones). */
async function loadMissing<E>(ctx: ApplyCtx<E>, actions: Action[]): Promise<void> {
  const need = actions.filter(
    (a) => a.hubId && !ctx.hub.has(a.hubId) && (a.op === 'pull-delete' || a.op === 'conflict' || a.op === 'merge' || a.op === 'adopt'),
  );
  if (!need.length) return;
  const recs = await ctx.deps.store.getRecords([...new Set(need.map((a) => a.hubId!))]);
  for (const r of recs) ctx.hub.set(r.id, toHubView(ctx.link, r));
}

function prepareExternal<E>(ctx: ApplyCtx<E>, a: Action, index: number, local: CommitBatch): Pending<E> | null {
  let data: E | null = null;
  if (a.op !== 'push-delete') {
    const out = externalData(ctx, a);
    if ('skip' in out) {
      // Not exportable (e.g. filtered by the mapper): keep the hub side of a merge, skip the push.
      if (a.op === 'merge' || a.op === 'adopt') mergeBatch(local, localStep(ctx, { ...a, writeExt: false }, newId));
      ctx.counts.skipped = (ctx.counts.skipped ?? 0) + 1;
      // An entry without a project or person is not an error: it waits in the "to book" list (core/booking.ts).
      if (out.skip.startsWith(WAITING_TO_BOOK)) ctx.counts.toBook = (ctx.counts.toBook ?? 0) + 1;
      return null;
    }
    data = out.data;
  }
  const hubVersion = a.hubVersion;
  // A delete of an item the hub never had (externalOnly: delete) is journalled under the external id.
  const hubId = a.hubId ?? `external-only:${a.extId}`;
  const intent: Intent = {
    id: newId(),
    linkId: ctx.link.id,
    runId: ctx.runId,
    action: a.op === 'push-create' ? 'create' : a.op === 'push-delete' ? 'delete' : 'update',
    hubId,
    extId: a.extId,
    key: hubId,
    hubVersion,
    hubHash: ctx.hub.get(hubId)?.hash ?? '',
    createdAt: ctx.now,
  };
  return { index, action: a, intent, data };
}

/** Commit a batch and count the hub records it wrote (for the cursor and for sync passes). */
async function commit<E>(ctx: ApplyCtx<E>, batch: CommitBatch): Promise<void> {
  await ctx.deps.store.commit(batch);
  ctx.hubWrites += batch.records?.length ?? 0;
}

async function commitOrSplit<E>(ctx: ApplyCtx<E>, parts: { action: Action; batch: CommitBatch }[], shared: CommitBatch): Promise<void> {
  const whole: CommitBatch = {};
  mergeBatch(whole, shared);
  for (const p of parts) mergeBatch(whole, p.batch);
  // A link with no open conflict has none to clear: spare the store a delete per item.
  if (!ctx.hasConflicts) delete whole.conflictsClear;
  try {
    await commit(ctx, whole);
    for (const p of parts) done(ctx, p.action);
    return;
  } catch (err) {
    if (!(isTimebridgeError(err) && err.code === 'STORE_VERSION_CONFLICT') || parts.length === 1) {
      if (parts.length === 1) {
        fail(ctx, parts[0]!.action, describeError(err));
        await commit(ctx, shared);
        return;
      }
      throw err;
    }
  }
  // A record changed underneath this run: commit item by item so only that one fails.
  for (const p of parts) await commitOrSplit(ctx, [p], {});
  if (Object.keys(shared).length) await commit(ctx, shared);
}

async function applyBatch<E>(ctx: ApplyCtx<E>, actions: Action[], offset: number): Promise<void> {
  const { deps } = ctx;
  await loadMissing(ctx, actions);
  const parts: { action: Action; batch: CommitBatch }[] = [];
  const local: CommitBatch = {};
  const pending: Pending<E>[] = [];
  actions.forEach((a, i) => {
    try {
      if (a.op === 'error') return refusePlanned(ctx, a, local);
      if (a.op === 'unsupported') return;
      if (writesExternal(a)) {
        // Refused for good at these very versions: not sent again, not a failure (runtime/parking.ts).
        if (stillParked(ctx, a)) {
          ctx.counts.parked = (ctx.counts.parked ?? 0) + 1;
          return;
        }
        const p = prepareExternal(ctx, a, offset + i, local);
        if (p) pending.push(p);
        return;
      }
      parts.push({ action: a, batch: { ...localStep(ctx, a, newId), ...unparkOf(ctx, a) } });
    } catch (err) {
      fail(ctx, a, describeError(err));
    }
  });
  if (pending.length) await deps.store.commit({ intentsAdd: pending.map((p) => p.intent) });
  for (const p of pending) deps.fault?.('after-intent', p.index);
  const clears: string[] = [];
  let abandoned = 0;
  // Up to the connector's writeConcurrency at once (write-pool.ts); the results keep plan order.
  const results = await eachLimited(pending, ctx.link.connector.manifest.writeConcurrency ?? 1, async (p) => {
    // Stopping (SIGTERM): the writes under way finish and are recorded; the rest are not made.
    if (deps.signal?.aborted) {
      clears.push(p.intent.id);
      abandoned++;
      return null;
    }
    let ref: WriteResult<E> | null;
    try {
      ref = await externalWrite(ctx, p.action, p.data);
    } catch (err) {
      const parked = await parkFor(ctx, p.action, err);
      if (parked) mergeBatch(local, { parkedUpsert: [parked.park] });
      fail(ctx, p.action, parked?.info ?? describeError(err), parked !== null);
      // An interrupted create may have landed: keep its intent so recovery looks it up.
      if (p.intent.action !== 'create' || (isTimebridgeError(err) && err.kind !== 'transient')) clears.push(p.intent.id);
      return null;
    }
    deps.fault?.('after-external-write', p.index);
    return { p, ref };
  });
  const landed = results.filter((r): r is { p: Pending<E>; ref: WriteResult<E> | null } => r !== null);
  const written: Written<E>[] = [];
  for (const { p, ref } of landed) if (ref && p.data !== null) written.push({ action: p.action, ref, sent: p.data });
  const checks = await readBack(ctx, written);
  for (const { p, ref } of landed) {
    for (const message of ref?.warnings ?? []) ctx.warnings.push({ id: ref!.id, label: p.action.label, message });
    const check = ref ? checks.get(ref.id) : undefined;
    const agreed = ref && check ? { id: ref.id, etag: check.etag } : ref && { id: ref.id, etag: ref.etag };
    if (agreed) ctx.extWrites.set(agreed.id, agreed.etag);
    else if (p.action.extId) ctx.extWrites.set(p.action.extId, null);
    parts.push({
      action: p.action,
      batch: {
        ...pushResult(ctx, p.action, agreed, check?.extHash ?? ''),
        ...lossRecord(ctx, p.action, agreed?.id, check),
        intentsClear: [p.intent.id],
        ...unparkOf(ctx, p.action),
      },
    });
  }
  deps.fault?.('before-commit', offset);
  await commitOrSplit(ctx, parts, { ...local, intentsClear: [...(local.intentsClear ?? []), ...clears] });
  deps.fault?.('after-commit', offset);
  if (abandoned) throw aborted(`${abandoned} writes were left for the next run`);
}

/** The item's write losses after a write: those the check found, or none (an unchecked write leaves no stale record behind). */
function lossRecord<E>(ctx: ApplyCtx<E>, a: Action, extId: string | undefined, check: Checked | undefined): CommitBatch {
  if (!a.hubId || !extId) return {};
  if (check?.losses.length) {
    return { lossesPut: [{ linkId: ctx.link.id, hubId: a.hubId, extId, label: a.label, losses: check.losses, detectedAt: ctx.now, runId: ctx.runId }] };
  }
  return ctx.col.lossHubIds.has(a.hubId) ? { lossesClear: [{ linkId: ctx.link.id, hubId: a.hubId }] } : {};
}

function aborted(detail: string): TimebridgeError {
  return new TimebridgeError('RUN_ABORTED', `the run was stopped because the process is shutting down; ${detail}`, {
    hint: 'nothing is lost: the next run of this link picks up where this one stopped',
  });
}

export async function applyPlan<E>(ctx: ApplyCtx<E>, plan: Plan, batchSize: number): Promise<void> {
  const todo = plan.actions;
  const total = todo.some(isWrite) ? todo.length : 0;
  for (let i = 0; i < todo.length; i += batchSize) {
    // Connectors and the SQLite store may work synchronously: before each batch the process
    // gets a turn (HTTP requests, webhooks, a SIGTERM) instead of waiting for the whole run —
    // also before the first, since a segmented first run (segments.ts) applies plan after plan.
    await setImmediate();
    if (ctx.deps.signal?.aborted) throw aborted(`${todo.length - i} planned actions were left for the next run`);
    await applyBatch(ctx, todo.slice(i, i + batchSize), i);
    ctx.deps.onProgress?.({ link: ctx.link.name, phase: 'apply', done: Math.min(i + batchSize, todo.length), total });
  }
}
