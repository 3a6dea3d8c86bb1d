/**
 * A write refused because the external item changed since it was read (HTTP 412,
 * If-Match) is never forced. The items are read again, planned again against the hub
 * as it is now and the agreement as stored, and that plan goes through the guards and
 * is applied, once, in the same run. Whatever fails then is reported like any failure.
 */
import { isItemFailure } from '../connectors/kit/connector.js';
import { errorInfo } from '../core/errors.js';
import { plan as makePlan, type ExtView, type PlanInput } from '../core/planner.js';
import type { ApplyCtx } from './apply-context.js';
import { fail } from './apply-context.js';
import { applyPlan } from './apply.js';
import { mapItem, toHubView } from './collect.js';
import { readThroughLosses } from './losses.js';

export async function replanStale<E>(ctx: ApplyCtx<E>, batchSize: number): Promise<void> {
  const stale = ctx.stale ?? [];
  ctx.stale = null;
  if (!stale.length) return;
  const { link, deps } = ctx;
  const extIds = [...new Set(stale.map((a) => a.extId!))];
  const hubIds = [...new Set(stale.map((a) => a.hubId!))];
  deps.onProgress?.({ link: link.name, phase: 'fetch', done: 0, total: extIds.length });

  const now = deps.clock();
  const extData = new Map<string, ExtView & { data: E }>();
  const removed = new Set<string>();
  const failed: PlanInput['ext']['failed'] = [];
  const records = await deps.store.getRecords(hubIds);
  const fieldsByExt = new Map(stale.map((a) => [a.extId!, records.find((r) => r.id === a.hubId && !r.tombstone)?.fields ?? null]));
  for (const g of await link.connector.get(extIds)) {
    if (!isItemFailure(g)) extData.set(g.id, mapItem(link, g, now, fieldsByExt.get(g.id) ?? null));
    else if (g.error.kind === 'not_found') removed.add(g.id);
    else failed.push({ extId: g.id, code: g.error.code, message: g.error.message });
  }
  ctx.col.lossUpdates.push(...readThroughLosses(link, extData, ctx.col.losses));
  const hubViews = new Map(records.map((r) => [r.id, toHubView(link, r)]));
  const status = await deps.store.getStatus(link.id, hubIds);
  const linked = new Set(status.map((s) => s.hubId));
  const input: PlanInput = {
    linkId: link.id,
    now,
    policy: link.policy,
    agreements: status,
    holds: link.mapper.holds,
    ...(link.can ? { can: link.can } : {}),
    ...(link.mapper.identityIsName ? { identityIsName: true } : {}),
    // The locked periods the run was planned with, so the re-plan holds them the same way.
    ...(ctx.col.input.locks ? { locks: ctx.col.input.locks, system: ctx.col.input.system } : {}),
    linkedCount: ctx.col.input.linkedCount ?? status.length,
    ext: { mode: 'delta', complete: true, present: new Set(), removed, fetched: [...extData.values()], failed },
    // An adoption that raced keeps its hub candidate, so the re-read item is linked, not duplicated.
    hub: { changed: [...hubViews.values()], candidates: [...hubViews.values()].filter((h) => !linked.has(h.id)) },
  };
  const plan = makePlan(input);
  ctx.counts.replanned = (ctx.counts.replanned ?? 0) + stale.length;
  if (!plan.guard.ok) {
    for (const a of stale) fail(ctx, a, errorInfo(plan.guard.code!, plan.guard.message!, plan.guard.hint));
    return;
  }
  const pass: ApplyCtx<E> = {
    ...ctx,
    col: { ...ctx.col, extData },
    hub: hubViews,
    agByHub: new Map(status.map((s) => [s.hubId, s])),
    stale: null,
  };
  await applyPlan(pass, plan, batchSize);
  ctx.extFailed ||= pass.extFailed;
  ctx.hubWrites = pass.hubWrites;
}
