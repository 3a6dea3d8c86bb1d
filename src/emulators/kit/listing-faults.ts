/**
 * Listing faults, shared by every emulator's paged list routes. A fault rule with
 * `listing` (POST /_emulator/faults, matched like any rule: method, path, after, times)
 * does not answer with an error; it changes the page the route serves:
 * - `short`: the page leaves out its last `rows` rows (default 1); totals stay truthful;
 * - `empty`: the page is empty; `totals: claim` (default) still states the full count, as
 *   a server that lost the rows would, `truthful` states the count without them;
 * - `shift`: before the page is cut, the listing's first row is deleted for real (through
 *   the emulator's own delete), so offsets move by one between this page and the one before.
 */
import { z } from 'zod';

export const listingFaultSchema = z
  .object({
    kind: z.enum(['short', 'empty', 'shift']),
    /** `short`: how many rows the page leaves out. */
    rows: z.number().int().min(1).optional(),
    /** `empty`: whether the totals still claim the rows the page left out (default) or not. */
    totals: z.enum(['claim', 'truthful']).optional(),
  })
  .strict();

export type ListingFault = z.infer<typeof listingFaultSchema>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The listing fault that fired for this request, if any (set by the emulator kit). */
    listingFault: ListingFault | null;
  }
}

export interface ServedPage<T> {
  /** The rows this page serves. */
  rows: T[];
  /** The total the page states (item count, or what paging headers are computed from). */
  total: number;
  /** Whether rows follow this page in the listing as it now is. */
  more: boolean;
  /** The whole listing as it now is (after a `shift`). */
  all: T[];
}

/**
 * One page of `all` (from `offset`, at most `size` rows) with the fault applied. `remove`
 * deletes a row from the emulator's data for real (`shift`).
 */
export function servePage<T>(fault: ListingFault | null, all: T[], offset: number, size: number, remove: (row: T) => void): ServedPage<T> {
  let rows = all;
  if (fault?.kind === 'shift' && rows.length > 0) {
    remove(rows[0]!);
    rows = rows.slice(1);
  }
  const page = rows.slice(offset, offset + size);
  const more = offset + size < rows.length;
  if (fault?.kind === 'short') return { rows: page.slice(0, Math.max(0, page.length - (fault.rows ?? 1))), total: rows.length, more, all: rows };
  if (fault?.kind === 'empty') return { rows: [], total: fault.totals === 'truthful' ? rows.length - page.length : rows.length, more, all: rows };
  return { rows: page, total: rows.length, more, all: rows };
}
