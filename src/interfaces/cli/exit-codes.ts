/** Exit codes of the `timebridge` command; documented in README.md. */
export const EXIT = {
  OK: 0,
  /** Unexpected failure (a bug, the store unreadable, a connector down). */
  ERROR: 1,
  /** Bad usage or invalid configuration. */
  USAGE: 2,
  /** The run finished but some items failed; they are retried next run. */
  PARTIAL: 3,
  /** A safety guard stopped the run before anything was written. */
  GUARD: 4,
  /** `apply` refused: a side changed since the plan was made. */
  DRIFTED: 5,
  /** `audit` found duplicates, orphans or differing items. */
  FINDINGS: 6,
} as const;
