/**
 * Drop-in endpoints of the Kimai sync service (Timekeeper), offered by the Kimai entry and
 * mounted at the root (where that service had them). Each is a thin alias of the generic
 * API: it queues runs of the matching links (so per-link exclusion, retries, pacing,
 * metrics and the run record apply as for any run). Status codes are the original's: the
 * endpoints it answered when done (the imports, one Kimai timesheet, the month lock) wait
 * for their runs and answer 204 — or 202 with the job ids when the runs outlast the wait
 * and go on in the background; the others answer 202 with the job ids at once.
 * `/timesheets/lock` runs the hub's month lock on each scope with a Kimai timesheet link,
 * then the links of the scope that carry the lock out (whose mapper holds `exported`: the
 * Kimai timesheet links), which export the locked entries, and the scope's Timekeeper
 * timesheet links, which lock Timekeeper's timesheets (state Exported, the month's work logs
 * as members), as the Kimai sync service did.
 * Token auth as every route; running links needs to see them, locking needs an admin.
 */
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import { route, type ConnectorRoutes, type RouteContext, type RouteLink } from '../kit/routes.js';

const job = z.object({ link: z.string(), jobId: z.string(), folded: z.boolean() });
const queued = z.object({ jobs: z.array(job) });
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'is not yyyy-MM-dd')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'is not a date');
/** How long an endpoint the original answered when done waits for its runs before it answers 202 and lets them go on. */
const SYNC_WAIT_MS = 120_000;
/** The connector type whose work logs `/update-queue/work-logs/:id` names. */
const TIMEKEEPER = 'timekeeper';

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

type Queued = z.infer<typeof job>;

async function enqueue(
  ctx: RouteContext,
  links: Pick<RouteLink, 'name'>[],
  trigger: string,
  opts: { full?: boolean; window?: { start: string; end: string }; only?: string[] } = {},
): Promise<{ jobs: Queued[] }> {
  return { jobs: await Promise.all(links.map(async (l) => ({ link: l.name, ...(await ctx.enqueueRun(l.name, { trigger, ...opts })) }))) };
}

/**
 * Wait for queued runs: true when all are done; false when some still run after the wait
 * (they go on). A run that died is an error naming its link.
 */
async function finished(ctx: RouteContext, jobs: Queued[]): Promise<boolean> {
  const states = await ctx.waitForJobs(
    jobs.map((j) => j.jobId),
    SYNC_WAIT_MS,
  );
  const dead = states.filter((s) => s.state === 'dead').map((s) => jobs.find((j) => j.jobId === s.jobId)?.link ?? s.jobId);
  if (dead.length) {
    throw new TimebridgeError('RUN_ABORTED', `the run of ${dead.join(', ')} failed`, {
      hint: `see why in GET /api/v1/runs?link=${dead[0]}, then call this endpoint again`,
    });
  }
  return states.every((s) => s.state === 'done' || s.state === 'gone');
}

/** Run these groups of links one after the other (a group's runs together) and answer as the original: 204 when done, else 202 with the jobs. */
async function runInOrder(ctx: RouteContext, groups: RouteLink[][], trigger: string, opts: { full?: boolean; only?: string[] } = {}) {
  const jobs: Queued[] = [];
  for (const [i, group] of groups.entries()) {
    const { jobs: mine } = await enqueue(ctx, group, trigger, opts);
    jobs.push(...mine);
    if (!(await finished(ctx, mine))) {
      // The rest waits for nothing now: queue it behind, the workers keep the order of a link's runs.
      for (const later of groups.slice(i + 1)) jobs.push(...(await enqueue(ctx, later, trigger, opts)).jobs);
      return { status: 202, body: { jobs } };
    }
  }
  return { status: 204, body: null };
}

const importRoute = (path: string, groups: string[][], what: string) =>
  route({
    method: 'POST',
    path: `/sync-from-kimai/${path}`,
    summary: `Import Kimai ${what} now (runs the Kimai ${groups.flat().join(', ')} links; 204 when done, 202 with the jobs if they take longer)`,
    responses: { 202: queued, 204: z.null(), 404: 'error', 503: 'error' },
    handle: async (_req, ctx) => {
      const links = await kimaiLinks(ctx, groups.flat());
      const ordered = groups.map((kinds) => links.filter((l) => kinds.includes(l.externalKind))).filter((g) => g.length);
      return runInOrder(ctx, ordered, `api:${ctx.caller.userId}:sync-from-kimai`);
    },
  });

/** The one day after a `yyyy-MM-dd` day. */
const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** Links of Timekeeper connections that track this work log (by its uuid or its URI), else all of them (a new one is found by any). */
async function timekeeperLinksFor(ctx: RouteContext, id: string): Promise<RouteLink[]> {
  const links = await ctx.otherLinks(TIMEKEEPER);
  const tracking: RouteLink[] = [];
  for (const l of links) if ((await ctx.tracked(l.name)).some((r) => r.extId === id || r.extId.endsWith(`/${id}`))) tracking.push(l);
  return tracking.length ? tracking : links;
}

export const kimaiRoutes: ConnectorRoutes = {
  prefix: '/',
  tag: 'kimai',
  routes: [
    importRoute('customers', [['customer', 'project']], 'customers and projects'),
    // As the original: projects first, then activities (which hang under them).
    importRoute('tasks', [['project'], ['activity']], 'projects and activities'),
    importRoute('accounts', [['user']], 'users (as persons)'),

    route({
      method: 'POST',
      path: '/sync-to-kimai/work-logs',
      summary: "Sync time entries dated start..end (inclusive, each in its own zone's days) with Kimai, in the background",
      body: z.object({ start: day, end: day }).refine((b) => b.start <= b.end, { message: 'start is after end', path: ['end'] }),
      responses: { 202: queued, 400: 'error', 404: 'error' },
      handle: async ({ body }, ctx) => {
        // Exactly these days, in each record's zone: nothing outside them is read, so nothing outside them is deleted.
        const window = { start: body.start, end: nextDay(body.end) };
        const trigger = `api:${ctx.caller.userId}:sync-to-kimai`;
        // Timekeeper → hub first (its work-log links read the same days), then hub → Kimai.
        const keeper = (await ctx.otherLinks(TIMEKEEPER)).filter((l) => l.externalKind === 'work-log');
        const kimai = await kimaiLinks(ctx, ['timesheet']);
        const first = keeper.length ? await enqueue(ctx, keeper, trigger, { full: true, window }) : { jobs: [] };
        const then = await enqueue(ctx, kimai, trigger, { full: true, window });
        return { status: 202, body: { jobs: [...first.jobs, ...then.jobs] } };
      },
    }),

    route({
      method: 'POST',
      path: '/update-queue/work-logs/:id',
      summary:
        "Sync one work log again: a Timekeeper work-log id (uuid or URI) queues the Timekeeper links that read it; a hub time entry id queues its scope's Kimai timesheet links",
      params: z.object({ id: z.string().min(1) }),
      responses: { 202: queued, 400: 'error', 404: 'error' },
      handle: async ({ params }, ctx) => {
        const trigger = `api:${ctx.caller.userId}:update-queue:${params.id}`;
        const record = await ctx.hubRecord(params.id);
        if (!record) {
          const links = await timekeeperLinksFor(ctx, params.id);
          if (!links.length)
            throw new TimebridgeError('RESOURCE_NOT_FOUND', `no hub time entry ${params.id}, and no enabled Timekeeper link you can run to read it from`, {
              hint: 'pass the id of a Timekeeper work log (with a Timekeeper link configured) or of a hub time entry (GET /api/v1/runs shows what runs wrote)',
            });
          // The Timekeeper run writes the work log to the hub; the scope's other links (Kimai) follow from that write.
          return { status: 202, body: await enqueue(ctx, links, trigger) };
        }
        if (record.kind !== 'timeEntry') {
          throw new TimebridgeError('REQUEST_INVALID', `hub record ${record.id} is a ${record.kind}, not a time entry (work log)`, {
            hint: 'pass the id of a timeEntry record or of a Timekeeper work log',
          });
        }
        const links = (await kimaiLinks(ctx, ['timesheet'])).filter((l) => l.scope === record.scope);
        if (!links.length)
          throw new TimebridgeError('RESOURCE_NOT_FOUND', `no Kimai timesheet link covers scope ${record.scope}`, {
            hint: 'add a link with externalKind: timesheet and that scope',
          });
        // A full run compares every record of the scope with its agreement: one that is in sync is left alone, one that is not is pushed.
        return { status: 202, body: await enqueue(ctx, links, trigger, { full: true }) };
      },
    }),

    route({
      method: 'PUT',
      path: '/kimai-timesheets/:kimaiId',
      summary:
        'Check one Kimai timesheet now against the hub (a run of the Kimai timesheet links that track it, or of all when none does, that reads only this record); 204 when done, 202 with the jobs if it takes longer',
      params: z.object({ kimaiId: z.string().regex(/^\d+$/, 'is not a Kimai timesheet id') }),
      responses: { 202: queued, 204: z.null(), 400: 'error', 404: 'error', 503: 'error' },
      handle: async ({ params }, ctx) => {
        const links = await kimaiLinks(ctx, ['timesheet']);
        // Prefer the links that already track this Kimai id; a new one is found by any of them.
        const tracking: RouteLink[] = [];
        for (const l of links) if ((await ctx.tracked(l.name)).some((r) => r.extId === params.kimaiId)) tracking.push(l);
        // A full listing (a deletion in Kimai is seen) of which only this record is read: nothing else is imported or deleted.
        return runInOrder(ctx, [tracking.length ? tracking : links], `api:${ctx.caller.userId}:kimai-timesheet:${params.kimaiId}`, {
          full: true,
          only: [params.kimaiId],
        });
      },
    }),

    route({
      method: 'POST',
      path: '/timesheets/lock',
      summary:
        'Lock a month: submitted timesheets become exported, and their entries are exported in Kimai (by runs of the Kimai timesheet links); 204 when done, 202 with the reports if the runs take longer',
      body: z.object({ month: z.number().int().min(1).max(12), year: z.number().int().min(2000).max(2100) }),
      responses: {
        202: z.object({
          reports: z.array(z.object({ scope: z.string(), report: z.unknown(), jobs: queued.shape.jobs.element.extend({ state: z.string() }).array() })),
        }),
        204: z.null(),
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
          // The lock is hub data now; the runs of the links that hold the flag export it (a run still queued when the wait ends does it later),
          // and the scope's Timekeeper timesheet links write the timesheets' state, with the month's work logs as members.
          const keeper = (await ctx.otherLinks(TIMEKEEPER)).filter((l) => l.scope === scope && l.externalKind === 'timesheet' && !carriers.includes(l.name));
          const { jobs } = await enqueue(ctx, [...carriers.map((name) => ({ name })), ...keeper], `api:${ctx.caller.userId}:timesheets-lock`);
          const states = new Map(
            (
              await ctx.waitForJobs(
                jobs.map((j) => j.jobId),
                SYNC_WAIT_MS,
              )
            ).map((s) => [s.jobId, s.state]),
          );
          reports.push({ scope, report, jobs: jobs.map((j) => ({ ...j, state: states.get(j.jobId) ?? 'queued' })) });
        }
        // As the original: 204 once it is done; runs still going on are reported with the lock's reports.
        const pending = reports.some((r) => r.jobs.some((j) => !['done', 'gone'].includes(j.state)));
        return pending ? { status: 202, body: { reports } } : { status: 204, body: null };
      },
    }),
  ],
};
