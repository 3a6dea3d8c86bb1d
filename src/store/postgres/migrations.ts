/**
 * Schema migrations of the PostgreSQL hub store. The schema mirrors the SQLite one
 * (sqlite/migrations.ts) at its version 4, so version 1 here is that whole schema; the
 * two stores number their versions independently from now on.
 *
 * Applied versions are rows of `timebridge_migrations`. All pending migrations run in one
 * transaction that first takes a transaction-level advisory lock, so two processes
 * starting at once on an empty schema do not both migrate: the second waits, then finds
 * nothing to do. A schema of a newer version is refused.
 *
 * Column choices: JSON stays TEXT (not jsonb), so fields round-trip byte for byte (jsonb
 * rejects "\u0000" and rewrites numbers and key order) and the before-snapshot of a change
 * is assembled from the stored text without parsing. Keys that are sorted on are
 * COLLATE "C" so orderings are bytewise, as in SQLite, whatever the database's locale.
 */
import type pg from 'pg';
import { TimebridgeError } from '../../core/errors.js';
import { advisoryKey } from './pg-keys.js';
import { withTransaction } from './pg-pool.js';

export interface PgMigration {
  /** The schema version after this migration. */
  version: number;
  description: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'records, change log, sync status, intents, runs, link state, conflicts, definitions, API tokens',
    sql: `
      CREATE TABLE records (
        id TEXT COLLATE "C" PRIMARY KEY,
        kind TEXT NOT NULL,
        scope TEXT NOT NULL,
        fields TEXT NOT NULL,
        identity TEXT,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        origin TEXT NOT NULL,
        tombstone BOOLEAN NOT NULL DEFAULT false
      );
      CREATE INDEX records_scope_kind_identity ON records (scope, kind, identity);
      CREATE INDEX records_scope_kind_id ON records (scope, kind, id);

      -- seq is taken and committed in order (see pg-commit.ts), so readers never skip one.
      CREATE TABLE changes (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        record_id TEXT COLLATE "C" NOT NULL,
        scope TEXT NOT NULL,
        kind TEXT NOT NULL,
        version INTEGER NOT NULL,
        origin TEXT NOT NULL,
        run_id TEXT,
        at TEXT NOT NULL,
        before TEXT
      );
      CREATE INDEX changes_scope_kind_seq ON changes (scope, kind, seq);
      CREATE INDEX changes_run ON changes (run_id, seq);
      CREATE UNIQUE INDEX changes_record_version ON changes (record_id, version);

      CREATE TABLE status (
        link_id TEXT COLLATE "C" NOT NULL,
        hub_id TEXT COLLATE "C" NOT NULL,
        ext_id TEXT COLLATE "C" NOT NULL,
        hub_version INTEGER NOT NULL,
        hub_hash TEXT NOT NULL,
        ext_etag TEXT NOT NULL,
        ext_hash TEXT NOT NULL,
        PRIMARY KEY (link_id, hub_id),
        CONSTRAINT status_link_ext UNIQUE (link_id, ext_id)
      );

      CREATE TABLE intents (
        id TEXT COLLATE "C" PRIMARY KEY,
        link_id TEXT COLLATE "C" NOT NULL,
        run_id TEXT NOT NULL,
        action TEXT NOT NULL,
        hub_id TEXT NOT NULL,
        ext_id TEXT,
        key TEXT NOT NULL,
        hub_version INTEGER NOT NULL,
        hub_hash TEXT NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL
      );
      CREATE INDEX intents_link ON intents (link_id);

      CREATE TABLE runs (
        id TEXT COLLATE "C" PRIMARY KEY,
        link_id TEXT COLLATE "C" NOT NULL,
        trigger TEXT NOT NULL,
        started_at TEXT COLLATE "C" NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        counts TEXT NOT NULL,
        errors TEXT NOT NULL,
        plan TEXT NOT NULL,
        api_calls INTEGER NOT NULL,
        duration_ms INTEGER
      );
      CREATE INDEX runs_started ON runs (started_at, id);
      CREATE INDEX runs_link_started ON runs (link_id, started_at, id);

      CREATE TABLE link_state (
        link_id TEXT COLLATE "C" PRIMARY KEY,
        hub_cursor BIGINT NOT NULL DEFAULT 0,
        ext_cursor TEXT,
        last_run_id TEXT,
        last_status TEXT,
        last_run_at TEXT,
        ext_digest TEXT
      );

      CREATE TABLE conflicts (
        link_id TEXT COLLATE "C" NOT NULL,
        hub_id TEXT COLLATE "C" NOT NULL,
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
        id TEXT COLLATE "C" NOT NULL,
        type TEXT NOT NULL,
        config TEXT NOT NULL,
        owner TEXT,
        source TEXT NOT NULL DEFAULT 'file',
        enabled BOOLEAN NOT NULL DEFAULT true,
        secrets TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (category, id)
      );

      CREATE TABLE api_tokens (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT NOT NULL,
        role TEXT NOT NULL,
        label TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
      );
      CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (hash);
      CREATE INDEX api_tokens_created ON api_tokens (created_at, id);
    `,
  },
  {
    version: 2,
    description: 'accepted webhook deliveries (the replay memory) and OAuth sign-ins under way, each with its expiry',
    // Expiries are ISO texts as toISOString writes them: with COLLATE "C", text order is time order.
    sql: `
      CREATE TABLE webhook_deliveries (
        key TEXT COLLATE "C" PRIMARY KEY,
        expires_at TEXT COLLATE "C" NOT NULL
      );
      CREATE INDEX webhook_deliveries_expires ON webhook_deliveries (expires_at);

      CREATE TABLE oauth_states (
        key TEXT COLLATE "C" PRIMARY KEY,
        connection TEXT NOT NULL,
        user_id TEXT,
        redirect_uri TEXT NOT NULL,
        expires_at TEXT COLLATE "C" NOT NULL
      );
      CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
    `,
  },
  {
    version: 3,
    description: 'runs.warnings: items a run read, but not exactly as they were (a file converted from another encoding)',
    sql: "ALTER TABLE runs ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';",
  },
  {
    version: 4,
    description:
      'parked: items whose external write the remote refused for good, with the reason and the versions they were parked at; status by hub id (where a parked item comes from)',
    sql: `
      CREATE TABLE parked (
        link_id TEXT COLLATE "C" NOT NULL,
        hub_id TEXT COLLATE "C" NOT NULL,
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
      CREATE INDEX status_hub ON status (hub_id);
    `,
  },
  {
    version: 5,
    description: 'write_losses: held fields a remote stored differently from what a write sent, per linked item',
    sql: `CREATE TABLE write_losses (
        link_id TEXT COLLATE "C" NOT NULL,
        hub_id TEXT COLLATE "C" NOT NULL,
        ext_id TEXT NOT NULL,
        label TEXT NOT NULL,
        losses TEXT NOT NULL,
        detected_at TEXT NOT NULL,
        run_id TEXT NOT NULL,
        PRIMARY KEY (link_id, hub_id)
      );`,
  },
  {
    version: 6,
    description: 'one live reservation per scope and identity (person, office, days): the natural-key check is part of the commit',
    // A duplicate written before this index keeps its fields; its identity gets its id appended so the index holds.
    sql: `UPDATE records SET identity = identity || '#' || id
      WHERE kind = 'reservation' AND NOT tombstone AND identity IS NOT NULL
        AND id <> (SELECT MIN(r.id) FROM records r WHERE r.scope = records.scope AND r.kind = 'reservation' AND NOT r.tombstone AND r.identity = records.identity);
      CREATE UNIQUE INDEX records_reservation_identity ON records (scope, identity) WHERE kind = 'reservation' AND NOT tombstone AND identity IS NOT NULL;`,
  },
];

export const PG_SCHEMA_VERSION: number = PG_MIGRATIONS.at(-1)?.version ?? 0;

function refuseNewer(found: number, latest: number, where: string): TimebridgeError {
  return new TimebridgeError(
    'STORE_CORRUPT',
    `The hub database ${where} has schema version ${found}, but this Timebridge only knows versions up to ${latest}.`,
    {
      hint: 'upgrade Timebridge to the version that wrote this database, or point the store at another schema or database',
      details: { found, latest },
    },
  );
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Bring `schema` up to the latest version (creating it if needed) and return that version.
 * Names the schema explicitly, so it does not depend on the connection's search_path.
 */
export async function migratePg(pool: pg.Pool, schema: string, where: string, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<number> {
  const latest = migrations.at(-1)?.version ?? 0;
  const q = quoteIdent(schema);
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryKey('migrate', schema)]);
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${q}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${q}.timebridge_migrations (
      version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ v: number }>(`SELECT COALESCE(MAX(version), 0)::int AS v FROM ${q}.timebridge_migrations`);
    const current = rows[0]?.v ?? 0;
    if (current > latest) throw refuseNewer(current, latest, where);
    // The migration SQL names tables unqualified: point this transaction at the schema.
    await client.query(`SELECT set_config('search_path', $1, true)`, [q]);
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${q}.timebridge_migrations (version, description) VALUES ($1, $2)`, [m.version, m.description]);
    }
    return Math.max(current, latest);
  });
}
