/**
 * Collect both sides of one link for the planner: the external listing (fetching only
 * items whose etag moved), the hub records changed since the link's cursor, and adoption
 * candidates for new external items.
 */
import { isItemFailure, type ExternalItem, type ListRequest, type Listing } from '../connectors/kit/connector.js';
import { describeError } from '../core/errors.js';
import { projectFields } from '../core/fields/holds.js';
import { contentHash } from '../core/hash.js';
import type { Fields, HubChange, HubRecord, RecordKind } from '../core/model.js';
import type { ExtView, HubView, Mapped, PlanInput } from '../core/planner.js';
import type { LinkState, LossRow, RunWarning, StatusKey, StatusRow } from '../store/types.js';
import { bookNewItems } from './booking.js';
import { refsDigest } from './listing-digest.js';
import { lossesByExt, readThroughLosses } from './losses.js';
import { planLocks } from './period-locks.js';
import type { LinkSpec, RunDeps } from './types.js';

export interface Collected<E> {
  input: PlanInput;
  listing: Listing;
  /** The digest of `listing.refs` when this run was given it or compared it with the stored one; null when not computed. */
  digest: string | null;
  /** Fetched external data by id (toExternal may want the previous item). */
  extData: Map<string, ExtView & { data: E }>;
  hubViews: Map<string, HubView>;
  /** Change-log head when the hub was read, and the first seq each record changed at. */
  hubHead: number;
  firstSeq: Map<string, number>;
  hubCursor: number;
  status: StatusRow[];
  /** The digest proved nothing changed outside and in the hub: nothing was loaded. */
  provenUnchanged: boolean;
  /** What the read-by-id check of items missing from a full listing found. */
  evidence: DeletionEvidence;
  /** What connectors said about items they read (ExternalItem.warnings), for the run record. */
  warnings: RunWarning[];
  /** The link's write-loss records by external id, and the hub ids they are on. */
  losses: Map<string, LossRow>;
  lossHubIds: Set<string>;
  /** Loss records that changed as items were read (a lost field edited on the remote since): committed with the run. */
  lossUpdates: LossRow[];
  /** New external items a booking rule booked: external id → rule name (runtime/booking.ts). */
  booked: Map<string, string>;
  /** Items read by id to be written back (Mapped.writeBack), unchanged since: toExternal's `previous`, so what the hub does not model stays. */
  previousItems?: Map<string, E>;
}

/**
 * Items missing from a complete full listing are deleted only when a read by id says
 * they are gone. `confirmed` were gone; `missedByListing` were there after all (the
 * listing skipped them: a shifted or short page); the rest could not be read and wait.
 */
export interface DeletionEvidence {
  checked: number;
  confirmed: number;
  missedByListing: number;
}

export const NO_EVIDENCE: DeletionEvidence = { checked: 0, confirmed: 0, missedByListing: 0 };

/** A hub record as this link sees it: all its fields, hashed over those the link's mapper holds. */
export function toHubView<E>(link: LinkSpec<E>, r: HubRecord): HubView {
  const hidden = r.tombstone ? null : (link.mapper.shows?.(r.fields) ?? null);
  return {
    id: r.id,
    version: r.version,
    fields: r.fields,
    identity: r.identity,
    hash: contentHash(projectFields(r.fields, link.mapper.holds)),
    tombstone: r.tombstone,
    updatedAt: r.updatedAt,
    label: r.tombstone ? r.id : link.mapper.label(r.fields),
    ...(hidden !== null ? { hidden } : {}),
  };
}

/** `linked`: the fields of the hub record the item is linked to, for mappers that read it (`readsLinkedRecord`). */
export function mapItem<E>(link: LinkSpec<E>, item: ExternalItem<E>, now: Date, linked: Fields | null = null): ExtView & { data: E } {
  let mapped: Mapped;
  try {
    const ctx = { now, link: link.name, ...(link.refs ? { refs: link.refs } : {}), ...(link.mapper.readsLinkedRecord ? { linked } : {}) };
    const r = link.mapper.toHub(item.data, ctx);
    if (r.ok) {
      // The whole mapping creates a record; only what the mapper holds is compared and written over an existing one.
      const fields = r.value.fields;
      const hash = contentHash(projectFields(fields, link.mapper.holds));
      mapped = { ok: true, fields, identity: r.value.identity, hash, label: link.mapper.label(fields), ...(r.value.writeBack ? { writeBack: true } : {}) };
    } else {
      mapped =
        'skip' in r
          ? { ok: false, skip: r.skip }
          : 'remove' in r
            ? { ok: false, remove: r.remove }
            : { ok: false, error: r.error, ...(r.code ? { code: r.code } : {}) };
    }
  } catch (err) {
    mapped = { ok: false, error: `the mapper failed: ${describeError(err).message}` };
  }
  return { extId: item.id, etag: item.etag, modifiedAt: item.modifiedAt, mapped, data: item.data };
}

/** The fields of the linked hub records, by hub id, when the link's mapper reads them (`readsLinkedRecord`); otherwise none. */
export async function linkedFields<E>(link: LinkSpec<E>, deps: RunDeps, hubIds: (string | undefined)[]): Promise<Map<string, Fields>> {
  const ids = hubIds.filter((id): id is string => id !== undefined);
  if (!link.mapper.readsLinkedRecord || !ids.length) return new Map();
  return new Map((await deps.store.getRecords(ids)).filter((r) => !r.tombstone).map((r) => [r.id, r.fields]));
}

/** The connector's warnings about a fetched item, labelled like its errors. */
export function warningsOf<E>(item: ExternalItem<E>, view: ExtView): RunWarning[] {
  const label = view.mapped.ok ? view.mapped.label : item.id;
  return (item.warnings ?? []).map((message) => ({ id: item.id, label, message }));
}

async function collectExternal<E>(link: LinkSpec<E>, deps: RunDeps, statusByExt: Map<string, StatusKey>, listing: Listing) {
  const outside = new Set(listing.outsideWindow);
  // New items outside the window are left unread; linked ones are always followed.
  const toFetch = listing.refs
    .filter((r) => {
      const known = statusByExt.get(r.id);
      return known ? known.extEtag !== r.etag : !outside.has(r.id);
    })
    .map((r) => r.id);
  const extData = new Map<string, ExtView & { data: E }>();
  const warnings: RunWarning[] = [];
  const failed = listing.failures.map((f) => ({ extId: f.id, code: f.error.code, message: f.error.message }));
  const now = deps.clock();
  const size = Math.max(1, link.connector.manifest.batchSize);
  for (let i = 0; i < toFetch.length; i += size) {
    const batch = toFetch.slice(i, i + size);
    const got = await link.connector.get(batch);
    const linked = await linkedFields(
      link,
      deps,
      batch.map((id) => statusByExt.get(id)?.hubId),
    );
    for (const g of got) {
      if (isItemFailure(g)) failed.push({ extId: g.id, code: g.error.code, message: g.error.message });
      else {
        const view = mapItem(link, g, now, linked.get(statusByExt.get(g.id)?.hubId ?? '') ?? null);
        extData.set(g.id, view);
        warnings.push(...warningsOf(g, view));
      }
    }
    deps.onProgress?.({ link: link.name, phase: 'fetch', done: Math.min(i + size, toFetch.length), total: toFetch.length });
  }
  return { extData, failed, warnings };
}

async function collectHub<E>(
  link: LinkSpec<E>,
  deps: RunDeps,
  cursor: number,
  full: boolean,
  statusOf: (hubId: string) => StatusKey | undefined,
  read: HubRead | null,
) {
  // One head bounds one read: a commit after the head is left for the next run, never skipped.
  const hubHead = read?.head ?? (await deps.store.headSeq());
  const firstSeq = new Map<string, number>();
  let records: HubRecord[];
  if (full || cursor === 0) {
    records = await deps.store.listScope(link.scope, link.kind);
  } else {
    const changes = read?.changes ?? (await deps.store.changesSince(link.scope, link.kind, cursor));
    const latest = new Map<string, HubChange>();
    for (const c of changes) {
      if (c.seq > hubHead) continue;
      if (!firstSeq.has(c.recordId)) firstSeq.set(c.recordId, c.seq);
      latest.set(c.recordId, c);
    }
    // This link's own writes, already agreed in its status rows, are echoes: skip loading them.
    const wanted = [...latest.values()].filter((c) => !(c.origin === link.id && statusOf(c.recordId)?.hubVersion === c.version)).map((c) => c.recordId);
    records = await deps.store.getRecords(wanted);
  }
  const hubViews = new Map(records.map((r) => [r.id, toHubView(link, r)]));
  return { hubHead, firstSeq, hubViews, wholeScope: full || cursor === 0 };
}

/** The link state and listing a run has already read (and the listing's digest, when a clean run of the same sync left it). */
export interface ReadListing {
  state: LinkState;
  listing: Listing;
  digest?: string;
}

/** A run's listing, with the digest of its refs when the run has it. */
interface Listed {
  listing: Listing;
  digest: string | null;
}

/** Change-log entries after the link's cursor, read under one head. */
interface HubRead {
  head: number;
  changes: HubChange[];
}

/**
 * What the listing says is there and what it says is gone, computed once per run. In a
 * full listing, absence is only a suspicion until `confirmDeletions` has read the item.
 */
export interface ExtSide {
  present: Set<string>;
  removed: Set<string>;
  gone(extId: string): boolean;
}

export function extSide(listing: Listing): ExtSide {
  const present = new Set(listing.mode === 'full' ? listing.refs.map((r) => r.id) : []);
  const removed = new Set(listing.removed);
  // A partial full listing never says an item is gone; a delta listing's removals come from the remote's own feed.
  const gone = listing.mode === 'full' ? (id: string) => listing.complete && !present.has(id) : (id: string) => removed.has(id);
  return { present, removed, gone };
}

/** A listing whose digest says something: whole, full and read without failures. */
function digestible(listing: Listing): boolean {
  return listing.mode === 'full' && listing.complete && !listing.failures.length;
}

export function windowAt(w: LinkSpec['window'], now: Date): ListRequest['window'] {
  if (!w) return null;
  const day = 86_400_000;
  return {
    start: new Date(now.getTime() - w.pastDays * day).toISOString(),
    end: new Date(now.getTime() + w.futureDays * day).toISOString(),
  };
}

export async function collect<E>(
  link: LinkSpec<E>,
  deps: RunDeps,
  full: boolean,
  priorDigest: string | null = null,
  window?: ListRequest['window'],
  only?: string[],
  read?: ReadListing,
): Promise<Collected<E>> {
  const state = read?.state ?? (await deps.store.getLinkState(link.id));
  if (!read) deps.onProgress?.({ link: link.name, phase: 'list', done: 0, total: 0 });
  const listed = read?.listing ?? (await listExternal(link, deps, state, full, window));
  // A run for some items: the rest of the listing is present and left unread, as outside a window.
  const wanted = only && new Set(only);
  const listing = wanted ? { ...listed, outsideWindow: listed.refs.filter((r) => !wanted.has(r.id)).map((r) => r.id) } : listed;
  const side = extSide(listing);
  // Compared with the stored digest only when a match could spare work.
  const digest = read?.digest ?? (!full && state.hubCursor !== 0 && priorDigest && digestible(listing) ? refsDigest(listing.refs) : null);
  if (full || state.hubCursor === 0 || !priorDigest || digest !== priorDigest || !digestible(listing)) {
    return collectAll(link, deps, full, state, { listing, digest }, side, null);
  }
  // The external side is as the last clean run left it: with no hub change either, there is
  // nothing to plan and no status row is read; otherwise the changes read here are reused.
  const head = await deps.store.headSeq();
  const changes = (await deps.store.changesSince(link.scope, link.kind, state.hubCursor)).filter((c) => c.seq <= head);
  return changes.length
    ? collectHubSide(link, deps, state, { listing, digest }, side, { head, changes })
    : unchanged(link, deps, state, { listing, digest }, side);
}

/** The external listing for one run. */
export function listExternal<E>(link: LinkSpec<E>, deps: RunDeps, state: LinkState, full: boolean, window?: ListRequest['window']): Promise<Listing> {
  return link.connector.list({ cursor: full ? null : state.extCursor, window: window ?? windowAt(link.window, deps.clock()) });
}

/** The external side is as the last clean run left it and the hub did not change: nothing to plan, and no status row is read. */
function unchanged<E>(link: LinkSpec<E>, deps: RunDeps, state: LinkState, listed: Listed, side: ExtSide): Promise<Collected<E>> {
  return assemble(link, deps, state, listed, side, {
    status: [],
    linkedCount: listed.listing.refs.length,
    ext: { extData: new Map(), failed: [], warnings: [] },
    evidence: NO_EVIDENCE,
    hub: { hubViews: new Map(), hubHead: state.hubCursor, firstSeq: new Map() },
    candidates: [],
    losses: new Map(),
    lossUpdates: [],
    booking: { booked: new Map(), warnings: [] },
    provenUnchanged: true,
  });
}

/**
 * Read by id every linked item a complete full listing left out. Only a `not_found`
 * answer confirms a deletion; an item that is there after all was skipped by the listing
 * (a short or shifted page) and is planned as fetched; one that cannot be read fails alone.
 */
async function confirmDeletions<E>(
  link: LinkSpec<E>,
  deps: RunDeps,
  index: StatusKey[],
  side: ExtSide,
  ext: { extData: Map<string, ExtView & { data: E }>; failed: PlanInput['ext']['failed']; warnings: RunWarning[] },
): Promise<DeletionEvidence> {
  const agreed = new Map(index.filter((k) => side.gone(k.extId) && !ext.extData.has(k.extId)).map((k) => [k.extId, k]));
  const suspects = [...agreed.keys()];
  if (!suspects.length) return NO_EVIDENCE;
  const evidence = { checked: suspects.length, confirmed: 0, missedByListing: 0 };
  const now = deps.clock();
  const size = Math.max(1, link.connector.manifest.batchSize);
  for (let i = 0; i < suspects.length; i += size) {
    const batch = suspects.slice(i, i + size);
    const answered = new Set<string>();
    const linked = await linkedFields(
      link,
      deps,
      batch.map((id) => agreed.get(id)?.hubId),
    );
    for (const g of await link.connector.get(batch)) {
      answered.add(g.id);
      if (isItemFailure(g)) {
        if (g.error.kind === 'not_found') {
          evidence.confirmed++;
          continue;
        }
        side.present.add(g.id);
        ext.failed.push({
          extId: g.id,
          code: g.error.code,
          message: `${g.error.message} (it was missing from the listing; it is not taken as deleted until a read says it is gone)`,
        });
      } else {
        side.present.add(g.id);
        evidence.missedByListing++;
        // Planned like a listed item: looked at only when it changed since the agreement.
        if (g.etag !== agreed.get(g.id)?.extEtag) {
          const view = mapItem(link, g, now, linked.get(agreed.get(g.id)?.hubId ?? '') ?? null);
          ext.extData.set(g.id, view);
          ext.warnings.push(...warningsOf(g, view));
        }
      }
    }
    // A connector that answers nothing for an id has not said it is gone.
    for (const id of batch) {
      if (answered.has(id)) continue;
      side.present.add(id);
      ext.failed.push({
        extId: id,
        code: 'CONNECTOR_BUG',
        message: `${id} was missing from the listing and the read by id did not answer for it; it is not taken as deleted`,
      });
    }
    deps.onProgress?.({ link: link.name, phase: 'confirm', done: Math.min(i + size, suspects.length), total: suspects.length });
  }
  return evidence;
}

/**
 * The external side is as the last clean run left it (same listing digest) and only the hub
 * changed: nothing outside is fetched, confirmed or adopted, so only the status rows of the
 * changed records are read, not the link's whole status index.
 */
async function collectHubSide<E>(link: LinkSpec<E>, deps: RunDeps, state: LinkState, listed: Listed, side: ExtSide, read: HubRead): Promise<Collected<E>> {
  const changedIds = [...new Set(read.changes.map((c) => c.recordId))];
  const rows = await deps.store.getStatus(link.id, changedIds);
  const byHub = new Map<string, StatusKey>(rows.map((r) => [r.hubId, r]));
  deps.onProgress?.({ link: link.name, phase: 'read-hub', done: 0, total: 0 });
  const hub = await collectHub(link, deps, state.hubCursor, false, (id) => byHub.get(id), read);
  const status = rows.filter((r) => hub.hubViews.has(r.hubId));
  return assemble(link, deps, state, listed, side, {
    status,
    linkedCount: await deps.store.countStatus(link.id),
    ext: { extData: new Map(), failed: [], warnings: [] },
    evidence: NO_EVIDENCE,
    hub,
    candidates: [],
    losses: lossesByExt(status.length ? await deps.store.listLosses(link.id) : []),
    lossUpdates: [],
    booking: { booked: new Map(), warnings: [] },
  });
}

/** What a collection found, as the planner's input and the run's collection. */
async function assemble<E>(
  link: LinkSpec<E>,
  deps: RunDeps,
  state: LinkState,
  { listing, digest }: Listed,
  side: ExtSide,
  found: {
    status: StatusRow[];
    linkedCount: number;
    ext: { extData: Map<string, ExtView & { data: E }>; failed: PlanInput['ext']['failed']; warnings: RunWarning[] };
    evidence: DeletionEvidence;
    hub: { hubViews: Map<string, HubView>; hubHead: number; firstSeq: Map<string, number> };
    candidates: HubView[];
    losses: Map<string, LossRow>;
    lossUpdates: LossRow[];
    booking: { booked: Map<string, string>; warnings: RunWarning[] };
    /** The digest proved nothing changed on either side (`Collected.provenUnchanged`). */
    provenUnchanged?: boolean;
  },
): Promise<Collected<E>> {
  const { status, ext, hub, losses } = found;
  const previousItems = await writeBackItems(link, status, hub.hubViews, ext.extData);
  const input: PlanInput = {
    linkId: link.id,
    now: deps.clock(),
    policy: link.policy,
    agreements: status,
    linkedCount: found.linkedCount,
    holds: link.mapper.holds,
    ...(link.can ? { can: link.can } : {}),
    ...(link.mapper.identityIsName ? { identityIsName: true } : {}),
    ...(await planLocks(link, deps)),
    ext: {
      mode: listing.mode,
      complete: listing.complete,
      present: side.present,
      removed: side.removed,
      fetched: [...ext.extData.values()],
      failed: ext.failed,
    },
    hub: { changed: [...hub.hubViews.values()], candidates: found.candidates },
  };
  return {
    input,
    listing,
    digest,
    extData: ext.extData,
    hubViews: hub.hubViews,
    hubHead: hub.hubHead,
    firstSeq: hub.firstSeq,
    hubCursor: state.hubCursor,
    status,
    provenUnchanged: found.provenUnchanged ?? false,
    evidence: found.evidence,
    warnings: [...ext.warnings, ...found.booking.warnings],
    losses,
    lossHubIds: new Set([...losses.values()].map((l) => l.hubId)),
    lossUpdates: found.lossUpdates,
    booked: found.booking.booked,
    ...(previousItems.size ? { previousItems } : {}),
  };
}

async function collectAll<E>(
  link: LinkSpec<E>,
  deps: RunDeps,
  full: boolean,
  state: LinkState,
  listed: Listed,
  side: ExtSide,
  read: HubRead | null,
): Promise<Collected<E>> {
  const { listing } = listed;
  const index = await deps.store.loadStatusIndex(link.id);
  const byExt = new Map(index.map((k) => [k.extId, k]));
  // By hub id only when a hub change or an adoption candidate asks: most runs with a changed listing have neither.
  let byHubMap: Map<string, StatusKey> | null = null;
  const byHub = (hubId: string) => (byHubMap ??= new Map(index.map((k) => [k.hubId, k]))).get(hubId);
  const ext = await collectExternal(link, deps, byExt, listing);
  const evidence = listing.mode === 'full' && listing.complete ? await confirmDeletions(link, deps, index, side, ext) : NO_EVIDENCE;
  // A value the remote lost on a write is not an edit: read items keep what was sent.
  const losses = lossesByExt(index.length ? await deps.store.listLosses(link.id) : []);
  const lossUpdates = readThroughLosses(link, ext.extData, losses);
  // New time entries are booked by the scope's rules before planning, so the plan shows the booking.
  const booking = await bookNewItems(link, deps.store, ext.extData, (extId) => byExt.has(extId));
  deps.onProgress?.({ link: link.name, phase: 'read-hub', done: 0, total: 0 });
  const hub = await collectHub(link, deps, state.hubCursor, full, byHub, read);

  // Items whose external side moved or vanished. They are planned against the hub as it is
  // now, not as the change log last said: a conflict or failure may have left the cursor past them.
  const moved = index.filter((k) => ext.extData.has(k.extId) || side.gone(k.extId));
  const stale = moved.filter((k) => !hub.hubViews.has(k.hubId)).map((k) => k.hubId);
  if (stale.length) for (const r of await deps.store.getRecords(stale)) hub.hubViews.set(r.id, toHubView(link, r));

  const candidates = await adoptionCandidates(link, deps, ext.extData, byExt, hub.hubViews, hub.wholeScope);
  // Full agreements only for items that may need an action; the rest are unchanged on both sides.
  const involved = new Set(moved.map((k) => k.hubId));
  for (const id of [...hub.hubViews.keys(), ...candidates.map((c) => c.id)]) if (byHub(id)) involved.add(id);
  const status: StatusRow[] = involved.size ? await deps.store.getStatus(link.id, [...involved]) : [];
  return assemble(link, deps, state, listed, side, { status, linkedCount: index.length, ext, evidence, hub, candidates, losses, lossUpdates, booking });
}

/** The items of records pulled to be written back (status version 0, no hub hash) that this run did not list: read by id. */
async function writeBackItems<E>(
  link: LinkSpec<E>,
  status: StatusRow[],
  hubViews: Map<string, HubView>,
  extData: Map<string, unknown>,
): Promise<Map<string, E>> {
  const ids = status.filter((s) => s.hubVersion === 0 && s.hubHash === '' && hubViews.has(s.hubId) && !extData.has(s.extId)).map((s) => s.extId);
  const out = new Map<string, E>();
  if (!ids.length) return out;
  for (const g of await link.connector.get(ids)) if (!isItemFailure(g)) out.set(g.id, g.data);
  return out;
}

/** Live hub records with the identity of a new external item: adopted instead of duplicated. */
export async function adoptionCandidates<E>(
  link: LinkSpec<E>,
  deps: RunDeps,
  extData: Map<string, ExtView>,
  byExt: Map<string, StatusKey>,
  hubViews: Map<string, HubView>,
  wholeScope: boolean,
): Promise<HubView[]> {
  const candidates: HubView[] = [];
  const byIdentity = new Map<string, HubView>();
  for (const h of hubViews.values()) if (h.identity !== null && !h.tombstone) byIdentity.set(h.identity, h);
  // Every live record of the scope is already in byIdentity when wholeScope; otherwise the store is asked.
  const wanted: string[] = [];
  if (!wholeScope) {
    for (const e of extData.values()) {
      if (e.mapped.ok && e.mapped.identity !== null && !byExt.has(e.extId) && !byIdentity.has(e.mapped.identity)) wanted.push(e.mapped.identity);
    }
  }
  // One store query for the whole batch; the candidates keep the order one lookup per item gave.
  const found = wanted.length ? await findByIdentities(deps, link.scope, link.kind, wanted) : new Map<string, HubRecord[]>();
  for (const e of extData.values()) {
    if (!e.mapped.ok || e.mapped.identity === null || byExt.has(e.extId)) continue;
    const known = byIdentity.get(e.mapped.identity);
    if (known) {
      candidates.push(known);
      continue;
    }
    if (wholeScope) continue; // every live record of the scope is already in byIdentity
    for (const r of found.get(e.mapped.identity) ?? []) candidates.push(toHubView(link, r));
  }
  return candidates;
}

/** Live records by identity: one query for all when the store can, else one per identity. Each list is sorted by id. */
async function findByIdentities(deps: RunDeps, scope: string, kind: RecordKind, identities: string[]): Promise<Map<string, HubRecord[]>> {
  const out = new Map<string, HubRecord[]>();
  if (deps.store.findByIdentities) {
    for (const r of await deps.store.findByIdentities(scope, kind, identities)) {
      if (r.identity === null) continue;
      const list = out.get(r.identity);
      if (list) list.push(r);
      else out.set(r.identity, [r]);
    }
    for (const list of out.values()) if (list.length > 1) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return out;
  }
  for (const identity of new Set(identities)) out.set(identity, await deps.store.findByIdentity(scope, kind, identity));
  return out;
}
