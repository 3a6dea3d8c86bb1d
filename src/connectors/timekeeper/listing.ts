/**
 * A complete listing of resources in a SPARQL store: count them, then read their URIs in
 * pages ordered by URI; the listing is whole only when the distinct URIs match the count
 * and no page broke off (kit/paging.ts). Virtuoso cuts answers at `ResultSetMaxRows`
 * without saying so: paging below that limit, with the count, notices it.
 */
import { TimebridgeError, describeError } from '../../core/errors.js';
import type { ExternalItem, ExternalRef, ItemFailure, Listing } from '../kit/connector.js';
import { readPages, type Paged } from '../kit/paging.js';
import { val, type SparqlClient } from './sparql.js';

/** `where` binds `?uri` (and anything it filters on). */
export async function listUris(sparql: SparqlClient, what: string, where: string, size: number): Promise<Paged<string>> {
  const counted = await sparql.select(`SELECT (COUNT(DISTINCT ?uri) AS ?n) WHERE { ${where} }`);
  const total = Number(val(counted[0] ?? {}, 'n') ?? NaN);
  return readPages<string>({
    what,
    style: 'offset',
    size,
    id: (u) => u,
    fetch: async (p) => {
      const rows = await sparql.select(`SELECT DISTINCT ?uri WHERE { ${where} } ORDER BY ?uri LIMIT ${size} OFFSET ${p.offset}`);
      const items = rows.map((r) => val(r, 'uri')).filter((u): u is string => u !== null);
      return { items, last: items.length < size, total: Number.isFinite(total) ? total : null };
    },
  });
}

/** How a connector reads its resources: by URI, in chunks, with each one's etag. */
export interface ResourceReader<T> {
  load(uris: string[]): Promise<Map<string, T>>;
  etag(t: T): string;
}

/** A full listing of the resources `where` binds as `?uri`, each read for its etag (one gone since it was counted is left out). */
export async function listResources<T>(sparql: SparqlClient, what: string, where: string, size: number, reader: ResourceReader<T>): Promise<Listing> {
  const paged = await listUris(sparql, what, where, size);
  const refs: ExternalRef[] = [];
  for (let i = 0; i < paged.items.length; i += size) {
    const found = await reader.load(paged.items.slice(i, i + size));
    for (const [id, t] of found) refs.push({ id, etag: reader.etag(t) });
  }
  return { mode: 'full', refs, removed: [], complete: paged.complete, ...(paged.reason ? { incompleteReason: paged.reason } : {}), cursor: null, failures: [] };
}

/** The resources by id, a not-found failure (`missing` says what) for each the store does not hold. */
export async function getResources<T>(ids: string[], reader: ResourceReader<T>, missing: (id: string) => string): Promise<(ExternalItem<T> | ItemFailure)[]> {
  const found = await reader.load(ids);
  return ids.map((id) => {
    const t = found.get(id);
    if (!t) return { id, error: describeError(new TimebridgeError('CONNECTOR_NOT_FOUND', missing(id))) };
    return { id, etag: reader.etag(t), data: t, modifiedAt: null };
  });
}
