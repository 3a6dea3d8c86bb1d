/**
 * Mappers of Kimai's taxonomy to hub customers, projects and activities, and of Kimai
 * users to hub persons. Parents are hub ids resolved through the connection's other
 * links (`ctx.refs`), so a project moved to another customer in Kimai moves in the hub
 * too. A project or activity without its own colour shows the one it inherits; its own
 * (possibly none) is kept under `extras.kimai.ownColor`, so writing back does not pin
 * the inherited colour on it.
 */
import type { Fields, Json } from '../../core/model.js';
import { personIdentity } from '../../core/fields/time-entry.js';
import { unresolvedRef, type MapContext, type Mapper, type MapResult } from '../kit/mapper.js';
import type { KimaiActivity, KimaiCustomer, KimaiProject, KimaiUser } from './kimai-types.js';

type Obj = { [k: string]: Json };

export function kimaiExtras(fields: Fields): Obj {
  const extras = fields.extras as Obj | undefined;
  return (extras?.kimai as Obj | undefined) ?? {};
}

const str = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);
const lower = (s: string) => s.trim().toLowerCase();

export function refHub(ctx: MapContext, kind: string, extId: number): string | null {
  return ctx.refs?.hubId(kind, String(extId)) ?? null;
}

export function refExt(ctx: MapContext, kind: string, hubId: string): number | null {
  const ext = ctx.refs?.extId(kind, hubId);
  return ext ? Number(ext) : null;
}

/** The colour to send: none when the hub shows just the inherited one. */
function colourToWrite(fields: Fields, inherited: string | null): string | null {
  const own = str(kimaiExtras(fields).ownColor);
  const shown = str(fields.color);
  return !own && shown === inherited ? null : shown;
}

export const customerMapper: Mapper<KimaiCustomer> = {
  name: 'kimai-customer',
  // A name, not a key: Kimai's id is what identifies the record.
  identityIsName: true,
  hubKind: 'customer',
  toHub(c) {
    const fields: Fields = {
      name: c.name,
      number: c.number,
      color: c.color,
      active: c.visible,
      extras: { kimai: { comment: c.comment, billable: c.billable, currency: c.currency, country: c.country, timezone: c.timezone } },
    };
    return { ok: true, value: { fields, identity: customerMapper.identity(fields) } };
  },
  toExternal(fields, _ctx, previous) {
    const k = kimaiExtras(fields);
    return {
      ok: true,
      value: {
        name: str(fields.name) ?? '',
        number: str(fields.number),
        comment: str(k.comment) ?? previous?.comment ?? null,
        visible: fields.active !== false,
        billable: typeof k.billable === 'boolean' ? k.billable : (previous?.billable ?? true),
        currency: str(k.currency) ?? previous?.currency ?? null,
        country: str(k.country) ?? previous?.country ?? null,
        timezone: str(k.timezone) ?? previous?.timezone ?? null,
        color: str(fields.color),
      },
    };
  },
  identity: (f) => (typeof f.name === 'string' ? `customer:${lower(f.name)}` : null),
  label: (f) => String(f.name ?? '(customer)'),
};

export const projectMapper: Mapper<KimaiProject> = {
  name: 'kimai-project',
  // A name, not a key: Kimai's id is what identifies the record.
  identityIsName: true,
  hubKind: 'project',
  refKinds: ['customer'],
  toHub(p, ctx) {
    const customerId = refHub(ctx, 'customer', p.customer);
    if (!customerId) {
      return unresolvedRef(
        `project "${p.name}" belongs to Kimai customer ${p.customer} (${p.customerName ?? '?'}), which no customer link of this connection has synced yet`,
        'Add a link with externalKind: customer on this connection (or run it first); this project is synced on the next run.',
      );
    }
    const fields: Fields = {
      name: p.name,
      customerId,
      number: p.number,
      color: p.color ?? p.inheritedColor,
      active: p.visible,
      extras: { kimai: { ownColor: p.color, comment: p.comment, billable: p.billable, globalActivities: p.globalActivities, orderNumber: p.orderNumber } },
    };
    return { ok: true, value: { fields, identity: projectMapper.identity(fields) } };
  },
  toExternal(fields, ctx, previous) {
    const customerHub = str(fields.customerId);
    const customer = customerHub ? refExt(ctx, 'customer', customerHub) : null;
    if (customer === null) {
      return unresolvedRef(
        `project "${String(fields.name)}" has customer ${customerHub ?? '(none)'}, which Kimai does not know`,
        "Create the customer in Kimai and sync it, or set the project's customer to a Kimai one.",
      );
    }
    const k = kimaiExtras(fields);
    return {
      ok: true,
      value: {
        name: str(fields.name) ?? '',
        customer,
        customerName: null,
        number: str(fields.number),
        orderNumber: str(k.orderNumber) ?? previous?.orderNumber ?? null,
        comment: str(k.comment) ?? previous?.comment ?? null,
        visible: fields.active !== false,
        billable: typeof k.billable === 'boolean' ? k.billable : (previous?.billable ?? true),
        globalActivities: typeof k.globalActivities === 'boolean' ? k.globalActivities : (previous?.globalActivities ?? true),
        color: colourToWrite(fields, previous?.inheritedColor ?? null),
        inheritedColor: null,
      },
    };
  },
  identity: (f) => (typeof f.name === 'string' && typeof f.customerId === 'string' ? `project:${f.customerId}/${lower(f.name)}` : null),
  label: (f) => String(f.name ?? '(project)'),
};

export const activityMapper: Mapper<KimaiActivity> = {
  name: 'kimai-activity',
  // A name, not a key: Kimai's id is what identifies the record.
  identityIsName: true,
  hubKind: 'activity',
  refKinds: ['project'],
  toHub(a, ctx) {
    const projectId = a.project === null ? null : refHub(ctx, 'project', a.project);
    if (a.project !== null && !projectId) {
      return unresolvedRef(
        `activity "${a.name}" belongs to Kimai project ${a.project} (${a.projectName ?? '?'}), which no project link of this connection has synced yet`,
        'Add a link with externalKind: project on this connection (or run it first); this activity is synced on the next run.',
      );
    }
    const fields: Fields = {
      name: a.name,
      projectId,
      number: a.number,
      color: a.color ?? a.inheritedColor,
      active: a.visible,
      extras: { kimai: { ownColor: a.color, comment: a.comment, billable: a.billable } },
    };
    return { ok: true, value: { fields, identity: activityMapper.identity(fields) } };
  },
  toExternal(fields, ctx, previous): MapResult<KimaiActivity> {
    const projectHub = str(fields.projectId);
    const project = projectHub ? refExt(ctx, 'project', projectHub) : null;
    if (projectHub && project === null) {
      return unresolvedRef(
        `activity "${String(fields.name)}" has project ${projectHub}, which Kimai does not know`,
        'Create the project in Kimai and sync it first.',
      );
    }
    const k = kimaiExtras(fields);
    return {
      ok: true,
      value: {
        name: str(fields.name) ?? '',
        project,
        projectName: null,
        number: str(fields.number),
        comment: str(k.comment) ?? previous?.comment ?? null,
        visible: fields.active !== false,
        billable: typeof k.billable === 'boolean' ? k.billable : (previous?.billable ?? true),
        color: colourToWrite(fields, previous?.inheritedColor ?? null),
        inheritedColor: null,
      },
    };
  },
  identity: (f) => (typeof f.name === 'string' ? `activity:${typeof f.projectId === 'string' ? f.projectId : 'global'}/${lower(f.name)}` : null),
  label: (f) => String(f.name ?? '(activity)'),
};

export const userMapper: Mapper<KimaiUser> = {
  name: 'kimai-user',
  hubKind: 'person',
  holds: ['name', 'email', 'username', 'timeZone', 'active', 'extras.kimai'],
  toHub(u) {
    const fields: Fields = {
      name: u.alias ?? u.username,
      email: u.email ? u.email.toLowerCase() : null,
      username: u.username,
      timeZone: u.timezone,
      active: u.enabled,
      extras: { kimai: { title: u.title, accountNumber: u.accountNumber } },
    };
    return { ok: true, value: { fields, identity: personIdentity({ email: str(fields.email), username: u.username }) } };
  },
  toExternal() {
    return { ok: false, skip: 'Kimai users are managed in Kimai; Timebridge only reads them' };
  },
  identity: (f) => personIdentity({ email: str(f.email), username: str(f.username) }),
  label: (f) => String(f.name ?? f.username ?? '(person)'),
};
