/**
 * Which hub ids the `timebridge` markers of an issue's worklogs carry, for the idempotency
 * lookup before a create. Reading all of an issue's worklogs before every create made a
 * first sync quadratic in worklogs per issue (and two requests per create); the index
 * reads an issue once (from the full listing, or at the first create on it) and then
 * follows this connector's own writes.
 *
 * It holds only what this connector saw or did, for one run: the connector clears it at
 * every listing, and drops an issue whenever a create there may have landed unseen (a
 * repeat after a failure, or a create that gave up). A hit is confirmed by id before it is
 * trusted, so a worklog deleted since is never returned.
 */
export class MarkerIndex {
  /** Issue id → hub id → worklog id, for issues whose worklogs were read whole. */
  private readonly issues = new Map<string, Map<string, string>>();

  clear(): void {
    this.issues.clear();
  }

  /** An issue's complete list of worklogs, as (worklog id, hub id of its marker or null). */
  fill(issueId: string, worklogs: Iterable<{ id: string; hubId: string | null }>): void {
    const byHub = new Map<string, string>();
    for (const w of worklogs) if (w.hubId) byHub.set(w.hubId, w.id);
    this.issues.set(issueId, byHub);
  }

  /** The worklog carrying this hub id on the issue: its id, null when none does, undefined when the issue is not indexed. */
  lookup(issueId: string, hubId: string): string | null | undefined {
    const byHub = this.issues.get(issueId);
    return byHub ? (byHub.get(hubId) ?? null) : undefined;
  }

  /** A worklog this connector created (or found) on an indexed issue. */
  add(issueId: string, hubId: string, worklogId: string): void {
    this.issues.get(issueId)?.set(hubId, worklogId);
  }

  /** A worklog this connector deleted. */
  remove(issueId: string, hubId: string): void {
    this.issues.get(issueId)?.delete(hubId);
  }

  /** Forget an issue: the next lookup there reads its worklogs again. */
  drop(issueId: string): void {
    this.issues.delete(issueId);
  }
}
