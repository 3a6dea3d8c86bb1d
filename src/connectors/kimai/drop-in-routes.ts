/**
 * Drop-in endpoints of the Kimai sync service (Timekeeper), offered by the Kimai entry and
 * mounted at the root (where that service had them). Each is a thin alias of the generic
 * API: it queues runs of the matching Kimai links (so per-link exclusion, retries, pacing,
 * metrics and the run record apply as for any run) and answers 202 with the job ids.
 * `/timesheets/lock` runs the hub's month lock on each scope with a Kimai timesheet link,
 * then the links of the scope that carry the lock out (whose mapper holds `exported`: the
 * Kimai timesheet links), which export the locked entries; it answers the lock's report
 * and the runs' jobs.
 * Token auth as every route; running links needs to see them, locking needs an admin.
 */
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import { route, type ConnectorRoutes, type RouteContext, type RouteLink } from '../kit/routes.js';

const queued = z.object({ jobs: z.array(z.object({ link: z.string(), jobId: z.string(), folded: z.boolean() })) });
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'is not yyyy-MM-dd')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'is not a date');
/** Zones reach 14 h from UTC: the window is widened so a local day is never cut off. */
const ZONE_MARGIN_MS = 14 * 3_600_000;
/** How long `/timesheets/lock` waits for the runs that export the month in Kimai before it answers. */
const LOCK_WAIT_MS = 120_000;

/** Enabled Kimai links of these external kinds that the caller may run; none is an error that says what to add. */
async function kimaiLinks(ctx: RouteContext, kinds: string[]): Promise<RouteLink[]> {
  const out = await ctx.links(kinds);
  if (!out.length) {
    throw new TimebridgeError('RESOURCE_NOT_FOUND', `no enabled Kimai link with externalKind ${kinds.join(' or ')} that you can run`, {
      hint: `add one to timebridge.yaml (or POST /api/v1/links), e.g. { connection: kimai, scope: work, externalKind: ${kinds[0]} }`,
    });
  }
  return out;
}

async function enqueue(
  ctx: RouteContext,
  links: Pick<RouteLink, 'name'>[],
  trigger: string,
  opts: { full?: boolean; window?: { start: string; end: string } } = {},
) {
  return { jobs: await Promise.all(links.map(async (l) => ({ link: l.name, ...(await ctx.enqueueRun(l.name, { trigger, ...opts })) }))) };
}

const importRoute = (path: string, kinds: string[], what: string) =>
  route({
    method: 'POST',
    path: `/sync-from-kimai/${path}`,
    summary: `Import Kimai ${what} now (queues the Kimai ${kinds.join(' and ')} links)`,
    responses: { 202: queued, 404: 'error' },
    handle: async (_req, ctx) => ({ status: 202, body: await enqueue(ctx, await kimaiLinks(ctx, kinds), `api:${ctx.caller.userId}:sync-from-kimai`) }),
  });

export const kimaiRoutes: ConnectorRoutes = {
  prefix: '/',
  tag: 'kimai',
  routes: [
    importRoute('customers', ['customer', 'project'], 'customers and projects'),
    importRoute('tasks', ['activity'], 'activities'),
    importRoute('accounts', ['user'], 'users (as persons)'),

    route({
      method: 'POST',
      path: '/sync-to-kimai/work-logs',
      summary: 'Sync time entries dated start..end (inclusive) with Kimai, in the background',
      body: z.object({ start: day, end: day }).refine((b) => b.start <= b.end, { message: 'start is after end', path: ['end'] }),
      responses: { 202: queued, 400: 'error', 404: 'error' },
      handle: async ({ body }, ctx) => {
        const window = {
          start: new Date(Date.parse(`${body.start}T00:00:00Z`) - ZONE_MARGIN_MS).toISOString(),
          end: new Date(Date.parse(`${body.end}T00:00:00Z`) + 86_400_000 + ZONE_MARGIN_MS).toISOString(),
        };
        return {
          status: 202,
          body: await enqueue(ctx, await kimaiLinks(ctx, ['timesheet']), `api:${ctx.caller.userId}:sync-to-kimai`, { full: true, window }),
        };
      },
    }),

    route({
      method: 'POST',
      path: '/update-queue/work-logs/:id',
      summary: "Push one hub time entry to Kimai again (queues its scope's Kimai timesheet links)",
      params: z.object({ id: z.string().min(1) }),
      responses: { 202: queued, 400: 'error', 404: 'error' },
      handle: async ({ params }, ctx) => {
        const record = await ctx.hubRecord(params.id);
        if (!record)
          throw new TimebridgeError('RESOURCE_NOT_FOUND', `no hub record ${params.id}`, {
            hint: 'use the id of a time entry (GET /api/v1/runs shows what runs wrote)',
          });
        if (record.kind !== 'timeEntry') {
          throw new TimebridgeError('REQUEST_INVALID', `hub record ${record.id} is a ${record.kind}, not a time entry (work log)`, {
            hint: 'pass the id of a timeEntry record',
          });
        }
        const links = (await kimaiLinks(ctx, ['timesheet'])).filter((l) => l.scope === record.scope);
        if (!links.length)
          throw new TimebridgeError('RESOURCE_NOT_FOUND', `no Kimai timesheet link covers scope ${record.scope}`, {
            hint: 'add a link with externalKind: timesheet and that scope',
          });
        // A full run compares every record of the scope with its agreement: one that is in sync is left alone, one that is not is pushed.
        return { status: 202, body: await enqueue(ctx, links, `api:${ctx.caller.userId}:update-queue:${record.id}`, { full: true }) };
      },
    }),

    route({
      method: 'PUT',
      path: '/kimai-timesheets/:kimaiId',
      summary: 'Read one Kimai timesheet now (queues a full run of the Kimai timesheet links, which also sees it if it was deleted)',
      params: z.object({ kimaiId: z.string().regex(/^\d+$/, 'is not a Kimai timesheet id') }),
      responses: { 202: queued, 400: 'error', 404: 'error' },
      handle: async ({ params }, ctx) => {
        const links = await kimaiLinks(ctx, ['timesheet']);
        // Prefer the links that already track this Kimai id; a new one is found by any of them.
        const tracking: RouteLink[] = [];
        for (const l of links) if ((await ctx.tracked(l.name)).some((r) => r.extId === params.kimaiId)) tracking.push(l);
        return {
          status: 202,
          body: await enqueue(ctx, tracking.length ? tracking : links, `api:${ctx.caller.userId}:kimai-timesheet:${params.kimaiId}`, { full: true }),
        };
      },
    }),

    route({
      method: 'POST',
      path: '/timesheets/lock',
      summary: 'Lock a month: submitted timesheets become exported, and their entries are exported in Kimai (by runs of the Kimai timesheet links)',
      body: z.object({ month: z.number().int().min(1).max(12), year: z.number().int().min(2000).max(2100) }),
      responses: {
        200: z.object({
          reports: z.array(z.object({ scope: z.string(), report: z.unknown(), jobs: queued.shape.jobs.element.extend({ state: z.string() }).array() })),
        }),
        400: 'error',
        403: 'error',
        404: 'error',
      },
      handle: async ({ body }, ctx) => {
        ctx.requireAdmin();
        const scopes = new Set((await kimaiLinks(ctx, ['timesheet'])).map((l) => l.scope));
        const reports = [];
        for (const scope of scopes) {
          const { report, carriers } = await ctx.lockMonth({ scope, year: body.year, month: body.month });
          // The lock is hub data now; the runs of the links that hold the flag export it (a run still queued when the wait ends does it later).
          const { jobs } = await enqueue(
            ctx,
            carriers.map((name) => ({ name })),
            `api:${ctx.caller.userId}:timesheets-lock`,
          );
          const states = new Map(
            (
              await ctx.waitForJobs(
                jobs.map((j) => j.jobId),
                LOCK_WAIT_MS,
              )
            ).map((s) => [s.jobId, s.state]),
          );
          reports.push({ scope, report, jobs: jobs.map((j) => ({ ...j, state: states.get(j.jobId) ?? 'queued' })) });
        }
        return { status: 200, body: { reports } };
      },
    }),
  ],
};
