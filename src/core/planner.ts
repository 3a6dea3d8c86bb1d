/**
 * The planner: a pure function from what both sides hold now and what they last agreed
 * on, to one action per item with the reason that fired (architecture.md §3 step 4).
 * No I/O and no clock: everything it needs is in `PlanInput`.
 */
import { projectFields, type Holds } from './fields/holds.js';
import type { PeriodLocks } from './fields/period-lock.js';
import { checkGuards } from './guard.js';
import { threeWayMerge } from './merge.js';
import type { Fields } from './model.js';
import { canPull, canPush, restores, type LinkPolicy } from './policy.js';
import { countActions, type Action, type Plan } from './plan-types.js';
import { holdLockedPeriods, type LockLookup } from './planner-locks.js';

/** The last state both sides agreed on for one item (a link's status row). */
export interface Agreement {
  hubId: string;
  extId: string;
  hubVersion: number;
  hubHash: string;
  extEtag: string;
  /** Hash of the external content at agreement; '' when the engine wrote it and has not read it back. */
  extHash: string;
  base: Fields;
}

export type Mapped =
  | { ok: true; fields: Fields; identity: string | null; hash: string; label: string; writeBack?: boolean }
  | { ok: false; skip: string }
  /** Not the link's to keep (the mapper says so): deleted externally when the policy lets it push deletes, else reported. */
  | { ok: false; remove: string }
  | { ok: false; error: string; code?: string };

/** An external item fetched this run (its etag differs from the agreement, or it is new). */
export interface ExtView {
  extId: string;
  etag: string;
  modifiedAt: string | null;
  mapped: Mapped;
}

export interface HubView {
  id: string;
  version: number;
  fields: Fields;
  identity: string | null;
  hash: string;
  tombstone: boolean;
  updatedAt: string;
  label: string;
  /** Why the link does not show this record (Mapper.shows): no push-create is planned for it while it is unlinked. */
  hidden?: string;
}

export interface PlanInput {
  linkId: string;
  now: Date;
  policy: LinkPolicy;
  /** Agreements of every item that may need an action (the collector leaves out items unchanged on both sides). */
  agreements: Agreement[];
  /** How many items the link has in sync in all (for the guards); defaults to agreements.length. */
  linkedCount?: number;
  /** The hub fields the link's mapper models (core/fields/holds.ts); merges and hashes compare only these. */
  holds?: Holds;
  /** The writes the link's external kind can take (its connector's manifest); absent: all. */
  can?: { create: boolean; update: boolean; delete: boolean };
  /**
   * The mapper's identity is a name, not a key (Mapper.identityIsName): remote records that
   * share it are records of their own, and it adopts only one remote record and one hub record.
   */
  identityIsName?: boolean;
  /**
   * The scope's locked periods, given for links whose hub kind is `timeEntry`: no action
   * writes the hub for a locked entry (core/planner-locks.ts). Absent: nothing is locked.
   */
  locks?: PeriodLocks;
  /** The remote as a person names it (the connection), for the messages of locked entries. */
  system?: string;
  ext: {
    mode: 'full' | 'delta';
    complete: boolean;
    /** Full mode: every id listed. */
    present: ReadonlySet<string>;
    /** Delta mode: ids the remote reported deleted. */
    removed: ReadonlySet<string>;
    fetched: ExtView[];
    failed: { extId: string; message: string; code: string }[];
  };
  hub: {
    /** Hub records changed since the link's cursor (or the whole scope on a reconcile). */
    changed: HubView[];
    /** Live hub records whose identity equals that of a new external item. */
    candidates: HubView[];
  };
}

type HubState = 'unchanged' | 'touched' | 'changed' | 'deleted';
type ExtState = 'unchanged' | 'touched' | 'changed' | 'deleted';

function hubStateOf(ag: Agreement, h: HubView | undefined): HubState {
  if (!h || h.version === ag.hubVersion) return 'unchanged';
  if (h.tombstone) return 'deleted';
  return h.hash === ag.hubHash ? 'touched' : 'changed';
}

function extStateOf(ag: Agreement, e: ExtView | undefined, deleted: boolean): ExtState {
  if (deleted) return 'deleted';
  if (!e || !e.mapped.ok) return 'unchanged';
  // An empty extHash means "what the engine wrote, not read back yet": content equal to
  // the agreed hub content is that write, not a change.
  const agreed = ag.extHash === '' ? ag.hubHash : ag.extHash;
  return e.mapped.hash === agreed ? 'touched' : 'changed';
}

interface Ctx {
  input: PlanInput;
  actions: Action[];
}

function act(ctx: Ctx, a: Omit<Action, 'label'> & { label?: string }): void {
  const action = { ...a, label: a.label ?? a.extId ?? a.hubId ?? '' };
  const refused = refusedWrite(ctx.input.can, action);
  ctx.actions.push(
    refused ? { ...action, op: 'unsupported', reason: `${action.reason}; not written: this kind of item ${refused} here (the connector's manifest)` } : action,
  );
}

/** The external write an action needs that the link's kind cannot take, in words; null when it can (or writes nothing outside). */
function refusedWrite(can: PlanInput['can'], a: Action): string | null {
  if (!can) return null;
  if (a.op === 'push-create' && !can.create) return 'cannot be created';
  if (a.op === 'push-delete' && !can.delete) return 'cannot be deleted';
  if ((a.op === 'push-update' || ((a.op === 'merge' || a.op === 'adopt') && a.writeExt)) && !can.update) return 'cannot be changed';
  return null;
}

const ONE_WAY = 'this link is a one-way copy (direction: mirror)';

/** Both sides known through an agreement: the decision table of architecture.md §3. */
function decideLinked(ctx: Ctx, ag: Agreement, h: HubView | undefined, e: ExtView | undefined, extDeleted: boolean): void {
  const { policy } = ctx.input;
  const hs = hubStateOf(ag, h),
    es = extStateOf(ag, e, extDeleted);
  const base = { hubId: ag.hubId, extId: ag.extId, hubVersion: h?.version ?? ag.hubVersion, extEtag: e?.etag ?? ag.extEtag };
  const label = (e?.mapped.ok ? e.mapped.label : undefined) ?? h?.label ?? ag.extId;
  const hubChanged = hs === 'changed',
    extChanged = es === 'changed';

  if (hs === 'deleted' && es === 'deleted') return act(ctx, { ...base, label, op: 'forget', reason: 'deleted on both sides' });
  if (hs === 'deleted') {
    if (extChanged && canPull(policy))
      return act(ctx, { ...base, label, op: 'pull-update', reason: 'deleted in hub but changed externally: the change wins, hub record restored' });
    if (!policy.deletes.toExternal || !canPush(policy)) return;
    return act(ctx, { ...base, label, op: 'push-delete', reason: 'deleted in hub' });
  }
  if (es === 'deleted') {
    if (restores(policy)) return act(ctx, { ...base, label, op: 'push-create', reason: `deleted externally; created again from the hub: ${ONE_WAY}` });
    if (hubChanged && canPush(policy))
      return act(ctx, { ...base, label, op: 'push-create', reason: 'deleted externally but changed in hub: the change wins, recreated' });
    if (!policy.deletes.toHub || !canPull(policy))
      return act(ctx, { ...base, label, op: 'forget', reason: 'deleted externally; delete policy keeps the hub record' });
    return act(ctx, { ...base, label, op: 'pull-delete', reason: 'deleted externally' });
  }
  if (extChanged && restores(policy)) {
    return act(ctx, { ...base, label, op: 'push-update', reason: `changed externally${hubChanged ? ' and in hub' : ''}; restored from the hub: ${ONE_WAY}` });
  }
  if (hubChanged && extChanged) return decideBothChanged(ctx, ag, h!, e!, label);
  if (hubChanged && canPush(policy)) return act(ctx, { ...base, label, op: 'push-update', reason: 'changed in hub' });
  if (extChanged && canPull(policy)) return act(ctx, { ...base, label, op: 'pull-update', reason: 'changed externally' });
  if (hs === 'touched' || es === 'touched') {
    act(ctx, { ...base, label, op: 'record', reason: 'version moved without a content change' });
  }
}

function decideBothChanged(ctx: Ctx, ag: Agreement, h: HubView, e: ExtView, label: string): void {
  if (!e.mapped.ok) return;
  const base = { hubId: ag.hubId, extId: ag.extId, hubVersion: h.version, extEtag: e.etag, label };
  if (e.mapped.hash === h.hash) return act(ctx, { ...base, op: 'record', reason: 'changed on both sides to the same content' });
  mergeInto(ctx, base, ag.base, h, e, 'merge', 'changed on both sides');
}

function mergeInto(
  ctx: Ctx,
  base: Pick<Action, 'hubId' | 'extId' | 'hubVersion' | 'extEtag' | 'label'>,
  agreed: Fields | null,
  h: HubView,
  e: ExtView,
  op: 'merge' | 'adopt',
  why: string,
): void {
  if (!e.mapped.ok) return;
  const { policy } = ctx.input;
  const { holds } = ctx.input;
  const m = threeWayMerge({
    base: agreed && projectFields(agreed, holds),
    hub: projectFields(h.fields, holds),
    ext: projectFields(e.mapped.fields, holds),
    owners: policy.fieldOwners,
    policy: policy.conflict,
    hubUpdatedAt: h.updatedAt,
    extModifiedAt: e.modifiedAt,
  });
  if (m.flagged) {
    return act(ctx, {
      ...base,
      op: 'conflict',
      fields: m.contested,
      reason: `${why}; fields ${m.contested.join(', ')} differ and the policy is keep-both: flagged, nothing written`,
    });
  }
  const writeHub = m.changedForHub.length > 0 && canPull(policy);
  const writeExt = m.changedForExt.length > 0 && canPush(policy);
  const decided = m.contested.map((f) => `${f}→${m.decisions[f]}`).join(', ');
  act(ctx, {
    ...base,
    op,
    merged: m.fields,
    writeHub,
    writeExt,
    fields: [...new Set([...m.changedForHub, ...m.changedForExt])],
    reason: m.contested.length ? `${why}; merged field by field (${decided})` : `${why}; merged field by field, no field contested`,
  });
}

/** An item the mapper says is not the link's to keep: an external delete (hub id null, as for externalOnly: delete) when pushing deletes is allowed. */
function planRemoval(ctx: Ctx, e: ExtView, why: string, ag: Agreement | undefined): void {
  const { policy } = ctx.input;
  const base = { extId: e.extId, extEtag: e.etag, hubVersion: ag?.hubVersion ?? 0, label: e.extId };
  // A linked item is the hub's: never deleted this way (the mapper should not say so of one).
  if (!ag && canPush(policy) && policy.deletes.toExternal) return act(ctx, { ...base, hubId: null, op: 'push-delete', reason: why });
  act(ctx, {
    ...base,
    hubId: ag?.hubId ?? null,
    op: 'error',
    reason: 'could not remove the external item',
    error: {
      code: 'ITEM_UNPARSABLE',
      message: `${e.extId}: ${why}; but the link ${ag ? 'has it linked to a hub record' : 'may not delete external items (direction pull or deletes.toExternal: false)'}, so it was left in place`,
    },
  });
}

function planNewExternal(ctx: Ctx, items: ExtView[], claimed: Set<string>, linkedByHub: Map<string, Agreement>, present: (id: string) => boolean): void {
  const { input } = ctx;
  const byIdentity = new Map<string, ExtView[]>();
  for (const e of items) {
    if (!e.mapped.ok) continue;
    const key = e.mapped.identity;
    if (key === null) continue;
    byIdentity.set(key, [...(byIdentity.get(key) ?? []), e]);
  }
  const candidates = new Map<string, HubView>();
  const sharedByHub = new Set<string>();
  for (const c of input.hub.candidates) {
    if (c.identity === null || c.tombstone) continue;
    if (candidates.has(c.identity) && candidates.get(c.identity)!.id !== c.id) sharedByHub.add(c.identity);
    candidates.set(c.identity, c);
  }
  const byName = input.identityIsName === true;

  for (const e of items) {
    if (!e.mapped.ok) continue;
    const { identity, label } = e.mapped;
    const base = { extId: e.extId, extEtag: e.etag, hubVersion: 0, label };
    const twins = identity === null ? [] : (byIdentity.get(identity) ?? []);
    if (twins.length > 1 && !byName) {
      const names = twins.map((t) => t.extId).join(' and ');
      act(ctx, {
        ...base,
        hubId: null,
        op: 'error',
        reason: 'duplicate identity',
        error: {
          code: 'ITEM_DUPLICATE_IDENTITY',
          message: `${names} both have the identity ${identity}; keep one of them (delete or change the other) and sync again`,
        },
      });
      continue;
    }
    // A name shared by two remote records, or by two hub records, picks no partner: each remote record becomes its own.
    const ambiguous = byName && identity !== null && (twins.length > 1 || sharedByHub.has(identity));
    const cand = identity === null || ambiguous ? undefined : candidates.get(identity);
    const holder = cand ? linkedByHub.get(cand.id) : undefined;
    if (cand && holder && holder.extId !== e.extId && present(holder.extId) && !byName) {
      act(ctx, {
        ...base,
        hubId: cand.id,
        op: 'error',
        reason: 'duplicate identity',
        error: {
          code: 'ITEM_DUPLICATE_IDENTITY',
          message: `${e.extId} has the same identity ${identity} as ${holder.extId}, which is already synced; keep one of them and sync again`,
        },
      });
      continue;
    }
    if (cand && !holder && !claimed.has(cand.id)) {
      claimed.add(cand.id);
      if (cand.hash === e.mapped.hash) {
        act(ctx, {
          ...base,
          hubId: cand.id,
          hubVersion: cand.version,
          op: 'adopt',
          writeHub: false,
          writeExt: false,
          reason: `same identity ${identity} already in the hub with equal content: linked, not duplicated`,
        });
      } else {
        mergeInto(
          ctx,
          { ...base, hubId: cand.id, hubVersion: cand.version },
          null,
          cand,
          e,
          'adopt',
          `same identity ${identity} already in the hub: linked, not duplicated`,
        );
      }
      continue;
    }
    if (input.policy.externalOnly === 'delete') {
      if (canPush(input.policy) && input.policy.deletes.toExternal) {
        act(ctx, { ...base, hubId: null, op: 'push-delete', reason: 'only in the external system, and the hub is authoritative (externalOnly: delete)' });
      }
      continue;
    }
    if (canPull(input.policy)) act(ctx, { ...base, hubId: null, op: 'pull-create', reason: 'new externally' });
  }
}

/** What the locked-period pass reads of the input: each hub record as it is now (else as agreed), each read external item's fields. */
function lockLookup(input: PlanInput, hubById: Map<string, HubView>, agByHub: ReadonlyMap<string, Agreement>): LockLookup {
  const candidates = new Map(input.hub.candidates.map((c) => [c.id, c]));
  const extById = new Map(input.ext.fetched.map((e) => [e.extId, e]));
  return {
    locks: input.locks ?? new Set(),
    policy: input.policy,
    can: input.can,
    system: input.system ?? 'the other system',
    hub: (id) => {
      const h = hubById.get(id) ?? candidates.get(id);
      if (h) return { fields: h.fields, tombstone: h.tombstone };
      const ag = agByHub.get(id);
      return ag ? { fields: ag.base, tombstone: false } : null;
    },
    ext: (id) => {
      const m = extById.get(id)?.mapped;
      return m?.ok ? m.fields : null;
    },
  };
}

interface AgreementIndex {
  byExt: Map<string, Agreement>;
  byHub: Map<string, Agreement>;
  /** Agreements whose external item is gone (not in a complete full listing, or removed in a delta), in agreement order. */
  gone: Agreement[];
}

/**
 * The agreements the plan looks up by id, and those whose external item is gone, found in one
 * pass. Only ids this run read, failed to read, changed or may adopt are ever looked up, so the
 * maps hold those instead of every agreement: with 1M status rows, filling two maps of 1M was
 * most of plan()'s time and all of its garbage. Where ids repeat, the last agreement wins, as a
 * map filled in agreement order would have it.
 */
function indexAgreements(input: PlanInput): AgreementIndex {
  const wantExt = new Set<string>();
  for (const f of input.ext.failed) wantExt.add(f.extId);
  for (const e of input.ext.fetched) wantExt.add(e.extId);
  const wantHub = new Set<string>();
  for (const h of input.hub.changed) wantHub.add(h.id);
  for (const c of input.hub.candidates) wantHub.add(c.id);
  const { mode, complete, present, removed } = input.ext;
  // A partial full listing says nothing is gone, and neither does a delta that names no removal.
  const listed = mode === 'full' && complete ? present : null;
  const dropped = mode === 'delta' && removed.size > 0 ? removed : null;
  const index: AgreementIndex = { byExt: new Map(), byHub: new Map(), gone: [] };
  scanAgreements(input.agreements, listed, dropped, wantExt.size ? wantExt : null, wantHub.size ? wantHub : null, index);
  return index;
}

/** The hot loop of indexAgreements, on its own and indexed so it is optimised once and allocates nothing per row. */
function scanAgreements(
  agreements: Agreement[],
  listed: ReadonlySet<string> | null,
  dropped: ReadonlySet<string> | null,
  wantExt: Set<string> | null,
  wantHub: Set<string> | null,
  into: AgreementIndex,
): void {
  const { byExt, byHub, gone } = into;
  for (let i = 0, n = agreements.length; i < n; i++) {
    const a = agreements[i]!;
    const extId = a.extId;
    if (listed !== null ? !listed.has(extId) : dropped !== null && dropped.has(extId)) gone.push(a);
    if (wantExt !== null && wantExt.has(extId)) byExt.set(extId, a);
    if (wantHub !== null && wantHub.has(a.hubId)) byHub.set(a.hubId, a);
  }
}

/** `known` plus the agreements of the actions' hub ids it lacks (last one wins), for the locked-period pass. */
function withActionAgreements(agreements: Agreement[], known: Map<string, Agreement>, actions: Action[]): Map<string, Agreement> {
  const missing = new Set<string>();
  for (const a of actions) if (a.hubId !== null && !known.has(a.hubId)) missing.add(a.hubId);
  if (missing.size === 0) return known;
  const all = new Map(known);
  for (const a of agreements) if (missing.has(a.hubId)) all.set(a.hubId, a);
  return all;
}

export function plan(input: PlanInput): Plan {
  const ctx: Ctx = { input, actions: [] };
  const { ext } = input;
  const isPresent = (extId: string) => (ext.mode === 'full' ? ext.present.has(extId) || !ext.complete : !ext.removed.has(extId));
  const { byExt: agByExt, byHub: agByHub, gone } = indexAgreements(input);
  const hubById = new Map<string, HubView>();
  for (const h of input.hub.changed) hubById.set(h.id, h);
  const handledHub = new Set<string>();
  const fresh: ExtView[] = [];

  for (const f of ext.failed) {
    const ag = agByExt.get(f.extId);
    if (ag) handledHub.add(ag.hubId);
    act(ctx, {
      op: 'error',
      hubId: ag?.hubId ?? null,
      extId: f.extId,
      hubVersion: ag?.hubVersion ?? 0,
      extEtag: null,
      reason: 'could not read the external item',
      error: { code: f.code, message: f.message },
    });
  }
  for (const e of ext.fetched) {
    const ag = agByExt.get(e.extId);
    if (!e.mapped.ok && 'error' in e.mapped) {
      if (ag) handledHub.add(ag.hubId);
      act(ctx, {
        op: 'error',
        hubId: ag?.hubId ?? null,
        extId: e.extId,
        hubVersion: ag?.hubVersion ?? 0,
        extEtag: e.etag,
        reason: 'could not map the external item',
        error: { code: e.mapped.code ?? 'ITEM_UNPARSABLE', message: `${e.extId}: ${e.mapped.error}` },
      });
      continue;
    }
    if (!e.mapped.ok && 'remove' in e.mapped) {
      if (ag) handledHub.add(ag.hubId);
      planRemoval(ctx, e, e.mapped.remove, ag);
      continue;
    }
    if (!ag) {
      fresh.push(e);
      continue;
    }
    handledHub.add(ag.hubId);
    if (!e.mapped.ok) continue; // now skipped by the mapper: leave both sides as they are
    decideLinked(ctx, ag, hubById.get(ag.hubId), e, false);
  }
  for (const ag of gone) {
    if (handledHub.has(ag.hubId)) continue;
    handledHub.add(ag.hubId);
    decideLinked(ctx, ag, hubById.get(ag.hubId), undefined, true);
  }
  const claimed = new Set<string>();
  if (fresh.length)
    planNewExternal(
      ctx,
      fresh.sort((a, b) => (a.extId < b.extId ? -1 : 1)),
      claimed,
      agByHub,
      isPresent,
    );
  for (const h of input.hub.changed) {
    if (handledHub.has(h.id) || claimed.has(h.id)) continue;
    const ag = agByHub.get(h.id);
    if (ag) {
      decideLinked(ctx, ag, h, undefined, false);
      continue;
    }
    if (!h.tombstone && h.hidden === undefined && canPush(input.policy)) {
      act(ctx, { op: 'push-create', hubId: h.id, extId: null, hubVersion: h.version, extEtag: null, label: h.label, reason: 'new in hub' });
    }
  }
  const actions = input.locks
    ? holdLockedPeriods(ctx.actions, lockLookup(input, hubById, withActionAgreements(input.agreements, agByHub, ctx.actions)))
    : ctx.actions;
  const guard = checkGuards(
    actions,
    input.linkedCount ?? input.agreements.length,
    ext.mode === 'full' && ext.complete ? ext.present.size : null,
    input.policy.guard,
  );
  return {
    linkId: input.linkId,
    createdAt: input.now.toISOString(),
    actions,
    counts: countActions(actions),
    guard,
    partialListing: !ext.complete,
  };
}
