/**
 * How the hub store's rows become engine values, shared by the SQLite and PostgreSQL
 * stores: both keep the same columns (JSON as text), read the big tables in array mode
 * with the same column lists, and derive a status row's merge base with the same join.
 */
import type { Fields, HubChange, HubRecord, RecordKind } from '../core/model.js';
import type { ErrorKind } from '../core/errors.js';
import type { ConflictRow, Intent, LinkState, LossRow, ParkedItem, RunRecord, StatusRow } from './types.js';

export type Row = Record<string, unknown>;

export const str = (v: unknown): string => v as string;
export const strOrNull = (v: unknown): string | null => (v === null ? null : (v as string));

/*
 * Records, changes and status rows come back by the tens of thousands, so they are read
 * in raw (array) mode with explicit column lists, and columns the caller already knows
 * (scope and kind of listScope, the link of loadStatus) are not selected: building a
 * JS string per row and column is most of the read cost.
 */
export const RECORD_COLS = 'id, fields, identity, version, updated_at, origin, tombstone, kind, scope';
export const RECORD_COLS_IN_SCOPE = 'id, fields, identity, version, updated_at, origin, tombstone';
export const CHANGE_COLS = 'seq, record_id, scope, kind, version, origin, run_id, at, before';
/*
 * The merge base of a status row is the hub record as it was at hub_version: the record
 * itself while it is still at that version, else the before-snapshot of the change that
 * replaced it. Status rows therefore store no copy of it.
 */
export const STATUS_FROM = `s.hub_id, s.ext_id, s.hub_version, s.hub_hash, s.ext_etag, s.ext_hash,
  CASE WHEN r.version = s.hub_version THEN r.fields END, c.before
  FROM status s LEFT JOIN records r ON r.id = s.hub_id
  LEFT JOIN changes c ON c.record_id = s.hub_id AND c.version = s.hub_version + 1 AND r.version <> s.hub_version`;

/** A record row (RECORD_COLS); `tombstone` is 1 in SQLite and true in PostgreSQL. */
export function toRecord(r: unknown[], kind = r[7] as RecordKind, scope = str(r[8])): HubRecord {
  return {
    id: str(r[0]),
    kind,
    scope,
    fields: JSON.parse(str(r[1])) as Fields,
    identity: strOrNull(r[2]),
    version: r[3] as number,
    updatedAt: str(r[4]),
    origin: str(r[5]),
    tombstone: r[6] === 1 || r[6] === true,
  };
}

export function toChange(r: unknown[]): HubChange {
  return {
    seq: r[0] as number,
    recordId: str(r[1]),
    scope: str(r[2]),
    kind: r[3] as RecordKind,
    version: r[4] as number,
    origin: str(r[5]),
    runId: strOrNull(r[6]),
    at: str(r[7]),
    before: r[8] === null ? null : (JSON.parse(str(r[8])) as HubChange['before']),
  };
}

/**
 * `base` is parsed on first access: the engine needs it only for three-way merges, and
 * parsing it for every row is a third of loading a link's 50k status rows.
 */
export function toStatus(linkId: string, r: unknown[]): StatusRow {
  const current = r[6] as string | null,
    before = r[7] as string | null;
  let parsed: Fields | undefined;
  const row = {
    linkId,
    hubId: str(r[0]),
    extId: str(r[1]),
    hubVersion: r[2] as number,
    hubHash: str(r[3]),
    extEtag: str(r[4]),
    extHash: str(r[5]),
  } as StatusRow;
  Object.defineProperty(row, 'base', {
    enumerable: true,
    configurable: true,
    // A row whose record is gone has no base: a merge then treats every differing field as contested.
    get: () => (parsed ??= current !== null ? (JSON.parse(current) as Fields) : before !== null ? (JSON.parse(before) as { fields: Fields }).fields : {}),
  });
  return row;
}

export function toIntent(r: Row): Intent {
  return {
    id: str(r.id),
    linkId: str(r.link_id),
    runId: str(r.run_id),
    action: r.action as Intent['action'],
    hubId: str(r.hub_id),
    extId: strOrNull(r.ext_id),
    key: str(r.key),
    hubVersion: r.hub_version as number,
    hubHash: str(r.hub_hash),
    createdAt: str(r.created_at),
  };
}

export function toConflict(r: Row): ConflictRow {
  return {
    linkId: str(r.link_id),
    hubId: str(r.hub_id),
    extId: str(r.ext_id),
    fields: JSON.parse(str(r.fields)) as string[],
    hubFields: JSON.parse(str(r.hub_fields)) as Fields,
    extFields: JSON.parse(str(r.ext_fields)) as Fields,
    detectedAt: str(r.detected_at),
  };
}

export function toLoss(r: Row): LossRow {
  return {
    linkId: str(r.link_id),
    hubId: str(r.hub_id),
    extId: str(r.ext_id),
    label: str(r.label),
    losses: JSON.parse(str(r.losses)) as LossRow['losses'],
    detectedAt: str(r.detected_at),
    runId: str(r.run_id),
  };
}

export function toRun(r: Row): RunRecord {
  return {
    id: str(r.id),
    linkId: str(r.link_id),
    trigger: str(r.trigger),
    startedAt: str(r.started_at),
    finishedAt: strOrNull(r.finished_at),
    status: r.status as RunRecord['status'],
    counts: JSON.parse(str(r.counts)) as RunRecord['counts'],
    errors: JSON.parse(str(r.errors)) as RunRecord['errors'],
    warnings: JSON.parse(str(r.warnings ?? '[]')) as RunRecord['warnings'],
    plan: JSON.parse(str(r.plan)) as RunRecord['plan'],
    apiCalls: r.api_calls as number,
    durationMs: r.duration_ms === null ? null : (r.duration_ms as number),
  };
}

export function toLinkState(r: Row): LinkState {
  return {
    linkId: str(r.link_id),
    hubCursor: r.hub_cursor as number,
    extCursor: strOrNull(r.ext_cursor),
    lastRunId: strOrNull(r.last_run_id),
    lastStatus: r.last_status as LinkState['lastStatus'],
    lastRunAt: strOrNull(r.last_run_at),
    extDigest: strOrNull(r.ext_digest),
  };
}

export function defaultLinkState(linkId: string): LinkState {
  return { linkId, hubCursor: 0, extCursor: null, lastRunId: null, lastStatus: null, lastRunAt: null, extDigest: null };
}

/** The columns of `parked` in insert order, and a row of them. */
export const PARKED_COLS =
  'link_id, hub_id, ext_id, action, code, kind, message, answer, status, label, source, hub_version, hub_hash, ext_etag, parked_at, run_id';

export function parkedValues(p: ParkedItem): unknown[] {
  return [
    p.linkId,
    p.hubId,
    p.extId,
    p.action,
    p.code,
    p.kind,
    p.message,
    p.answer,
    p.status,
    p.label,
    p.source,
    p.hubVersion,
    p.hubHash,
    p.extEtag,
    p.parkedAt,
    p.runId,
  ];
}

export function toParked(r: Row): ParkedItem {
  return {
    linkId: str(r.link_id),
    hubId: str(r.hub_id),
    extId: strOrNull(r.ext_id),
    action: r.action as ParkedItem['action'],
    code: str(r.code),
    kind: r.kind as ErrorKind,
    message: str(r.message),
    answer: strOrNull(r.answer),
    status: r.status === null ? null : Number(r.status),
    label: str(r.label),
    source: strOrNull(r.source),
    hubVersion: Number(r.hub_version),
    hubHash: str(r.hub_hash),
    extEtag: strOrNull(r.ext_etag),
    parkedAt: str(r.parked_at),
    runId: str(r.run_id),
  };
}
