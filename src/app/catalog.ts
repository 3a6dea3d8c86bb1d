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
import type { OutboundGuard } from '../connectors/kit/outbound-policy.js';
import type { BuildEnv, LinkTarget } from '../connectors/kit/entry.js';
import { CONNECTORS } from '../connectors/registry.js';
import { TimebridgeError } from '../core/errors.js';
import type { Json } from '../core/model.js';
import type { BookingRule } from '../core/booking.js';
import { canPull } from '../core/policy.js';
import { linkIdOf, linkNameOf, type LinkSpec } from '../runtime/types.js';
import type { HubStore, ManagedDefinition } from '../store/types.js';
import { connectionCommonSchema, linkSchema, type ConnectionCommon, type LinkConfig } from './config-schema.js';
import { splitCommon, type LoadedConfig } from './config.js';
import { policyOf } from './compose.js';
import { linkMapping, type LinkMapping } from './link-mapping.js';
import type { SecretBox } from './secret-box.js';
import { assertUserLink } from './link-rules.js';
import { derivedOfRow } from './link-templates.js';
import { assertConfined, userRoot } from './local-paths.js';
import { Scopes } from './scopes.js';
import { connectionMarks, mergeSecrets, secretPaths, splitSecrets, withoutSecrets } from './secret-fields.js';
import { assertNoServerReads, resolveServerReads, serverReadPaths } from './server-reads.js';

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
  /** Set for a link a template made (app/link-templates.ts). */
  derived?: DerivedFrom;
  /** Why the service disabled it (office attendance: its office left the sheet). */
  disabledReason?: string;
}

/** Which template made a link, of which collection, and why the template disabled it (null: it did not). */
export interface DerivedFrom {
  template: string;
  key: string;
  name: string;
  reason: string | null;
}

export interface ConnectionInput {
  name: string;
  type: string;
  owner: string | null;
  /** Settings as in timebridge.yaml, secrets included; they are split off and sealed. */
  settings: Obj;
}

/** A connection's settings ready to build its connector: server reads resolved, and where it may reach. */
export interface ConnectionSettings {
  type: string;
  settings: unknown;
  common: ConnectionCommon;
  stamp: string;
  /** null: global (config file or admin); otherwise the user who owns it. */
  owner: string | null;
  /** True for the config file's, global and admins' connections: they may read the server and reach any address and path. */
  trusted: boolean;
  /** Relative paths resolve here: the config file's folder, or the owner's data root. */
  baseDir: string;
  /** Set for users' connections. */
  outbound?: OutboundGuard;
}

export interface CatalogOptions {
  /** What `*Env` settings read (config file and admins' connections only). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** serve.dataRoot: users' local paths live under `<dataRoot>/<user>/`; null: users may have none. */
  dataRoot?: string | null;
  /** Where users' connections may send requests (serve.outbound); every connection of a user gets it. */
  outbound?: OutboundGuard;
  /** How connectors build their HTTP clients (retries, clock, pacing buckets, metrics events). */
  http?: HttpEnvironment;
}

/** Decorates a freshly built connector (rate limiting, metrics); the identity by default. */
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
  readonly scopes: Scopes;

  constructor(
    readonly store: HubStore,
    private readonly loaded: LoadedConfig,
    private readonly box: SecretBox | null,
    private readonly wrap: ConnectorWrapper = (c) => c,
    private readonly clock: () => Date = () => new Date(),
    private readonly opts: CatalogOptions = {},
  ) {
    const http = opts.http ?? {};
    this.buckets = http.buckets ?? (http.clock ? bucketRegistry(http.clock) : processBuckets);
    this.scopes = new Scopes(store, this, clock);
  }

  /** Admins' user ids hold an active admin token; their connections are trusted like global ones. */
  async isAdmin(userId: string): Promise<boolean> {
    return (await this.store.listTokens()).some((t) => t.userId === userId && t.role === 'admin' && !t.revokedAt);
  }

  /** The folder a user's local paths live in, or null when the admin set no serve.dataRoot. */
  userRoot(userId: string): string | null {
    return this.opts.dataRoot ? userRoot(this.opts.dataRoot, userId) : null;
  }

  /** The config file's folder: relative paths in connection settings are resolved against it. */
  get baseDir(): string {
    return this.loaded.baseDir;
  }

  /** Put the config file's definitions into the store (their enabled flags are kept). */
  async syncFileDefinitions(): Promise<void> {
    await this.store.saveDefinitions({
      connections: Object.entries(this.loaded.connections).map(([id, c]) => ({
        id,
        type: c.type,
        config: withoutSecrets({ ...(c.settings as Obj), ...(c.common as Obj) }, connectionMarks(c.type)),
      })),
      links: Object.entries(this.loaded.config.links).map(([id, l]) => ({ id: linkIdOf(id), type: 'link', config: l as unknown as Json })),
    });
  }

  /** Refuse to run when sealed secrets exist but no key was given (or another key). */
  async assertSecretsReadable(): Promise<void> {
    const sealed = (await this.store.listManagedDefinitions('connection')).filter((d) => d.secrets);
    if (!sealed.length) return;
    if (!this.box) {
      throw new TimebridgeError(
        'SECRET_KEY_MISSING',
        `${sealed.length} connections have secrets stored encrypted (${sealed.map((d) => d.id).join(', ')}), but TIMEBRIDGE_SECRET_KEY is not set.`,
        {
          hint: 'start with TIMEBRIDGE_SECRET_KEY set to the key they were sealed with',
        },
      );
    }
    for (const d of sealed) this.box.open(d.secrets!);
  }

  async listConnections(): Promise<ConnectionView[]> {
    const rows = await this.store.listManagedDefinitions('connection');
    const views: ConnectionView[] = [];
    for (const [name, c] of Object.entries(this.loaded.connections)) {
      const row = rows.find((r) => r.id === name);
      const marks = connectionMarks(c.type);
      const { open, secrets } = splitSecrets({ ...(c.settings as Obj), ...(c.common as Obj) }, marks);
      views.push({ name, type: c.type, owner: null, source: 'file', settings: open, secrets: secretPaths(secrets, marks), updatedAt: row?.updatedAt ?? '' });
    }
    for (const r of rows) if (r.source === 'api') views.push(this.apiConnectionView(r));
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }

  async getConnection(name: string): Promise<ConnectionView | null> {
    return (await this.listConnections()).find((c) => c.name === name) ?? null;
  }

  private apiConnectionView(r: ManagedDefinition): ConnectionView {
    const secrets = r.secrets && this.box ? (this.box.open(r.secrets) as Obj) : null;
    return {
      name: r.id,
      type: r.type,
      owner: r.owner,
      source: 'api',
      settings: r.config as Obj,
      secrets: secretPaths(secrets, connectionMarks(r.type)),
      updatedAt: r.updatedAt,
    };
  }

  /**
   * Check settings with the connector's schema, seal the secrets, store. A connection a
   * user (not an admin) owns may not read the server (403 naming the setting), and its
   * local paths must lie in the user's data root (400 naming the setting).
   */
  async putConnection(input: ConnectionInput, existing: ConnectionView | null): Promise<ConnectionView> {
    const entry = CONNECTORS[input.type];
    if (!entry) throw invalid(`unknown connector type "${input.type}"`, `use one of: ${Object.keys(CONNECTORS).join(', ')}`);
    const marks = connectionMarks(input.type);
    const { common, settings } = splitCommon(input.settings);
    const c = connectionCommonSchema.safeParse(common);
    if (!c.success) throw invalid(c.error.issues.map((i) => `${['settings', ...i.path].join('.')}: ${i.message}`).join('; '), 'fix the settings named above');
    const r = entry.configSchema.safeParse(settings);
    if (!r.success)
      throw invalid(
        r.error.issues.map((i) => `${['settings', ...i.path].join('.')}: ${i.message}`).join('; '),
        'fix the settings named above; they are the same keys as in timebridge.yaml',
      );
    if (input.owner !== null && !(await this.isAdmin(input.owner))) {
      assertNoServerReads(input.settings, marks);
      assertConfined(r.data as Obj, marks, this.userRoot(input.owner));
    }
    const split = splitSecrets(input.settings, marks);
    const open = split.open;
    let secrets = split.secrets;
    // A PATCH that leaves a secret out keeps the one stored.
    if (existing) {
      const row = await this.store.getDefinition('connection', input.name);
      const old = row?.secrets && this.box ? (this.box.open(row.secrets) as Obj) : null;
      secrets = old ? mergeSecrets(old, secrets) : secrets;
    }
    if (secrets && !this.box) {
      throw new TimebridgeError('SECRET_KEY_MISSING', 'this connection has secrets, and the service has no key to seal them with', {
        hint: 'start the service with TIMEBRIDGE_SECRET_KEY set (make one with `timebridge secrets new-key`)',
      });
    }
    const def: ManagedDefinition = {
      category: 'connection',
      id: input.name,
      type: input.type,
      config: open,
      owner: input.owner,
      source: 'api',
      enabled: true,
      secrets: secrets ? this.box!.seal(secrets) : null,
      updatedAt: this.clock().toISOString(),
    };
    await this.store.putDefinition(def);
    await this.dropConnector(input.name);
    return this.apiConnectionView(def);
  }

  async deleteConnection(name: string): Promise<void> {
    const users = (await this.listLinks()).filter((l) => l.config.connection === name);
    if (users.length) {
      throw new TimebridgeError('RESOURCE_CONFLICT', `connection ${name} is used by links ${users.map((l) => l.name).join(', ')}`, {
        hint: 'delete those links first',
      });
    }
    await this.store.deleteDefinition('connection', name);
    await this.dropConnector(name);
  }

  /**
   * What the service adds to a link's config as it is read, at runtime (office attendance:
   * the manual users read from Google Sheets join the office links' options); null: nothing.
   */
  linkOverlay: ((config: LinkConfig) => LinkConfig) | null = null;
  /** Brings the overlay up to date from the store before links are listed (every process sees the same). */
  linkOverlayLoad: (() => Promise<void>) | null = null;
  /** Why the service disabled a link, if it did. */
  linkDisabledReason: ((name: string) => string | undefined) | null = null;

  async listLinks(): Promise<LinkView[]> {
    if (this.linkOverlayLoad) await this.linkOverlayLoad();
    const rows = await this.store.listManagedDefinitions('link');
    const byId = new Map(rows.map((r) => [r.id, r]));
    const over = (c: LinkConfig): LinkConfig => (this.linkOverlay ? this.linkOverlay(c) : c);
    const reason = (name: string, enabled: boolean) => {
      const why = enabled ? undefined : this.linkDisabledReason?.(name);
      return why ? { disabledReason: why } : {};
    };
    const views: LinkView[] = Object.entries(this.loaded.config.links).map(([name, config]) => {
      const row = byId.get(linkIdOf(name));
      return { name, owner: null, source: 'file', enabled: row?.enabled ?? true, config: over(config), updatedAt: row?.updatedAt ?? '' };
    });
    for (const r of rows) {
      if (r.source !== 'api') continue;
      const derived = derivedOfRow(r);
      views.push({
        name: linkNameOf(r.id),
        owner: r.owner,
        source: 'api',
        enabled: r.enabled,
        config: over(linkSchema.parse(derived ? (r.config as { link: Json }).link : r.config)),
        updatedAt: r.updatedAt,
        ...(derived ? { derived } : {}),
        ...reason(linkNameOf(r.id), r.enabled),
      });
    }
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }

  async getLink(name: string): Promise<LinkView | null> {
    return (await this.listLinks()).find((l) => l.name === name) ?? null;
  }

  /** A user's link config against the rules of app/link-rules.ts (admins' links pass). */
  async checkUserLink(config: LinkConfig, owner: string | null): Promise<void> {
    if (owner === null || (await this.isAdmin(owner))) return;
    const conn = this.loaded.connections[config.connection] ? null : await this.store.getDefinition('connection', config.connection);
    assertUserLink(config, { userId: owner, scope: await this.scopes.access(owner, config.scope), connectionOwner: conn?.owner ?? null });
  }

  /** Does running this link reach beyond what its owner owns (a global link, connection or scope)? */
  async reachesGlobal(link: LinkView): Promise<boolean> {
    if (link.owner === null) return true;
    const conn = this.loaded.connections[link.config.connection] ? null : await this.store.getDefinition('connection', link.config.connection);
    if (!conn || conn.owner === null) return true;
    return !['own', 'free'].includes(await this.scopes.access(link.owner, link.config.scope));
  }

  async putLink(name: string, config: LinkConfig, owner: string | null, enabled = true): Promise<LinkView> {
    await this.checkUserLink(config, owner);
    await this.scopes.claim(config.scope, owner);
    const updatedAt = this.clock().toISOString();
    await this.store.putDefinition({
      category: 'link',
      id: linkIdOf(name),
      type: 'link',
      config: config as unknown as Json,
      owner,
      source: 'api',
      enabled,
      secrets: null,
      updatedAt,
    });
    return { name, owner, source: 'api', enabled, config, updatedAt };
  }

  async setLinkEnabled(name: string, enabled: boolean): Promise<void> {
    const row = await this.store.getDefinition('link', linkIdOf(name));
    const link = await this.getLink(name);
    if (!link) throw notFound('link', name);
    await this.store.putDefinition(
      row
        ? { ...row, enabled, updatedAt: this.clock().toISOString() }
        : {
            category: 'link',
            id: linkIdOf(name),
            type: 'link',
            config: link.config as unknown as Json,
            owner: null,
            source: link.source,
            enabled,
            secrets: null,
            updatedAt: this.clock().toISOString(),
          },
    );
  }

  async deleteLink(name: string): Promise<void> {
    await this.store.deleteDefinition('link', linkIdOf(name));
  }

  /** The mapper a link config would run with; REQUEST_INVALID naming the setting when it is wrong. */
  async checkLink(config: LinkConfig): Promise<LinkMapping> {
    return mappingOf(await this.connectionSettings(config.connection), config);
  }

  /** A runnable link: its connector (built once per connection and target), mapper, policy and window. Takes the view when the caller has it. */
  async linkSpec(nameOrView: string | LinkView, o: { probe?: boolean } = {}): Promise<LinkSpec> {
    const link = typeof nameOrView === 'string' ? await this.getLink(nameOrView) : nameOrView;
    if (!link) throw notFound('link', nameOrView as string);
    const name = link.name;
    await this.checkUserLink(link.config, link.owner);
    const conn = await this.connectionSettings(link.config.connection);
    const mapping = mappingOf(conn, link.config);
    const target: LinkTarget = { collection: link.config.collection ?? null, externalKind: mapping.externalKind };
    // A probe (the audit) gets a connector of its own that creates nothing: no calendar made, nothing cached.
    const connector = o.probe
      ? this.wrap((await CONNECTORS[conn.type]!.create(conn.settings, this.buildEnv(link.config.connection, conn, target, true))) as Connector<unknown>, {
          connection: link.config.connection,
          common: conn.common,
        })
      : await this.connector(link.config.connection, conn, target);
    // A LinkSpec is made for each run (each job of the service; once per CLI command): the connector's retry budget starts afresh.
    this.cache.get(cacheKey(link.config.connection, target))?.budget.reset();
    const refKinds = mapping.mapper.refKinds ?? [];
    const refSources = [];
    if (refKinds.length) {
      const all = (await this.listLinks()).filter((l) => l.name !== name);
      for (const externalKind of refKinds) {
        // `<connection>:<kind>` names the links of another connection (Timekeeper's work logs refer to Kimai's ids).
        const split = externalKind.indexOf(':');
        const source = split > 0 ? externalKind.slice(0, split) : link.config.connection;
        const kind = split > 0 ? externalKind.slice(split + 1) : externalKind;
        const type = source === link.config.connection ? conn.type : await this.connectionType(source);
        const linkIds = [];
        for (const s of all.filter((l) => l.config.connection === source)) {
          const m = linkMapping(CONNECTORS[type]!, type, s.config);
          if (typeof m !== 'string' && m.externalKind === kind) linkIds.push(linkIdOf(s.name));
        }
        refSources.push({ externalKind, linkIds });
      }
    }
    const defaults = CONNECTORS[conn.type]!.linkDefaults?.(mapping.externalKind) ?? {};
    const can = CONNECTORS[conn.type]!.manifest.kinds.find((k) => k.external === mapping.externalKind)?.can;
    const policy = policyOf(link.config, mapping.direction);
    // Time entries a link pulls into the hub are booked by the scope's rules (runtime/booking.ts).
    const rules = mapping.hubKind === 'timeEntry' && canPull(policy) ? await this.effectiveRules(link.config.scope) : [];
    return {
      id: linkIdOf(name),
      name,
      scope: link.config.scope,
      connection: link.config.connection,
      kind: mapping.hubKind,
      ...(can ? { can } : {}),
      policy,
      connector,
      ...(rules.length ? { booking: { rules, collection: link.config.collection ?? null } } : {}),
      mapper: mapping.mapper,
      window: link.config.window === undefined ? (defaults.window ?? null) : link.config.window,
      refSources,
    };
  }

  /** A scope's booking rules: the config file's first, then those stored through the API. */
  async effectiveRules(scope: string): Promise<BookingRule[]> {
    return [...(this.loaded.config.booking[scope] ?? []), ...(await this.scopes.rules(scope))];
  }

  /** The booking rules of the config file for a scope (the API may not change them). */
  fileRules(scope: string): BookingRule[] {
    return this.loaded.config.booking[scope] ?? [];
  }

  /** A link's cron schedule: its own, or its connector's default for its kind (null: none). */
  async scheduleOf(link: LinkView): Promise<string | null> {
    if (link.config.schedule) return link.config.schedule;
    const conn = await this.connectionSettings(link.config.connection).catch(() => null);
    const entry = conn ? CONNECTORS[conn.type] : undefined;
    if (!conn || !entry?.linkDefaults) return null;
    const m = linkMapping(entry, conn.type, link.config);
    return typeof m === 'string' ? null : (entry.linkDefaults(m.externalKind).schedule ?? null);
  }

  /** A stored connection's settings with its secrets, as given (server reads not resolved). */
  async rawSettings(name: string): Promise<Obj> {
    const file = this.loaded.connections[name];
    if (file) return { ...(file.settings as Obj), ...(file.common as Obj) };
    const row = await this.store.getDefinition('connection', name);
    if (!row) throw notFound('connection', name);
    if (row.secrets && !this.box)
      throw new TimebridgeError('SECRET_KEY_MISSING', `connection ${name} has sealed secrets but TIMEBRIDGE_SECRET_KEY is not set`, {
        hint: 'start the service with the key they were sealed with',
      });
    return mergeSecrets(row.config as Obj, row.secrets ? (this.box!.open(row.secrets) as Obj) : null);
  }

  /**
   * A connection's validated settings with its secrets, its server reads (`*Env`,
   * `keyFile`) resolved — only for the config file's, global and admins' connections —
   * and where its connector may reach.
   */
  /** The connector type of a connection another link's references name; REQUEST_INVALID when there is none. */
  private async connectionType(name: string): Promise<string> {
    const type = this.loaded.connections[name]?.type ?? (await this.store.getDefinition('connection', name))?.type;
    if (!type || !CONNECTORS[type])
      throw invalid(`the references name connection ${name}, which does not exist`, 'set the link option naming it to an existing connection');
    return type;
  }

  async connectionSettings(name: string): Promise<ConnectionSettings> {
    const file = this.loaded.connections[name];
    const row = file ? null : await this.store.getDefinition('connection', name);
    if (!file && !row) throw notFound('connection', name);
    const type = file ? file.type : row!.type;
    const entry = CONNECTORS[type];
    if (!entry) throw invalid(`connection ${name} has unknown type ${type}`, 'delete and re-create it');
    const marks = connectionMarks(type);
    const owner = row ? row.owner : null;
    const trusted = owner === null || (await this.isAdmin(owner));
    let settings: unknown, common: ConnectionCommon;
    if (file) {
      ({ settings, common } = file);
    } else {
      const { common: c, settings: s } = splitCommon(await this.rawSettings(name));
      settings = entry.configSchema.parse(s);
      common = connectionCommonSchema.parse(c);
    }
    const baseDir = trusted ? this.loaded.baseDir : (this.userRoot(owner!) ?? this.loaded.baseDir);
    if (trusted) {
      const ctx = { env: this.opts.env ?? process.env, baseDir, connection: name };
      settings = resolveServerReads(settings as Obj, marks, ctx);
      common = resolveServerReads(common as Obj, marks, ctx) as ConnectionCommon;
    } else {
      const reads = serverReadPaths({ ...(settings as Obj), ...(common as Obj) }, marks);
      if (reads.length) {
        throw new TimebridgeError(
          'AUTH_FORBIDDEN',
          `connection ${name} belongs to user ${owner}, whose settings may not read the server (${reads.join(', ')})`,
          {
            hint: 'give the secret inline (PATCH the connection), or ask an admin to make the connection',
          },
        );
      }
      assertConfined(settings as Obj, marks, this.userRoot(owner!));
    }
    return {
      type,
      settings,
      common,
      stamp: file ? 'file' : row!.updatedAt,
      owner,
      trusted,
      baseDir,
      ...(trusted || !this.opts.outbound ? {} : { outbound: this.opts.outbound }),
    };
  }

  /** What a connector of this connection is built with. */
  /**
   * What a connector of connection `name` is built with: where its paths resolve and its
   * requests may go, and an HTTP setup carrying the connection's rateLimit and a fresh
   * retry budget for the run.
   */
  buildEnv(name: string, conn: ConnectionSettings, target: LinkTarget, probe = false): BuildEnv & { http: HttpSetup } {
    const h = this.opts.http ?? {};
    const http = withBudget({
      ...(conn.common.rateLimit ? { rateLimit: conn.common.rateLimit } : {}),
      ...(h.retry !== undefined ? { retry: h.retry } : {}),
      ...(h.clock ? { clock: h.clock } : {}),
      buckets: this.buckets,
      ...(h.events ? { events: h.events(name) } : {}),
    });
    return { baseDir: conn.baseDir, target, ...(probe ? { probe } : {}), ...(conn.outbound ? { outbound: conn.outbound } : {}), http };
  }

  /** Build a connector for a connection without caching it (the `test` action): a probe, which creates nothing. */
  async freshConnector(name: string): Promise<Connector<unknown>> {
    const conn = await this.connectionSettings(name);
    const target = { collection: null, externalKind: CONNECTORS[conn.type]!.manifest.kinds[0]!.external };
    return (await CONNECTORS[conn.type]!.create(conn.settings, this.buildEnv(name, conn, target, true))) as Connector<unknown>;
  }

  private async connector(name: string, conn: ConnectionSettings, target: LinkTarget): Promise<Connector<unknown>> {
    const key = cacheKey(name, target);
    const cached = this.cache.get(key);
    if (cached && cached.stamp === conn.stamp) return cached.connector;
    if (cached) await this.dropConnector(name);
    const env = this.buildEnv(name, conn, target);
    const made = Promise.resolve(CONNECTORS[conn.type]!.create(conn.settings, env)).then((c) =>
      this.wrap(c as Connector<unknown>, { connection: name, common: conn.common }),
    );
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
  return new TimebridgeError('RESOURCE_NOT_FOUND', `no ${what} named "${name}"`, {
    hint: `list them with GET /api/v1/${what === 'link' ? 'links' : 'connections'}`,
  });
}
