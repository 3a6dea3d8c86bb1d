/**
 * The catalog: every connection and link the service knows — those of timebridge.yaml
 * (source `file`) and those made through the API (source `api`, kept in the store with
 * their secrets sealed) — and the one place a link becomes a runnable LinkSpec.
 * Connectors are built on first use and cached per connection until its definition
 * changes.
 */
import type { Connector } from '../connectors/kit/connector.js';
import type { HttpEvents } from '../connectors/kit/http-client.js';
import { withBudget, type HttpSetup } from '../connectors/kit/http-setup.js';
import { bucketRegistry, processBuckets, type BucketRegistry } from '../connectors/kit/rate-limiter.js';
import type { Clock, RetryBudget, RetryPolicy } from '../connectors/kit/retry.js';
import { CONNECTORS, type CreateEnv, type LinkTarget } from '../connectors/registry.js';
import { TimebridgeError } from '../core/errors.js';
import type { Json } from '../core/model.js';
import { linkIdOf, linkNameOf, type LinkSpec } from '../runtime/types.js';
import type { HubStore, ManagedDefinition } from '../store/types.js';
import { connectionCommonSchema, linkSchema, type ConnectionCommon, type LinkConfig } from './config-schema.js';
import { splitCommon, type LoadedConfig } from './config.js';
import { policyOf } from './compose.js';
import { linkMapping, type LinkMapping } from './link-mapping.js';
import type { SecretBox } from './secret-box.js';
import { mergeSecrets, secretPaths, splitSecrets, withoutSecrets } from './secret-fields.js';

type Obj = { [k: string]: Json };

export interface ConnectionView {
  name: string;
  type: string;
  owner: string | null;
  source: 'file' | 'api';
  /** Settings without secrets. */
  settings: Obj;
  /** Dotted paths of the secrets that are set (values are never shown). */
  secrets: string[];
  updatedAt: string;
}

export interface LinkView {
  name: string;
  owner: string | null;
  source: 'file' | 'api';
  enabled: boolean;
  config: LinkConfig;
  updatedAt: string;
}

export interface ConnectionInput {
  name: string;
  type: string;
  owner: string | null;
  /** Settings as in timebridge.yaml, secrets included; they are split off and sealed. */
  settings: Obj;
}

/** Decorates a freshly built connector (counting calls for metrics); the identity by default. */
export type ConnectorWrapper = (c: Connector<unknown>, info: { connection: string; common: ConnectionCommon }) => Connector<unknown>;

/** How the catalog's connectors build their HTTP clients: retry policy, clock, and where each connection's waits and retries go. */
export interface HttpEnvironment {
  retry?: Partial<RetryPolicy> | false;
  clock?: Partial<Clock>;
  /** Default: this process's buckets (or, with an injected clock, the catalog's own on that clock). */
  buckets?: BucketRegistry;
  events?: (connection: string) => HttpEvents;
}

export class Catalog {
  private readonly cache = new Map<string, { stamp: string; connector: Promise<Connector<unknown>>; budget: RetryBudget }>();
  private readonly buckets: BucketRegistry;

  constructor(
    readonly store: HubStore,
    private readonly loaded: LoadedConfig,
    private readonly box: SecretBox | null,
    private readonly wrap: ConnectorWrapper = (c) => c,
    private readonly clock: () => Date = () => new Date(),
    private readonly http: HttpEnvironment = {},
  ) {
    this.buckets = http.buckets ?? (http.clock ? bucketRegistry(http.clock) : processBuckets);
  }

  /** The config file's folder: relative paths in connection settings are resolved against it. */
  get baseDir(): string {
    return this.loaded.baseDir;
  }

  /** Put the config file's definitions into the store (their enabled flags are kept). */
  async syncFileDefinitions(): Promise<void> {
    await this.store.saveDefinitions({
      connections: Object.entries(this.loaded.connections).map(([id, c]) => ({ id, type: c.type, config: withoutSecrets({ ...(c.settings as Obj), ...(c.common as Obj) }) })),
      links: Object.entries(this.loaded.config.links).map(([id, l]) => ({ id: linkIdOf(id), type: 'link', config: l as unknown as Json })),
    });
  }

  /** Refuse to run when sealed secrets exist but no key was given (or another key). */
  async assertSecretsReadable(): Promise<void> {
    const sealed = (await this.store.listManagedDefinitions('connection')).filter((d) => d.secrets);
    if (!sealed.length) return;
    if (!this.box) {
      throw new TimebridgeError('SECRET_KEY_MISSING', `${sealed.length} connections have secrets stored encrypted (${sealed.map((d) => d.id).join(', ')}), but TIMEBRIDGE_SECRET_KEY is not set.`, {
        hint: 'start with TIMEBRIDGE_SECRET_KEY set to the key they were sealed with',
      });
    }
    for (const d of sealed) this.box.open(d.secrets!);
  }

  async listConnections(): Promise<ConnectionView[]> {
    const rows = await this.store.listManagedDefinitions('connection');
    const views: ConnectionView[] = [];
    for (const [name, c] of Object.entries(this.loaded.connections)) {
      const row = rows.find((r) => r.id === name);
      const { open, secrets } = splitSecrets({ ...(c.settings as Obj), ...(c.common as Obj) });
      views.push({ name, type: c.type, owner: null, source: 'file', settings: open, secrets: secretPaths(secrets), updatedAt: row?.updatedAt ?? '' });
    }
    for (const r of rows) if (r.source === 'api') views.push(this.apiConnectionView(r));
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }

  async getConnection(name: string): Promise<ConnectionView | null> {
    return (await this.listConnections()).find((c) => c.name === name) ?? null;
  }

  private apiConnectionView(r: ManagedDefinition): ConnectionView {
    const secrets = r.secrets && this.box ? this.box.open(r.secrets) as Obj : null;
    return { name: r.id, type: r.type, owner: r.owner, source: 'api', settings: r.config as Obj, secrets: secretPaths(secrets), updatedAt: r.updatedAt };
  }

  /** Check settings with the connector's schema, seal the secrets, store. */
  async putConnection(input: ConnectionInput, existing: ConnectionView | null): Promise<ConnectionView> {
    const entry = CONNECTORS[input.type];
    if (!entry) throw invalid(`unknown connector type "${input.type}"`, `use one of: ${Object.keys(CONNECTORS).join(', ')}`);
    const { common, settings } = splitCommon(input.settings);
    const c = connectionCommonSchema.safeParse(common);
    if (!c.success) throw invalid(`settings: ${c.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'fix the settings named above');
    const r = entry.configSchema.safeParse(settings);
    if (!r.success) throw invalid(`settings: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`, 'fix the settings named above; they are the same keys as in timebridge.yaml');
    const split = splitSecrets(input.settings);
    const open = split.open;
    let secrets = split.secrets;
    // A PATCH that leaves a secret out keeps the one stored.
    if (existing) {
      const row = await this.store.getDefinition('connection', input.name);
      const old = row?.secrets && this.box ? this.box.open(row.secrets) as Obj : null;
      secrets = old ? mergeSecrets(old, secrets) : secrets;
    }
    if (secrets && !this.box) {
      throw new TimebridgeError('SECRET_KEY_MISSING', 'this connection has secrets, and the service has no key to seal them with', {
        hint: 'start the service with TIMEBRIDGE_SECRET_KEY set (make one with `timebridge secrets new-key`)',
      });
    }
    const def: ManagedDefinition = {
      category: 'connection', id: input.name, type: input.type, config: open, owner: input.owner, source: 'api', enabled: true,
      secrets: secrets ? this.box!.seal(secrets) : null, updatedAt: this.clock().toISOString(),
    };
    await this.store.putDefinition(def);
    await this.dropConnector(input.name);
    return this.apiConnectionView(def);
  }

  async deleteConnection(name: string): Promise<void> {
    const users = (await this.listLinks()).filter((l) => l.config.connection === name);
    if (users.length) {
      throw new TimebridgeError('RESOURCE_CONFLICT', `connection ${name} is used by links ${users.map((l) => l.name).join(', ')}`, { hint: 'delete those links first' });
    }
    await this.store.deleteDefinition('connection', name);
    await this.dropConnector(name);
  }

  async listLinks(): Promise<LinkView[]> {
    const rows = await this.store.listManagedDefinitions('link');
    const byId = new Map(rows.map((r) => [r.id, r]));
    const views: LinkView[] = Object.entries(this.loaded.config.links).map(([name, config]) => {
      const row = byId.get(linkIdOf(name));
      return { name, owner: null, source: 'file', enabled: row?.enabled ?? true, config, updatedAt: row?.updatedAt ?? '' };
    });
    for (const r of rows) {
      if (r.source !== 'api') continue;
      views.push({ name: linkNameOf(r.id), owner: r.owner, source: 'api', enabled: r.enabled, config: linkSchema.parse(r.config), updatedAt: r.updatedAt });
    }
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }

  async getLink(name: string): Promise<LinkView | null> {
    return (await this.listLinks()).find((l) => l.name === name) ?? null;
  }

  async putLink(name: string, config: LinkConfig, owner: string | null, enabled = true): Promise<LinkView> {
    const updatedAt = this.clock().toISOString();
    await this.store.putDefinition({ category: 'link', id: linkIdOf(name), type: 'link', config: config as unknown as Json, owner, source: 'api', enabled, secrets: null, updatedAt });
    return { name, owner, source: 'api', enabled, config, updatedAt };
  }

  async setLinkEnabled(name: string, enabled: boolean): Promise<void> {
    const row = await this.store.getDefinition('link', linkIdOf(name));
    const link = await this.getLink(name);
    if (!link) throw notFound('link', name);
    await this.store.putDefinition(row
      ? { ...row, enabled, updatedAt: this.clock().toISOString() }
      : { category: 'link', id: linkIdOf(name), type: 'link', config: link.config as unknown as Json, owner: null, source: link.source, enabled, secrets: null, updatedAt: this.clock().toISOString() });
  }

  async deleteLink(name: string): Promise<void> {
    await this.store.deleteDefinition('link', linkIdOf(name));
  }

  /** The mapper a link config would run with; REQUEST_INVALID naming the setting when it is wrong. */
  async checkLink(config: LinkConfig): Promise<LinkMapping> {
    return mappingOf(await this.connectionSettings(config.connection), config);
  }

  /** A runnable link: its connector (built once per connection and target), mapper, policy and window. Takes the view when the caller has it. */
  async linkSpec(nameOrView: string | LinkView): Promise<LinkSpec> {
    const link = typeof nameOrView === 'string' ? await this.getLink(nameOrView) : nameOrView;
    if (!link) throw notFound('link', nameOrView as string);
    const name = link.name;
    const conn = await this.connectionSettings(link.config.connection);
    const mapping = mappingOf(conn, link.config);
    const target: LinkTarget = { collection: link.config.collection ?? null, externalKind: mapping.externalKind };
    const connector = await this.connector(link.config.connection, conn, target);
    // A LinkSpec is made for each run (each job of the service; once per CLI command): the connector's retry budget starts afresh.
    this.cache.get(cacheKey(link.config.connection, target))?.budget.reset();
    const refKinds = mapping.mapper.refKinds ?? [];
    const refSources = [];
    if (refKinds.length) {
      const siblings = (await this.listLinks()).filter((l) => l.name !== name && l.config.connection === link.config.connection);
      for (const externalKind of refKinds) {
        const linkIds = [];
        for (const s of siblings) {
          const m = linkMapping(CONNECTORS[conn.type]!, conn.type, s.config);
          if (typeof m !== 'string' && m.externalKind === externalKind) linkIds.push(linkIdOf(s.name));
        }
        refSources.push({ externalKind, linkIds });
      }
    }
    const defaults = CONNECTORS[conn.type]!.linkDefaults?.(mapping.externalKind) ?? {};
    return {
      id: linkIdOf(name), name, scope: link.config.scope, connection: link.config.connection, kind: mapping.hubKind,
      policy: policyOf(link.config), connector, mapper: mapping.mapper, window: link.config.window === undefined ? defaults.window ?? null : link.config.window, refSources,
    };
  }

  /** A link's cron schedule: its own, or its connector's default for its kind (null: none). */
  async scheduleOf(link: LinkView): Promise<string | null> {
    if (link.config.schedule) return link.config.schedule;
    const conn = await this.connectionSettings(link.config.connection).catch(() => null);
    const entry = conn ? CONNECTORS[conn.type] : undefined;
    if (!conn || !entry?.linkDefaults) return null;
    const m = linkMapping(entry, conn.type, link.config);
    return typeof m === 'string' ? null : entry.linkDefaults(m.externalKind).schedule ?? null;
  }

  /** A connection's validated settings with its secrets, and the common settings. */
  async connectionSettings(name: string): Promise<{ type: string; settings: unknown; common: ConnectionCommon; stamp: string }> {
    const file = this.loaded.connections[name];
    if (file) return { ...file, stamp: 'file' };
    const row = await this.store.getDefinition('connection', name);
    if (!row) throw notFound('connection', name);
    if (row.secrets && !this.box) throw new TimebridgeError('SECRET_KEY_MISSING', `connection ${name} has sealed secrets but TIMEBRIDGE_SECRET_KEY is not set`, { hint: 'start the service with the key they were sealed with' });
    const all = mergeSecrets(row.config as Obj, row.secrets ? this.box!.open(row.secrets) as Obj : null);
    const { common, settings } = splitCommon(all);
    const entry = CONNECTORS[row.type];
    if (!entry) throw invalid(`connection ${name} has unknown type ${row.type}`, 'delete and re-create it');
    return { type: row.type, settings: entry.configSchema.parse(settings), common: connectionCommonSchema.parse(common), stamp: row.updatedAt };
  }

  /** Build a connector for a connection without caching it (the `test` action). */
  async freshConnector(name: string): Promise<Connector<unknown>> {
    const conn = await this.connectionSettings(name);
    const target = { collection: null, externalKind: CONNECTORS[conn.type]!.manifest.kinds[0]!.external };
    return await CONNECTORS[conn.type]!.create(conn.settings, this.createEnv(name, conn.common, target)) as Connector<unknown>;
  }

  /** What a connector of this connection is built with: its HTTP setup carries the connection's rateLimit and a fresh retry budget. */
  createEnv(connection: string, common: ConnectionCommon, target: LinkTarget): CreateEnv & { http: HttpSetup } {
    const http = withBudget({
      ...(common.rateLimit ? { rateLimit: common.rateLimit } : {}),
      ...(this.http.retry !== undefined ? { retry: this.http.retry } : {}),
      ...(this.http.clock ? { clock: this.http.clock } : {}),
      buckets: this.buckets,
      ...(this.http.events ? { events: this.http.events(connection) } : {}),
    });
    return { baseDir: this.loaded.baseDir, target, http };
  }

  private async connector(name: string, conn: { type: string; settings: unknown; common: ConnectionCommon; stamp: string }, target: LinkTarget): Promise<Connector<unknown>> {
    const key = cacheKey(name, target);
    const cached = this.cache.get(key);
    if (cached && cached.stamp === conn.stamp) return cached.connector;
    if (cached) await this.dropConnector(name);
    const env = this.createEnv(name, conn.common, target);
    const made = Promise.resolve(CONNECTORS[conn.type]!.create(conn.settings, env))
      .then((c) => this.wrap(c as Connector<unknown>, { connection: name, common: conn.common }));
    made.catch(() => this.cache.delete(key));
    this.cache.set(key, { stamp: conn.stamp, connector: made, budget: env.http.budget! });
    return made;
  }

  /** Close and forget every connector built for a connection. */
  private async dropConnector(name: string): Promise<void> {
    for (const [key, c] of [...this.cache]) {
      if (key.split('\u0000')[0] !== name) continue;
      this.cache.delete(key);
      await (await c.connector.catch(() => null))?.close?.();
    }
  }

  async close(): Promise<void> {
    const names = new Set([...this.cache.keys()].map((k) => k.split('\u0000')[0]!));
    for (const name of names) await this.dropConnector(name);
  }
}

function mappingOf(conn: { type: string }, config: LinkConfig): LinkMapping {
  const m = linkMapping(CONNECTORS[conn.type]!, conn.type, config);
  if (typeof m === 'string') throw invalid(`config.${m}`, 'fix the link setting named above');
  return m;
}

function cacheKey(connection: string, t: LinkTarget): string {
  return [connection, t.externalKind, t.collection ?? ''].join('\u0000');
}

function invalid(message: string, hint: string): TimebridgeError {
  return new TimebridgeError('REQUEST_INVALID', message, { hint });
}

export function notFound(what: string, name: string): TimebridgeError {
  return new TimebridgeError('RESOURCE_NOT_FOUND', `no ${what} named "${name}"`, { hint: `list them with GET /api/v1/${what === 'link' ? 'links' : 'connections'}` });
}
