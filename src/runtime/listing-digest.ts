/**
 * A digest of an external listing (every id with its etag). Stored after a clean run, it
 * lets the next run prove "nothing changed outside" without loading the link's status rows.
 */
import { createHash } from 'node:crypto';
import type { ExternalRef } from '../connectors/kit/connector.js';

export function listingDigest(entries: Iterable<[string, string]>): string {
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = createHash('sha256');
  for (const [id, etag] of sorted) h.update(`${id}\u0000${etag}\n`);
  return h.digest('base64url');
}

/** The listing as a run leaves it: what was listed, with the run's own writes applied. */
export function digestAfterRun(refs: ExternalRef[], writes: Map<string, string | null>): string {
  const state = new Map(refs.map((r) => [r.id, r.etag]));
  for (const [id, etag] of writes) {
    if (etag === null) state.delete(id);
    else state.set(id, etag);
  }
  return listingDigest(state);
}
