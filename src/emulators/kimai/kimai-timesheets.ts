/**
 * `/api/timesheets` of the Kimai emulator (api-contracts §1.3): the paginated list with
 * its filters and `X-*` headers, the entity, create (200), PATCH, DELETE (204), the
 * `/export` toggle, `/stop`, `/duplicate`, `/active` and `/meta`. Input times are local
 * to the caller's zone; records are rounded to the minute (begin down, end up).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { wallTimeToInstant } from '../kit/time-text.js';
import type { EmulatorSettings } from '../kit/emulator.js';
import { servePage } from '../kit/listing-faults.js';
import { me } from './kimai-auth.js';
import {
  durationOf,
  serializeActivity,
  serializeProject,
  serializeTimesheet,
  serializeUser,
  type EmuTimesheet,
  type EmuUser,
  type KimaiData,
} from './kimai-data.js';
import { END_BEFORE_BEGIN, FormErrors, INVALID_CHOICE, NOT_BLANK, NOT_VALID, flagOf, forbidden, idOf, idsOf, notFound, sendCode } from './kimai-form.js';

export interface KimaiCtx {
  data(): KimaiData;
  now(): number;
  settings: EmulatorSettings;
}

type Query = Record<string, unknown>;
const MINUTE = 60_000;
const FORM_FIELDS = ['begin', 'end', 'project', 'activity', 'description', 'tags', 'fixedRate', 'hourlyRate', 'user', 'exported', 'billable', 'break'];
const USER_FIELDS = new Set(['begin', 'end', 'project', 'activity', 'description', 'tags', 'billable', 'break']);
const ADMIN_FIELDS = new Set([...USER_FIELDS, 'fixedRate', 'hourlyRate', 'user', 'exported']);

export function timesheetRoutes(app: FastifyInstance, ctx: KimaiCtx): void {
  const find = (id: string) => ctx.data().timesheets.find((t) => String(t.id) === id);
  const touch = (t: EmuTimesheet) => {
    t.modifiedAt = Math.floor(ctx.now() / 1000) * 1000;
  };
  const full = (q: Query) => flagOf(q.full) === true;

  app.get('/api/timesheets', async (req, reply) => listTimesheets(ctx, req, reply));
  app.get('/api/timesheets/active', async (req) =>
    ctx
      .data()
      .timesheets.filter((t) => t.user === me(req).id && t.end === null)
      .map((t) => expand(ctx, t, true, true)),
  );

  app.get<{ Params: { id: string } }>('/api/timesheets/:id', async (req, reply) => {
    const t = find(req.params.id);
    if (!t) return notFound(reply);
    if (!canSee(me(req), t)) return forbidden(reply);
    return expand(ctx, t, true, full(req.query as Query));
  });

  app.post('/api/timesheets', async (req, reply) => {
    const user = me(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const t = applyForm(ctx, reply, user, body, null);
    if (!t) return reply;
    if (t.end === null) stopRunning(ctx, t.user, t.id);
    ctx.data().timesheets.push(t);
    return expand(ctx, t, true, full(req.query as Query));
  });

  app.patch<{ Params: { id: string } }>('/api/timesheets/:id', async (req, reply) => {
    const user = me(req);
    const t = find(req.params.id);
    if (!t) return notFound(reply);
    if (!canEdit(user, t)) return forbidden(reply);
    const next = applyForm(ctx, reply, user, (req.body ?? {}) as Record<string, unknown>, t);
    if (!next) return reply;
    Object.assign(t, next);
    return expand(ctx, t, true, full(req.query as Query));
  });

  app.delete<{ Params: { id: string } }>('/api/timesheets/:id', async (req, reply) => {
    const t = find(req.params.id);
    if (!t) return notFound(reply);
    if (!canEdit(me(req), t)) return forbidden(reply);
    const data = ctx.data();
    data.timesheets = data.timesheets.filter((x) => x !== t);
    return reply.code(204).send();
  });

  app.patch<{ Params: { id: string } }>('/api/timesheets/:id/export', async (req, reply) => {
    const user = me(req);
    const t = find(req.params.id);
    if (!t) return notFound(reply);
    // edit_export_*_timesheet, and edit_exported_timesheet to un-export: admins only here.
    if (!user.admin) return forbidden(reply);
    t.exported = !t.exported;
    touch(t);
    return expand(ctx, t, true, false);
  });

  app.patch<{ Params: { id: string } }>('/api/timesheets/:id/stop', async (req, reply) => {
    const t = find(req.params.id);
    if (!t) return notFound(reply);
    if (!canEdit(me(req), t)) return forbidden(reply);
    if (t.end === null) {
      t.end = ceilMinute(ctx.now());
      touch(t);
    }
    return expand(ctx, t, true, false);
  });

  app.patch<{ Params: { id: string } }>('/api/timesheets/:id/duplicate', async (req, reply) => {
    const t = find(req.params.id);
    if (!t) return notFound(reply);
    if (!canSee(me(req), t)) return forbidden(reply);
    const copy: EmuTimesheet = { ...t, id: ctx.data().nextId++, tags: [...t.tags], exported: false };
    touch(copy);
    ctx.data().timesheets.push(copy);
    return expand(ctx, copy, true, false);
  });

  // No meta fields are configured in the emulator: Kimai answers 404 for an unknown name.
  app.patch<{ Params: { id: string } }>('/api/timesheets/:id/meta', async (_req, reply) => notFound(reply));
}

function canSee(user: EmuUser, t: EmuTimesheet): boolean {
  return user.admin || t.user === user.id;
}

/** Own records, not exported (edit_exported_timesheet is an admin's), or anything for admins. */
function canEdit(user: EmuUser, t: EmuTimesheet): boolean {
  if (user.admin) return true;
  return t.user === user.id && !t.exported;
}

function expand(ctx: KimaiCtx, t: EmuTimesheet, entity: boolean, nested: boolean): Record<string, unknown> {
  const out = serializeTimesheet(t, entity);
  if (!nested) return out;
  const data = ctx.data();
  const user = data.users.find((u) => u.id === t.user);
  const project = data.projects.find((p) => p.id === t.project);
  const activity = data.activities.find((a) => a.id === t.activity);
  return {
    ...out,
    user: user ? serializeUser(user) : t.user,
    project: project ? serializeProject(project, data) : t.project,
    activity: activity ? serializeActivity(activity, data) : t.activity,
  };
}

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE) * MINUTE;
}

function ceilMinute(ms: number): number {
  return Math.ceil(ms / MINUTE) * MINUTE;
}

function stopRunning(ctx: KimaiCtx, userId: number, except: number): void {
  for (const t of ctx.data().timesheets) {
    if (t.user === userId && t.end === null && t.id !== except) {
      t.end = ceilMinute(ctx.now());
      t.modifiedAt = Math.floor(ctx.now() / 1000) * 1000;
    }
  }
}

/** A local time field read in `zone`; undefined when absent, null when invalid. */
function localField(v: unknown, zone: string): number | null | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return null;
  return wallTimeToInstant(v, zone);
}

/**
 * The TimesheetApiEditForm: validates `body` against the caller's permissions and
 * returns the record as it would be after the write, or sends the 400 and returns null.
 */
function applyForm(ctx: KimaiCtx, reply: FastifyReply, caller: EmuUser, body: Record<string, unknown>, current: EmuTimesheet | null): EmuTimesheet | null {
  const data = ctx.data();
  const form = new FormErrors(FORM_FIELDS);
  form.checkExtra(body, caller.admin ? ADMIN_FIELDS : USER_FIELDS);
  const ownerId = body.user !== undefined ? idOf(body.user) : (current?.user ?? caller.id);
  const owner = data.users.find((u) => u.id === ownerId);
  if (!owner) form.add('user', INVALID_CHOICE);
  const zone = caller.timezone;
  const begin = localField(body.begin, zone);
  const end = localField(body.end, zone);
  if (begin === null) form.add('begin', NOT_VALID);
  if (end === null) form.add('end', NOT_VALID);

  const projectId = body.project !== undefined ? idOf(body.project) : current?.project;
  const project = data.projects.find((p) => p.id === projectId && p.visible);
  if (projectId === undefined && body.project === undefined) form.add('project', NOT_BLANK);
  else if (!project) form.add('project', INVALID_CHOICE);
  const activityId = body.activity !== undefined ? idOf(body.activity) : current?.activity;
  const activity = data.activities.find((a) => a.id === activityId && a.visible);
  if (activityId === undefined && body.activity === undefined) form.add('activity', NOT_BLANK);
  else if (!activity || (activity.project !== null && activity.project !== project?.id)) form.add('activity', INVALID_CHOICE);

  if (body.description !== undefined && body.description !== null && typeof body.description !== 'string') form.add('description', NOT_VALID);
  const tags = tagsOf(body.tags, data);
  if (tags === null) form.add('tags', NOT_VALID);
  for (const [k, kind] of [
    ['billable', 'boolean'],
    ['exported', 'boolean'],
    ['break', 'number'],
  ] as const) {
    if (body[k] !== undefined && typeof body[k] !== kind) form.add(k, NOT_VALID);
  }
  const b = floorMinute(begin ?? current?.begin ?? ctx.now());
  const eRaw = end === undefined ? (current ? current.end : null) : end;
  const e = eRaw === null ? null : ceilMinute(eRaw);
  if (e !== null && e < b) form.add(null, END_BEFORE_BEGIN);
  if (!form.ok) {
    void reply.code(400).send(form.body());
    return null;
  }
  const modifiedAt = Math.floor(ctx.now() / 1000) * 1000;
  return {
    id: current?.id ?? data.nextId++,
    user: owner!.id,
    project: project!.id,
    activity: activity!.id,
    begin: b,
    end: e,
    // Kimai keeps the zone the begin was entered in: the caller's.
    zone: body.begin !== undefined || !current ? caller.timezone : current.zone,
    breakSeconds: (body.break as number | undefined) ?? current?.breakSeconds ?? 0,
    description: body.description === undefined ? (current?.description ?? null) : (body.description as string | null),
    tags: tags ?? current?.tags ?? [],
    exported: (body.exported as boolean | undefined) ?? current?.exported ?? false,
    billable: (body.billable as boolean | undefined) ?? current?.billable ?? true,
    hourlyRate: (body.hourlyRate as number | undefined) ?? current?.hourlyRate ?? 60,
    fixedRate: body.fixedRate === undefined ? (current?.fixedRate ?? null) : (body.fixedRate as number | null),
    modifiedAt,
  };
}

/** Tags as a comma-separated string (a JSON array is accepted too); unknown names are dropped, as since 2.14. */
function tagsOf(v: unknown, data: KimaiData): string[] | undefined | null {
  if (v === undefined) return undefined;
  if (v === null || v === '') return [];
  const names = typeof v === 'string' ? v.split(',') : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  if (!names) return null;
  const known = new Set(data.tags.map((t) => t.name));
  return [...new Set(names.map((n) => n.trim()).filter((n) => known.has(n)))];
}

function listTimesheets(ctx: KimaiCtx, req: FastifyRequest, reply: FastifyReply): FastifyReply | Record<string, unknown>[] {
  const caller = me(req);
  const q = req.query as Query;
  const data = ctx.data();
  let rows = data.timesheets;
  if (q.user === 'all') {
    if (!caller.admin) return forbidden(reply);
  } else {
    const users = idsOf(q, 'user', 'users') ?? [caller.id];
    if (!caller.admin && users.some((u) => u !== caller.id)) return forbidden(reply);
    rows = rows.filter((t) => users.includes(t.user));
  }
  const byIds = (single: string, plural: string, pick: (t: EmuTimesheet) => number) => {
    const ids = idsOf(q, single, plural);
    if (ids) rows = rows.filter((t) => ids.includes(pick(t)));
  };
  byIds('customer', 'customers', (t) => data.projects.find((p) => p.id === t.project)?.customer ?? -1);
  byIds('project', 'projects', (t) => t.project);
  byIds('activity', 'activities', (t) => t.activity);
  for (const [param, zone] of [
    ['begin', caller.timezone],
    ['end', caller.timezone],
    ['modified_after', 'UTC'],
  ] as const) {
    if (q[param] === undefined || q[param] === '') continue;
    const at = localField(q[param], zone);
    if (at === null || at === undefined) {
      return sendCode(reply, 400, `Parameter "${param}" of value "${String(q[param])}" violated a constraint "This value is not a valid datetime."`);
    }
    if (param === 'begin') rows = rows.filter((t) => t.begin >= at);
    else if (param === 'end')
      rows = rows.filter((t) => t.begin <= at); // on begin, not end
    else rows = rows.filter((t) => t.modifiedAt >= at); // inclusive despite the name
  }
  const exported = flagOf(q.exported),
    active = flagOf(q.active),
    billable = flagOf(q.billable);
  if (exported !== undefined) rows = rows.filter((t) => t.exported === exported);
  if (active !== undefined) rows = rows.filter((t) => (t.end === null) === active);
  if (billable !== undefined) rows = rows.filter((t) => t.billable === billable);
  const tagNames = q['tags[]'] ?? q.tags;
  if (tagNames !== undefined) {
    const wanted = (Array.isArray(tagNames) ? tagNames : [tagNames]).map(String);
    if (!wanted.some((n) => data.tags.some((t) => t.name === n))) return sendCode(reply, 400, 'Given tags were not found');
    rows = rows.filter((t) => t.tags.some((n) => wanted.includes(n)));
  }
  if (typeof q.term === 'string' && q.term) rows = rows.filter((t) => (t.description ?? '').toLowerCase().includes((q.term as string).toLowerCase()));
  rows = sortRows(rows, String(q.orderBy ?? 'begin'), String(q.order ?? 'DESC').toUpperCase() === 'ASC' ? 1 : -1);
  const remove = (row: Record<string, unknown>) => {
    data.timesheets = data.timesheets.filter((t) => t.id !== row.id);
  };
  return page(
    ctx,
    req,
    reply,
    q,
    rows.map((t) => expand(ctx, t, false, flagOf(q.full) === true)),
    remove,
  );
}

function sortRows(rows: EmuTimesheet[], orderBy: string, dir: number): EmuTimesheet[] {
  const key = (t: EmuTimesheet): number => {
    if (orderBy === 'id') return t.id;
    if (orderBy === 'end') return t.end ?? Number.MAX_SAFE_INTEGER;
    if (orderBy === 'rate') return durationOf(t) * t.hourlyRate;
    return t.begin;
  };
  return [...rows].sort((a, b) => (key(a) - key(b)) * dir || (a.id - b.id) * dir);
}

/**
 * `page`/`size` (clamped to 1..500, < 1 → 50, and to the emulator's maxPageSize) with the
 * X-* headers; past the end → 404. A listing fault (emulator kit) may shorten, empty or
 * shift the page; the headers then state the total the fault gives.
 */
function page(
  ctx: KimaiCtx,
  req: FastifyRequest,
  reply: FastifyReply,
  q: Query,
  all: Record<string, unknown>[],
  remove: (row: Record<string, unknown>) => void,
): FastifyReply | Record<string, unknown>[] {
  const asked = q.size === undefined ? 50 : Number(q.size);
  const size = Math.min(ctx.settings.maxPageSize, 500, !Number.isInteger(asked) || asked < 1 ? 50 : asked);
  const pageNo = q.page === undefined ? 1 : Number(q.page);
  if (!Number.isInteger(pageNo) || pageNo < 1) return notFound(reply);
  const served = servePage(req.listingFault, all, (pageNo - 1) * size, size, remove);
  if (pageNo > Math.max(1, Math.ceil(served.all.length / size))) return notFound(reply);
  const pages = Math.max(1, Math.ceil(served.total / size));
  void reply.headers({ 'x-page': String(pageNo), 'x-total-count': String(served.total), 'x-total-pages': String(pages), 'x-per-page': String(size) });
  return served.rows;
}
