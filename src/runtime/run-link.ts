/**
 * One run of one link: lock → recover → collect → plan → guard → apply → advance
 * cursors → record the run (architecture.md §3).
 */
import { newId } from './ids.js';
import { namingRules } from './booking.js';
import { TimebridgeError, describeError, errorInfo } from '../core/errors.js';
import { plan as makePlan } from '../core/planner.js';
import type { Action, Plan } from '../core/plan-types.js';
import type { Json } from '../core/model.js';
import type { LinkState, RunRecord, RunStatus } from '../store/types.js';
import type { ApplyCtx } from './apply-context.js';
import { applyPlan } from './apply.js';
import { collect, listExternal, toHubView, type Collected, type ReadListing } from './collect.js';
import { SEGMENT_SIZE, emptySegment, runSegments, segmentedWork, type SegmentedWork } from './segments.js';
import { countingConnector } from './counting-connector.js';
import { withLinkLock } from './link-lock.js';
import { listingAfterRun, refsDigest, type DigestedListing } from './listing-digest.js';
import { recoverIntents } from './recover.js';
import { loadRefs } from './refs.js';
import { replanStale } from './replan.js';
import type { LinkSpec, RunDeps, RunOptions } from './types.js';

export interface RunResult {
  run: RunRecord;
  plan: Plan;
  /** Hub records the run wrote: other links of its scope are stale when this is not 0. */
  hubWrites: number;
  /** After a clean run over a full listing: that listing with the run's own writes applied, and its digest, for a later pass of the same sync (RunOptions.listing). */
  listingAfter?: DigestedListing;
}

/** A run that failed as a whole: its record (status `failed`) and what was thrown. */
export interface FailedRun extends RunResult {
  error: unknown;
}

/** Build the plan for a link without writing anything (after resolving open intents). */
export async function planLink<E>(
  spec: LinkSpec<E>,
  deps: RunDeps,
  opts: RunOptions,
  priorDigest: string | null = null,
  read?: ReadListing,
): Promise<{ plan: Plan; col: Collected<E> }> {
  const link = await withRefs(spec, deps);
  const col = await collect(withRunPolicy(link, opts), deps, opts.full ?? false, priorDigest, opts.window, opts.only, read);
  deps.onProgress?.({ link: link.name, phase: 'plan', done: 0, total: 0 });
  return { plan: namingRules(makePlan(col.input), col.booked), col };
}

/** The link with the run's `allowDeletes` in its guard. */
function withRunPolicy<E>(link: LinkSpec<E>, opts: RunOptions): LinkSpec<E> {
  return { ...link, policy: { ...link.policy, guard: { ...link.policy.guard, allowDeletes: opts.allowDeletes ?? link.policy.guard.allowDeletes } } };
}

/** The link with the references its mapper resolves loaded for this run. */
export async function withRefs<E>(link: LinkSpec<E>, deps: RunDeps): Promise<LinkSpec<E>> {
  if (link.refs || (!link.mapper.refKinds?.length && !link.mapper.readsPersons)) return link;
  const refs = await loadRefs(link, deps.store);
  return refs ? { ...link, refs } : link;
}

function nextHubCursor<E>(col: Collected<E>, failed: Set<string>): number {
  if (!failed.size) return col.hubHead;
  const seqs = [...failed].map((id) => col.firstSeq.get(id)).filter((s): s is number => s !== undefined);
  // A failed item read by a full scan has no seq: hold the cursor where it was.
  if (seqs.length < failed.size) return col.hubCursor;
  return Math.max(col.hubCursor, Math.min(...seqs) - 1);
}

/**
 * Move the cursor over the changes this very run wrote when nothing else wrote since the
 * head was read (the head moved by exactly this run's writes): they are already agreed,
 * and re-reading them would cost the next run a scan.
 */
async function skipOwnWrites(deps: RunDeps, cursor: number, hubHead: number, ownWrites: number): Promise<number> {
  if (cursor !== hubHead || ownWrites === 0) return cursor;
  const head = await deps.store.headSeq();
  return head - hubHead === ownWrites ? head : cursor;
}

function planForRecord(plan: Plan): Json {
  return {
    linkId: plan.linkId,
    createdAt: plan.createdAt,
    counts: plan.counts,
    guard: { ...plan.guard },
    partialListing: plan.partialListing,
    actions: plan.actions.map(({ merged: _m, ...a }) => ({ ...a })) as unknown as Json,
  };
}

async function execute<E>(spec: LinkSpec<E>, deps: RunDeps, opts: RunOptions, run: RunRecord, started: number, priorDigest: string | null): Promise<RunResult> {
  const link = await withRefs(spec, deps);
  const recovered = await recoverIntents(link, deps);
  // Unparked items may lie behind the hub cursor (a park never holds it back): read the whole scope once.
  const unparked = opts.retryParked ? await deps.store.clearParked(link.id) : 0;
  let read: ReadListing | undefined;
  if (!opts.expect && !recovered && !unparked) {
    // A large first run is collected, planned and applied in segments (runtime/segments.ts).
    const state = await deps.store.getLinkState(link.id);
    deps.onProgress?.({ link: link.name, phase: 'list', done: 0, total: 0 });
    const listing = opts.listing?.listing ?? (await listExternal(link, deps, state, opts.full ?? false, opts.window));
    const size = Math.max(1, opts.segmentSize ?? SEGMENT_SIZE);
    const work = await segmentedWork(withRunPolicy(link, opts), deps, opts, state, listing, size);
    if (work) return executeSegmented(withRunPolicy(link, opts), deps, opts, run, started, work, size);
    read = { state, listing, ...(opts.listing ? { digest: opts.listing.digest } : {}) };
  }
  const { plan, col } = await planLink(link, deps, unparked ? { ...opts, full: true } : opts, recovered || unparked ? null : priorDigest, read);
  run.plan = planForRecord(plan);
  if (opts.expect) assertSamePlan(opts.expect, plan, opts.expectTolerates ?? new Set());
  if (!plan.guard.ok) {
    run.status = 'stopped';
    run.errors.push({ id: link.id, label: link.name, error: errorInfo(plan.guard.code!, plan.guard.message!, plan.guard.hint) });
    return { run: finish(run, started, deps), plan, hubWrites: 0 };
  }
  const ctx = await applyCtx(link, deps, opts, run, col);
  await applyPlan(ctx, plan, opts.batchSize ?? 500);
  await replanStale(ctx, opts.batchSize ?? 500);
  return finishRun(link, deps, opts, run, started, plan, col, ctx);
}

/** A large first run: collected, planned and applied in segments; recorded like any run. */
async function executeSegmented<E>(
  link: LinkSpec<E>,
  deps: RunDeps,
  opts: RunOptions,
  run: RunRecord,
  started: number,
  work: SegmentedWork,
  size: number,
): Promise<RunResult> {
  const ctx = await applyCtx(link, deps, opts, run, await emptySegment(link, deps, work));
  const plan = await runSegments(ctx, work, opts, size);
  run.plan = planForRecord(plan);
  if (!plan.guard.ok) {
    run.status = 'stopped';
    run.errors.push({ id: link.id, label: link.name, error: errorInfo(plan.guard.code!, plan.guard.message!, plan.guard.hint) });
    run.counts = { ...ctx.counts };
    return { run: finish(run, started, deps), plan, hubWrites: ctx.hubWrites };
  }
  // The segments' records are no longer held: look up the parked creates' records again.
  const parkedCreates = [...ctx.parked.values()].filter((p) => p.action === 'create').map((p) => p.hubId);
  const hubViews = new Map((parkedCreates.length ? await deps.store.getRecords(parkedCreates) : []).map((r) => [r.id, toHubView(link, r)]));
  // Each segment's warnings are in ctx.warnings already.
  ctx.col = { ...ctx.col, hubViews, warnings: [] };
  return finishRun(link, deps, opts, run, started, plan, ctx.col, ctx);
}

/** The shared state of applying a run's plan (or its segments' plans). */
async function applyCtx<E>(link: LinkSpec<E>, deps: RunDeps, opts: RunOptions, run: RunRecord, col: Collected<E>): Promise<ApplyCtx<E>> {
  return {
    link,
    deps,
    col,
    runId: run.id,
    now: deps.clock().toISOString(),
    hub: new Map([...col.hubViews, ...col.input.hub.candidates.map((c) => [c.id, c] as const)]),
    agByHub: new Map(col.status.map((s) => [s.hubId, s])),
    counts: {},
    errors: [],
    warnings: [],
    failedHubIds: new Set(),
    extFailed: false,
    extWrites: new Map(),
    hubWrites: 0,
    hasConflicts: (await deps.store.listConflicts(link.id)).length > 0,
    // A saved plan is applied exactly: what changed underneath it fails instead of being re-planned.
    stale: opts.expect ? null : [],
    parked: new Map((await deps.store.listParked(link.id)).map((p) => [p.hubId, p])),
  };
}

/** Store the link's cursors and digest after the plan was applied, and complete the run record. */
async function finishRun<E>(
  link: LinkSpec<E>,
  deps: RunDeps,
  opts: RunOptions,
  run: RunRecord,
  started: number,
  plan: Plan,
  col: Collected<E>,
  ctx: ApplyCtx<E>,
): Promise<RunResult> {
  const extCursor = ctx.extFailed || !col.listing.complete ? undefined : col.listing.cursor;
  // A run for some items left the others unread: its listing is no proof they were seen.
  const after = opts.only ? null : cleanListing(col, plan, ctx);
  const errors = [...incompleteListing(link, col), ...ctx.errors];
  await deps.store.commit({
    ...deletedWhileParked(ctx),
    // Losses the remote's own edits ended; an item this run wrote has its losses from that write's check.
    lossesPut: col.lossUpdates.filter((l) => !ctx.extWrites.has(l.extId)),
    linkState: {
      linkId: link.id,
      // Records to write back to their items are left after the cursor, so the next run loads and pushes them.
      hubCursor: ctx.writeBacks
        ? nextHubCursor(col, ctx.failedHubIds)
        : await skipOwnWrites(deps, nextHubCursor(col, ctx.failedHubIds), col.hubHead, ctx.hubWrites),
      ...(extCursor !== undefined ? { extCursor } : {}),
      lastRunId: run.id,
      lastRunAt: deps.clock().toISOString(),
      lastStatus: errors.length ? 'partial' : 'ok',
      extDigest: after?.digest ?? null,
    },
  });
  run.counts = { ...ctx.counts, ...evidenceCounts(col) };
  run.errors = errors;
  run.warnings = [...col.warnings, ...ctx.warnings];
  run.status = errors.length ? 'partial' : 'ok';
  return { run: finish(run, started, deps), plan, hubWrites: ctx.hubWrites, ...(after ? { listingAfter: after } : {}) };
}

/** A parked create whose hub record was deleted since has nothing left to send: forget the park. */
function deletedWhileParked<E>(ctx: ApplyCtx<E>): { parkedClear?: { linkId: string; hubId: string }[] } {
  // Only creates: a refused update or delete of a deleted record is still owed to the external item.
  const gone = [...ctx.parked.values()].filter((p) => p.action === 'create' && ctx.col.hubViews.get(p.hubId)?.tombstone).map((p) => p.hubId);
  return gone.length ? { parkedClear: gone.map((hubId) => ({ linkId: ctx.link.id, hubId })) } : {};
}

/** How many suspected deletions a read by id confirmed, and how many items the listing skipped. */
function evidenceCounts<E>(col: Collected<E>): Record<string, number> {
  const { checked, confirmed, missedByListing } = col.evidence;
  if (!checked) return {};
  return { deletionsChecked: checked, deletionsConfirmed: confirmed, ...(missedByListing ? { listingMissed: missedByListing } : {}) };
}

/** A listing that broke off leaves work undone: the run says so, and is partial, not ok. */
function incompleteListing<E>(link: LinkSpec<E>, col: Collected<E>): RunRecord['errors'] {
  if (col.listing.complete) return [];
  const why = col.listing.incompleteReason ? `: ${col.listing.incompleteReason}` : '';
  return [
    {
      id: link.id,
      label: link.name,
      error: errorInfo(
        'LISTING_INCOMPLETE',
        `the external listing of ${link.name} was incomplete${why}; what it showed was synced, but no deletion was inferred and items it did not reach wait`,
        'the next run reads the listing again; if this repeats, check the connection with `timebridge check`',
      ),
    },
  ];
}

/** What the external side holds after a clean run, and its digest; null when anything is left to look at again. */
function cleanListing<E>(col: Collected<E>, plan: Plan, ctx: ApplyCtx<E>): DigestedListing | null {
  // Proven unchanged: the listing's digest is the stored one, which collect compared it with.
  if (col.provenUnchanged) return col.digest !== null ? { listing: col.listing, digest: col.digest } : null;
  // A re-planned item was read again after the listing: the listing no longer describes it.
  // So was an item the listing skipped and the read by id found.
  const clean =
    !ctx.errors.length &&
    !plan.counts.conflict &&
    !ctx.counts.replanned &&
    !col.evidence.missedByListing &&
    col.listing.mode === 'full' &&
    col.listing.complete &&
    !col.listing.failures.length;
  if (!clean) return null;
  // A run that wrote nothing outside leaves the listing as it was, with the digest collect computed.
  if (!ctx.extWrites.size && col.digest !== null) return { listing: col.listing, digest: col.digest };
  const listing = listingAfterRun(col.listing, ctx.extWrites);
  return { listing, digest: refsDigest(listing.refs) };
}

/** What a planned action commits to: the op, the items, and the versions it was planned against. */
function actionSignature(a: Action): string {
  return `${a.op} hub=${a.hubId ?? '-'}@${a.hubVersion} ext=${a.extId ?? '-'}@${a.extEtag ?? '-'}`;
}

/**
 * Refuse unless the fresh plan has exactly the saved actions. Extra actions are tolerated
 * only on hub records written earlier in the same apply (a link later in a plan file sees
 * what an earlier link just pulled into the hub).
 */
export function assertSamePlan(expected: Plan, fresh: Plan, tolerated: ReadonlySet<string> = new Set()): void {
  const want = new Set(expected.actions.map(actionSignature));
  const got = new Set(fresh.actions.filter((a) => want.has(actionSignature(a)) || !(a.hubId && tolerated.has(a.hubId))).map(actionSignature));
  const missing = [...want].filter((s) => !got.has(s)),
    extra = [...got].filter((s) => !want.has(s));
  if (!missing.length && !extra.length) return;
  const sample = [...missing.slice(0, 3).map((s) => `planned but no longer valid: ${s}`), ...extra.slice(0, 3).map((s) => `new since the plan: ${s}`)];
  throw new TimebridgeError(
    'PLAN_DRIFTED',
    `link ${fresh.linkId} changed since the plan was made (${missing.length} planned actions no longer valid, ${extra.length} new); nothing was written:\n  ${sample.join('\n  ')}`,
    {
      hint: 'make a fresh plan with `timebridge plan --out plan.json`, review it, and apply that',
    },
  );
}

function finish(run: RunRecord, started: number, deps: RunDeps): RunRecord {
  run.finishedAt = deps.clock().toISOString();
  run.durationMs = Date.now() - started;
  deps.onProgress?.({ link: run.linkId, phase: 'done', done: 1, total: 1 });
  return run;
}

/** A run still `running` when its link is locked again was killed; say so in its record. */
async function markInterrupted<E>(link: LinkSpec<E>, deps: RunDeps, state: LinkState): Promise<void> {
  if (state.lastStatus !== 'running' || !state.lastRunId) return;
  const r = await deps.store.getRun(state.lastRunId);
  if (!r || r.status !== 'running') return;
  r.status = 'aborted';
  // What it achieved before it stopped: its hub writes are in the change log.
  r.counts = { ...r.counts, hubWrites: (await deps.store.changesOfRun(r.id)).length };
  r.errors.push({
    id: link.id,
    label: link.name,
    error: errorInfo('RUN_ABORTED', 'the process stopped before this run finished; the next run recovered its interrupted writes'),
  });
  await deps.store.saveRun(r);
}

/** Run one link; a run that fails as a whole is recorded, then its error is thrown (the job queue retries on it). */
export async function runLink<E>(link: LinkSpec<E>, deps: RunDeps, opts: RunOptions): Promise<RunResult> {
  const r = await runLinkSettled(link, deps, opts);
  if ('error' in r) throw r.error;
  return r;
}

/** Run one link; a run that fails as a whole comes back as a `failed` record with its error, so other links can go on. */
export async function runLinkSettled<E>(link: LinkSpec<E>, deps: RunDeps, opts: RunOptions): Promise<RunResult | FailedRun> {
  return withLinkLock(link.id, async () => {
    const release = await deps.lockLink?.(link.id);
    try {
      return await lockedRun(link, deps, opts);
    } finally {
      await release?.();
    }
  });
}

async function lockedRun<E>(link: LinkSpec<E>, deps: RunDeps, opts: RunOptions): Promise<RunResult | FailedRun> {
  const started = Date.now();
  const run: RunRecord = {
    id: newId(),
    linkId: link.id,
    trigger: opts.trigger,
    startedAt: deps.clock().toISOString(),
    finishedAt: null,
    status: 'running',
    counts: {},
    errors: [],
    warnings: [],
    plan: null,
    apiCalls: 0,
    durationMs: null,
  };
  const state = await deps.store.getLinkState(link.id);
  await markInterrupted(link, deps, state);
  const priorDigest = state.extDigest;
  await deps.store.saveRun(run);
  // The digest is cleared while the run is under way: a crash must not leave it claiming "clean".
  await deps.store.commit({ linkState: { linkId: link.id, lastRunId: run.id, lastStatus: 'running', lastRunAt: run.startedAt, extDigest: null } });
  const counted = countingConnector(link.connector);
  const counting = { ...link, connector: counted.connector };
  try {
    const result = await execute(counting, deps, opts, run, started, priorDigest);
    result.run.apiCalls = counted.calls();
    await deps.store.saveRun(result.run);
    if (result.run.status === 'stopped')
      await deps.store.commit({ linkState: { linkId: link.id, lastRunId: run.id, lastStatus: 'stopped', lastRunAt: run.finishedAt } });
    return result;
  } catch (err) {
    run.status = 'failed' as RunStatus;
    run.apiCalls = counted.calls();
    const info = describeError(err);
    const where = link.connection ? ` (connection ${link.connection})` : '';
    run.errors.push({ id: link.id, label: link.name, error: { ...info, message: `link ${link.name}${where}: ${info.message}` } });
    // Best effort: the original error is what the caller must see, not a second one from the store.
    await deps.store.saveRun(finish(run, started, deps)).catch(() => undefined);
    await deps.store.commit({ linkState: { linkId: link.id, lastStatus: 'failed' } }).catch(() => undefined);
    const plan: Plan = { linkId: link.id, createdAt: run.startedAt, actions: [], counts: {}, guard: { ok: true }, partialListing: false };
    return { run, plan, hubWrites: 0, error: err };
  }
}
