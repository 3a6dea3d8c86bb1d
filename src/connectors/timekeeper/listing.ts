/**
 * A complete listing of resources in a SPARQL store: count them, then read their URIs in
 * pages ordered by URI; the listing is whole only when the distinct URIs match the count
 * and no page broke off (kit/paging.ts). Virtuoso cuts answers at `ResultSetMaxRows`
 * without saying so: paging below that limit, with the count, notices it.
 */
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
