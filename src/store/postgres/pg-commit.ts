/**
 * `commit(batch)` on PostgreSQL: one READ COMMITTED transaction, every part written with
 * a handful of array (unnest) statements however big the batch.
 *
 * Concurrency guarantees:
 * - Records are locked (`SELECT … FOR UPDATE`, in id order so two commits cannot deadlock
 *   on them) before their versions are checked, and new records are claimed by inserting
 *   them (`ON CONFLICT DO NOTHING`). Two processes committing the same record at once:
 *   one wins, the other gets STORE_VERSION_CONFLICT naming the record; nothing is lost.
 * - Change-log seqs become visible in seq order. Identity values are handed out when a
 *   row is inserted, not when its transaction commits, so without care a reader could see
 *   seq 6 before seq 5 commits and move its cursor past 5 for ever. The change-log insert
 *   therefore runs under a transaction-level advisory lock (one per schema) held until
 *   COMMIT: whoever takes a seq commits before anyone takes a higher one. So when a reader
 *   sees seq n, every lower seq is already visible or was rolled back, and `headSeq` and
 *   `changesSince` never skip a change. The price: that last step of a commit (insert the
 *   changes, COMMIT) is serialised across all writers of the schema. Everything else —
 *   record locks, status rows, intents — runs before the lock is taken.
 */
import type pg from 'pg';
import { TimebridgeError } from '../../core/errors.js';
import type { CommitBatch, CommitResult, ConflictRow, Intent, LinkState, RecordWrite, StatusWrite } from '../types.js';
import { writeLossRows } from './pg-loss-table.js';
import { withTransaction } from './pg-pool.js';
import { named } from './pg-rows.js';
import { PARKED_COLS, parkedValues } from '../rows.js';

const RETRY_HINT = 'run the sync again; the record changed underneath this run';
const CONCURRENT_CODES = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure

const Q = {
  lockRecords: named(
    'c_lock_records',
    `SELECT id, version, fields, tombstone FROM records
    WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
  ),
  versionOf: named('c_version_of', 'SELECT version FROM records WHERE id = $1'),
  insertRecords: named(
    'c_insert_records',
    `INSERT INTO records (id, kind, scope, fields, identity, version, updated_at, origin, tombstone)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::bool[])
    ON CONFLICT (id) DO NOTHING RETURNING id`,
  ),
  updateRecords: named(
    'c_update_records',
    `UPDATE records r SET kind = u.kind, scope = u.scope, fields = u.fields,
    identity = u.identity, version = u.version, updated_at = u.updated_at, origin = u.origin, tombstone = u.tombstone
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::bool[])
      AS u(id, kind, scope, fields, identity, version, updated_at, origin, tombstone)
    WHERE r.id = u.id`,
  ),
  changesLock: named('c_changes_lock', 'SELECT pg_advisory_xact_lock($1::bigint)'),
  insertChanges: named(
    'c_insert_changes',
    `WITH ins AS (
      INSERT INTO changes (record_id, scope, kind, version, origin, run_id, at, before)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[])
      RETURNING seq)
    SELECT MAX(seq) AS head FROM ins`,
  ),
  headSeq: named('c_head_seq', 'SELECT COALESCE(MAX(seq), 0) AS head FROM changes'),
  deleteStatus: named(
    'c_delete_status',
    `DELETE FROM status s USING unnest($1::text[], $2::text[]) AS d(link_id, hub_id)
    WHERE s.link_id = d.link_id AND s.hub_id = d.hub_id`,
  ),
  statusClashes: named(
    'c_status_clashes',
    `SELECT b.link_id, b.hub_id, b.ext_id, s.hub_id AS holder
    FROM unnest($1::text[], $2::text[], $3::text[]) AS b(link_id, hub_id, ext_id)
    JOIN status s ON s.link_id = b.link_id AND s.ext_id = b.ext_id AND s.hub_id <> b.hub_id`,
  ),
  upsertStatus: named(
    'c_upsert_status',
    `INSERT INTO status (link_id, hub_id, ext_id, hub_version, hub_hash, ext_etag, ext_hash)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[])
    ON CONFLICT (link_id, hub_id) DO UPDATE SET ext_id = excluded.ext_id, hub_version = excluded.hub_version,
      hub_hash = excluded.hub_hash, ext_etag = excluded.ext_etag, ext_hash = excluded.ext_hash`,
  ),
  upsertIntents: named(
    'c_upsert_intents',
    `INSERT INTO intents (id, link_id, run_id, action, hub_id, ext_id, key, hub_version, hub_hash, created_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[])
    ON CONFLICT (id) DO UPDATE SET link_id = excluded.link_id, run_id = excluded.run_id, action = excluded.action,
      hub_id = excluded.hub_id, ext_id = excluded.ext_id, key = excluded.key, hub_version = excluded.hub_version,
      hub_hash = excluded.hub_hash, created_at = excluded.created_at`,
  ),
  deleteIntents: named('c_delete_intents', 'DELETE FROM intents WHERE id = ANY($1::text[])'),
  upsertConflicts: named(
    'c_upsert_conflicts',
    `INSERT INTO conflicts (link_id, hub_id, ext_id, fields, hub_fields, ext_fields, detected_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
    ON CONFLICT (link_id, hub_id) DO UPDATE SET ext_id = excluded.ext_id, fields = excluded.fields,
      hub_fields = excluded.hub_fields, ext_fields = excluded.ext_fields, detected_at = excluded.detected_at`,
  ),
  deleteConflicts: named(
    'c_delete_conflicts',
    `DELETE FROM conflicts c USING unnest($1::text[], $2::text[]) AS d(link_id, hub_id)
    WHERE c.link_id = d.link_id AND c.hub_id = d.hub_id`,
  ),
  deleteParked: named(
    'c_delete_parked',
    `DELETE FROM parked p USING unnest($1::text[], $2::text[]) AS d(link_id, hub_id)
    WHERE p.link_id = d.link_id AND p.hub_id = d.hub_id`,
  ),
  upsertParked: named(
    'c_upsert_parked',
    `INSERT INTO parked (${PARKED_COLS})
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[],
      $10::text[], $11::text[], $12::int[], $13::text[], $14::text[], $15::text[], $16::text[])
    ON CONFLICT (link_id, hub_id) DO UPDATE SET ext_id = excluded.ext_id, action = excluded.action, code = excluded.code,
      kind = excluded.kind, message = excluded.message, answer = excluded.answer, status = excluded.status, label = excluded.label,
      source = excluded.source, hub_version = excluded.hub_version, hub_hash = excluded.hub_hash, ext_etag = excluded.ext_etag,
      parked_at = excluded.parked_at, run_id = excluded.run_id`,
  ),
  // $8: which of the seven columns the patch gives; the others keep their value (or default, for a new row).
  mergeLinkState: named(
    'c_merge_link_state',
    `INSERT INTO link_state
      (link_id, hub_cursor, ext_cursor, last_run_id, last_status, last_run_at, ext_digest)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (link_id) DO UPDATE SET
      hub_cursor = CASE WHEN ($8::bool[])[1] THEN excluded.hub_cursor ELSE link_state.hub_cursor END,
      ext_cursor = CASE WHEN ($8::bool[])[2] THEN excluded.ext_cursor ELSE link_state.ext_cursor END,
      last_run_id = CASE WHEN ($8::bool[])[3] THEN excluded.last_run_id ELSE link_state.last_run_id END,
      last_status = CASE WHEN ($8::bool[])[4] THEN excluded.last_status ELSE link_state.last_status END,
      last_run_at = CASE WHEN ($8::bool[])[5] THEN excluded.last_run_at ELSE link_state.last_run_at END,
      ext_digest = CASE WHEN ($8::bool[])[6] THEN excluded.ext_digest ELSE link_state.ext_digest END`,
  ),
};

/** Column arrays of rows, for unnest: columns(rows, r => [a, b]) gives [[a1, a2, …], [b1, b2, …]]. */
function columns<T>(rows: T[], pick: (r: T) => unknown[]): unknown[][] {
  const out: unknown[][] = [];
  for (const r of rows) {
    const values = pick(r);
    values.forEach((v, i) => (out[i] ??= []).push(v));
  }
  return out;
}

/** The last of each key wins, as when the rows are written one after another. */
function lastByKey<T>(rows: T[], key: (r: T) => string): T[] {
  return [...new Map(rows.map((r) => [key(r), r])).values()];
}

function versionConflict(id: string, expected: number, actual: number): TimebridgeError {
  return new TimebridgeError('STORE_VERSION_CONFLICT', `Record ${id} was expected at version ${expected} but is at version ${actual}; nothing was saved.`, {
    hint: RETRY_HINT,
    details: { recordId: id, expected, actual },
  });
}

interface Current {
  version: number;
  fields: string;
  tombstone: boolean;
}
type FinalRecord = [
  id: string,
  kind: string,
  scope: string,
  fields: string,
  identity: string | null,
  version: number,
  updatedAt: string,
  origin: string,
  tombstone: boolean,
];
type ChangeRow = [recordId: string, scope: string, kind: string, version: number, origin: string, runId: string | null, at: string, before: string | null];

/** Lock, check and write the records; returns the change rows to append to the log. */
async function writeRecords(client: pg.ClientBase, writes: RecordWrite[], versions: Record<string, number>): Promise<ChangeRow[]> {
  const ids = [...new Set(writes.map((w) => w.id))].sort();
  const current = new Map<string, Current>();
  for (const r of (await client.query(Q.lockRecords([ids]))).rows) {
    current.set(r.id, { version: r.version, fields: r.fields, tombstone: r.tombstone });
  }
  const existing = new Set(current.keys());
  const finals = new Map<string, FinalRecord>();
  const changes: ChangeRow[] = [];
  for (const w of writes) {
    const prev = current.get(w.id);
    const actual = prev?.version ?? 0;
    if (actual !== w.expectedVersion) throw versionConflict(w.id, w.expectedVersion, actual);
    const version = actual + 1;
    const fields = JSON.stringify(w.fields);
    // The stored fields are already JSON text, so the snapshot is assembled without re-parsing.
    const before = prev ? `{"fields":${prev.fields},"tombstone":${prev.tombstone},"version":${prev.version}}` : null;
    finals.set(w.id, [w.id, w.kind, w.scope, fields, w.identity, version, w.updatedAt, w.origin, w.tombstone]);
    changes.push([w.id, w.scope, w.kind, version, w.origin, w.runId, w.updatedAt, before]);
    current.set(w.id, { version, fields, tombstone: w.tombstone });
    versions[w.id] = version;
  }
  const updates = [...finals.values()].filter((f) => existing.has(f[0]));
  const inserts = [...finals.values()].filter((f) => !existing.has(f[0])).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  if (updates.length) await client.query(Q.updateRecords(columns(updates, (f) => f)));
  if (inserts.length) {
    // A record another transaction created since the lock query is not overwritten: it is a conflict.
    const { rows } = await client.query(Q.insertRecords(columns(inserts, (f) => f)));
    if (rows.length < inserts.length) {
      const inserted = new Set(rows.map((r) => r.id as string));
      const lost = inserts.find((f) => !inserted.has(f[0]))![0];
      const { rows: now } = await client.query(Q.versionOf([lost]));
      throw versionConflict(lost, 0, (now[0]?.version as number | undefined) ?? 0);
    }
  }
  return changes;
}

/**
 * Upsert status rows keeping (link, ext id) unique for the state after the batch: ext ids
 * may move between hub ids of the batch (a swap), but not away from a row the batch leaves.
 */
async function upsertStatus(client: pg.ClientBase, given: StatusWrite[]): Promise<void> {
  const rows = lastByKey(given, (r) => `${r.linkId}\u0000${r.hubId}`);
  const batchKeys = new Set(rows.map((r) => `${r.linkId}\u0000${r.hubId}`));
  const extOwner = new Map<string, string>();
  for (const r of rows) {
    const other = extOwner.get(`${r.linkId}\u0000${r.extId}`);
    if (other !== undefined) throw pairedElsewhere(r);
    extOwner.set(`${r.linkId}\u0000${r.extId}`, r.hubId);
  }
  const clashes = (await client.query(Q.statusClashes(columns(rows, (r) => [r.linkId, r.hubId, r.extId])))).rows;
  for (const c of clashes) {
    if (!batchKeys.has(`${c.link_id}\u0000${c.holder}`)) {
      throw pairedElsewhere({ linkId: c.link_id, hubId: c.hub_id, extId: c.ext_id });
    }
  }
  // A swap: removing the batch's rows first lets the uniqueness hold for the state after it.
  if (clashes.length) await client.query(Q.deleteStatus(columns(rows, (r) => [r.linkId, r.hubId])));
  await client.query(Q.upsertStatus(columns(rows, (r) => [r.linkId, r.hubId, r.extId, r.hubVersion, r.hubHash, r.extEtag, r.extHash])));
}

function pairedElsewhere(r: { linkId: string; hubId: string; extId: string }): TimebridgeError {
  return new TimebridgeError(
    'STORE_VERSION_CONFLICT',
    `External item ${r.extId} on ${r.linkId} is already paired with another hub record, ` + `so it cannot be paired with ${r.hubId}; nothing was saved.`,
    { hint: RETRY_HINT, details: { linkId: r.linkId, hubId: r.hubId, extId: r.extId } },
  );
}

async function writeSideTables(client: pg.ClientBase, batch: CommitBatch): Promise<void> {
  if (batch.statusDeletes?.length) {
    await client.query(Q.deleteStatus(columns(batch.statusDeletes, (d) => [d.linkId, d.hubId])));
  }
  if (batch.statusUpserts?.length) await upsertStatus(client, batch.statusUpserts);
  if (batch.intentsAdd?.length) {
    const intents = lastByKey(batch.intentsAdd, (i) => i.id);
    await client.query(
      Q.upsertIntents(columns(intents, (i: Intent) => [i.id, i.linkId, i.runId, i.action, i.hubId, i.extId, i.key, i.hubVersion, i.hubHash, i.createdAt])),
    );
  }
  if (batch.intentsClear?.length) await client.query(Q.deleteIntents([batch.intentsClear]));
  if (batch.conflictsUpsert?.length) {
    const conflicts = lastByKey(batch.conflictsUpsert, (c) => `${c.linkId}\u0000${c.hubId}`);
    await client.query(
      Q.upsertConflicts(
        columns(conflicts, (c: ConflictRow) => [
          c.linkId,
          c.hubId,
          c.extId,
          JSON.stringify(c.fields),
          JSON.stringify(c.hubFields),
          JSON.stringify(c.extFields),
          c.detectedAt,
        ]),
      ),
    );
  }
  if (batch.conflictsClear?.length) {
    await client.query(Q.deleteConflicts(columns(batch.conflictsClear, (c) => [c.linkId, c.hubId])));
  }
  if (batch.parkedClear?.length) await client.query(Q.deleteParked(columns(batch.parkedClear, (c) => [c.linkId, c.hubId])));
  if (batch.parkedUpsert?.length) {
    const parked = lastByKey(batch.parkedUpsert, (p) => `${p.linkId}\u0000${p.hubId}`);
    await client.query(Q.upsertParked(columns(parked, parkedValues)));
  }
  await writeLossRows(client, batch);
  if (batch.linkState) await client.query(Q.mergeLinkState(linkStateValues(batch.linkState)));
}

const LINK_STATE_KEYS = ['hubCursor', 'extCursor', 'lastRunId', 'lastStatus', 'lastRunAt', 'extDigest'] as const;

/** undefined means "not given"; null is a value and clears the field. */
function linkStateValues(patch: Partial<LinkState> & { linkId: string }): unknown[] {
  const given = LINK_STATE_KEYS.map((k) => patch[k] !== undefined);
  const values = LINK_STATE_KEYS.map((k) => patch[k] ?? (k === 'hubCursor' ? 0 : null));
  return [patch.linkId, ...values, given];
}

/** Apply the batch in one transaction; see the file comment for the guarantees. */
export async function commitBatch(pool: pg.Pool, batch: CommitBatch, changesLockKey: string): Promise<CommitResult> {
  try {
    return await withTransaction(pool, (client) => applyBatch(client, batch, changesLockKey));
  } catch (err) {
    throw asConflict(err);
  }
}

async function applyBatch(client: pg.ClientBase, batch: CommitBatch, changesLockKey: string): Promise<CommitResult> {
  const versions: Record<string, number> = {};
  const changes = batch.records?.length ? await writeRecords(client, batch.records, versions) : [];
  await writeSideTables(client, batch);
  if (!changes.length) return { versions, headSeq: (await client.query(Q.headSeq())).rows[0].head as number };
  await client.query(Q.changesLock([changesLockKey]));
  // Under the lock no one else holds a seq, so the highest seq of this insert is the head.
  const { rows } = await client.query(Q.insertChanges(columns(changes, (c) => c)));
  return { versions, headSeq: rows[0].head as number };
}

/** Another commit holds a live reservation with the same person, office and days (the unique index of migration 6). */
function identityTaken(err: unknown): TimebridgeError {
  return new TimebridgeError(
    'STORE_VERSION_CONFLICT',
    'A reservation for the same person, office and days was written at the same moment or exists already; nothing was saved.',
    { hint: 'read the reservation with that person, office and days and change it instead', cause: err, details: { index: 'records_reservation_identity' } },
  );
}

/**
 * A deadlock or serialisation failure between two commits, or a status row another
 * process wrote meanwhile, is a conflict like a stale version: retry the run.
 */
function asConflict(err: unknown): unknown {
  const { code, constraint } = (err ?? {}) as { code?: unknown; constraint?: unknown };
  if (code === '23505' && constraint === 'records_reservation_identity') return identityTaken(err);
  const concurrent = (typeof code === 'string' && CONCURRENT_CODES.has(code)) || (code === '23505' && constraint === 'status_link_ext');
  if (!concurrent) return err;
  return new TimebridgeError('STORE_VERSION_CONFLICT', 'Another commit changed the same hub records or status rows at the same moment; nothing was saved.', {
    hint: RETRY_HINT,
    cause: err,
  });
}
