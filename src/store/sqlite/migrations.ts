/**
 * Schema migrations of the SQLite hub store. Each migration runs once, in order, and
 * the schema version lives in `PRAGMA user_version`, so a database from an older
 * Timebridge is upgraded on open and one from a newer Timebridge is refused.
 * The SQL stays close to standard (TEXT for JSON, no SQLite JSON functions) so the
 * PostgreSQL schema can mirror it.
 */
import type Database from 'better-sqlite3';
import { TimebridgeError } from '../../core/errors.js';
import { keepAlive } from './keep-alive.js';

export interface Migration {
  /** The user_version the database has after this migration. */
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'records, change log, sync status, intents, runs, link state, conflicts, definitions',
    sql: `
      CREATE TABLE records (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        scope TEXT NOT NULL,
        fields TEXT NOT NULL,
        identity TEXT,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        origin TEXT NOT NULL,
        tombstone INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX records_scope_kind_identity ON records (scope, kind, identity);

      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        kind TEXT NOT NULL,
        version INTEGER NOT NULL,
        origin TEXT NOT NULL,
        run_id TEXT,
        at TEXT NOT NULL,
        before TEXT
      );
      CREATE INDEX changes_scope_kind_seq ON changes (scope, kind, seq);
      CREATE INDEX changes_run ON changes (run_id);

      CREATE TABLE status (
        link_id TEXT NOT NULL,
        hub_id TEXT NOT NULL,
        ext_id TEXT NOT NULL,
        hub_version INTEGER NOT NULL,
        hub_hash TEXT NOT NULL,
        ext_etag TEXT NOT NULL,
        ext_hash TEXT NOT NULL,
        base TEXT NOT NULL,
        PRIMARY KEY (link_id, hub_id),
        UNIQUE (link_id, ext_id)
      );

      CREATE TABLE intents (
        id TEXT PRIMARY KEY,
        link_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        action TEXT NOT NULL,
        hub_id TEXT NOT NULL,
        ext_id TEXT,
        key TEXT NOT NULL,
        hub_version INTEGER NOT NULL,
        hub_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX intents_link ON intents (link_id);

      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        link_id TEXT NOT NULL,
        trigger TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        counts TEXT NOT NULL,
        errors TEXT NOT NULL,
        plan TEXT NOT NULL,
        api_calls INTEGER NOT NULL,
        duration_ms INTEGER
      );
      CREATE INDEX runs_started ON runs (started_at);
      CREATE INDEX runs_link_started ON runs (link_id, started_at);

      CREATE TABLE link_state (
        link_id TEXT PRIMARY KEY,
        hub_cursor INTEGER NOT NULL DEFAULT 0,
        ext_cursor TEXT,
        last_run_id TEXT,
        last_status TEXT,
        last_run_at TEXT
      );

      CREATE TABLE conflicts (
        link_id TEXT NOT NULL,
        hub_id TEXT NOT NULL,
        ext_id TEXT NOT NULL,
        fields TEXT NOT NULL,
        hub_fields TEXT NOT NULL,
        ext_fields TEXT NOT NULL,
        detected_at TEXT NOT NULL,
        PRIMARY KEY (link_id, hub_id)
      );

      -- category is 'connection' or 'link'; a connection and a link may share a name.
      CREATE TABLE definitions (
        category TEXT NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        config TEXT NOT NULL,
        PRIMARY KEY (category, id)
      );
    `,
  },
  {
    version: 2,
    description: 'link_state.ext_digest: what the external side held after the last clean run',
    sql: 'ALTER TABLE link_state ADD COLUMN ext_digest TEXT;',
  },
  {
    version: 3,
    description: 'status rows no longer copy the merge base: it is the record at hub_version, found through the change log',
    sql: `ALTER TABLE status DROP COLUMN base;
      CREATE UNIQUE INDEX changes_record_version ON changes (record_id, version);
      CREATE INDEX records_scope_kind_id ON records (scope, kind, id);`,
  },
  {
    version: 4,
    description: 'definitions the service manages (owner, source, enabled, encrypted secrets); API tokens',
    // ADD COLUMN takes only a constant default, so existing rows get their timestamp from the UPDATE.
    sql: `ALTER TABLE definitions ADD COLUMN owner TEXT;
      ALTER TABLE definitions ADD COLUMN source TEXT NOT NULL DEFAULT 'file';
      ALTER TABLE definitions ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE definitions ADD COLUMN secrets TEXT;
      ALTER TABLE definitions ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
      UPDATE definitions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');

      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        role TEXT NOT NULL,
        label TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
      );
      CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (hash);
      CREATE INDEX api_tokens_created ON api_tokens (created_at, id);`,
  },
  {
    version: 5,
    description: 'accepted webhook deliveries (the replay memory) and OAuth sign-ins under way, each with its expiry',
    // Expiries are ISO texts as toISOString writes them, so text order is time order.
    sql: `CREATE TABLE webhook_deliveries (
        key TEXT PRIMARY KEY,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX webhook_deliveries_expires ON webhook_deliveries (expires_at);

      CREATE TABLE oauth_states (
        key TEXT PRIMARY KEY,
        connection TEXT NOT NULL,
        user_id TEXT,
        redirect_uri TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX oauth_states_expires ON oauth_states (expires_at);`,
  },
  {
    version: 6,
    description: 'runs.warnings: items a run read, but not exactly as they were (a file converted from another encoding)',
    sql: "ALTER TABLE runs ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';",
  },
  {
    version: 7,
    description:
      'parked: items whose external write the remote refused for good, with the reason and the versions they were parked at; status by hub id (where a parked item comes from)',
    sql: `CREATE TABLE parked (
        link_id TEXT NOT NULL,
        hub_id TEXT NOT NULL,
        ext_id TEXT,
        action TEXT NOT NULL,
        code TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        answer TEXT,
        status INTEGER,
        label TEXT NOT NULL,
        source TEXT,
        hub_version INTEGER NOT NULL,
        hub_hash TEXT NOT NULL,
        ext_etag TEXT,
        parked_at TEXT NOT NULL,
        run_id TEXT NOT NULL,
        PRIMARY KEY (link_id, hub_id)
      );
      CREATE INDEX status_hub ON status (hub_id);`,
  },
  {
    version: 8,
    description: 'write_losses: held fields a remote stored differently from what a write sent, per linked item',
    sql: `CREATE TABLE write_losses (
        link_id TEXT NOT NULL,
        hub_id TEXT NOT NULL,
        ext_id TEXT NOT NULL,
        label TEXT NOT NULL,
        losses TEXT NOT NULL,
        detected_at TEXT NOT NULL,
        run_id TEXT NOT NULL,
        PRIMARY KEY (link_id, hub_id)
      );`,
  },
  {
    version: 9,
    description: 'one live reservation per scope and identity (person, office, days): the natural-key check is part of the commit',
    // A duplicate written before this index keeps its fields; its identity gets its id appended so the index holds.
    sql: `UPDATE records SET identity = identity || '#' || id
      WHERE kind = 'reservation' AND tombstone = 0 AND identity IS NOT NULL
        AND id <> (SELECT MIN(r.id) FROM records r WHERE r.scope = records.scope AND r.kind = 'reservation' AND r.tombstone = 0 AND r.identity = records.identity);
      CREATE UNIQUE INDEX records_reservation_identity ON records (scope, identity) WHERE kind = 'reservation' AND tombstone = 0 AND identity IS NOT NULL;`,
  },
];

export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;

/** Reads PRAGMA user_version; prepared once per migrate call (see keep-alive.ts for why it is kept). */
function userVersionReader(db: Database.Database): () => number {
  const read = keepAlive(db.prepare<[], number>('PRAGMA user_version').pluck());
  return () => read.get() ?? 0;
}

function refuseNewer(found: number, latest: number, where: string): TimebridgeError {
  return new TimebridgeError(
    'STORE_CORRUPT',
    `The hub database ${where} has schema version ${found}, but this Timebridge only knows versions up to ${latest}.`,
    {
      hint: 'upgrade Timebridge to the version that wrote this database, or point the store at another file',
      details: { found, latest },
    },
  );
}

/**
 * Bring the database up to the latest schema. Runs in one IMMEDIATE transaction and
 * re-reads the version inside it, so two processes opening the same new file do not
 * both migrate.
 */
export function migrate(db: Database.Database, where: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations.at(-1)?.version ?? 0;
  const userVersion = userVersionReader(db);
  const apply = db.transaction(() => {
    const current = userVersion();
    if (current > latest) throw refuseNewer(current, latest, where);
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      // user_version is part of the database header, so it commits or rolls back with the DDL.
      db.exec(`PRAGMA user_version = ${Math.trunc(m.version)}`);
    }
    return userVersion();
  });
  return apply.immediate();
}
