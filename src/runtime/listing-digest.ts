/**
 * A digest of an external listing (every id with its etag). Stored after a clean run, it
 * lets the next run prove "nothing changed outside" without loading the link's status rows.
 */
import { createHash } from 'node:crypto';
import type { ExternalRef, Listing } from '../connectors/kit/connector.js';

export function listingDigest(entries: Iterable<[string, string]>): string {
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = createHash('sha256');
  for (const [id, etag] of sorted) h.update(`${id}\u0000${etag}\n`);
  return h.digest('base64url');
}

/** The listing as a run leaves it: what was listed, with the run's own writes applied (written etags; deleted items gone; created items last). */
export function listingAfterRun(listing: Listing, writes: Map<string, string | null>): Listing {
  if (!writes.size) return listing;
  const refs: ExternalRef[] = [];
  const listed = new Set<string>();
  for (const r of listing.refs) {
    const written = writes.get(r.id);
    if (written === undefined) refs.push(r);
    else {
      listed.add(r.id);
      if (written !== null) refs.push({ id: r.id, etag: written });
    }
  }
  for (const [id, etag] of writes) if (etag !== null && !listed.has(id)) refs.push({ id, etag });
  return { ...listing, refs };
}

/** The digest of a listing's ids and etags. */
export function refsDigest(refs: ExternalRef[]): string {
  return listingDigest(refs.map((r): [string, string] => [r.id, r.etag]));
}
