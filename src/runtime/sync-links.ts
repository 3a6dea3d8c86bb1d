/**
 * Run several links. A run that writes to the hub makes the links of the same scope that
 * ran before it in this pass stale, so they run again (bounded passes) until the hub and
 * every folder agree.
 */
import type { RunRecord } from '../store/types.js';
import { runLink, type RunResult } from './run-link.js';
import type { LinkSpec, RunDeps, RunOptions } from './types.js';

const HUB_WRITES = ['pull-create', 'pull-update', 'pull-delete', 'merge', 'adopt'];

function wroteHub(run: RunRecord): boolean {
  return HUB_WRITES.some((op) => (run.counts[op] ?? 0) > 0);
}

export async function syncLinks(links: LinkSpec[], deps: RunDeps, opts: RunOptions, onResult?: (r: RunResult) => void, maxPasses = 3): Promise<RunResult[]> {
  const results: RunResult[] = [];
  let todo = links;
  for (let pass = 0; pass < maxPasses && todo.length; pass++) {
    const stale = new Set<LinkSpec>();
    for (const [i, link] of todo.entries()) {
      const r = await runLink(link, deps, opts);
      results.push(r);
      onResult?.(r);
      if (r.run.status === 'stopped' || !wroteHub(r.run)) continue;
      for (const earlier of todo.slice(0, i)) if (earlier.scope === link.scope) stale.add(earlier);
    }
    todo = todo.filter((l) => stale.has(l));
  }
  return results;
}
