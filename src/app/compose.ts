/**
 * The composition root: the one place concrete parts (store, connectors) are wired.
 * Everything else receives what it needs from here.
 */
import path from 'node:path';
import { TimebridgeError } from '../core/errors.js';
import { DEFAULT_POLICY, type Direction, type LinkPolicy } from '../core/policy.js';
import type { LinkSpec } from '../runtime/types.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { HubStore } from '../store/types.js';
import { Catalog, type HttpEnvironment } from './catalog.js';
import type { LinkConfig } from './config-schema.js';
import type { LoadedConfig } from './config.js';
import { secretBoxFromEnv } from './secret-box.js';

export interface App {
  store: HubStore;
  links: Map<string, LinkSpec>;
  config: LoadedConfig;
  clock: () => Date;
  /** The catalog the links were built from (link templates expand through it). */
  catalog?: Catalog;
  /** Cross-process exclusion of a link's runs, when the store provides it (PostgreSQL). */
  lockLink?: (linkId: string) => Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A link's policy; `direction` is the one its mapping resolved (link-mapping.ts), as a link may leave it to the mapper. */
export function policyOf(l: LinkConfig, direction: Direction): LinkPolicy {
  return {
    direction,
    conflict: l.conflict,
    fieldOwners: l.fieldOwners,
    deletes: l.deletes,
    externalOnly: l.externalOnly,
    guard: { ...DEFAULT_POLICY.guard, ...l.guard, allowDeletes: false },
  };
}

export type OpenedStore = HubStore & { lockLink?: (linkId: string) => Promise<() => Promise<void>> };

/** The PostgreSQL URL of a postgres store config (inline or from the named variable). */
export function postgresUrl(store: Extract<LoadedConfig['config']['store'], { type: 'postgres' }>, env: NodeJS.ProcessEnv): string {
  const url = store.url ?? env[store.urlEnv!];
  if (!url) {
    throw new TimebridgeError('CONFIG_INVALID', `store.urlEnv names ${store.urlEnv}, but that variable is not set`, {
      hint: `set ${store.urlEnv} to the database URL, e.g. postgres://user@127.0.0.1:5432/timebridge`,
    });
  }
  return url;
}

/** Open the configured hub store: the SQLite file, or PostgreSQL (loaded only when used). */
export async function openStore(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): Promise<OpenedStore> {
  const s = loaded.config.store;
  if (s.type === 'sqlite') return openSqliteStore(path.resolve(loaded.baseDir, s.path));
  const { openPostgresStore } = await import('../store/postgres/pg-store.js');
  return openPostgresStore({ url: postgresUrl(s, env), schema: s.schema });
}

/**
 * The CLI's app: the config file's links, ready to run. `http` sets how connectors pace and
 * retry their requests (defaults: this process's buckets, the real clock, the default retry policy).
 */
export async function composeApp(loaded: LoadedConfig, opts: { clock?: () => Date; env?: NodeJS.ProcessEnv; http?: HttpEnvironment } = {}): Promise<App> {
  const clock = opts.clock ?? (() => new Date());
  const env = opts.env ?? process.env;
  const store = await openStore(loaded, env);
  const catalog = new Catalog(store, loaded, secretBoxFromEnv(env), undefined, clock, { env, ...(opts.http ? { http: opts.http } : {}) });
  try {
    await catalog.syncFileDefinitions();
    const links = new Map<string, LinkSpec>();
    for (const name of Object.keys(loaded.config.links)) links.set(name, await catalog.linkSpec(name));
    // The enabled links the config's templates made (app/link-templates.ts), as they were last expanded.
    if (Object.keys(loaded.config.linkTemplates).length)
      for (const l of await catalog.listLinks()) if (l.derived && l.enabled) links.set(l.name, await catalog.linkSpec(l));
    return {
      store,
      links,
      config: loaded,
      clock,
      catalog,
      ...(store.lockLink ? { lockLink: store.lockLink.bind(store) } : {}),
      async close() {
        await catalog.close();
        await store.close();
      },
    };
  } catch (err) {
    await catalog.close();
    await store.close();
    throw err;
  }
}
