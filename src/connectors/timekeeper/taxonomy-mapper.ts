/**
 * Hub customers, projects and activities ⇄ Timekeeper's copies of Kimai's taxonomy. The
 * hub gets its taxonomy from Kimai's links; these links mirror it into Timekeeper (their
 * default direction is `push`), each resource with the Kimai id Timekeeper expects: the
 * external id the Kimai connection named by the `kimai` option has linked to the hub
 * record. A record no Kimai link knows is skipped (Timekeeper's tasks are Kimai's).
 * Read back, a resource maps to the hub record of its Kimai id's name and parent
 * (the identity the Kimai mappers give), so a pull never makes a second project.
 */
import type { Fields, Json } from '../../core/model.js';
import { unresolvedRef, type MapContext, type Mapper, type MapperEntry } from '../kit/mapper.js';
import { personIdentity } from '../../core/fields/time-entry.js';
import type { Concept, ConceptKind } from './types.js';

type TaxonomyKind = Exclude<ConceptKind, 'account'>;
import { workLogMapperOptions, type WorkLogMapperOptions } from './work-log-mapper.js';

const text = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);
const lower = (s: string) => s.trim().toLowerCase();

/** The hub field holding the parent, and the parent's kind. */
const PARENT: Record<TaxonomyKind, { field: string; kind: TaxonomyKind } | null> = {
  customer: null,
  project: { field: 'customerId', kind: 'customer' },
  activity: { field: 'projectId', kind: 'project' },
};

/** The identity the Kimai taxonomy mappers give the same record (a name, not a key). */
function identityOf(kind: TaxonomyKind, f: Fields): string | null {
  const name = text(f.name);
  if (name === null) return null;
  if (kind === 'customer') return `customer:${lower(name)}`;
  if (kind === 'project') return typeof f.customerId === 'string' ? `project:${f.customerId}/${lower(name)}` : null;
  return `activity:${typeof f.projectId === 'string' ? f.projectId : 'global'}/${lower(name)}`;
}

export function taxonomyMapper(kind: TaxonomyKind, opts: WorkLogMapperOptions): Mapper<Concept> {
  const ref = (k: TaxonomyKind) => `${opts.kimai}:${k}`;
  const parent = PARENT[kind];
  return {
    name: `timekeeper-${kind}`,
    hubKind: kind,
    identityIsName: true,
    holds: ['name', 'color', ...(parent ? [parent.field] : [])],
    refKinds: [ref(kind), ...(parent ? [ref(parent.kind)] : [])],
    toHub(c, ctx: MapContext) {
      const fields: Fields = { name: c.name, color: c.color };
      if (parent) {
        const hubParent = c.parent === null ? null : (ctx.refs?.hubId(ref(parent.kind), c.parent) ?? null);
        if (c.parent !== null && hubParent === null) {
          return unresolvedRef(
            `its parent, Kimai ${parent.kind} ${c.parent}, is not known to the links of ${opts.kimai}`,
            `Run the ${parent.kind} link of ${opts.kimai} first.`,
          );
        }
        fields[parent.field] = hubParent;
      }
      return { ok: true, value: { fields, identity: identityOf(kind, fields) } };
    },
    toExternal(fields, ctx) {
      const kimaiId = ctx.record ? (ctx.refs?.extId(ref(kind), ctx.record) ?? null) : null;
      if (kimaiId === null) return { ok: false, skip: `not a Kimai ${kind} of ${opts.kimai}: Timekeeper keeps Kimai's taxonomy only` };
      let parentId: string | null = null;
      if (parent) {
        const hubParent = text(fields[parent.field]);
        parentId = hubParent === null ? null : (ctx.refs?.extId(ref(parent.kind), hubParent) ?? null);
        if (hubParent !== null && parentId === null)
          return unresolvedRef(
            `its ${parent.kind} ${hubParent} is not a Kimai ${parent.kind} of ${opts.kimai}`,
            `Run the ${parent.kind} link of ${opts.kimai} first.`,
          );
      }
      return { ok: true, value: { kimaiId, name: text(fields.name) ?? '', color: text(fields.color), parent: parentId } };
    },
    identity: (f) => identityOf(kind, f),
    label: (f) => String(f.name ?? `(${kind})`),
  };
}

function entry(kind: TaxonomyKind): MapperEntry<Concept, WorkLogMapperOptions> {
  return { externalKind: kind, hubKind: kind, options: workLogMapperOptions, make: (o) => taxonomyMapper(kind, o), defaultDirection: 'push' };
}

/**
 * Hub persons ⇄ Timekeeper's Kimai accounts (what `/sync-from-kimai/accounts` made): an
 * account per person the Kimai connection's user link knows, its `foaf:accountName` the
 * Kimai username, its `dct:identifier` the Kimai user id. Linking an account to a
 * Timekeeper person stays an admin's step in Timekeeper, as in the original.
 */
export function accountMapper(opts: WorkLogMapperOptions): Mapper<Concept> {
  const users = `${opts.kimai}:user`;
  return {
    name: 'timekeeper-account',
    hubKind: 'person',
    holds: ['username'],
    refKinds: [users],
    toHub: (c) => {
      const fields: Fields = { username: c.name };
      return { ok: true, value: { fields, identity: personIdentity({ email: null, username: c.name }) } };
    },
    toExternal(fields, ctx) {
      const kimaiId = ctx.record ? (ctx.refs?.extId(users, ctx.record) ?? null) : null;
      if (kimaiId === null) return { ok: false, skip: `not a Kimai user of ${opts.kimai}: Timekeeper keeps Kimai accounts only` };
      const username = text(fields.username);
      if (!username) return { ok: false, error: `the person has no username; Kimai user ${kimaiId} needs one as its account name` };
      return { ok: true, value: { kimaiId, name: username, color: null, parent: null } };
    },
    identity: (f) => personIdentity({ email: null, username: text(f.username) }),
    label: (f) => String(f.username ?? f.name ?? '(account)'),
  };
}

export const accountMapperEntry: MapperEntry<Concept, WorkLogMapperOptions> = {
  externalKind: 'account',
  hubKind: 'person',
  options: workLogMapperOptions,
  make: accountMapper,
  defaultDirection: 'push',
};

export const customerMapperEntry = entry('customer');
export const projectMapperEntry = entry('project');
export const activityMapperEntry = entry('activity');
