/**
 * The SQLite hub store (better-sqlite3). better-sqlite3 is synchronous and in-process,
 * so the async methods just wrap synchronous calls; every statement is prepared once.
 * Orderings: getRecords follows the order of the ids asked for (missing ids and
 * repeats are skipped); listScope is in no particular order; findByIdentity and
 * loadStatus are ordered by (hub) id; openIntents by createdAt then id; listConflicts
 * by link then hub id; definitions by id; tokens by createdAt then id.
 * Definitions and tokens live in service-tables.ts.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TimebridgeError } from '../../core/errors.js';
import type { HubRecord } from '../../core/model.js';
import type { CommitBatch, CommitResult, HubStore, LinkState, RecordWrite, RunRecord, StatusWrite } from '../types.js';
import {
  CHANGE_COLS,
  PARKED_COLS,
  RECORD_COLS,
  RECORD_COLS_IN_SCOPE,
  STATUS_FROM,
  defaultLinkState,
  parkedValues,
  str,
  toChange,
  toConflict,
  toIntent,
  toLinkState,
  toParked,
  toRecord,
  toRun,
  toStatus,
  type Row,
} from '../rows.js';
import { migrate } from './migrations.js';
import { keepAlive } from './keep-alive.js';
import { lossTable } from './loss-table.js';
import { serviceTables } from './service-tables.js';

type Db = Database.Database;

/** SQLite's default limit on bound variables is far above this; 500 keeps statements small. */
const IN_CHUNK = 500;
/** IN-lists are padded up to one of these sizes so only a handful of statements exist. */
const IN_BUCKETS = [1, 8, 32, 128, IN_CHUNK];
const SCOPE_PAGE = 2000;
const RETRY_HINT = 'run the sync again; the record changed underneath this run';

/** Maps raw rows (all(), not iterate(): an iterator object per call is garbage that Node 24 may abort on; see keep-alive.ts). */
function collect<T>(rows: unknown[][], map: (r: unknown[]) => T): T[] {
  const out: T[] = [];
  for (const r of rows) out.push(map(r));
  return out;
}

function prepareStatements(db: Db) {
  const p = (sql: string) => keepAlive(db.prepare<unknown[], Row>(sql));
  const raw = (sql: string) => keepAlive(db.prepare<unknown[], unknown[]>(sql).raw());
  return {
    upsertRecord: p(`INSERT INTO records (id, kind, scope, fields, identity, version, updated_at, origin, tombstone)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, scope = excluded.scope,
      fields = excluded.fields, identity = excluded.identity, version = excluded.version,
      updated_at = excluded.updated_at, origin = excluded.origin, tombstone = excluded.tombstone`),
    insertChange: p(`INSERT INTO changes (record_id, scope, kind, version, origin, run_id, at, before)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    // No ORDER BY: sorting a whole scope costs more than any caller gains from an order.
    listScope: raw(`SELECT ${RECORD_COLS_IN_SCOPE} FROM records WHERE scope = ? AND kind = ? AND id > ? ORDER BY id LIMIT ${SCOPE_PAGE}`),
    // No ORDER BY here (the few rows are sorted in JS): with one, SQLite prefers the
    // (scope, kind, id) index and scans the whole scope — 44 ms a lookup at 50k records.
    findByIdentity: raw(`SELECT ${RECORD_COLS_IN_SCOPE} FROM records
      WHERE scope = ? AND kind = ? AND identity = ? AND tombstone = 0`),
    changesSince: raw(`SELECT ${CHANGE_COLS} FROM changes WHERE scope = ? AND kind = ? AND seq > ? ORDER BY seq`),
    changesOfRun: raw(`SELECT ${CHANGE_COLS} FROM changes WHERE run_id = ? ORDER BY seq`),
    changesOfRecord: raw(`SELECT ${CHANGE_COLS} FROM changes WHERE record_id = ? ORDER BY version`),
    headSeq: keepAlive(db.prepare<[], number>('SELECT COALESCE(MAX(seq), 0) FROM changes').pluck()),
    loadStatus: raw(`SELECT ${STATUS_FROM} WHERE s.link_id = ? ORDER BY s.hub_id`),
    loadStatusIndex: raw('SELECT hub_id, ext_id, hub_version, ext_etag FROM status WHERE link_id = ?'),
    countStatus: keepAlive(db.prepare<[string], number>('SELECT COUNT(*) FROM status WHERE link_id = ?').pluck()),
    deleteStatus: p('DELETE FROM status WHERE link_id = ? AND hub_id = ?'),
    upsertStatus: p(`INSERT INTO status (link_id, hub_id, ext_id, hub_version, hub_hash, ext_etag, ext_hash)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (link_id, hub_id) DO UPDATE SET ext_id = excluded.ext_id,
      hub_version = excluded.hub_version, hub_hash = excluded.hub_hash, ext_etag = excluded.ext_etag,
      ext_hash = excluded.ext_hash`),
    openIntents: p('SELECT * FROM intents WHERE link_id = ? ORDER BY created_at, id'),
    pairingsOf: p('SELECT link_id, ext_id FROM status WHERE hub_id = ? ORDER BY link_id'),
    upsertIntent: p(`INSERT INTO intents (id, link_id, run_id, action, hub_id, ext_id, key, hub_version, hub_hash, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET link_id = excluded.link_id,
      run_id = excluded.run_id, action = excluded.action, hub_id = excluded.hub_id, ext_id = excluded.ext_id,
      key = excluded.key, hub_version = excluded.hub_version, hub_hash = excluded.hub_hash,
      created_at = excluded.created_at`),
    deleteIntent: p('DELETE FROM intents WHERE id = ?'),
    upsertConflict: p(`INSERT INTO conflicts (link_id, hub_id, ext_id, fields, hub_fields, ext_fields, detected_at)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (link_id, hub_id) DO UPDATE SET ext_id = excluded.ext_id,
      fields = excluded.fields, hub_fields = excluded.hub_fields, ext_fields = excluded.ext_fields,
      detected_at = excluded.detected_at`),
    deleteConflict: p('DELETE FROM conflicts WHERE link_id = ? AND hub_id = ?'),
    allConflicts: p('SELECT * FROM conflicts ORDER BY link_id, hub_id'),
    linkConflicts: p('SELECT * FROM conflicts WHERE link_id = ? ORDER BY hub_id'),
    upsertParked: p(`INSERT OR REPLACE INTO parked (${PARKED_COLS}) VALUES (${new Array<string>(16).fill('?').join(', ')})`),
    deleteParked: p('DELETE FROM parked WHERE link_id = ? AND hub_id = ?'),
    clearParked: p('DELETE FROM parked WHERE link_id = ?'),
    allParked: p('SELECT * FROM parked ORDER BY link_id, hub_id'),
    linkParked: p('SELECT * FROM parked WHERE link_id = ? ORDER BY hub_id'),
    getLinkState: p('SELECT * FROM link_state WHERE link_id = ?'),
    upsertLinkState: p(`INSERT INTO link_state (link_id, hub_cursor, ext_cursor, last_run_id, last_status, last_run_at, ext_digest)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (link_id) DO UPDATE SET hub_cursor = excluded.hub_cursor,
      ext_cursor = excluded.ext_cursor, last_run_id = excluded.last_run_id, last_status = excluded.last_status,
      last_run_at = excluded.last_run_at, ext_digest = excluded.ext_digest`),
    upsertRun: p(`INSERT INTO runs (id, link_id, trigger, started_at, finished_at, status, counts, errors, plan,
      api_calls, duration_ms, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET
      link_id = excluded.link_id, trigger = excluded.trigger, started_at = excluded.started_at,
      finished_at = excluded.finished_at, status = excluded.status, counts = excluded.counts, errors = excluded.errors,
      plan = excluded.plan, api_calls = excluded.api_calls, duration_ms = excluded.duration_ms, warnings = excluded.warnings`),
    getRun: p('SELECT * FROM runs WHERE id = ?'),
    listRuns: p('SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?'),
    listLinkRuns: p('SELECT * FROM runs WHERE link_id = ? ORDER BY started_at DESC, id DESC LIMIT ?'),
  };
}

/**
 * Runs `<select> (?, ?, ...)` over ids in chunks, in raw mode, preparing one statement
 * per bucket size (the first column must be the id).
 */
function inListQuery(db: Db, select: string) {
  const byBucket = new Map<number, Database.Statement<unknown[], unknown[]>>();
  const statement = (size: number) => {
    let s = byBucket.get(size);
    if (!s) {
      s = keepAlive(db.prepare<unknown[], unknown[]>(`${select} (${new Array<string>(size).fill('?').join(', ')})`).raw());
      byBucket.set(size, s);
    }
    return s;
  };
  return (ids: string[], ...lead: unknown[]): unknown[][] => {
    const out: unknown[][] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const chunk = ids.slice(i, i + IN_CHUNK);
      const size = IN_BUCKETS.find((b) => b >= chunk.length) ?? IN_CHUNK;
      // Padding repeats an id already in the list, which IN ignores.
      while (chunk.length < size) chunk.push(chunk[0] as string);
      out.push(...statement(size).all(...lead, ...chunk));
    }
    return out;
  };
}

interface Current {
  version: number;
  fields: string;
  tombstone: number;
}

function createCommit(db: Db, s: ReturnType<typeof prepareStatements>, losses: ReturnType<typeof lossTable>) {
  const currentOf = inListQuery(db, 'SELECT id, version, fields, tombstone FROM records WHERE id IN');

  const writeRecords = (writes: RecordWrite[], versions: Record<string, number>) => {
    const current = new Map<string, Current>();
    for (const [id, version, fields, tombstone] of currentOf([...new Set(writes.map((w) => w.id))])) {
      current.set(str(id), { version: version as number, fields: str(fields), tombstone: tombstone as number });
    }
    for (const w of writes) {
      const prev = current.get(w.id);
      const actual = prev?.version ?? 0;
      if (actual !== w.expectedVersion) {
        throw new TimebridgeError(
          'STORE_VERSION_CONFLICT',
          `Record ${w.id} was expected at version ${w.expectedVersion} but is at version ${actual}; nothing was saved.`,
          { hint: RETRY_HINT, details: { recordId: w.id, expected: w.expectedVersion, actual } },
        );
      }
      const version = actual + 1;
      const fields = JSON.stringify(w.fields);
      const tombstone = w.tombstone ? 1 : 0;
      // The stored fields are already JSON text, so the snapshot is assembled without re-parsing.
      const before = prev ? `{"fields":${prev.fields},"tombstone":${prev.tombstone === 1},"version":${prev.version}}` : null;
      try {
        s.upsertRecord.run(w.id, w.kind, w.scope, fields, w.identity, version, w.updatedAt, w.origin, tombstone);
      } catch (err) {
        // The unique index of migration 9: one live reservation per scope, person, office and days.
        if (!(err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE' && /records\.identity/.test(err.message))) throw err;
        throw new TimebridgeError(
          'STORE_VERSION_CONFLICT',
          `A reservation with the identity ${w.identity} exists already, so ${w.id} cannot take it; nothing was saved.`,
          {
            hint: 'read the reservation with that person, office and days and change it instead',
            cause: err,
            details: { recordId: w.id, identity: w.identity },
          },
        );
      }
      s.insertChange.run(w.id, w.scope, w.kind, version, w.origin, w.runId, w.updatedAt, before);
      current.set(w.id, { version, fields, tombstone });
      versions[w.id] = version;
    }
  };

  const insertStatus = (r: StatusWrite) => s.upsertStatus.run(r.linkId, r.hubId, r.extId, r.hubVersion, r.hubHash, r.extEtag, r.extHash);
  const upsertStatus = (rows: StatusWrite[]) => {
    try {
      for (const r of rows) insertStatus(r);
      return;
    } catch (err) {
      if (!(err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE')) throw err;
    }
    // Rare: the batch moves ext ids between hub ids (a swap). Removing the rows first lets
    // the (link, ext id) uniqueness hold for the state after the batch.
    for (const r of rows) s.deleteStatus.run(r.linkId, r.hubId);
    for (const r of rows) {
      try {
        insertStatus(r);
      } catch (err) {
        if (!(err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE')) throw err;
        throw new TimebridgeError(
          'STORE_VERSION_CONFLICT',
          `External item ${r.extId} on ${r.linkId} is already paired with another hub record, ` + `so it cannot be paired with ${r.hubId}; nothing was saved.`,
          { hint: RETRY_HINT, cause: err, details: { linkId: r.linkId, hubId: r.hubId, extId: r.extId } },
        );
      }
    }
  };

  const mergeLinkState = (patch: Partial<LinkState> & { linkId: string }) => {
    const row = s.getLinkState.get(patch.linkId);
    const current = row ? toLinkState(row) : defaultLinkState(patch.linkId);
    // undefined means "not given"; null is a value and clears the field.
    const given = <K extends keyof LinkState>(key: K): LinkState[K] => (patch[key] === undefined ? current[key] : patch[key]) as LinkState[K];
    s.upsertLinkState.run(
      patch.linkId,
      given('hubCursor'),
      given('extCursor'),
      given('lastRunId'),
      given('lastStatus'),
      given('lastRunAt'),
      given('extDigest'),
    );
  };

  const apply = (batch: CommitBatch): CommitResult => {
    const versions: Record<string, number> = {};
    if (batch.records?.length) writeRecords(batch.records, versions);
    for (const d of batch.statusDeletes ?? []) s.deleteStatus.run(d.linkId, d.hubId);
    if (batch.statusUpserts?.length) upsertStatus(batch.statusUpserts);
    for (const i of batch.intentsAdd ?? []) {
      s.upsertIntent.run(i.id, i.linkId, i.runId, i.action, i.hubId, i.extId, i.key, i.hubVersion, i.hubHash, i.createdAt);
    }
    for (const id of batch.intentsClear ?? []) s.deleteIntent.run(id);
    for (const c of batch.conflictsUpsert ?? []) {
      s.upsertConflict.run(c.linkId, c.hubId, c.extId, JSON.stringify(c.fields), JSON.stringify(c.hubFields), JSON.stringify(c.extFields), c.detectedAt);
    }
    for (const c of batch.conflictsClear ?? []) s.deleteConflict.run(c.linkId, c.hubId);
    for (const c of batch.parkedClear ?? []) s.deleteParked.run(c.linkId, c.hubId);
    for (const p of batch.parkedUpsert ?? []) s.upsertParked.run(...parkedValues(p));
    losses.write(batch);
    if (batch.linkState) mergeLinkState(batch.linkState);
    return { versions, headSeq: s.headSeq.get() ?? 0 };
  };
  // IMMEDIATE takes the write lock up front, so a concurrent writer waits (busy timeout)
  // instead of failing halfway when a read lock would need upgrading.
  const tx = db.transaction(apply);
  return (batch: CommitBatch) => tx.immediate(batch);
}

/** Open the database, set the connection pragmas and migrate; a file that is not a database is refused. */
function openDatabase(path: string): Db {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = keepAlive(new Database(path));
  try {
    // exec, not pragma(): pragma() makes a statement object per call (see keep-alive.ts).
    // cache_size: SQLite's own default of 2 MiB of page cache, not better-sqlite3's 16 MiB. The
    // runs scan and append; the OS keeps the file's pages anyway, and a 50k-event sync peaked
    // 10-23 MB lower at the same speed (docs/benchmarks.md).
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -2000;');
    migrate(db, inMemory ? '(in memory)' : path);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof Database.SqliteError && (err.code === 'SQLITE_NOTADB' || err.code === 'SQLITE_CORRUPT')) {
      const message = `The hub database ${path} is not a readable SQLite database (${err.message}).`;
      throw new TimebridgeError('STORE_CORRUPT', message, {
        hint: 'check the store path in the configuration, or restore the file from a backup',
        cause: err,
      });
    }
    throw err;
  }
}

export function openSqliteStore(path: string): HubStore {
  const db = openDatabase(path);
  const s = prepareStatements(db);
  const losses = lossTable(db);
  const commit = createCommit(db, s, losses);
  const recordsByIds = inListQuery(db, `SELECT ${RECORD_COLS} FROM records WHERE id IN`);
  const statusByHubIds = inListQuery(db, `SELECT ${STATUS_FROM} WHERE s.link_id = ? AND s.hub_id IN`);
  const recordsByIdentities = inListQuery(db, `SELECT ${RECORD_COLS_IN_SCOPE} FROM records WHERE scope = ? AND kind = ? AND tombstone = 0 AND identity IN`);

  return {
    ...serviceTables(db),
    async commit(batch) {
      return commit(batch);
    },
    async getRecords(ids) {
      const unique = [...new Set(ids)];
      const found = new Map(recordsByIds(unique).map((r) => [str(r[0]), r]));
      return unique.flatMap((id) => {
        const r = found.get(id);
        return r ? [toRecord(r)] : [];
      });
    },
    async listScope(scope, kind) {
      // Keyset pages: raw rows of a 50k scope are freed as they are parsed, instead of all held at once.
      const out: HubRecord[] = [];
      for (let after = ''; ;) {
        const rows = s.listScope.all(scope, kind, after);
        for (const r of rows) out.push(toRecord(r, kind, scope));
        if (rows.length < SCOPE_PAGE) return out;
        after = str(rows[rows.length - 1]![0]);
      }
    },
    async findByIdentity(scope, kind, identity) {
      return s.findByIdentity
        .all(scope, kind, identity)
        .map((r) => toRecord(r, kind, scope))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    async findByIdentities(scope, kind, identities) {
      const unique = [...new Set(identities)];
      return unique.length ? collect(recordsByIdentities(unique, scope, kind), (r) => toRecord(r, kind, scope)) : [];
    },
    async changesSince(scope, kind, afterSeq) {
      return collect(s.changesSince.all(scope, kind, afterSeq), toChange);
    },
    async changesOfRun(runId) {
      return collect(s.changesOfRun.all(runId), toChange);
    },
    async changesOfRecord(recordId) {
      return collect(s.changesOfRecord.all(recordId), toChange);
    },
    async headSeq() {
      return s.headSeq.get() ?? 0;
    },
    async loadStatus(linkId) {
      return collect(s.loadStatus.all(linkId), (r) => toStatus(linkId, r));
    },
    async loadStatusIndex(linkId) {
      return collect(s.loadStatusIndex.all(linkId), (r) => ({ hubId: str(r[0]), extId: str(r[1]), hubVersion: r[2] as number, extEtag: str(r[3]) }));
    },
    async countStatus(linkId) {
      return s.countStatus.get(linkId) ?? 0;
    },
    async getStatus(linkId, hubIds) {
      const rows = statusByHubIds([...new Set(hubIds)], linkId).map((r) => toStatus(linkId, r));
      return rows.sort((a, b) => (a.hubId < b.hubId ? -1 : a.hubId > b.hubId ? 1 : 0));
    },
    async openIntents(linkId) {
      return s.openIntents.all(linkId).map(toIntent);
    },
    async pairingsOf(hubId) {
      return s.pairingsOf.all(hubId).map((r) => ({ linkId: str(r.link_id), extId: str(r.ext_id) }));
    },
    async getLinkState(linkId) {
      const row = s.getLinkState.get(linkId);
      return row ? toLinkState(row) : defaultLinkState(linkId);
    },
    async listConflicts(linkId) {
      return (linkId === undefined ? s.allConflicts.all() : s.linkConflicts.all(linkId)).map(toConflict);
    },
    async listParked(linkId) {
      return (linkId === undefined ? s.allParked.all() : s.linkParked.all(linkId)).map(toParked);
    },
    async clearParked(linkId) {
      return s.clearParked.run(linkId).changes;
    },
    listLosses: losses.listLosses,
    async saveRun(r: RunRecord) {
      s.upsertRun.run(
        r.id,
        r.linkId,
        r.trigger,
        r.startedAt,
        r.finishedAt,
        r.status,
        JSON.stringify(r.counts),
        JSON.stringify(r.errors),
        JSON.stringify(r.plan),
        r.apiCalls,
        r.durationMs,
        JSON.stringify(r.warnings),
      );
    },
    async getRun(id) {
      const row = s.getRun.get(id);
      return row ? toRun(row) : null;
    },
    async listRuns({ linkId, limit }) {
      return (linkId === undefined ? s.listRuns.all(limit) : s.listLinkRuns.all(linkId, limit)).map(toRun);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
