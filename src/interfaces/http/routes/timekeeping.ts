/**
 * /api/v1/timers and /api/v1/timesheets: a person's running timer and their monthly
 * timesheet (runtime/timers.ts, runtime/timesheets.ts), and the admins' month lock
 * (app/month-lock-scope.ts). A user acts for their own person in the scope (the person
 * whose username or e-mail is their user id); naming another `personId` needs an admin or
 * the scope's owner (reading another's timesheet: also a read grant), else that person is
 * answered as not found. Every write queues the scope's links (`svc.hubChanged`), so it
 * reaches them; the answer names the jobs.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { lockScopeMonth, scopesWithTimesheets } from '../../../app/month-lock-scope.js';
import { TimebridgeError } from '../../../core/errors.js';
import { monthSchema } from '../../../core/fields/timesheet.js';
import type { HubRecord } from '../../../core/model.js';
import { discardTimer, findPerson, startTimer, stopTimer, timerStatus, type TimekeepingDeps } from '../../../runtime/timers.js';
import { reopenTimesheet, showTimesheet, submitTimesheet } from '../../../runtime/timesheets.js';
import type { Service } from '../../../service/service.js';
import { caller, requireAdmin, type Caller } from '../auth.js';
import { errorSchema } from '../schemas.js';

const scope = z.string().min(1).describe('Hub scope');
const personId = z.string().min(1).optional().describe("Hub id of the person to act for (default: the caller's own person in the scope)");
const record = z
  .object({
    id: z.string(),
    kind: z.string(),
    scope: z.string(),
    fields: z.record(z.string(), z.unknown()),
    version: z.number(),
    updatedAt: z.string(),
    origin: z.string(),
    tombstone: z.boolean(),
  })
  .describe('HubRecord');
const jobs = z.array(z.object({ link: z.string(), jobId: z.string(), folded: z.boolean() })).describe('Runs queued so the change reaches the links');
const errors = { 400: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema };

const view = (r: HubRecord) => ({
  id: r.id,
  kind: r.kind,
  scope: r.scope,
  fields: r.fields,
  version: r.version,
  updatedAt: r.updatedAt,
  origin: r.origin,
  tombstone: r.tombstone,
});

const lockReport = z.object({
  month: z.string(),
  locked: z.array(
    z.object({ timesheetId: z.string(), personId: z.string(), entries: z.array(z.string()), exported: z.array(z.string()), untracked: z.array(z.string()) }),
  ),
  skipped: z.array(z.object({ timesheetId: z.string(), personId: z.string(), state: z.string(), reason: z.string() })),
  failed: z.array(
    z.object({ timesheetId: z.string(), personId: z.string(), error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }) }),
  ),
});

/**
 * The person the caller acts for: their own without `personId`; another only for admins
 * and the scope's owner (`read`: also read grants). Anyone else is answered as not found.
 */
async function actingFor(svc: Service, c: Caller, scopeName: string, requested: string | undefined, right: 'read' | 'write'): Promise<string> {
  if (!requested) return (await svc.access.personOf(c.userId, scopeName)).id;
  if (c.role !== 'admin') {
    const own = (await svc.access.personsOf(c.userId, scopeName)).some((p) => p.id === requested);
    const access = await svc.catalog.scopes.access(c.userId, scopeName);
    const allowed = own || access === 'own' || (right === 'read' && (access === 'read' || access === 'read-write'));
    if (!allowed)
      throw new TimebridgeError('RESOURCE_NOT_FOUND', `no person ${requested} in scope ${scopeName} that you may act for`, {
        hint: 'leave personId out to act for yourself; only admins and the scope owner act for others',
      });
  }
  return (await findPerson(svc.store, scopeName, requested)).id;
}

export const timekeepingRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    const deps: TimekeepingDeps = { store: svc.store, records: svc.records };
    const actor = (c: Caller) => ({ origin: `api:${c.userId}` });
    const changed = (s: string, c: Caller, what: string) => svc.hubChanged(s, `api:${c.userId}:${what}`);

    app.post(
      '/timers/start',
      {
        schema: {
          tags: ['timers'],
          summary: "Start a person's timer (a running one is stopped first and its time entry made, in the same commit)",
          body: z
            .object({
              scope,
              personId,
              projectId: z.string().min(1).nullable().optional(),
              activityId: z.string().min(1).nullable().optional(),
              taskId: z.string().min(1).nullable().optional(),
              description: z.string().nullable().optional(),
              tags: z.array(z.string()).optional(),
              billable: z.boolean().nullable().optional(),
            })
            .strict(),
          response: { 201: z.object({ timer: record, stopped: z.object({ timer: record, entry: record }).nullable(), jobs }), ...errors },
        },
      },
      async (req, reply) => {
        const c = caller(req);
        const { scope: s, personId: requested, ...rest } = req.body;
        const person = await actingFor(svc, c, s, requested, 'write');
        const r = await startTimer(deps, { ...rest, scope: s, personId: person, actor: actor(c), now: svc.clock() });
        const origin = actor(c).origin;
        if (r.stopped) svc.timerEvents.emit({ kind: 'stopped', scope: s, personId: person, record: r.stopped.entry, origin });
        svc.timerEvents.emit({ kind: 'started', scope: s, personId: person, record: r.timer, origin });
        const queued = await changed(s, c, 'timer-start');
        return reply
          .code(201)
          .send({ timer: view(r.timer), stopped: r.stopped ? { timer: view(r.stopped.timer), entry: view(r.stopped.entry) } : null, jobs: queued });
      },
    );

    app.post(
      '/timers/stop',
      {
        schema: {
          tags: ['timers'],
          summary: "Stop a person's running timer: makes its time entry (on the start's local day) and removes the timer, in one commit",
          body: z.object({ scope, personId }).strict(),
          response: { 200: z.object({ timer: record, entry: record, jobs }), ...errors },
        },
      },
      async (req) => {
        const c = caller(req);
        const person = await actingFor(svc, c, req.body.scope, req.body.personId, 'write');
        const r = await stopTimer(deps, { scope: req.body.scope, personId: person, actor: actor(c), now: svc.clock() });
        svc.timerEvents.emit({ kind: 'stopped', scope: req.body.scope, personId: person, record: r.entry, origin: actor(c).origin });
        return { timer: view(r.timer), entry: view(r.entry), jobs: await changed(req.body.scope, c, 'timer-stop') };
      },
    );

    app.get(
      '/timers/current',
      {
        schema: {
          tags: ['timers'],
          summary: "A person's running timer, if any, and how long it has run",
          querystring: z.object({ scope, personId }),
          response: { 200: z.object({ running: z.boolean(), timer: record.nullable(), elapsedSeconds: z.number() }), ...errors },
        },
      },
      async (req) => {
        const c = caller(req);
        const person = await actingFor(svc, c, req.query.scope, req.query.personId, 'read');
        const r = await timerStatus(deps, req.query.scope, person, svc.clock());
        return { running: r.running, timer: r.timer ? view(r.timer) : null, elapsedSeconds: r.elapsedSeconds };
      },
    );

    app.delete(
      '/timers/current',
      {
        schema: {
          tags: ['timers'],
          summary: "Discard a person's running timer without making a time entry (also in a locked month)",
          querystring: z.object({ scope, personId }),
          response: { 200: z.object({ timer: record, jobs }), ...errors },
        },
      },
      async (req) => {
        const c = caller(req);
        const person = await actingFor(svc, c, req.query.scope, req.query.personId, 'write');
        const timer = await discardTimer(deps, { scope: req.query.scope, personId: person, actor: actor(c) });
        return { timer: view(timer), jobs: await changed(req.query.scope, c, 'timer-discard') };
      },
    );

    const sheetView = z.object({
      personId: z.string(),
      month: z.string(),
      state: z.string(),
      timesheet: record.nullable().describe('null: never submitted (a draft)'),
      entries: z.array(record),
      totalSeconds: z.number(),
    });

    app.get(
      '/timesheets',
      {
        schema: {
          tags: ['timesheets'],
          summary: "A person's timesheet of a month (a draft when never submitted), with the month's time entries and their total",
          querystring: z.object({ scope, month: monthSchema, personId }),
          response: { 200: sheetView, ...errors },
        },
      },
      async (req) => {
        const c = caller(req);
        const person = await actingFor(svc, c, req.query.scope, req.query.personId, 'read');
        const r = await showTimesheet(deps, req.query.scope, person, req.query.month);
        return { ...r, timesheet: r.timesheet ? view(r.timesheet) : null, entries: r.entries.map(view) };
      },
    );

    const changeAnswer = z.object({ timesheet: record.nullable(), changed: z.boolean(), jobs });
    const sheetWrite = (path: string, summary: string, op: typeof submitTimesheet) =>
      app.post(
        path,
        {
          schema: {
            tags: ['timesheets'],
            summary,
            body: z.object({ scope, month: monthSchema, personId, absence: z.boolean().optional() }).strict(),
            response: { 200: changeAnswer, ...errors },
          },
        },
        async (req) => {
          const c = caller(req);
          const person = await actingFor(svc, c, req.body.scope, req.body.personId, 'write');
          const r = await op(deps, { scope: req.body.scope, personId: person, month: req.body.month, absence: req.body.absence ?? false, actor: actor(c) });
          return {
            timesheet: r.timesheet ? view(r.timesheet) : null,
            changed: r.changed,
            jobs: r.changed ? await changed(req.body.scope, c, `timesheet-${path.split('/').pop()}`) : [],
          };
        },
      );
    sheetWrite(
      '/timesheets/submit',
      'Submit a month: draft → submitted (absence: → absence-submitted); made when missing; submitting again changes nothing',
      submitTimesheet,
    );
    sheetWrite('/timesheets/reopen', 'Reopen a submitted month: → draft (an exported month is final: PERIOD_LOCKED)', reopenTimesheet);

    app.post(
      '/timesheets/lock',
      {
        schema: {
          tags: ['timesheets'],
          summary:
            'Lock a month (admins): submitted timesheets become exported and their entries exported; the links that hold the flag (Kimai) carry it out on the queued runs',
          body: z.object({ scope: scope.optional().describe('default: every scope with timesheets of the month'), month: monthSchema }).strict(),
          response: {
            200: z.object({ reports: z.array(z.object({ scope: z.string(), report: lockReport, carriers: z.array(z.string()), jobs })) }),
            ...errors,
          },
        },
      },
      async (req) => {
        const c = requireAdmin(req);
        const scopes = req.body.scope ? [req.body.scope] : await scopesWithTimesheets(svc, req.body.month);
        const reports = [];
        for (const s of scopes) {
          const { report, carriers } = await lockScopeMonth(svc, { scope: s, month: req.body.month, origin: `api:${c.userId}`, now: svc.clock() });
          reports.push({ scope: s, report, carriers, jobs: await changed(s, c, 'timesheets-lock') });
        }
        return { reports };
      },
    );
  };
