/**
 * Run several links. A run that writes to the hub makes the links of the same scope that
 * ran before it in this pass stale, so they run again (bounded passes) until the hub and
 * every folder agree. One link's failure never stops another: it is recorded as a
 * `failed` run and the others go on; only a stop request (the signal) ends the pass.
 * A link that runs again in a later pass plans against the listing its clean run of this
 * sync left (with its own writes applied) instead of listing the remote again.
 */
import { runLinkSettled, type RunResult } from './run-link.js';
import type { LinkSpec, RunDeps, RunOptions } from './types.js';

export async function syncLinks(links: LinkSpec[], deps: RunDeps, opts: RunOptions, onResult?: (r: RunResult) => void, maxPasses = 3): Promise<RunResult[]> {
  const results: RunResult[] = [];
  let todo = links;
  // Parked items are unparked by a link's first run only: a later pass must not retry what that run just parked.
  const unparked = new Set<string>();
  const listed = new Map<string, RunResult['listingAfter']>();
  for (let pass = 0; pass < maxPasses && todo.length; pass++) {
    const stale = new Set<LinkSpec>();
    for (const [i, link] of todo.entries()) {
      if (deps.signal?.aborted) return results;
      const listing = listed.get(link.id);
      const r = await runLinkSettled(link, deps, {
        ...opts,
        ...(opts.retryParked && unparked.has(link.id) ? { retryParked: false } : {}),
        ...(listing ? { listing } : {}),
      });
      unparked.add(link.id);
      // Kept only while a later link of the scope may make this one run again.
      if (r.listingAfter && todo.slice(i + 1).some((l) => l.scope === link.scope)) listed.set(link.id, r.listingAfter);
      else listed.delete(link.id);
      results.push(r);
      onResult?.(r);
      if (r.hubWrites === 0) continue;
      for (const earlier of todo.slice(0, i)) if (earlier.scope === link.scope) stale.add(earlier);
    }
    todo = todo.filter((l) => stale.has(l));
    // Only the links that run again keep their listing.
    for (const id of [...listed.keys()]) if (!todo.some((l) => l.id === id)) listed.delete(id);
  }
  return results;
}
