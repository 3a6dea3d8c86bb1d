/**
 * Kimai's customers, projects, activities and users. Their lists are small and
 * unpaginated, so every run reads the whole kind (hidden ones too: `visible=3`) with a
 * content etag; a project carries its customer's colour and an activity its project's
 * (or customer's), so a colour change upstream is a change of the item that inherits it.
 * Users are read only; taxonomy is never deleted from Timebridge (hide it in Kimai).
 */
import { TimebridgeError } from '../../core/errors.js';
import { contentHash } from '../../core/hash.js';
import type { Json } from '../../core/model.js';
import type { Connector, ExternalItem, ExternalRef, IdempotencyKey, ItemFailure, Listing } from '../kit/connector.js';
import type { KimaiApi } from './kimai-api.js';
import type { KimaiActivity, KimaiCustomer, KimaiProject, KimaiUser, RawActivity, RawCustomer, RawProject, TaxonomyKind } from './kimai-types.js';
import { kimaiManifest } from './manifest.js';

interface KindSpec<T> {
  kind: TaxonomyKind;
  /** API path of the kind, e.g. `/customers`. */
  path: string | null;
  load(api: KimaiApi): Promise<Map<string, T>>;
  /** The form body of a create or PATCH. */
  body(item: T): Record<string, unknown>;
  /** What a natural-key lookup compares (a name is unique enough within its parent). */
  naturalKey(item: T): string;
}

const VISIBLE_AND_HIDDEN = { visible: 3 };

async function customers(api: KimaiApi): Promise<RawCustomer[]> {
  return api.json<RawCustomer[]>('GET', '/customers', { query: VISIBLE_AND_HIDDEN });
}

async function projects(api: KimaiApi): Promise<RawProject[]> {
  return api.json<RawProject[]>('GET', '/projects', { query: VISIBLE_AND_HIDDEN });
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

const customerSpec: KindSpec<KimaiCustomer> = {
  kind: 'customer',
  path: '/customers',
  async load(api) {
    return new Map(
      (await customers(api)).map((c) => [
        String(c.id),
        {
          name: c.name,
          number: c.number,
          comment: c.comment,
          visible: c.visible,
          billable: c.billable,
          currency: c.currency,
          country: c.country,
          timezone: c.timezone,
          color: c.color,
        },
      ]),
    );
  },
  body: (c) => withoutNulls({ ...c }),
  naturalKey: (c) => c.name,
};

const projectSpec: KindSpec<KimaiProject> = {
  kind: 'project',
  path: '/projects',
  async load(api) {
    const colour = new Map((await customers(api)).map((c) => [c.id, c.color]));
    return new Map(
      (await projects(api)).map((p) => [
        String(p.id),
        {
          name: p.name,
          customer: p.customer,
          customerName: p.parentTitle,
          number: p.number,
          orderNumber: p.orderNumber,
          comment: p.comment,
          visible: p.visible,
          billable: p.billable,
          globalActivities: p.globalActivities,
          color: p.color,
          inheritedColor: colour.get(p.customer) ?? null,
        },
      ]),
    );
  },
  body: ({ customerName: _c, inheritedColor: _i, ...p }) => withoutNulls(p),
  naturalKey: (p) => `${p.customer}/${p.name}`,
};

const activitySpec: KindSpec<KimaiActivity> = {
  kind: 'activity',
  path: '/activities',
  async load(api) {
    const customerColour = new Map((await customers(api)).map((c) => [c.id, c.color]));
    const projectColour = new Map((await projects(api)).map((p) => [p.id, p.color ?? customerColour.get(p.customer) ?? null]));
    const rows = await api.json<RawActivity[]>('GET', '/activities', { query: VISIBLE_AND_HIDDEN });
    return new Map(
      rows.map((a) => [
        String(a.id),
        {
          name: a.name,
          project: a.project,
          projectName: a.parentTitle,
          number: a.number,
          comment: a.comment,
          visible: a.visible,
          billable: a.billable,
          color: a.color,
          inheritedColor: a.project === null ? null : (projectColour.get(a.project) ?? null),
        },
      ]),
    );
  },
  body: ({ projectName: _p, inheritedColor: _i, ...a }) => ({ ...withoutNulls(a), project: a.project }),
  naturalKey: (a) => `${a.project ?? 'global'}/${a.name}`,
};

const userSpec: KindSpec<KimaiUser> = {
  kind: 'user',
  path: null,
  async load(api) {
    return new Map(
      (await api.users()).map((u) => [
        String(u.id),
        {
          username: u.username,
          alias: u.alias,
          title: u.title,
          accountNumber: u.accountNumber,
          enabled: u.enabled,
          timezone: u.timezone,
          email: u.email ?? null,
        },
      ]),
    );
  },
  body: () => ({}),
  naturalKey: (u) => u.username,
};

export const TAXONOMY_SPECS = { customer: customerSpec, project: projectSpec, activity: activitySpec, user: userSpec };

function etagOf(item: object): string {
  return contentHash(item as unknown as Json).slice(0, 32);
}

export class KimaiTaxonomyConnector<T extends object> implements Connector<T> {
  readonly manifest = { ...kimaiManifest, incremental: 'full-listing-etags' as const, idempotency: 'natural-key' as const };
  private snapshot: Map<string, T> | null = null;

  constructor(
    private readonly api: KimaiApi,
    private readonly spec: KindSpec<T>,
  ) {}

  async list(): Promise<Listing> {
    this.snapshot = await this.spec.load(this.api);
    const refs = [...this.snapshot].map(([id, item]) => ({ id, etag: etagOf(item) }));
    return { mode: 'full', refs, removed: [], complete: true, failures: [], cursor: null };
  }

  async get(ids: string[]): Promise<(ExternalItem<T> | ItemFailure)[]> {
    if (!this.snapshot || ids.some((id) => !this.snapshot!.has(id))) this.snapshot = await this.spec.load(this.api);
    const snap = this.snapshot;
    return ids.map((id) => {
      const item = snap.get(id);
      if (!item)
        return { id, error: { code: 'CONNECTOR_NOT_FOUND', kind: 'not_found' as const, message: `Kimai ${this.spec.kind} ${id} does not exist (any more).` } };
      return { id, etag: etagOf(item), data: item, modifiedAt: null };
    });
  }

  async create(data: T, _key: IdempotencyKey): Promise<ExternalRef> {
    const path = this.writablePath('create');
    // A retried create finds the first one by its name under the same parent, so the whole create is safe to repeat.
    return this.api.repeatable(`create ${this.spec.kind}`, async () => {
      const existing = [...(await this.spec.load(this.api))].find(([, item]) => this.spec.naturalKey(item) === this.spec.naturalKey(data));
      if (existing) return this.refAfterWrite(existing[0]);
      const made = await this.api.json<{ id: number }>('POST', path, { body: this.spec.body(data) });
      return this.refAfterWrite(String(made.id));
    });
  }

  async update(id: string, data: T, ifMatch: string): Promise<ExternalRef> {
    const path = this.writablePath('change');
    const current = (await this.spec.load(this.api)).get(id);
    if (!current)
      throw new TimebridgeError('CONNECTOR_NOT_FOUND', `Kimai ${this.spec.kind} ${id} does not exist (any more).`, {
        hint: 'The next run marks it deleted in the hub.',
      });
    if (etagOf(current) !== ifMatch) {
      throw new TimebridgeError('CONNECTOR_PRECONDITION', `Kimai ${this.spec.kind} ${id} changed since it was read; nothing was written.`, {
        hint: 'The next run reads it again.',
      });
    }
    // Every field is sent with its value: a repeat writes the same.
    await this.api.json('PATCH', `${path}/${encodeURIComponent(id)}`, { body: this.spec.body(data), idempotent: true });
    return this.refAfterWrite(id);
  }

  async delete(id: string): Promise<void> {
    throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `Timebridge does not delete Kimai ${this.spec.kind} ${id}: timesheets refer to it.`, {
      hint: 'Hide it in Kimai instead (the hub then marks it inactive), and set deletes: { toExternal: false } or direction: pull on this link.',
    });
  }

  async findByKey(): Promise<ExternalRef | null> {
    // Creates look their item up by name themselves; there is no key to find here.
    return null;
  }

  private writablePath(what: string): string {
    if (this.spec.path) return this.spec.path;
    throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `Kimai ${this.spec.kind}s are managed in Kimai; Timebridge cannot ${what} them.`, {
      hint: 'Set direction: pull on this link.',
    });
  }

  private async refAfterWrite(id: string): Promise<ExternalRef> {
    this.snapshot = await this.spec.load(this.api);
    const item = this.snapshot.get(id);
    if (!item) throw new TimebridgeError('CONNECTOR_BUG', `Kimai ${this.spec.kind} ${id} was written but is not listed.`);
    return { id, etag: etagOf(item) };
  }
}
