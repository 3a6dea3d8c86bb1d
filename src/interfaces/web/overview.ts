/** The overview's light for one link: what is wrong first, and what to do about it. */
export interface LinkCounts {
  parked: number;
  conflicts: number;
  losses: number;
}

export function linkLight(
  name: string,
  enabled: boolean,
  lastRun: { status: string; errors: number } | null,
  counts: LinkCounts,
): { light: 'green' | 'amber' | 'red'; todo: string | null } {
  if (lastRun && (lastRun.status === 'failed' || lastRun.status === 'aborted'))
    return { light: 'red', todo: `the last run ${lastRun.status}: open it to read the error and its hint, fix that, then sync ${name} again` };
  if (counts.conflicts) return { light: 'red', todo: `${counts.conflicts} conflict(s) wait for your decision: open Conflicts and choose a side` };
  if (counts.parked)
    return { light: 'red', todo: `${counts.parked} item(s) were refused by the remote: fix them at the source, then sync with retry of parked items` };
  if (lastRun && lastRun.errors) return { light: 'amber', todo: `the last run had ${lastRun.errors} failed item(s): open it to see why` };
  if (counts.losses) return { light: 'amber', todo: `${counts.losses} item(s) were stored differently by the remote: check them there` };
  if (!enabled) return { light: 'amber', todo: 'the link is disabled: enable it under Connections & links to sync again' };
  if (!lastRun) return { light: 'amber', todo: 'the link has not run yet: make a plan and apply it, or sync it' };
  return { light: 'green', todo: null };
}
