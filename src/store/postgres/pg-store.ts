/**
 * The PostgreSQL hub store (node-pg). Same contract and orderings as the SQLite store:
 * getRecords follows the order of the ids asked for (missing ids and repeats skipped);
 * listScope in no particular order; findByIdentity, loadStatus and getStatus by (hub) id;
 * openIntents by createdAt then id; listConflicts by link then hub id; definitions by id;
 * tokens by createdAt then id. Ids sort bytewise (COLLATE "C"), as in SQLite.
 *
 * Its tables live in one schema (default `public`): every pooled connection has it as
 * its search_path, so several hubs (or test runs) can share a database. Writes and their
 * concurrency guarantees are in pg-commit.ts; migrations in migrations.ts.
 *
 * Beyond HubStore it offers `lockLink`, the exclusion of a link's runs across processes,
 * and its `pool`.
 */
import type pg from 'pg';
import { TimebridgeError } from '../../core/errors.js';
import type { HubRecord } from '../../core/model.js';
import type { HubStore, RunRecord } from '../types.js';
import { migratePg } from './migrations.js';
import { commitBatch } from './pg-commit.js';
import { advisoryKey } from './pg-keys.js';
import { pgLossReads } from './pg-loss-table.js';
import { createPool, describeTarget, sessionLock } from './pg-pool.js';
import {
  CHANGE_COLS,
  RECORD_COLS,
  STATUS_FROM,
  defaultLinkState,
  toChange,
  toConflict,
  toIntent,
  toLinkState,
  toParked,
  toRecord,
  toRun,
  toStatus,
} from '../rows.js';
import { named, namedArrays } from './pg-rows.js';
import { pgServiceTables } from './pg-service-tables.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:5432/database */
  url: string;
  /** Schema of Timebridge's tables, created when missing. Default `public`. */
  schema?: string;
  /** Most connections the store opens (default 10). Each held `lockLink` keeps one. */
  poolSize?: number;
}

export type PostgresStore = HubStore & {
  /**
   * Exclude other processes from a link: waits for and takes a session-level advisory
   * lock (key: 64-bit hash of schema and link id) on a connection held until the returned
   * function releases it. Runs of one link in different processes thus never overlap;
   * within one process, runtime/link-lock.ts refuses a second run instead of waiting.
   * Release every lock before `close()`, which waits for held connections.
   */
  lockLink(linkId: string): Promise<() => Promise<void>>;
  pool: pg.Pool;
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

const Q = {
  records: namedArrays('r_records', `SELECT ${RECORD_COLS} FROM records WHERE id = ANY($1::text[])`),
  listScope: namedArrays('r_list_scope', `SELECT ${RECORD_COLS} FROM records WHERE scope = $1 AND kind = $2`),
  findByIdentity: namedArrays(
    'r_find_by_identity',
    `SELECT ${RECORD_COLS} FROM records
    WHERE scope = $1 AND kind = $2 AND identity = $3 AND NOT tombstone ORDER BY id`,
  ),
  findByIdentities: namedArrays(
    'r_find_by_identities',
    `SELECT ${RECORD_COLS} FROM records
    WHERE scope = $1 AND kind = $2 AND identity = ANY($3::text[]) AND NOT tombstone`,
  ),
  changesSince: namedArrays(
    'r_changes_since',
    `SELECT ${CHANGE_COLS} FROM changes
    WHERE scope = $1 AND kind = $2 AND seq > $3 ORDER BY seq`,
  ),
  changesOfRun: namedArrays('r_changes_of_run', `SELECT ${CHANGE_COLS} FROM changes WHERE run_id = $1 ORDER BY seq`),
  changesOfRecord: namedArrays('r_changes_of_record', `SELECT ${CHANGE_COLS} FROM changes WHERE record_id = $1 ORDER BY version`),
  headSeq: named('r_head_seq', 'SELECT COALESCE(MAX(seq), 0) AS head FROM changes'),
  loadStatus: namedArrays('r_load_status', `SELECT ${STATUS_FROM} WHERE s.link_id = $1 ORDER BY s.hub_id`),
  loadStatusIndex: namedArrays('r_load_status_index', 'SELECT hub_id, ext_id, hub_version, ext_etag FROM status WHERE link_id = $1'),
  countStatus: named('r_count_status', 'SELECT COUNT(*)::int AS n FROM status WHERE link_id = $1'),
  getStatus: namedArrays('r_get_status', `SELECT ${STATUS_FROM} WHERE s.link_id = $1 AND s.hub_id = ANY($2::text[]) ORDER BY s.hub_id`),
  openIntents: named('r_open_intents', 'SELECT * FROM intents WHERE link_id = $1 ORDER BY created_at, id'),
  pairingsOf: named('r_pairings_of', 'SELECT link_id, ext_id FROM status WHERE hub_id = $1 ORDER BY link_id'),
  getLinkState: named('r_get_link_state', 'SELECT * FROM link_state WHERE link_id = $1'),
  allConflicts: named('r_all_conflicts', 'SELECT * FROM conflicts ORDER BY link_id, hub_id'),
  linkConflicts: named('r_link_conflicts', 'SELECT * FROM conflicts WHERE link_id = $1 ORDER BY hub_id'),
  allParked: named('r_all_parked', 'SELECT * FROM parked ORDER BY link_id, hub_id'),
  linkParked: named('r_link_parked', 'SELECT * FROM parked WHERE link_id = $1 ORDER BY hub_id'),
  clearParked: named('r_clear_parked', 'DELETE FROM parked WHERE link_id = $1'),
  upsertRun: named(
    'r_upsert_run',
    `INSERT INTO runs (id, link_id, trigger, started_at, finished_at, status, counts, errors, plan,
      api_calls, duration_ms, warnings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
    ON CONFLICT (id) DO UPDATE SET link_id = excluded.link_id, trigger = excluded.trigger,
      started_at = excluded.started_at, finished_at = excluded.finished_at, status = excluded.status,
      counts = excluded.counts, errors = excluded.errors, plan = excluded.plan, api_calls = excluded.api_calls,
      duration_ms = excluded.duration_ms, warnings = excluded.warnings`,
  ),
  getRun: named('r_get_run', 'SELECT * FROM runs WHERE id = $1'),
  listRuns: named('r_list_runs', 'SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT $1'),
  listLinkRuns: named('r_list_link_runs', 'SELECT * FROM runs WHERE link_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2'),
};

function checkSchema(schema: string): void {
  if (SCHEMA_NAME.test(schema)) return;
  throw new TimebridgeError('CONFIG_INVALID', `The PostgreSQL schema name "${schema}" is not allowed.`, {
    hint: 'use lower-case letters, digits and _ for store.schema, starting with a letter or _',
  });
}

/** Open the store: connect, create the schema if needed and migrate it; a newer schema is refused (STORE_CORRUPT). */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const schema = opts.schema ?? 'public';
  checkSchema(schema);
  const pool = createPool(opts.url, schema, opts.poolSize ?? 10);
  try {
    await migratePg(pool, schema, describeTarget(opts.url, schema));
  } catch (err) {
    await pool.end();
    throw err;
  }
  return storeOn(pool, schema);
}

function storeOn(pool: pg.Pool, schema: string): PostgresStore {
  const arrays = async (q: pg.QueryArrayConfig): Promise<unknown[][]> => (await pool.query(q)).rows;
  const objects = async (q: pg.QueryConfig): Promise<Record<string, unknown>[]> => (await pool.query(q)).rows;
  const changesKey = advisoryKey('changes', schema);
  let closed: Promise<void> | null = null;

  return {
    pool,
    ...pgServiceTables(pool),
    ...pgLossReads(pool),
    commit: (batch) => commitBatch(pool, batch, changesKey),
    async getRecords(ids) {
      const unique = [...new Set(ids)];
      if (!unique.length) return [];
      const found = new Map((await arrays(Q.records([unique]))).map((r) => [r[0] as string, r]));
      return unique.flatMap((id): HubRecord[] => {
        const r = found.get(id);
        return r ? [toRecord(r)] : [];
      });
    },
    async listScope(scope, kind) {
      return (await arrays(Q.listScope([scope, kind]))).map((r) => toRecord(r));
    },
    async findByIdentity(scope, kind, identity) {
      return (await arrays(Q.findByIdentity([scope, kind, identity]))).map((r) => toRecord(r));
    },
    async findByIdentities(scope, kind, identities) {
      const unique = [...new Set(identities)];
      return unique.length ? (await arrays(Q.findByIdentities([scope, kind, unique]))).map((r) => toRecord(r)) : [];
    },
    async changesSince(scope, kind, afterSeq) {
      return (await arrays(Q.changesSince([scope, kind, afterSeq]))).map(toChange);
    },
    async changesOfRun(runId) {
      return (await arrays(Q.changesOfRun([runId]))).map(toChange);
    },
    async changesOfRecord(recordId) {
      return (await arrays(Q.changesOfRecord([recordId]))).map(toChange);
    },
    async headSeq() {
      return (await objects(Q.headSeq()))[0]!.head as number;
    },
    async loadStatus(linkId) {
      return (await arrays(Q.loadStatus([linkId]))).map((r) => toStatus(linkId, r));
    },
    async loadStatusIndex(linkId) {
      return (await arrays(Q.loadStatusIndex([linkId]))).map((r) => ({
        hubId: r[0] as string,
        extId: r[1] as string,
        hubVersion: r[2] as number,
        extEtag: r[3] as string,
      }));
    },
    async countStatus(linkId) {
      return (await objects(Q.countStatus([linkId])))[0]!.n as number;
    },
    async getStatus(linkId, hubIds) {
      const unique = [...new Set(hubIds)];
      if (!unique.length) return [];
      return (await arrays(Q.getStatus([linkId, unique]))).map((r) => toStatus(linkId, r));
    },
    async openIntents(linkId) {
      return (await objects(Q.openIntents([linkId]))).map(toIntent);
    },
    async pairingsOf(hubId) {
      return (await objects(Q.pairingsOf([hubId]))).map((r) => ({ linkId: r.link_id as string, extId: r.ext_id as string }));
    },
    async getLinkState(linkId) {
      const [row] = await objects(Q.getLinkState([linkId]));
      return row ? toLinkState(row) : defaultLinkState(linkId);
    },
    async listConflicts(linkId) {
      return (await objects(linkId === undefined ? Q.allConflicts() : Q.linkConflicts([linkId]))).map(toConflict);
    },
    async listParked(linkId) {
      return (await objects(linkId === undefined ? Q.allParked() : Q.linkParked([linkId]))).map(toParked);
    },
    async clearParked(linkId) {
      return (await pool.query(Q.clearParked([linkId]))).rowCount ?? 0;
    },
    async saveRun(r: RunRecord) {
      await pool.query(
        Q.upsertRun([
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
        ]),
      );
    },
    async getRun(id) {
      const [row] = await objects(Q.getRun([id]));
      return row ? toRun(row) : null;
    },
    async listRuns({ linkId, limit }) {
      return (await objects(linkId === undefined ? Q.listRuns([limit]) : Q.listLinkRuns([linkId, limit]))).map(toRun);
    },
    lockLink: (linkId) => sessionLock(pool, advisoryKey('link', schema, linkId)),
    close: () => (closed ??= pool.end()),
  };
}
