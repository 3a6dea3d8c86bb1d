/**
 * The tables the service manages beside the sync state: connection and link definitions
 * (from timebridge.yaml or the API), API tokens, and the short-lived webhook replay
 * memory and OAuth sign-ins under way. Small, so rows are read as objects; statements
 * are prepared once and kept (see keep-alive.ts).
 */
import type Database from 'better-sqlite3';
import type { ApiToken, Definition, DefinitionCategory, HubStore, ManagedDefinition, OAuthState } from '../types.js';
import { keepAlive } from './keep-alive.js';

type Row = Record<string, unknown>;

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
    enabled: r.enabled === 1,
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

function prepare(db: Database.Database) {
  const p = (sql: string) => keepAlive(db.prepare<unknown[], Row>(sql));
  return {
    // A file definition takes over the row (source file, global) but keeps the enabled flag and secrets set through the API.
    saveFileDefinition: p(`INSERT INTO definitions (category, id, type, config, owner, source, enabled, secrets, updated_at)
      VALUES (?, ?, ?, ?, NULL, 'file', 1, NULL, ?) ON CONFLICT (category, id) DO UPDATE SET type = excluded.type,
      config = excluded.config, owner = NULL, source = 'file', updated_at = excluded.updated_at`),
    putDefinition: p(`INSERT INTO definitions (category, id, type, config, owner, source, enabled, secrets, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (category, id) DO UPDATE SET type = excluded.type,
      config = excluded.config, owner = excluded.owner, source = excluded.source, enabled = excluded.enabled,
      secrets = excluded.secrets, updated_at = excluded.updated_at`),
    listDefinitions: p('SELECT * FROM definitions WHERE category = ? ORDER BY id'),
    getDefinition: p('SELECT * FROM definitions WHERE category = ? AND id = ?'),
    deleteDefinition: p('DELETE FROM definitions WHERE category = ? AND id = ?'),
    createToken: p(`INSERT INTO api_tokens (id, user_id, role, label, hash, created_at, last_used_at, revoked_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    findToken: p('SELECT * FROM api_tokens WHERE hash = ? AND revoked_at IS NULL'),
    listTokens: p('SELECT * FROM api_tokens ORDER BY created_at, id'),
    revokeToken: p('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    touchToken: p('UPDATE api_tokens SET last_used_at = ? WHERE id = ?'),
    pruneDeliveries: p('DELETE FROM webhook_deliveries WHERE expires_at <= ?'),
    addDelivery: p('INSERT INTO webhook_deliveries (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    pruneOAuthStates: p('DELETE FROM oauth_states WHERE expires_at <= ?'),
    addOAuthState: p('INSERT INTO oauth_states (key, connection, user_id, redirect_uri, expires_at) VALUES (?, ?, ?, ?, ?)'),
    takeOAuthState: p('DELETE FROM oauth_states WHERE key = ? RETURNING *'),
  };
}

export function serviceTables(db: Database.Database): ServiceTables {
  const s = prepare(db);
  const saveDefinitions = db.transaction((defs: { connections: Definition[]; links: Definition[] }, now: string) => {
    for (const d of defs.connections) s.saveFileDefinition.run('connection', d.id, d.type, JSON.stringify(d.config), now);
    for (const d of defs.links) s.saveFileDefinition.run('link', d.id, d.type, JSON.stringify(d.config), now);
  });
  const plain = (r: Row): Definition => ({ id: str(r.id), type: str(r.type), config: JSON.parse(str(r.config)) });
  // Pruning first makes room for a key whose old delivery expired; one transaction keeps it atomic.
  const rememberDelivery = db.transaction((key: string, expiresAt: string, now: string) => {
    s.pruneDeliveries.run(now);
    return s.addDelivery.run(key, expiresAt).changes > 0;
  });
  const saveOAuthState = db.transaction((o: OAuthState, now: string) => {
    s.pruneOAuthStates.run(now);
    s.addOAuthState.run(o.key, o.connection, o.userId, o.redirectUri, o.expiresAt);
  });

  return {
    async saveDefinitions(defs) {
      saveDefinitions(defs, new Date().toISOString());
    },
    async listDefinitions() {
      return {
        connections: s.listDefinitions.all('connection').map(plain),
        links: s.listDefinitions.all('link').map(plain),
      };
    },
    async listManagedDefinitions(category) {
      return s.listDefinitions.all(category).map(toManaged);
    },
    async getDefinition(category, id) {
      const row = s.getDefinition.get(category, id);
      return row ? toManaged(row) : null;
    },
    async putDefinition(d) {
      s.putDefinition.run(d.category, d.id, d.type, JSON.stringify(d.config), d.owner, d.source, d.enabled ? 1 : 0, d.secrets, d.updatedAt);
    },
    async deleteDefinition(category, id) {
      return s.deleteDefinition.run(category, id).changes > 0;
    },
    async createToken(t) {
      s.createToken.run(t.id, t.userId, t.role, t.label, t.hash, t.createdAt, t.lastUsedAt, t.revokedAt);
    },
    async findToken(hash) {
      const row = s.findToken.get(hash);
      return row ? toToken(row) : null;
    },
    async listTokens() {
      return s.listTokens.all().map(toToken);
    },
    async revokeToken(id, at) {
      return s.revokeToken.run(at, id).changes > 0;
    },
    async touchToken(id, at) {
      s.touchToken.run(at, id);
    },
    async rememberDelivery(key, expiresAt, now) {
      return rememberDelivery(key, expiresAt, now);
    },
    async saveOAuthState(o, now) {
      saveOAuthState(o, now);
    },
    async takeOAuthState(key, now) {
      const r = s.takeOAuthState.get(key);
      return r && str(r.expires_at) > now ? toOAuthState(r) : null;
    },
  };
}
