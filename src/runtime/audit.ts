/**
 * The audit of one link (`timebridge audit`, `GET /api/v1/links/{name}/audit`): read-only.
 * It lists the remote side in full (in the link's window), reads every item, and compares
 * with the hub scope and the link's status rows: duplicates (one item twice on one side: the
 * same natural key, or the same content and time), orphans (a pairing with one side gone, or
 * a remote item paired with nothing) and pairs whose two sides differ after mapping. It never
 * writes: the connector is asked only to list and read, the store only to read.
 */
import { isItemFailure } from '../connectors/kit/connector.js';
import { projectFields } from '../core/fields/holds.js';
import { contentHash } from '../core/hash.js';
import type { Fields } from '../core/model.js';
import type { ExtView, HubView } from '../core/planner.js';
import type { HubStore, StatusKey } from '../store/types.js';
import { mapItem, toHubView, windowAt } from './collect.js';
import type { LinkSpec } from './types.js';
import { withRefs } from './run-link.js';

export type AuditSide = 'hub' | 'external';

export interface AuditFinding {
  side: AuditSide;
  /** Hub ids (side hub) or external ids (side external); a difference names the hub id, then the external id. */
  ids: string[];
  label: string;
  detail: string;
}

export interface AuditReport {
  link: string;
  connection: string;
  /** External items listed (distinct ids) and whether the listing was whole. */
  listed: number;
  complete: boolean;
  /** Live hub records of the link's scope and kind, and status rows (pairings) of the link. */
  hubRecords: number;
  paired: number;
  duplicates: AuditFinding[];
  orphans: AuditFinding[];
  differs: AuditFinding[];
  /** Items that could not be read or mapped, and other things the audit could not check. */
  notes: string[];
}

type Mapped = ExtView & { data: unknown };

export async function auditLink<E>(spec: LinkSpec<E>, store: HubStore, now: Date): Promise<AuditReport> {
  // Mapped as a run maps: with the ids of the records the link's references point to.
  const link = await withRefs(spec, { store, clock: () => now });
  const listing = await link.connector.list({ cursor: null, window: windowAt(link.window, now) });
  const notes: string[] = [];
  if (listing.mode !== 'full' || !listing.complete) notes.push('the listing was not whole: items missing from it are not taken as gone');
  const ids = [...new Set(listing.refs.map((r) => r.id))];
  const items = await readAll(link, ids, now, notes);
  const index = await store.loadStatusIndex(link.id);
  const records = (await store.listScope(link.scope, link.kind)).filter((r) => !r.tombstone);
  const hub = new Map(records.map((r) => [r.id, toHubView(link, r)]));

  const orphans = await orphansOf(link, index, items, hub, listing.mode === 'full' && listing.complete, now, notes);
  return {
    link: link.name,
    connection: link.connection ?? link.name,
    listed: ids.length,
    complete: listing.mode === 'full' && listing.complete,
    hubRecords: hub.size,
    paired: index.length,
    duplicates: [
      ...duplicates(
        'hub',
        [...hub.values()].map((h) => ({ id: h.id, identity: h.identity, hash: h.hash, label: h.label })),
      ),
      ...duplicates(
        'external',
        [...items.values()].flatMap((v) => (v.mapped.ok ? [{ id: v.extId, identity: v.mapped.identity, hash: v.mapped.hash, label: v.mapped.label }] : [])),
      ),
    ],
    orphans,
    differs: differences(link, index, items, hub),
    notes,
  };
}

async function readAll<E>(link: LinkSpec<E>, ids: string[], now: Date, notes: string[]): Promise<Map<string, Mapped>> {
  const out = new Map<string, Mapped>();
  const size = Math.max(1, link.connector.manifest.batchSize);
  for (let i = 0; i < ids.length; i += size) {
    for (const g of await link.connector.get(ids.slice(i, i + size))) {
      if (isItemFailure(g)) notes.push(`${g.id} could not be read: ${g.error.message}`);
      else {
        const v = mapItem(link, g, now);
        if (!v.mapped.ok && !('skip' in v.mapped)) notes.push(`${g.id} could not be mapped: ${'error' in v.mapped ? v.mapped.error : v.mapped.remove}`);
        out.set(g.id, v);
      }
    }
  }
  return out;
}

/** Items of one side that share a natural key, or (without one) the same content and time. */
function duplicates(side: AuditSide, rows: { id: string; identity: string | null; hash: string; label: string }[]): AuditFinding[] {
  const out: AuditFinding[] = [];
  const group = (key: (r: (typeof rows)[number]) => string | null, why: (k: string) => string) => {
    const by = new Map<string, typeof rows>();
    for (const r of rows) {
      const k = key(r);
      if (k !== null) by.set(k, [...(by.get(k) ?? []), r]);
    }
    for (const [k, g] of by) if (g.length > 1) out.push({ side, ids: g.map((r) => r.id).sort(), label: g[0]!.label, detail: why(k) });
  };
  group(
    (r) => r.identity,
    (k) => `the same natural key (${k})`,
  );
  // The same content and time is a duplicate even where the keys differ: a key made from the
  // item's own number (Advoware's uid is its frNr) tells two entries of one appointment apart.
  // A group the natural key already reported is not reported again.
  const byKey = out.length;
  group(
    (r) => r.hash,
    () => 'the same content and time',
  );
  const seen = new Set(out.slice(0, byKey).map((f) => f.ids.join('\n')));
  return out.filter((f, i) => i < byKey || !seen.has(f.ids.join('\n')));
}

async function orphansOf<E>(
  link: LinkSpec<E>,
  index: StatusKey[],
  items: Map<string, Mapped>,
  hub: Map<string, HubView>,
  whole: boolean,
  now: Date,
  notes: string[],
): Promise<AuditFinding[]> {
  const out: AuditFinding[] = [];
  const paired = new Set(index.map((k) => k.extId));
  // A pairing whose remote item is missing from a whole listing: gone only if a read by id says so (the listing may have skipped it).
  const missing = whole ? index.filter((k) => !items.has(k.extId)) : [];
  const gone = new Set<string>();
  const size = Math.max(1, link.connector.manifest.batchSize);
  for (let i = 0; i < missing.length; i += size) {
    for (const g of await link.connector.get(missing.slice(i, i + size).map((k) => k.extId))) {
      if (isItemFailure(g)) {
        if (g.error.kind === 'not_found') gone.add(g.id);
        else notes.push(`${g.id} (paired, not listed) could not be read: ${g.error.message}`);
      } else items.set(g.id, mapItem(link, g, now));
    }
  }
  for (const k of index) {
    const h = hub.get(k.hubId);
    if (gone.has(k.extId) && h)
      out.push({ side: 'hub', ids: [k.hubId], label: h.label, detail: `paired with ${k.extId}, which is gone from ${link.connection ?? 'the remote'}` });
    if (!h && items.has(k.extId))
      out.push({ side: 'external', ids: [k.extId], label: labelOf(items.get(k.extId)!), detail: `paired with hub record ${k.hubId}, which is deleted` });
  }
  for (const v of items.values())
    if (!paired.has(v.extId) && v.mapped.ok) out.push({ side: 'external', ids: [v.extId], label: v.mapped.label, detail: 'paired with no hub record' });
  return out;
}

/** Pairs whose remote item, mapped, holds other values than the hub record in the fields the link holds. */
function differences<E>(link: LinkSpec<E>, index: StatusKey[], items: Map<string, Mapped>, hub: Map<string, HubView>): AuditFinding[] {
  const out: AuditFinding[] = [];
  for (const k of index) {
    const h = hub.get(k.hubId);
    const v = items.get(k.extId);
    if (!h || !v || !v.mapped.ok || v.mapped.hash === h.hash) continue;
    const fields = differingFields(projectFields(h.fields, link.mapper.holds), projectFields(v.mapped.fields, link.mapper.holds));
    out.push({ side: 'hub', ids: [k.hubId, k.extId], label: h.label, detail: `differs in ${fields.join(', ') || 'content'}` });
  }
  return out;
}

function differingFields(a: Fields, b: Fields): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => contentHash({ v: a[k] ?? null }) !== contentHash({ v: b[k] ?? null }));
}

const labelOf = (v: Mapped) => (v.mapped.ok ? v.mapped.label : v.extId);

/** The report as text: one line per finding, or that the link is clean. */
export function formatAudit(r: AuditReport): string {
  const lines = [
    `${r.link}: ${r.listed} items in ${r.connection}${r.complete ? '' : ' (listing not whole)'}, ${r.hubRecords} hub records, ${r.paired} pairings`,
  ];
  const each = (what: string, fs: AuditFinding[]) => {
    for (const f of fs) lines.push(`  ${what.padEnd(9)} ${f.side.padEnd(8)} ${f.label} [${f.ids.join(', ')}]: ${f.detail}`);
  };
  each('duplicate', r.duplicates);
  each('orphan', r.orphans);
  each('differs', r.differs);
  for (const n of r.notes) lines.push(`  note      ${n}`);
  if (!r.duplicates.length && !r.orphans.length && !r.differs.length) lines.push('  clean: no duplicates, orphans or differences');
  return lines.join('\n');
}

/** Whether the audit found anything. */
export const auditClean = (r: AuditReport): boolean => !r.duplicates.length && !r.orphans.length && !r.differs.length;
