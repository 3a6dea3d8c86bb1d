/**
 * The tables the service manages beside the sync state, on PostgreSQL: connection and
 * link definitions (from timebridge.yaml or the API), API tokens, and the short-lived
 * webhook replay memory and OAuth sign-ins under way, which every service process of
 * the database shares. Same behaviour as sqlite/service-tables.ts.
 */
import type pg from 'pg';
import type { ApiToken, Definition, DefinitionCategory, HubStore, ManagedDefinition, OAuthState } from '../types.js';
import type { Row } from '../rows.js';
import { named } from './pg-rows.js';

export type ServiceTables = Pick<
  HubStore,
  | 'saveDefinitions'
  | 'listDefinitions'
  | 'listManagedDefinitions'
  | 'getDefinition'
  | 'putDefinition'
  | 'deleteDefinition'
  | 'createToken'
  | 'findToken'
  | 'listTokens'
  | 'revokeToken'
  | 'touchToken'
  | 'rememberDelivery'
  | 'saveOAuthState'
  | 'takeOAuthState'
>;

const DEF_COLS = 'category, id, type, config, owner, source, enabled, secrets, updated_at';

const Q = {
  // A file definition takes over the row (source file, global) but keeps the enabled flag and secrets set through the API.
  saveFileDefinitions: named(
    's_save_file_definitions',
    `INSERT INTO definitions (${DEF_COLS})
    SELECT category, id, type, config, NULL::text, 'file', true, NULL::text, $5::text
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS d(category, id, type, config)
    ON CONFLICT (category, id) DO UPDATE SET type = excluded.type, config = excluded.config, owner = NULL,
      source = 'file', updated_at = excluded.updated_at`,
  ),
  putDefinition: named(
    's_put_definition',
    `INSERT INTO definitions (${DEF_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (category, id) DO UPDATE SET type = excluded.type, config = excluded.config, owner = excluded.owner,
      source = excluded.source, enabled = excluded.enabled, secrets = excluded.secrets, updated_at = excluded.updated_at`,
  ),
  listDefinitions: named('s_list_definitions', `SELECT ${DEF_COLS} FROM definitions WHERE category = $1 ORDER BY id`),
  getDefinition: named('s_get_definition', `SELECT ${DEF_COLS} FROM definitions WHERE category = $1 AND id = $2`),
  deleteDefinition: named('s_delete_definition', 'DELETE FROM definitions WHERE category = $1 AND id = $2'),
  createToken: named(
    's_create_token',
    `INSERT INTO api_tokens (id, user_id, role, label, hash, created_at, last_used_at, revoked_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  ),
  findToken: named('s_find_token', 'SELECT * FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL'),
  listTokens: named('s_list_tokens', 'SELECT * FROM api_tokens ORDER BY created_at, id'),
  revokeToken: named('s_revoke_token', 'UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL'),
  touchToken: named('s_touch_token', 'UPDATE api_tokens SET last_used_at = $2 WHERE id = $1'),
  // One statement each, so it is atomic: a key is taken by one process. Expired rows are pruned
  // on the way, a bounded number per call and skipping rows another process is pruning, so
  // callers never wait on each other; the row of the key itself is left to ON CONFLICT (a
  // statement must not touch one row twice).
  rememberDelivery: named(
    's_remember_delivery',
    `WITH pruned AS (
      DELETE FROM webhook_deliveries WHERE key IN (SELECT key FROM webhook_deliveries
        WHERE expires_at <= $3 AND key <> $1 LIMIT 100 FOR UPDATE SKIP LOCKED))
    INSERT INTO webhook_deliveries (key, expires_at) VALUES ($1, $2)
    ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE webhook_deliveries.expires_at <= $3
    RETURNING key`,
  ),
  saveOAuthState: named(
    's_save_oauth_state',
    `WITH pruned AS (
      DELETE FROM oauth_states WHERE key IN (SELECT key FROM oauth_states
        WHERE expires_at <= $6 AND key <> $1 LIMIT 100 FOR UPDATE SKIP LOCKED))
    INSERT INTO oauth_states (key, connection, user_id, redirect_uri, expires_at) VALUES ($1, $2, $3, $4, $5)`,
  ),
  takeOAuthState: named('s_take_oauth_state', 'DELETE FROM oauth_states WHERE key = $1 RETURNING *'),
};

const str = (v: unknown): string => v as string;
const strOrNull = (v: unknown): string | null => (v === null ? null : (v as string));

function toManaged(r: Row): ManagedDefinition {
  return {
    category: r.category as DefinitionCategory,
    id: str(r.id),
    type: str(r.type),
    config: JSON.parse(str(r.config)),
    owner: strOrNull(r.owner),
    source: r.source as ManagedDefinition['source'],
    enabled: r.enabled === true,
    secrets: strOrNull(r.secrets),
    updatedAt: str(r.updated_at),
  };
}

function toToken(r: Row): ApiToken {
  return {
    id: str(r.id),
    userId: str(r.user_id),
    role: r.role as ApiToken['role'],
    label: str(r.label),
    hash: str(r.hash),
    createdAt: str(r.created_at),
    lastUsedAt: strOrNull(r.last_used_at),
    revokedAt: strOrNull(r.revoked_at),
  };
}

function toOAuthState(r: Row): OAuthState {
  return { key: str(r.key), connection: str(r.connection), userId: strOrNull(r.user_id), redirectUri: str(r.redirect_uri), expiresAt: str(r.expires_at) };
}

export function pgServiceTables(pool: pg.Pool): ServiceTables {
  const rows = async (q: pg.QueryConfig): Promise<Row[]> => (await pool.query<Row>(q)).rows;
  const plain = (r: Row): Definition => ({ id: str(r.id), type: str(r.type), config: JSON.parse(str(r.config)) });

  return {
    async saveDefinitions(defs) {
      // One statement, so the whole file is saved or none of it; a repeated id keeps its last definition.
      const all = new Map<string, [DefinitionCategory, Definition]>();
      for (const d of defs.connections) all.set(`connection\u0000${d.id}`, ['connection', d]);
      for (const d of defs.links) all.set(`link\u0000${d.id}`, ['link', d]);
      if (all.size === 0) return;
      const list = [...all.values()];
      await pool.query(
        Q.saveFileDefinitions([
          list.map(([c]) => c),
          list.map(([, d]) => d.id),
          list.map(([, d]) => d.type),
          list.map(([, d]) => JSON.stringify(d.config)),
          new Date().toISOString(),
        ]),
      );
    },
    async listDefinitions() {
      const [connections, links] = await Promise.all([rows(Q.listDefinitions(['connection'])), rows(Q.listDefinitions(['link']))]);
      return { connections: connections.map(plain), links: links.map(plain) };
    },
    async listManagedDefinitions(category) {
      return (await rows(Q.listDefinitions([category]))).map(toManaged);
    },
    async getDefinition(category, id) {
      const [row] = await rows(Q.getDefinition([category, id]));
      return row ? toManaged(row) : null;
    },
    async putDefinition(d) {
      await pool.query(Q.putDefinition([d.category, d.id, d.type, JSON.stringify(d.config), d.owner, d.source, d.enabled, d.secrets, d.updatedAt]));
    },
    async deleteDefinition(category, id) {
      return ((await pool.query(Q.deleteDefinition([category, id]))).rowCount ?? 0) > 0;
    },
    async createToken(t) {
      await pool.query(Q.createToken([t.id, t.userId, t.role, t.label, t.hash, t.createdAt, t.lastUsedAt, t.revokedAt]));
    },
    async findToken(hash) {
      const [row] = await rows(Q.findToken([hash]));
      return row ? toToken(row) : null;
    },
    async listTokens() {
      return (await rows(Q.listTokens())).map(toToken);
    },
    async revokeToken(id, at) {
      return ((await pool.query(Q.revokeToken([id, at]))).rowCount ?? 0) > 0;
    },
    async touchToken(id, at) {
      await pool.query(Q.touchToken([id, at]));
    },
    async rememberDelivery(key, expiresAt, now) {
      return ((await pool.query(Q.rememberDelivery([key, expiresAt, now]))).rowCount ?? 0) > 0;
    },
    async saveOAuthState(o, now) {
      await pool.query(Q.saveOAuthState([o.key, o.connection, o.userId, o.redirectUri, o.expiresAt, now]));
    },
    async takeOAuthState(key, now) {
      const [row] = await rows(Q.takeOAuthState([key]));
      return row && str(row.expires_at) > now ? toOAuthState(row) : null;
    },
  };
}
