/** A link's sync policy: pure data, parsed from config at the composition root. */

/**
 * Which way a link carries changes. `pull`: into the hub only; `push`: out of it only (the
 * remote's own edits and deletions are left alone); `both`: two-way; `mirror`: out of the
 * hub, and the hub is the source of truth for the link's items — an item changed in the
 * remote is written back from the hub, one deleted there is created again, and nothing
 * flows into the hub (a one-way copy, such as Google's `google-export`).
 */
export type Direction = 'pull' | 'push' | 'both' | 'mirror';
export const DIRECTIONS = ['pull', 'push', 'both', 'mirror'] as const satisfies readonly Direction[];
export type ConflictPolicy = 'hub-wins' | 'external-wins' | 'newest-wins' | 'keep-both';
export type Side = 'hub' | 'external';

export interface GuardLimits {
  /** A run deleting more than this many items… */
  maxDeleteCount: number;
  /** …and more than this share of the linked items is stopped. */
  maxDeleteShare: number;
  /** The person confirmed (`--allow-deletes`): guards report but do not stop. */
  allowDeletes: boolean;
}

export interface LinkPolicy {
  direction: Direction;
  conflict: ConflictPolicy;
  /** Fields changed on both sides go to their owner before the conflict policy is asked. */
  fieldOwners: Record<string, Side>;
  /** Whether a deletion on one side may delete on the other. */
  deletes: { toExternal: boolean; toHub: boolean };
  /**
   * An external item the hub has never had (made directly in the remote system): `import`
   * it into the hub, or `delete` it there because the hub is authoritative for the link's
   * window (the Kimai sync service's rule). Deletes count towards the guard.
   */
  externalOnly: 'import' | 'delete';
  guard: GuardLimits;
}

export const DEFAULT_POLICY: LinkPolicy = {
  direction: 'both',
  conflict: 'keep-both',
  fieldOwners: {},
  deletes: { toExternal: true, toHub: true },
  externalOnly: 'import',
  guard: { maxDeleteCount: 10, maxDeleteShare: 0.25, allowDeletes: false },
};

export function canPull(p: LinkPolicy): boolean {
  return p.direction === 'pull' || p.direction === 'both';
}

export function canPush(p: LinkPolicy): boolean {
  return p.direction !== 'pull';
}

/** The remote's edits and deletions of the link's items are undone from the hub (`direction: mirror`). */
export function restores(p: LinkPolicy): boolean {
  return p.direction === 'mirror';
}
