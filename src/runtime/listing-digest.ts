/**
 * A digest of an external listing (every id with its etag). Stored after a clean run, it
 * lets the next run prove "nothing changed outside" without loading the link's status rows.
 */
import { createHash } from 'node:crypto';
import type { ExternalRef, Listing } from '../connectors/kit/connector.js';

/** Sorted lines are hashed this many at a time: one update per chunk, and no copy of the whole listing as one string. */
const HASH_CHUNK = 2048;

/** A listing with the digest of its refs (`refsDigest`), computed when the listing was made. */
export interface DigestedListing {
  listing: Listing;
  digest: string;
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

/**
 * The digest of a listing: sha256 of every `id NUL etag LF` line in id order. The lines are
 * sorted as whole strings: NUL sorts before any character of an id, so that is id order (ids
 * are unique), at about half the cost of sorting pairs.
 *
 * A run computes it at most once per listing and carries it with the listing (`DigestedListing`,
 * `Collected.digest`), so a run that wrote nothing, and a later pass on the same listing, do not
 * sort it again.
 */
export function refsDigest(refs: readonly ExternalRef[]): string {
  const lines = new Array<string>(refs.length);
  for (let i = 0; i < refs.length; i++) lines[i] = refs[i]!.id + '\u0000' + refs[i]!.etag + '\n';
  lines.sort();
  const h = createHash('sha256');
  for (let i = 0; i < lines.length; i += HASH_CHUNK) h.update(lines.slice(i, i + HASH_CHUNK).join(''));
  return h.digest('base64url');
}
