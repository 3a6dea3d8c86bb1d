/**
 * A link's first run over a large collection, in bounded segments (issue 24): instead of
 * holding every fetched item and every hub record of the scope at once, the run collects,
 * plans and applies `segmentSize` items at a time. What is kept for the whole run is
 * compact: the listing's ids and etags, the ids of the hub records to look at, the hub ids
 * already handled or adopted, and the etags written.
 *
 * Taken only when it cannot change a decision the single pass would make about deletions:
 * the link has no agreement yet (so nothing can be found deleted on either side), the
 * listing is a complete full listing, and nothing was recovered or unparked. Everything
 * else (later runs, which are proportional to the changes; `plan`; applying a saved plan)
 * takes the single pass of run-link.ts.
 */
import { isItemFailure, type Listing } from '../connectors/kit/connector.js';
import { plan as makePlan, type ExtView, type HubView, type PlanInput } from '../core/planner.js';
import type { Action, Plan } from '../core/plan-types.js';
import type { LinkState, RunWarning, StatusRow } from '../store/types.js';
import type { ApplyCtx } from './apply-context.js';
import { applyPlan } from './apply.js';
import { bookNewItems, namingRules } from './booking.js';
import { NO_EVIDENCE, adoptionCandidates, extSide, mapItem, toHubView, warningsOf, type Collected, type ExtSide } from './collect.js';
import { planLocks } from './period-locks.js';
import { replanStale } from './replan.js';
import type { LinkSpec, RunDeps, RunOptions } from './types.js';

/** Items collected, planned and applied together in a segmented run. */
export const SEGMENT_SIZE = 1000;
/** A segmented run's record keeps this many actions (all counts are kept). */
export const RECORDED_ACTIONS = 1000;

/** What a segmented run needs from the start: the listing, and the ids of the hub records to read. */
export interface SegmentedWork {
  state: LinkState;
  listing: Listing;
  side: ExtSide;
  toFetch: string[];
  hubIds: string[];
  hubHead: number;
}

/**
 * The work of a first run, when it is large enough to segment; null otherwise (the caller
 * then runs the single pass on the same listing).
 */
export async function segmentedWork<E>(
  link: LinkSpec<E>,
  deps: RunDeps,
  opts: RunOptions,
  state: LinkState,
  listing: Listing,
  size: number,
): Promise<SegmentedWork | null> {
  if (opts.expect || opts.only || listing.mode !== 'full' || !listing.complete || listing.failures.length || listing.outsideWindow?.length) return null;
  // A link whose hub cursor has moved has run before: its later runs are one pass, and cost no check here.
  if (link.policy.externalOnly === 'delete' || state.hubCursor !== 0) return null;
  if ((await deps.store.loadStatusIndex(link.id)).length) return null;
  const side = extSide(listing);
  const toFetch = listing.refs.map((r) => r.id);
  // No agreement yet: the whole scope is new to this link. Its records are the ones the
  // change log names up to the head (a record is written only with a change-log entry).
  const hubHead = await deps.store.headSeq();
  const hubIds = [...new Set((await deps.store.changesSince(link.scope, link.kind, 0)).filter((c) => c.seq <= hubHead).map((c) => c.recordId))];
  if (toFetch.length + hubIds.length <= size) return null;
  return { state, listing, side, toFetch, hubIds, hubHead };
}

interface Segment<E> {
  extData: Map<string, ExtView & { data: E }>;
  failed: PlanInput['ext']['failed'];
  warnings: RunWarning[];
  hubViews: Map<string, HubView>;
}

async function fetchSegment<E>(link: LinkSpec<E>, deps: RunDeps, ids: string[]): Promise<Segment<E>> {
  const seg: Segment<E> = { extData: new Map(), failed: [], warnings: [], hubViews: new Map() };
  const now = deps.clock();
  const size = Math.max(1, link.connector.manifest.batchSize);
  for (let i = 0; i < ids.length; i += size) {
    for (const g of await link.connector.get(ids.slice(i, i + size))) {
      if (isItemFailure(g)) seg.failed.push({ extId: g.id, code: g.error.code, message: g.error.message });
      else {
        const view = mapItem(link, g, now, null);
        seg.extData.set(g.id, view);
        seg.warnings.push(...warningsOf(g, view));
      }
    }
  }
  return seg;
}

/** The segment as the planner and apply see it: the items, their hub records and candidates, and the agreements they have by now. */
async function collectSegment<E>(link: LinkSpec<E>, deps: RunDeps, work: SegmentedWork, seg: Segment<E>): Promise<Collected<E>> {
  const booking = await bookNewItems(link, deps.store, seg.extData, () => false);
  // Adoption candidates are looked up by identity in the store: the scope is never held whole.
  const candidates = await adoptionCandidates(link, deps, seg.extData, new Map(), seg.hubViews, false);
  // Earlier segments may have linked a candidate or a record of this one already: their agreements count.
  const ids = [...new Set([...seg.hubViews.keys(), ...candidates.map((c) => c.id)])];
  const status: StatusRow[] = ids.length ? await deps.store.getStatus(link.id, ids) : [];
  const input: PlanInput = {
    linkId: link.id,
    now: deps.clock(),
    policy: link.policy,
    agreements: status,
    linkedCount: 0,
    holds: link.mapper.holds,
    ...(link.can ? { can: link.can } : {}),
    ...(link.mapper.identityIsName ? { identityIsName: true } : {}),
    ...(await planLocks(link, deps)),
    ext: { mode: 'full', complete: true, present: work.side.present, removed: work.side.removed, fetched: [...seg.extData.values()], failed: seg.failed },
    hub: { changed: [...seg.hubViews.values()], candidates },
  };
  return {
    input,
    listing: work.listing,
    extData: seg.extData,
    hubViews: seg.hubViews,
    hubHead: work.hubHead,
    firstSeq: new Map(),
    hubCursor: work.state.hubCursor,
    status,
    digest: null,
    provenUnchanged: false,
    evidence: NO_EVIDENCE,
    warnings: [...seg.warnings, ...booking.warnings],
    losses: new Map(),
    lossHubIds: new Set(),
    lossUpdates: [],
    booked: booking.booked,
  };
}

/** The collection of a segmented run before its first segment: the listing and the head are the run's. */
export function emptySegment<E>(link: LinkSpec<E>, deps: RunDeps, work: SegmentedWork): Promise<Collected<E>> {
  return collectSegment(link, deps, work, { extData: new Map(), failed: [], warnings: [], hubViews: new Map() });
}

/**
 * Run the segments: first the external items (each segment's items, their adoption
 * candidates), then the hub records no earlier segment handled. Each segment is planned,
 * guarded and applied before the next is read. Returns the run's plan: all counts, the
 * first RECORDED_ACTIONS actions, and the first guard that stopped a segment (then no
 * later segment runs).
 */
export async function runSegments<E>(ctx: ApplyCtx<E>, work: SegmentedWork, opts: RunOptions, size: number): Promise<Plan> {
  const { link, deps } = ctx;
  const total = work.toFetch.length + work.hubIds.length;
  const counts: Record<string, number> = {};
  const recorded: Action[] = [];
  const handledHub = new Set<string>();
  let guard: Plan['guard'] = { ok: true };
  let done = 0;
  const step = async (seg: Segment<E>, n: number): Promise<boolean> => {
    const col = await collectSegment(link, deps, work, seg);
    deps.onProgress?.({ link: link.name, phase: 'plan', done, total });
    const plan = namingRules(makePlan(col.input), col.booked);
    for (const [op, c] of Object.entries(plan.counts)) counts[op] = (counts[op] ?? 0) + c;
    for (const a of plan.actions) {
      if (a.hubId) handledHub.add(a.hubId);
      if (recorded.length < RECORDED_ACTIONS) recorded.push(a);
    }
    if (!plan.guard.ok) {
      guard = plan.guard;
      return false;
    }
    ctx.col = col as Collected<E>;
    ctx.hub = new Map([...col.hubViews, ...col.input.hub.candidates.map((c) => [c.id, c] as const)]);
    ctx.agByHub = new Map(col.status.map((s) => [s.hubId, s]));
    ctx.stale = [];
    ctx.warnings.push(...col.warnings);
    await applyPlan(ctx, plan, opts.batchSize ?? 500);
    await replanStale(ctx, opts.batchSize ?? 500);
    done += n;
    return true;
  };
  for (let i = 0; i < work.toFetch.length; i += size) {
    const ids = work.toFetch.slice(i, i + size);
    deps.onProgress?.({ link: link.name, phase: 'fetch', done, total });
    if (!(await step(await fetchSegment(link, deps, ids), ids.length))) return result();
  }
  // Hub records adopted or otherwise handled by an external segment are done.
  const rest = work.hubIds.filter((id) => !handledHub.has(id));
  for (let i = 0; i < rest.length; i += size) {
    const ids = rest.slice(i, i + size);
    deps.onProgress?.({ link: link.name, phase: 'read-hub', done, total });
    const hubViews = new Map((await deps.store.getRecords(ids)).map((r) => [r.id, toHubView(link, r)]));
    if (!(await step({ extData: new Map(), failed: [], warnings: [], hubViews }, ids.length))) return result();
  }
  return result();

  function result(): Plan {
    return {
      linkId: link.id,
      createdAt: deps.clock().toISOString(),
      actions: recorded,
      counts,
      guard,
      partialListing: false,
    };
  }
}
