/**
 * Link templates: one link per collection of a connection (an Advoware employee, a Kimai
 * user). `expandTemplate` is the pure part — which collections a template covers and the
 * link configs it makes of each. `LinkTemplates.reconcile` compares that with the derived
 * links the catalog keeps: new collections get links, links of collections that are gone or
 * inactive are disabled with a reason (never deleted), and a collection that comes back
 * active gets its links enabled again — unless someone disabled them by hand.
 */
import { CONNECTORS } from '../connectors/registry.js';
import { TimebridgeError } from '../core/errors.js';
import type { Json } from '../core/model.js';
import { linkIdOf } from '../runtime/types.js';
import type { ManagedDefinition } from '../store/types.js';
import type { Catalog, DerivedFrom } from './catalog.js';
import { linkSchema, type LinkConfig, type LinkTemplateConfig } from './config-schema.js';

export interface Collection {
  key: string;
  name: string;
  active: boolean;
}

/** A link a template makes of one collection, or why it cannot. */
export type DerivedLink = { name: string; key: string; config: LinkConfig } | { name: string; key: string; problem: string };

/** Whether the template's allow-list / deny-list lets this collection in (matched by key or name). */
export function covers(t: LinkTemplateConfig, c: Pick<Collection, 'key' | 'name'>): boolean {
  const hit = (list: string[]) => list.includes(c.key) || list.includes(c.name);
  if (t.forEach.only) return hit(t.forEach.only);
  if (t.forEach.except) return !hit(t.forEach.except);
  return true;
}

/** A key as it may stand in a link name (letters, digits, - and _). */
const slug = (s: string) => s.replace(/[^a-z0-9_-]/gi, '-');

/** Link names and hub scopes take the slug of key and name; every other text (the collection) the key and name as they are. */
const IDENTIFIERS = new Set(['name', 'scope']);

function fill(v: unknown, c: Pick<Collection, 'key' | 'name'>, asIdentifier: boolean): unknown {
  const f = asIdentifier ? slug : (s: string) => s;
  if (typeof v === 'string') return v.replaceAll('{key}', f(c.key)).replaceAll('{name}', f(c.name));
  if (Array.isArray(v)) return v.map((x) => fill(x, c, false));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, c, false)]));
  return v;
}

/** The links of one collection: `{key}` and `{name}` put into every text, each config checked as a link of timebridge.yaml. */
export function expandTemplate(t: LinkTemplateConfig, c: Pick<Collection, 'key' | 'name'>): DerivedLink[] {
  return t.links.map(({ name, ...rest }) => {
    const linkName = fill(name, c, true) as string;
    const config = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, fill(v, c, IDENTIFIERS.has(k))]));
    const r = linkSchema.safeParse(config);
    if (r.success) return { name: linkName, key: c.key, config: r.data };
    const problem = r.error.issues.map((i) => `${i.path.join('.') || '(link)'}: ${i.message}`).join('; ');
    return { name: linkName, key: c.key, problem };
  });
}

export interface ReconcileResult {
  template: string;
  collections: number;
  created: string[];
  enabled: string[];
  disabled: { name: string; reason: string }[];
  updated: string[];
  /** Links the template could not make (a name taken by another link, a config its connector refuses). */
  problems: string[];
}

export class LinkTemplates {
  constructor(
    private readonly catalog: Catalog,
    readonly templates: Record<string, LinkTemplateConfig>,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  get(name: string): LinkTemplateConfig {
    const t = this.templates[name];
    if (!t) {
      const known = Object.keys(this.templates).join(', ') || '(none configured)';
      throw new TimebridgeError('RESOURCE_NOT_FOUND', `no link template named "${name}"`, { hint: `use one of: ${known} (linkTemplates in timebridge.yaml)` });
    }
    return t;
  }

  /** The collections the template's connection offers now (read from the remote, read-only). */
  async collections(name: string): Promise<Collection[]> {
    const t = this.get(name);
    const conn = await this.catalog.connectionSettings(t.forEach.connection);
    const entry = CONNECTORS[conn.type]!;
    if (!entry.collections) {
      throw new TimebridgeError('CONFIG_INVALID', `linkTemplates.${name}.forEach.connection: a ${conn.type} connection does not list its collections`, {
        hint: 'use a connection whose connector lists them (kimai: users; advoware: employees), or write the links out',
      });
    }
    const target = { collection: null, externalKind: entry.manifest.kinds[0]!.external };
    return entry.collections(conn.settings, this.catalog.buildEnv(t.forEach.connection, conn, target, true));
  }

  /** Bring the template's derived links in line with the connection's collections. */
  async reconcile(name: string): Promise<ReconcileResult> {
    const t = this.get(name);
    const collections = await this.collections(name);
    const out: ReconcileResult = { template: name, collections: collections.length, created: [], enabled: [], disabled: [], updated: [], problems: [] };
    const rows = new Map((await this.catalog.store.listManagedDefinitions('link')).map((r) => [r.id, r]));
    // An empty list is more likely a remote answering wrongly than everybody leaving: like an emptied side, it disables nothing.
    const live = [...rows.values()].filter((r) => r.enabled && derivedOfRow(r)?.template === name);
    if (!collections.length && live.length) {
      throw new TimebridgeError('PLAN_EMPTY_SIDE', `${t.forEach.connection} listed no collections, and template ${name} has ${live.length} enabled links`, {
        hint: 'nothing was disabled; check the connection (its token may no longer list users or employees), or disable the links by hand',
      });
    }
    const others = new Set((await this.catalog.listLinks()).filter((l) => l.derived?.template !== name).map((l) => l.name));
    const wanted = new Set<string>();
    for (const c of collections) {
      if (!covers(t, c)) continue;
      for (const d of expandTemplate(t, c)) {
        if ('problem' in d) {
          out.problems.push(`${d.name} (collection ${c.key}): ${d.problem}`);
          continue;
        }
        if (others.has(d.name)) {
          out.problems.push(`${d.name} (collection ${c.key}): a link of that name exists and is not derived from this template; rename one of them`);
          continue;
        }
        const problem = await this.catalog.checkLink(d.config).then(
          () => null,
          (err: unknown) => (err as Error).message,
        );
        if (problem) {
          out.problems.push(`${d.name} (collection ${c.key}): ${problem}`);
          continue;
        }
        wanted.add(d.name);
        const row = rows.get(linkIdOf(d.name));
        const reason = c.active ? null : `collection ${c.name} (${c.key}) is inactive in ${t.forEach.connection}`;
        await this.settle(out, d.name, row, d.config, { template: name, key: c.key, name: c.name, reason });
      }
    }
    // Links of collections that are gone, or that the allow-list / deny-list now leaves out: disabled, kept.
    for (const row of rows.values()) {
      const from = derivedOfRow(row);
      if (!from || from.template !== name || wanted.has(row.id.replace(/^link:/, ''))) continue;
      const gone = collections.find((c) => c.key === from.key);
      const reason = gone
        ? covers(t, gone)
          ? `the template no longer makes this link`
          : `collection ${from.name} (${from.key}) is left out by linkTemplates.${name}.forEach`
        : `collection ${from.name} (${from.key}) is no longer in ${t.forEach.connection}`;
      if (row.enabled || from.reason !== reason) {
        await this.put(row, { ...from, reason }, false);
        out.disabled.push({ name: row.id.replace(/^link:/, ''), reason });
      }
    }
    return out;
  }

  /** Create, update, enable or disable one derived link to match what the template wants. */
  private async settle(out: ReconcileResult, name: string, row: ManagedDefinition | undefined, config: LinkConfig, from: DerivedFrom): Promise<void> {
    const old = row ? derivedOfRow(row) : null;
    if (!row || !old) {
      await this.put({ id: linkIdOf(name), config: { link: config as unknown as Json } }, from, from.reason === null);
      if (from.reason === null) out.created.push(name);
      else out.disabled.push({ name, reason: from.reason });
      return;
    }
    const oldConfig = (row.config as { link: Json }).link;
    const changedConfig = JSON.stringify(oldConfig) !== JSON.stringify(config);
    // Disabled by hand (no reason recorded): stays disabled. Disabled by the template: enabled once the collection is active again.
    const enabled = from.reason !== null ? false : row.enabled || old.reason !== null;
    if (!changedConfig && enabled === row.enabled && old.reason === from.reason && old.name === from.name) return;
    await this.put({ id: row.id, config: { link: config as unknown as Json } }, from, enabled);
    if (enabled && !row.enabled) out.enabled.push(name);
    else if (!enabled && row.enabled) out.disabled.push({ name, reason: from.reason ?? 'disabled' });
    else if (changedConfig) out.updated.push(name);
  }

  private async put(row: Pick<ManagedDefinition, 'id' | 'config'>, from: DerivedFrom, enabled: boolean): Promise<void> {
    const link = (row.config as { link: Json }).link;
    await this.catalog.store.putDefinition({
      category: 'link',
      id: row.id,
      type: DERIVED_TYPE,
      config: { link, derived: from as unknown as Json },
      owner: null,
      source: 'api',
      enabled,
      secrets: null,
      updatedAt: this.clock().toISOString(),
    });
  }
}

/** The definition type of a link a template made (its config holds `{link, derived}`). */
export const DERIVED_TYPE = 'template';

export function derivedOfRow(row: ManagedDefinition): DerivedFrom | null {
  if (row.type !== DERIVED_TYPE) return null;
  return (row.config as unknown as { derived: DerivedFrom }).derived;
}
