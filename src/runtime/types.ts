/** What the runtime needs to run one link: parts handed in by the composition root. */
import type { Connector, KindWrites } from '../connectors/kit/connector.js';
import type { Mapper, RefLookup } from '../connectors/kit/mapper.js';
import type { RecordKind } from '../core/model.js';
import type { LinkPolicy } from '../core/policy.js';
import type { HubStore } from '../store/types.js';

export interface LinkSpec<E = unknown> {
  /** Stable id, `link:<name>`; it is the `origin` of hub writes the link makes. */
  id: string;
  name: string;
  /** Hub collection the link covers (e.g. a hub calendar name). */
  scope: string;
  /** The connection (account) the link reads and writes, named in errors. */
  connection?: string;
  kind: RecordKind;
  policy: LinkPolicy;
  connector: Connector<E>;
  mapper: Mapper<E>;
  /** The writes the link's external kind can take (`manifest.kinds[].can`); absent: all. The planner plans no other. */
  can?: KindWrites;
  /**
   * The connection's other links by external kind, for the references the mapper
   * resolves (`mapper.refKinds`); empty when it resolves none.
   */
  refSources?: { externalKind: string; linkIds: string[] }[];
  /** The references loaded from `refSources` for one run (runtime/refs.ts); set by the runtime. */
  refs?: RefLookup;
  /**
   * Booking rules for the time entries this link creates in the hub (runtime/booking.ts):
   * set for links whose hub kind is timeEntry and that pull. `collection` is what the link reads (a calendar).
   */
  booking?: { rules: import('../core/booking.js').BookingRule[]; collection: string | null };
  /** Days before and after the run's clock the external side is read for (null: everything). */
  window: { pastDays: number; futureDays: number } | null;
}

/** A link's id is `link:<name>`: the origin of the hub writes it makes. */
export const linkIdOf = (name: string): string => `link:${name}`;
export const linkNameOf = (id: string): string => id.replace(/^link:/, '');

export type FaultPoint = 'after-intent' | 'after-external-write' | 'before-commit' | 'after-commit';

export interface ProgressEvent {
  link: string;
  phase: 'recover' | 'list' | 'fetch' | 'confirm' | 'read-hub' | 'plan' | 'apply' | 'done';
  done: number;
  total: number;
}

export interface RunDeps {
  store: HubStore;
  clock: () => Date;
  onProgress?: (e: ProgressEvent) => void;
  /** Aborted when the process is stopping: the write under way finishes, the rest are left for the next run. */
  signal?: AbortSignal;
  /**
   * Exclusion of a link across processes (PostgreSQL advisory lock); resolves to the
   * release function. Without it, runs are excluded within this process only.
   */
  lockLink?: (linkId: string) => Promise<() => Promise<void>>;
  /** Test hook: throw here to simulate a crash between two steps of a write. */
  fault?: (point: FaultPoint, actionIndex: number) => void;
}

export interface RunOptions {
  trigger: string;
  /** Read the whole hub scope instead of the change log since the cursor. */
  full?: boolean;
  /** Plan only: nothing is written, no run is recorded. */
  dryRun?: boolean;
  allowDeletes?: boolean;
  /** Apply only if the fresh plan equals this one (`timebridge apply plan.json`). */
  expect?: import('../core/plan-types.js').Plan;
  /** Hub records written earlier in the same apply: fresh actions on them are not drift. */
  expectTolerates?: ReadonlySet<string>;
  /** Unpark the link's parked items first and try them again (`sync --retry-parked`). */
  retryParked?: boolean;
  /** Number of actions applied per commit. */
  batchSize?: number;
  /** Items collected, planned and applied together on a link's large first run (runtime/segments.ts). */
  segmentSize?: number;
  /** Read the external side for this window (inclusive start, exclusive end, ISO) instead of the link's own (a "sync this date range" request). */
  window?: { start: string; end: string };
  /**
   * The link's listing as its clean run earlier in this same sync left it, with its digest
   * (RunResult.listingAfter): a later pass plans against it instead of listing again. What
   * changed outside since is seen by the next sync (the stored digest no longer matches), and
   * a write to an item that changed meanwhile fails its etag check like any other.
   */
  listing?: import('./listing-digest.js').DigestedListing;
  /** Read only these external items (ids): the others listed count as outside a window (present, unread), so nothing else is imported or deleted on the external side's account. */
  only?: string[];
}
