/**
 * Customers, projects, activities, users and tags of the Kimai emulator
 * (api-contracts §1.4): unpaginated lists with their filters, the entity, create (200)
 * and PATCH. Creating and editing them needs an admin here.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { me } from './kimai-auth.js';
import {
  newActivity,
  newCustomer,
  newProject,
  serializeActivity,
  serializeCustomer,
  serializeProject,
  serializeUser,
  type EmuActivity,
  type EmuCustomer,
  type EmuProject,
  type KimaiData,
} from './kimai-data.js';
import { FormErrors, INVALID_CHOICE, NOT_BLANK, NOT_VALID, flagOf, forbidden, idOf, idsOf, notFound } from './kimai-form.js';
import type { KimaiCtx } from './kimai-timesheets.js';

type Query = Record<string, unknown>;
type Body = Record<string, unknown>;
const COLOR = /^#[0-9a-fA-F]{6}$/;

const CUSTOMER_FIELDS = ['name', 'number', 'comment', 'visible', 'billable', 'company', 'country', 'currency', 'timezone', 'color'];
const PROJECT_FIELDS = [
  'name',
  'customer',
  'orderNumber',
  'orderDate',
  'start',
  'end',
  'comment',
  'visible',
  'billable',
  'globalActivities',
  'number',
  'color',
];
const ACTIVITY_FIELDS = ['name', 'project', 'comment', 'visible', 'billable', 'number', 'color'];

/** `visible`: 1 (default) visible only, 2 hidden only, 3 both. */
function byVisibility<T extends { visible: boolean }>(rows: T[], q: Query): T[] {
  const v = String(q.visible ?? '1');
  if (v === '3') return rows;
  return rows.filter((r) => r.visible === (v !== '2'));
}

function ordered<T extends { id: number; name: string }>(rows: T[], q: Query, extra: Record<string, (r: T) => string | number> = {}): T[] {
  const by = String(q.orderBy ?? 'name');
  const key = extra[by] ?? (by === 'id' ? (r: T) => r.id : (r: T) => r.name.toLowerCase());
  const dir = String(q.order ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1;
  return [...rows].sort((a, b) => {
    const ka = key(a),
      kb = key(b);
    return (ka < kb ? -1 : ka > kb ? 1 : 0) * dir || (a.id - b.id) * dir;
  });
}

function byTerm<T extends { name: string; comment: string | null }>(rows: T[], q: Query): T[] {
  if (typeof q.term !== 'string' || !q.term) return rows;
  const term = q.term.toLowerCase();
  return rows.filter((r) => r.name.toLowerCase().includes(term) || (r.comment ?? '').toLowerCase().includes(term));
}

/** Shared checks of the simple fields; `name` is required on create. */
function checkCommon(form: FormErrors, body: Body, creating: boolean): void {
  if (creating && (typeof body.name !== 'string' || !body.name.trim())) form.add('name', NOT_BLANK);
  else if (body.name !== undefined && (typeof body.name !== 'string' || !body.name.trim())) form.add('name', NOT_BLANK);
  if (body.color !== undefined && body.color !== null && (typeof body.color !== 'string' || !COLOR.test(body.color))) form.add('color', NOT_VALID);
  for (const k of ['visible', 'billable', 'globalActivities']) if (body[k] !== undefined && typeof body[k] !== 'boolean') form.add(k, NOT_VALID);
}

/** Copy the body's known keys onto the entity (validated before). */
function assign<T extends object>(target: T, body: Body, fields: string[]): T {
  for (const f of fields) if (body[f] !== undefined) (target as Record<string, unknown>)[f] = body[f];
  return target;
}

export function taxonomyRoutes(app: FastifyInstance, ctx: KimaiCtx): void {
  const data = (): KimaiData => ctx.data();
  const adminOnly = (req: Parameters<typeof me>[0], reply: FastifyReply) => (me(req).admin ? null : forbidden(reply));

  app.get('/api/customers', async (req) => {
    const q = req.query as Query;
    return ordered(byTerm(byVisibility(data().customers, q), q), q).map(serializeCustomer);
  });
  app.get<{ Params: { id: string } }>('/api/customers/:id', async (req, reply) => {
    const c = data().customers.find((x) => String(x.id) === req.params.id);
    return c ? serializeCustomer(c) : notFound(reply);
  });
  const writeCustomer = (body: Body, current: EmuCustomer | null, reply: FastifyReply) => {
    const form = new FormErrors(CUSTOMER_FIELDS);
    form.checkExtra(body, new Set(CUSTOMER_FIELDS));
    checkCommon(form, body, current === null);
    if (!form.ok) return reply.code(400).send(form.body());
    const c = current ?? newCustomer(data(), '');
    assign(c, body, CUSTOMER_FIELDS);
    return serializeCustomer(c);
  };
  app.post('/api/customers', async (req, reply) => adminOnly(req, reply) ?? writeCustomer((req.body ?? {}) as Body, null, reply));
  app.patch<{ Params: { id: string } }>('/api/customers/:id', async (req, reply) => {
    const c = data().customers.find((x) => String(x.id) === req.params.id);
    if (!c) return notFound(reply);
    return adminOnly(req, reply) ?? writeCustomer((req.body ?? {}) as Body, c, reply);
  });

  app.get('/api/projects', async (req) => {
    const q = req.query as Query;
    let rows = byTerm(byVisibility(data().projects, q), q);
    const customers = idsOf(q, 'customer', 'customers');
    if (customers) rows = rows.filter((p) => customers.includes(p.customer));
    const globals = flagOf(q.globalActivities);
    if (globals !== undefined) rows = rows.filter((p) => p.globalActivities === globals);
    const customerName = (p: EmuProject) =>
      data()
        .customers.find((c) => c.id === p.customer)
        ?.name.toLowerCase() ?? '';
    return ordered(rows, q, { customer: customerName }).map((p) => serializeProject(p, data()));
  });
  app.get<{ Params: { id: string } }>('/api/projects/:id', async (req, reply) => {
    const p = data().projects.find((x) => String(x.id) === req.params.id);
    return p ? serializeProject(p, data()) : notFound(reply);
  });
  const writeProject = (body: Body, current: EmuProject | null, reply: FastifyReply) => {
    const form = new FormErrors(PROJECT_FIELDS);
    form.checkExtra(body, new Set(PROJECT_FIELDS));
    checkCommon(form, body, current === null);
    const customerId = body.customer !== undefined ? idOf(body.customer) : current?.customer;
    if (customerId === undefined && body.customer === undefined) form.add('customer', NOT_BLANK);
    else if (!data().customers.some((c) => c.id === customerId)) form.add('customer', INVALID_CHOICE);
    if (!form.ok) return reply.code(400).send(form.body());
    const p =
      current ??
      newProject(
        data(),
        '',
        data().customers.find((c) => c.id === customerId)!,
      );
    assign(p, { ...body, ...(customerId !== undefined ? { customer: customerId } : {}) }, PROJECT_FIELDS);
    return serializeProject(p, data());
  };
  app.post('/api/projects', async (req, reply) => adminOnly(req, reply) ?? writeProject((req.body ?? {}) as Body, null, reply));
  app.patch<{ Params: { id: string } }>('/api/projects/:id', async (req, reply) => {
    const p = data().projects.find((x) => String(x.id) === req.params.id);
    if (!p) return notFound(reply);
    return adminOnly(req, reply) ?? writeProject((req.body ?? {}) as Body, p, reply);
  });

  app.get('/api/activities', async (req) => {
    const q = req.query as Query;
    let rows = byTerm(byVisibility(data().activities, q), q);
    const projects = idsOf(q, 'project', 'projects');
    // A project filter also returns the global activities, as Kimai does.
    if (projects) rows = rows.filter((a) => a.project === null || projects.includes(a.project));
    const globals = flagOf(q.globals);
    if (globals === true) rows = rows.filter((a) => a.project === null);
    const projectName = (a: EmuActivity) =>
      data()
        .projects.find((p) => p.id === a.project)
        ?.name.toLowerCase() ?? '';
    return ordered(rows, q, { project: projectName }).map((a) => serializeActivity(a, data()));
  });
  app.get<{ Params: { id: string } }>('/api/activities/:id', async (req, reply) => {
    const a = data().activities.find((x) => String(x.id) === req.params.id);
    return a ? serializeActivity(a, data()) : notFound(reply);
  });
  const writeActivity = (body: Body, current: EmuActivity | null, reply: FastifyReply) => {
    const form = new FormErrors(ACTIVITY_FIELDS);
    form.checkExtra(body, new Set(ACTIVITY_FIELDS));
    checkCommon(form, body, current === null);
    const projectId = body.project === undefined ? (current?.project ?? null) : body.project === null ? null : idOf(body.project);
    if (projectId === undefined || (projectId !== null && !data().projects.some((p) => p.id === projectId))) form.add('project', INVALID_CHOICE);
    if (!form.ok) return reply.code(400).send(form.body());
    const a = current ?? newActivity(data(), '', null);
    assign(a, { ...body, project: projectId }, ACTIVITY_FIELDS);
    return serializeActivity(a, data());
  };
  app.post('/api/activities', async (req, reply) => adminOnly(req, reply) ?? writeActivity((req.body ?? {}) as Body, null, reply));
  app.patch<{ Params: { id: string } }>('/api/activities/:id', async (req, reply) => {
    const a = data().activities.find((x) => String(x.id) === req.params.id);
    if (!a) return notFound(reply);
    return adminOnly(req, reply) ?? writeActivity((req.body ?? {}) as Body, a, reply);
  });

  app.get('/api/users', async (req, reply) => adminOnly(req, reply) ?? data().users.map(serializeUser));
  app.get('/api/users/me', async (req) => serializeUser(me(req)));
  app.get<{ Params: { id: string } }>('/api/users/:id', async (req, reply) => {
    const u = data().users.find((x) => String(x.id) === req.params.id);
    if (!u) return notFound(reply);
    return me(req).admin || me(req).id === u.id ? serializeUser(u) : forbidden(reply);
  });

  app.get('/api/tags', async (req) => {
    const name = String((req.query as Query).name ?? '').toLowerCase();
    return data()
      .tags.filter((t) => t.name.toLowerCase().includes(name))
      .map((t) => t.name);
  });
  app.get('/api/tags/find', async (req) => {
    const name = (req.query as Query).name;
    if (typeof name !== 'string' || !name) return [];
    return data()
      .tags.filter((t) => t.name.toLowerCase().includes(name.toLowerCase()))
      .map((t) => ({ ...t }));
  });
  app.post('/api/tags', async (req, reply) => {
    const body = (req.body ?? {}) as Body;
    const form = new FormErrors(['name', 'color', 'visible']);
    form.checkExtra(body, new Set(['name', 'color', 'visible']));
    if (typeof body.name !== 'string' || !body.name.trim()) form.add('name', NOT_BLANK);
    else if (data().tags.some((t) => t.name === body.name)) form.add('name', 'The tag name is already used.');
    if (!form.ok) return reply.code(400).send(form.body());
    const tag = {
      id: data().nextId++,
      name: (body.name as string).trim(),
      color: (body.color as string | undefined) ?? null,
      visible: (body.visible as boolean | undefined) ?? true,
    };
    data().tags.push(tag);
    return { ...tag };
  });
  app.delete<{ Params: { id: string } }>('/api/tags/:id', async (req, reply) => {
    const tag = data().tags.find((t) => String(t.id) === req.params.id);
    if (!tag) return notFound(reply);
    if (!me(req).admin) return forbidden(reply);
    data().tags = data().tags.filter((t) => t !== tag);
    return reply.code(204).send();
  });
}
