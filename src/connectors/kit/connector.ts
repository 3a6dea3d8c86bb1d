/**
 * The connector interface every external system implements. Capabilities are data
 * (the manifest); the engine reads them and never probes for optional methods.
 */
import type { ErrorInfo } from '../../core/errors.js';
import type { RecordKind } from '../../core/model.js';

export type IncrementalStyle =
  /** Every run lists all items with a cheap version (etag, mtime); only changed ones are fetched. */
  | 'full-listing-etags'
  /** The server returns only what changed since an opaque cursor (sync token, updated-since). */
  | 'delta-cursor'
  /** No cheap versions: every run fetches everything in the window. */
  | 'full-listing';

export type IdempotencyStyle =
  /** The create uses a name derived from the key and fails if it exists (If-None-Match: *, O_EXCL). */
  | 'deterministic-name'
  /** The key is stored in the item (marker property) and found again by a lookup. */
  | 'marker'
  /** No key can be stored: a natural-key lookup finds what a retried create made. */
  | 'natural-key';

/** Which writes Timebridge may make to items of one external kind. */
export interface KindWrites {
  create: boolean;
  update: boolean;
  delete: boolean;
}

/** One external kind: the hub kind it maps to by default, and what may be written to it. */
export interface KindCapabilities {
  external: string;
  hub: RecordKind;
  /** The planner plans no write a kind cannot take, and says so in the plan (`unsupported`). */
  can: KindWrites;
}

/** Every kind may be written (what a link gets when nothing narrower is known). */
export const ALL_WRITES: KindWrites = { create: true, update: true, delete: true };
/** A kind Timebridge only reads (Jira users, Kimai users). */
export const READ_ONLY: KindWrites = { create: false, update: false, delete: false };

export interface Manifest {
  /** Connector type name, equal to its folder under src/connectors/. */
  type: string;
  /** External kinds this connector reads (and writes, as each kind's `can` says). */
  kinds: KindCapabilities[];
  incremental: IncrementalStyle;
  /** Items carry a version token that changes with content (ETag, mtime+size). */
  etags: boolean;
  webhooks: boolean;
  idempotency: IdempotencyStyle;
  /** Items fetched per `get` call; the engine batches by this. */
  batchSize: number;
  /**
   * Writes the engine may have under way at once on one link (absent: 1, one after the
   * other). A connector that allows more keeps its remote's own ordering rules itself
   * (Jira: one write per issue at a time).
   */
  writeConcurrency?: number;
  /** The remote system's published limit on HTTP requests per account; the connector's HTTP clients pace by it unless the connection sets its own `rateLimit`. */
  rateLimit?: { requests: number; perSeconds: number };
}

/** A listing entry: enough to decide whether the item must be fetched. */
export interface ExternalRef {
  id: string;
  etag: string;
  /**
   * From a write: what it did other than asked, for the run record (e.g. work logged as a
   * fallback author). Never set by a read.
   */
  warnings?: string[];
}

/** One fetched item in the connector's own shape. */
export interface ExternalItem<E> extends ExternalRef {
  data: E;
  /** When the remote last changed it, if known (for the newest-wins policy). */
  modifiedAt: string | null;
  /**
   * What the user should know about how the item was read, though it was read (a file
   * converted from another text encoding). The run records them under `warnings`.
   */
  warnings?: string[];
}

/**
 * What a write returns. `stored` is the item as the remote stored it, for connectors whose
 * answer carries it (or that write it locally): the engine checks the write against it
 * instead of reading the item back (runtime/read-back.ts).
 */
export interface WriteResult<E> extends ExternalRef {
  stored?: ExternalItem<E>;
}

/** An item the connector could not read. It is reported, and never taken as deleted. */
export interface ItemFailure {
  id: string;
  error: ErrorInfo;
}

export interface ListRequest {
  /** Cursor from the previous complete listing, or null for a full listing. */
  cursor: string | null;
  /**
   * Inclusive window start / exclusive end (ISO), when the link has one. Two dates
   * (`yyyy-MM-dd`, a "sync these days" request) mean whole days in each record's own zone:
   * use `inDayWindow`; a connector that knows no record zone reads them as UTC days.
   */
  window: { start: string; end: string } | null;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** The window is a range of days (each record's own), not of instants. */
export const isDayWindow = (w: { start: string; end: string }): boolean => DATE_ONLY.test(w.start) && DATE_ONLY.test(w.end);

/** A record on local day `date` (`yyyy-MM-dd`, in its own zone) lies in a day window. */
export const inDayWindow = (date: string, w: { start: string; end: string }): boolean => date >= w.start && date < w.end;

export interface Listing {
  /**
   * `full`: `refs` is everything present; a linked item missing from a complete full
   * listing is read by id, and deleted only when that read answers `not_found`.
   * `delta`: `refs` changed and `removed` were deleted, taken as evidence as they are: only
   * a feed of the remote's own deletions (sync tokens, Jira's deleted feed, CalDAV
   * sync-collection 404s) may fill `removed`.
   */
  mode: 'full' | 'delta';
  refs: ExternalRef[];
  removed: string[];
  /**
   * True only when the connector proved the listing whole (totals checked against what
   * arrived, no short, empty or shifted page, the last page reached). False when it broke
   * off (error on page 7) or cannot prove itself: no deletion is inferred, and the run is partial.
   */
  complete: boolean;
  /** Why the listing is incomplete, in words for the run record ("page 3 of 5 came back empty"). */
  incompleteReason?: string;
  /** Cursor to store once every item it covers is applied. */
  cursor: string | null;
  failures: ItemFailure[];
  /**
   * Listed items that lie outside the requested window. They count as present (never as
   * deleted), and are fetched only when already linked, so a window limits what is read.
   */
  outsideWindow?: string[];
}

/** The idempotency key of a create: the hub id plus a short digest of the intent. */
export interface IdempotencyKey {
  hubId: string;
  key: string;
}

/** What a link asks of a delete beyond the item itself, as named settings (e.g. `remainingEstimate: retain`). */
export type DeleteOptions = Readonly<Record<string, string>>;

export interface Connector<E> {
  readonly manifest: Manifest;
  list(req: ListRequest): Promise<Listing>;
  /**
   * Fetch items by id; missing ones come back as failures with kind `not_found` (never
   * thrown). This answer is the evidence of a deletion the engine infers from a full
   * listing, so `not_found` must mean gone, not "could not tell".
   */
  get(ids: string[]): Promise<(ExternalItem<E> | ItemFailure)[]>;
  /** Create with the key embedded so a retried create is found, not duplicated. */
  create(data: E, key: IdempotencyKey): Promise<WriteResult<E>>;
  /** Update only if the item still has `ifMatch`; otherwise throw a `precondition` error. */
  update(id: string, data: E, ifMatch: string): Promise<WriteResult<E>>;
  /**
   * Delete only if the item still has `ifMatch`; a missing item throws `not_found`.
   * `options` are the link's wishes for the delete (its mapper's `deleteOptions`, e.g.
   * Jira's remaining-estimate mode); connectors that have none ignore them.
   */
  delete(id: string, ifMatch: string, options?: DeleteOptions): Promise<void>;
  /** Find what a create with this key made, for resolving an interrupted intent. */
  findByKey(key: IdempotencyKey): Promise<ExternalRef | null>;
  close?(): Promise<void>;
}

export function isItemFailure<E>(x: ExternalItem<E> | ItemFailure): x is ItemFailure {
  return 'error' in x;
}
