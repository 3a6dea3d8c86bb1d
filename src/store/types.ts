/**
 * The hub store's repository interface. The engine talks only to this; SQLite and
 * PostgreSQL implement it, and one contract suite (store/contract.ts) runs against both.
 * All writes that must land together go through `commit`, one atomic batch of data,
 * so no SQL dialect or transaction handle leaks into the engine.
 */
import type { ErrorInfo, ErrorKind } from '../core/errors.js';
import type { FieldLoss } from '../core/fields/write-loss.js';
import type { Fields, HubChange, HubRecord, Json, RecordKind } from '../core/model.js';
import type { Agreement } from '../core/planner.js';

/**
 * Per-link, per-item agreement (the planner's Agreement): the last state both sides agreed
 * on. Its `base` (for three-way merges) is not stored with the row: it is the hub record
 * as it was at `hubVersion`, which the store finds through the record or the change log.
 */
export interface StatusRow extends Agreement {
  linkId: string;
}

/** A status row as written: the base follows from hubVersion. */
export type StatusWrite = Omit<StatusRow, 'base'>;

export type StatusKey = Pick<StatusWrite, 'hubId' | 'extId' | 'hubVersion' | 'extEtag'>;

export type IntentAction = 'create' | 'update' | 'delete';

/** Written before an external write; cleared in the same commit as its result. */
export interface Intent {
  id: string;
  linkId: string;
  runId: string;
  action: IntentAction;
  hubId: string;
  extId: string | null;
  key: string;
  /** Hub version and hash the write carries, so recovery can write the status row. */
  hubVersion: number;
  hubHash: string;
  createdAt: string;
}

/** `aborted`: the process stopped mid-run (found and marked by the next run of its link). */
export type RunStatus = 'running' | 'ok' | 'partial' | 'failed' | 'stopped' | 'aborted';

/** Something a run did with an item that the user should know about, though nothing failed. */
export interface RunWarning {
  id: string;
  label: string;
  message: string;
  /** `WRITE_LOSS`: the remote stored a write differently from what was sent (see LossRow). Absent for read warnings. */
  code?: 'WRITE_LOSS';
}

/**
 * The write losses of one linked item: held fields the last checked write sent that the
 * remote stored differently. Kept until a write stores them as sent, the remote's value
 * moves on, or the item is unlinked; while a field is still at `stored`, a pull keeps
 * what was sent (core/fields/write-loss.ts).
 */
export interface LossRow {
  linkId: string;
  hubId: string;
  extId: string;
  /** The item as plans and errors name it (an event's summary and start). */
  label: string;
  losses: FieldLoss[];
  detectedAt: string;
  runId: string;
}

export interface RunRecord {
  id: string;
  linkId: string;
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  counts: Record<string, number>;
  errors: { id: string; label: string; error: ErrorInfo }[];
  /** Items read, but not exactly as they were (a file converted from another text encoding): each says what to check. */
  warnings: RunWarning[];
  plan: Json;
  apiCalls: number;
  durationMs: number | null;
}

export interface LinkState {
  linkId: string;
  /** Hub change-log position: changes at or below it are applied. */
  hubCursor: number;
  /** The connector's own cursor (sync token), stored after the items it covers. */
  extCursor: string | null;
  lastRunId: string | null;
  lastStatus: RunStatus | null;
  lastRunAt: string | null;
  /**
   * Digest of the external listing (ids and etags) as the last clean run left it; a run
   * whose listing has the same digest and no hub change has nothing to do.
   */
  extDigest: string | null;
}

export interface ConflictRow {
  linkId: string;
  hubId: string;
  extId: string;
  fields: string[];
  hubFields: Fields;
  extFields: Fields;
  detectedAt: string;
}

/**
 * An item whose external write the remote refused for good (core/parking.ts): it is not
 * sent again while the hub record stays at `hubVersion` and the external item at
 * `extEtag`. One per (link, hub id); written and cleared in the commit that records the
 * failure or the success.
 */
export interface ParkedItem {
  linkId: string;
  /** The hub record (`external-only:<ext id>` for a delete of an item the hub never had). */
  hubId: string;
  /** Null for a create. */
  extId: string | null;
  action: IntentAction;
  code: string;
  kind: ErrorKind;
  /** The whole reason, as the run that parked it reported it. */
  message: string;
  /** The server's answer: whitespace collapsed, at most about 1 KB; null when no HTTP answer caused it. */
  answer: string | null;
  /** HTTP status of that answer. */
  status: number | null;
  /** The item as a person knows it (title, UID). */
  label: string;
  /** Where the item comes from (the origin link and its external id), when known. */
  source: string | null;
  hubVersion: number;
  hubHash: string;
  /** The external etag the write carried (null for a create). */
  extEtag: string | null;
  parkedAt: string;
  runId: string;
}

export interface RecordWrite {
  id: string;
  kind: RecordKind;
  scope: string;
  fields: Fields;
  identity: string | null;
  tombstone: boolean;
  origin: string;
  runId: string | null;
  /** The version the writer read (0 for a new record); a mismatch fails the whole commit. */
  expectedVersion: number;
  updatedAt: string;
}

export interface CommitBatch {
  records?: RecordWrite[];
  statusUpserts?: StatusWrite[];
  statusDeletes?: { linkId: string; hubId: string }[];
  intentsAdd?: Intent[];
  intentsClear?: string[];
  conflictsUpsert?: ConflictRow[];
  conflictsClear?: { linkId: string; hubId: string }[];
  /** Park items (replacing an earlier park of the same link and hub id). */
  parkedUpsert?: ParkedItem[];
  parkedClear?: { linkId: string; hubId: string }[];
  /** Replace an item's write losses (applied after `lossesClear`). */
  lossesPut?: LossRow[];
  /** Forget an item's write losses. A status delete forgets them too. */
  lossesClear?: { linkId: string; hubId: string }[];
  linkState?: Partial<LinkState> & { linkId: string };
}

export interface CommitResult {
  /** New version of each written record, by id. */
  versions: Record<string, number>;
  /** Highest change-log seq after the commit. */
  headSeq: number;
}

/** A connection or link definition as configured, kept so runs and plans can name them. */
export interface Definition {
  id: string;
  type: string;
  config: Json;
}

/** `scope`: who owns a hub scope and who was granted it (app/scopes.ts). */
export type DefinitionCategory = 'connection' | 'link' | 'scope' | 'attendance';

/**
 * A definition as the service manages it. Definitions from timebridge.yaml have source
 * `file` (the API may enable or disable them but not edit them); the API creates `api` ones.
 */
export interface ManagedDefinition extends Definition {
  category: DefinitionCategory;
  /** null: global (admins manage it); otherwise the user id that owns it. */
  owner: string | null;
  source: 'file' | 'api';
  enabled: boolean;
  /** A connection's secrets, encrypted (app/secret-box.ts text); null when it has none. */
  secrets: string | null;
  updatedAt: string;
}

export type Role = 'admin' | 'user';

/** An API token. Only the SHA-256 of the token is stored; the token is shown once. */
export interface ApiToken {
  id: string;
  userId: string;
  role: Role;
  label: string;
  /** Hex SHA-256 of the token text. */
  hash: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/**
 * A sign-in under way (an OAuth connect flow): the callback finds it by `key`, once, before
 * `expiresAt`. The key is what the flow chooses to store (a hash of the state it hands out).
 */
export interface OAuthState {
  key: string;
  connection: string;
  userId: string | null;
  redirectUri: string;
  expiresAt: string;
}

export interface HubStore {
  /** Apply the batch atomically: all of it or none. Throws STORE_VERSION_CONFLICT on a stale expectedVersion. */
  commit(batch: CommitBatch): Promise<CommitResult>;

  getRecords(ids: string[]): Promise<HubRecord[]>;
  /** All records of a scope and kind, tombstones included. */
  listScope(scope: string, kind: RecordKind): Promise<HubRecord[]>;
  /** Live (non-tombstoned) records with this natural key. */
  findByIdentity(scope: string, kind: RecordKind, identity: string): Promise<HubRecord[]>;
  /** Live records with any of these natural keys, in one query instead of one per key (no particular order). */
  findByIdentities?(scope: string, kind: RecordKind, identities: string[]): Promise<HubRecord[]>;
  /** Change-log entries of a scope and kind after `afterSeq`, in seq order. */
  changesSince(scope: string, kind: RecordKind, afterSeq: number): Promise<HubChange[]>;
  changesOfRun(runId: string): Promise<HubChange[]>;
  /** Every change-log entry of one record, in version order: its history. */
  changesOfRecord(recordId: string): Promise<HubChange[]>;
  headSeq(): Promise<number>;

  loadStatus(linkId: string): Promise<StatusRow[]>;
  /** The light part of every status row of a link: enough to see what moved, cheaply. */
  loadStatusIndex(linkId: string): Promise<StatusKey[]>;
  /** How many status rows (linked items) a link has. */
  countStatus(linkId: string): Promise<number>;
  /** Full status rows of these hub ids (missing ones are left out), ordered by hub id. */
  getStatus(linkId: string, hubIds: string[]): Promise<StatusRow[]>;
  openIntents(linkId: string): Promise<Intent[]>;
  /** Every link's pairing of one hub record (its external id there), ordered by link id: where an item comes from. */
  pairingsOf(hubId: string): Promise<{ linkId: string; extId: string }[]>;

  /**
   * Record the connections and links of the config file (upsert by id, source `file`,
   * owner null). An existing row keeps its `enabled` flag and `secrets`; a new one is enabled.
   */
  saveDefinitions(defs: { connections: Definition[]; links: Definition[] }): Promise<void>;
  listDefinitions(): Promise<{ connections: Definition[]; links: Definition[] }>;
  /** Every definition of a category with its managed fields, ordered by id. */
  listManagedDefinitions(category: DefinitionCategory): Promise<ManagedDefinition[]>;
  getDefinition(category: DefinitionCategory, id: string): Promise<ManagedDefinition | null>;
  /** Insert or replace a definition with all its fields. */
  putDefinition(def: ManagedDefinition): Promise<void>;
  /** Remove a definition; false when there was none. */
  deleteDefinition(category: DefinitionCategory, id: string): Promise<boolean>;

  createToken(token: ApiToken): Promise<void>;
  /** The token with this hash, unless it is revoked. */
  findToken(hash: string): Promise<ApiToken | null>;
  /** All tokens, revoked ones included, ordered by createdAt then id. */
  listTokens(): Promise<ApiToken[]>;
  /** Mark a token revoked; false when no unrevoked token has this id. */
  revokeToken(id: string, at: string): Promise<boolean>;
  touchToken(id: string, at: string): Promise<void>;

  /**
   * Remember an accepted webhook delivery until `expiresAt`, atomically across processes:
   * true the first time, false while an unexpired delivery with this key is remembered.
   * Deliveries expired at `now` are forgotten (and pruned).
   */
  rememberDelivery(key: string, expiresAt: string, now: string): Promise<boolean>;
  /** Keep a sign-in under way; states expired at `now` are pruned. A key is unique (a repeat is refused). */
  saveOAuthState(state: OAuthState, now: string): Promise<void>;
  /**
   * Take a sign-in under way: it is removed, and returned unless it expired at `now`.
   * Single use across processes: of two takes of one key, one gets it.
   */
  takeOAuthState(key: string, now: string): Promise<OAuthState | null>;

  /** Cursor state of a link; a link never run has hubCursor 0 and nulls. */
  getLinkState(linkId: string): Promise<LinkState>;
  listConflicts(linkId?: string): Promise<ConflictRow[]>;
  /** Parked items of one link, or of every link; ordered by link then hub id. */
  listParked(linkId?: string): Promise<ParkedItem[]>;
  /** Unpark every item of a link (`sync --retry-parked`); returns how many were parked. */
  clearParked(linkId: string): Promise<number>;
  /** Items with write losses, ordered by link then hub id. */
  listLosses(linkId?: string): Promise<LossRow[]>;

  saveRun(run: RunRecord): Promise<void>;
  getRun(id: string): Promise<RunRecord | null>;
  listRuns(opts: { linkId?: string; limit: number }): Promise<RunRecord[]>;

  close(): Promise<void>;
}
