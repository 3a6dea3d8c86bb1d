/**
 * The composition root: the one place concrete parts (store, connectors) are wired.
 * Everything else receives what it needs from here.
 */
import path from 'node:path';
import type { Connector } from '../connectors/kit/connector.js';
import { CONNECTORS } from '../connectors/registry.js';
import type { Json } from '../core/model.js';
import { DEFAULT_POLICY, type LinkPolicy } from '../core/policy.js';
import { linkIdOf, type LinkSpec } from '../runtime/types.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { HubStore } from '../store/types.js';
import type { LinkConfig } from './config-schema.js';
import type { LoadedConfig } from './config.js';

export interface App {
  store: HubStore;
  links: Map<string, LinkSpec>;
  config: LoadedConfig;
  clock: () => Date;
  close(): Promise<void>;
}

function policyOf(l: LinkConfig): LinkPolicy {
  return {
    direction: l.direction, conflict: l.conflict, fieldOwners: l.fieldOwners,
    deletes: l.deletes,
    guard: { ...DEFAULT_POLICY.guard, ...l.guard, allowDeletes: false },
  };
}

export async function composeApp(loaded: LoadedConfig, opts: { clock?: () => Date } = {}): Promise<App> {
  const clock = opts.clock ?? (() => new Date());
  const store = openSqliteStore(path.resolve(loaded.baseDir, loaded.config.store.path));
  const connectors = new Map<string, Connector<unknown>>();
  const links = new Map<string, LinkSpec>();
  for (const [name, l] of Object.entries(loaded.config.links)) {
    const conn = loaded.connections[l.connection]!;
    const entry = CONNECTORS[conn.type]!;
    let connector = connectors.get(l.connection);
    if (!connector) {
      connector = await entry.create(conn.settings, { baseDir: loaded.baseDir }) as Connector<unknown>;
      connectors.set(l.connection, connector);
    }
    links.set(name, {
      id: linkIdOf(name), name, scope: l.scope, kind: l.kind ?? entry.manifest.kinds[0]!.hub,
      policy: policyOf(l), connector, mapper: entry.mapper, window: l.window ?? null,
    });
  }
  await store.saveDefinitions({
    connections: Object.entries(loaded.connections).map(([id, c]) => ({ id, type: c.type, config: withoutSecrets(c.settings as Json) })),
    links: Object.entries(loaded.config.links).map(([id, l]) => ({ id: linkIdOf(id), type: 'link', config: l as unknown as Json })),
  });
  return {
    store, links, config: loaded, clock,
    async close() {
      for (const c of connectors.values()) await c.close?.();
      await store.close();
    },
  };
}

const SECRET_KEYS = new Set(['password', 'token', 'secret', 'apiKey', 'clientSecret']);

/** Connection settings as recorded in the store: inline secrets are never written there. */
export function withoutSecrets(v: Json): Json {
  if (Array.isArray(v)) return v.map(withoutSecrets);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.has(k) ? '(not stored)' : withoutSecrets(x)]));
}
