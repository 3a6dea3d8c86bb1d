/**
 * Collect both sides of one link for the planner: the external listing (fetching only
 * items whose etag moved), the hub records changed since the link's cursor, and adoption
 * candidates for new external items.
 */
import { isItemFailure, type ExternalItem, type Listing } from '../connectors/kit/connector.js';
import { describeError } from '../core/errors.js';
import { contentHash } from '../core/hash.js';
import type { HubChange, HubRecord } from '../core/model.js';
import type { Agreement, ExtView, HubView, Mapped, PlanInput } from '../core/planner.js';
import type { LinkState, StatusKey, StatusRow } from '../store/types.js';
import { listingDigest } from './listing-digest.js';
import type { LinkSpec, RunDeps } from './types.js';

export interface Collected<E> {
  input: PlanInput;
  listing: Listing;
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
}

export function toHubView<E>(link: LinkSpec<E>, r: HubRecord): HubView {
  return {
    id: r.id, version: r.version, fields: r.fields, identity: r.identity, hash: contentHash(r.fields),
    tombstone: r.tombstone, updatedAt: r.updatedAt, label: r.tombstone ? r.id : link.mapper.label(r.fields),
  };
}

function mapItem<E>(link: LinkSpec<E>, item: ExternalItem<E>, now: Date): ExtView & { data: E } {
  let mapped: Mapped;
  try {
    const r = link.mapper.toHub(item.data, { now, link: link.name });
    if (r.ok) {
      const fields = r.value.fields;
      mapped = { ok: true, fields, identity: r.value.identity, hash: contentHash(fields), label: link.mapper.label(fields) };
    } else {
      mapped = 'skip' in r ? { ok: false, skip: r.skip } : { ok: false, error: r.error };
    }
  } catch (err) {
    mapped = { ok: false, error: `the mapper failed: ${describeError(err).message}` };
  }
  return { extId: item.id, etag: item.etag, modifiedAt: item.modifiedAt, mapped, data: item.data };
}

async function collectExternal<E>(link: LinkSpec<E>, deps: RunDeps, statusByExt: Map<string, StatusKey>, cursor: string | null, listed: Listing | null) {
  const listing = listed ?? await link.connector.list({ cursor, window: link.window });
  const toFetch = listing.refs.filter((r) => statusByExt.get(r.id)?.extEtag !== r.etag).map((r) => r.id);
  const extData = new Map<string, ExtView & { data: E }>();
  const failed = listing.failures.map((f) => ({ extId: f.id, code: f.error.code, message: f.error.message }));
  const now = deps.clock();
  const size = Math.max(1, link.connector.manifest.batchSize);
  for (let i = 0; i < toFetch.length; i += size) {
    const got = await link.connector.get(toFetch.slice(i, i + size));
    for (const g of got) {
      if (isItemFailure(g)) failed.push({ extId: g.id, code: g.error.code, message: g.error.message });
      else extData.set(g.id, mapItem(link, g, now));
    }
    deps.onProgress?.({ link: link.name, phase: 'fetch', done: Math.min(i + size, toFetch.length), total: toFetch.length });
  }
  return { listing, extData, failed };
}

async function collectHub<E>(link: LinkSpec<E>, deps: RunDeps, cursor: number, full: boolean, statusByHub: Map<string, StatusKey>) {
  const hubHead = await deps.store.headSeq();
  const firstSeq = new Map<string, number>();
  let records: HubRecord[];
  if (full || cursor === 0) {
    records = await deps.store.listScope(link.scope, link.kind);
  } else {
    const changes = await deps.store.changesSince(link.scope, link.kind, cursor);
    const latest = new Map<string, HubChange>();
    for (const c of changes) {
      if (c.seq > hubHead) continue;
      if (!firstSeq.has(c.recordId)) firstSeq.set(c.recordId, c.seq);
      latest.set(c.recordId, c);
    }
    // This link's own writes, already agreed in its status rows, are echoes: skip loading them.
    const wanted = [...latest.values()]
      .filter((c) => !(c.origin === link.id && statusByHub.get(c.recordId)?.hubVersion === c.version))
      .map((c) => c.recordId);
    records = await deps.store.getRecords(wanted);
  }
  const hubViews = new Map(records.map((r) => [r.id, toHubView(link, r)]));
  return { hubHead, firstSeq, hubViews, wholeScope: full || cursor === 0 };
}

function extGone(listing: Listing, extId: string): boolean {
  return listing.mode === 'full' ? listing.complete && !presentIds(listing).has(extId) : listing.removed.includes(extId);
}

const presentCache = new WeakMap<Listing, Set<string>>();
function presentIds(listing: Listing): Set<string> {
  let set = presentCache.get(listing);
  if (!set) { set = new Set(listing.refs.map((r) => r.id)); presentCache.set(listing, set); }
  return set;
}

/**
 * Hub ids whose full agreement the planner needs: items whose external side moved or
 * vanished, hub records that changed, and adoption candidates. Everything else is
 * unchanged on both sides, so a no-change run never loads the full rows.
 */
function involvedHubIds(index: StatusKey[], byHub: Map<string, StatusKey>, listing: Listing, fetched: Set<string>, hubIds: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const k of index) if (fetched.has(k.extId) || extGone(listing, k.extId)) out.add(k.hubId);
  for (const id of hubIds) if (byHub.has(id)) out.add(id);
  return out;
}

/**
 * The external side is exactly as the last clean run left it (same digest of ids and etags)
 * and the hub has no change since the cursor: nothing to plan, and no status row is read.
 */
async function provenUnchanged<E>(link: LinkSpec<E>, deps: RunDeps, listing: Listing, priorDigest: string | null, cursor: number): Promise<boolean> {
  if (!priorDigest || listing.mode !== 'full' || !listing.complete || listing.failures.length || cursor === 0) return false;
  if (listingDigest(listing.refs.map((r) => [r.id, r.etag])) !== priorDigest) return false;
  return (await deps.store.changesSince(link.scope, link.kind, cursor)).length === 0;
}

export async function collect<E>(link: LinkSpec<E>, deps: RunDeps, full: boolean, priorDigest: string | null = null): Promise<Collected<E>> {
  const state = await deps.store.getLinkState(link.id);
  if (!full) {
    const listing = await link.connector.list({ cursor: state.extCursor, window: link.window });
    if (await provenUnchanged(link, deps, listing, priorDigest, state.hubCursor)) return unchanged(link, deps, listing, state.hubCursor);
    return collectAll(link, deps, full, state, listing);
  }
  return collectAll(link, deps, full, state, null);
}

function unchanged<E>(link: LinkSpec<E>, deps: RunDeps, listing: Listing, cursor: number): Collected<E> {
  const input: PlanInput = {
    linkId: link.id, now: deps.clock(), policy: link.policy, agreements: [], linkedCount: listing.refs.length,
    ext: { mode: 'full', complete: true, present: presentIds(listing), removed: new Set(), fetched: [], failed: [] },
    hub: { changed: [], candidates: [] },
  };
  return { input, listing, extData: new Map(), hubViews: new Map(), hubHead: cursor, firstSeq: new Map(), hubCursor: cursor, status: [], provenUnchanged: true };
}

async function collectAll<E>(link: LinkSpec<E>, deps: RunDeps, full: boolean, state: LinkState, listed: Listing | null): Promise<Collected<E>> {
  const index = await deps.store.loadStatusIndex(link.id);
  const byExt = new Map(index.map((k) => [k.extId, k]));
  const byHub = new Map(index.map((k) => [k.hubId, k]));
  deps.onProgress?.({ link: link.name, phase: 'list', done: 0, total: 0 });
  const ext = await collectExternal(link, deps, byExt, full ? null : state.extCursor, listed);
  deps.onProgress?.({ link: link.name, phase: 'read-hub', done: 0, total: 0 });
  const hub = await collectHub(link, deps, state.hubCursor, full, byHub);

  // Items whose external side moved are planned against the hub as it is now, not as the
  // change log last said: a conflict or failure may have left the cursor past them.
  const active = index.filter((k) => !hub.hubViews.has(k.hubId) && (ext.extData.has(k.extId) || extGone(ext.listing, k.extId)));
  if (active.length) for (const r of await deps.store.getRecords(active.map((k) => k.hubId))) hub.hubViews.set(r.id, toHubView(link, r));

  const candidates: HubView[] = [];
  const byIdentity = new Map<string, HubView>();
  for (const h of hub.hubViews.values()) if (h.identity !== null && !h.tombstone) byIdentity.set(h.identity, h);
  for (const e of ext.extData.values()) {
    if (!e.mapped.ok || e.mapped.identity === null || byExt.has(e.extId)) continue;
    const known = byIdentity.get(e.mapped.identity);
    if (known) { candidates.push(known); continue; }
    if (hub.wholeScope) continue; // every live record of the scope is already in byIdentity
    const found = await deps.store.findByIdentity(link.scope, link.kind, e.mapped.identity);
    for (const r of found) candidates.push(toHubView(link, r));
  }
  const involved = involvedHubIds(index, byHub, ext.listing, new Set(ext.extData.keys()), [...hub.hubViews.keys(), ...candidates.map((c) => c.id)]);
  const status: StatusRow[] = involved.size ? await deps.store.getStatus(link.id, [...involved]) : [];
  const agreements: Agreement[] = status;
  const input: PlanInput = {
    linkId: link.id, now: deps.clock(), policy: link.policy, agreements, linkedCount: index.length,
    ext: {
      mode: ext.listing.mode, complete: ext.listing.complete,
      present: ext.listing.mode === 'full' ? presentIds(ext.listing) : new Set<string>(),
      removed: new Set(ext.listing.removed), // delta mode: small
      fetched: [...ext.extData.values()], failed: ext.failed,
    },
    hub: { changed: [...hub.hubViews.values()], candidates },
  };
  return { input, listing: ext.listing, extData: ext.extData, hubViews: hub.hubViews, hubHead: hub.hubHead, firstSeq: hub.firstSeq, hubCursor: state.hubCursor, status, provenUnchanged: false };
}
