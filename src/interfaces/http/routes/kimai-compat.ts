/**
 * Drop-in endpoints of the Kimai sync service (Timekeeper), as thin aliases of the
 * generic API: each queues runs of the matching Kimai links (so per-link exclusion,
 * retries and the run record apply as for any run) and answers 202 with the job ids;
 * `/timesheets/lock` locks a month (connectors/kimai/month-lock.ts) and answers its report.
 * Token auth as every route; running links needs to see them, locking needs an admin.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LinkView } from '../../../app/catalog.js';
import { kimaiApiOf, type KimaiConfig } from '../../../connectors/kimai/index.js';
import { lockMonth, type LockReport } from '../../../connectors/kimai/month-lock.js';
import { TimebridgeError } from '../../../core/errors.js';
import { linkIdOf } from '../../../runtime/types.js';
import type { Service } from '../../../service/service.js';
import { canSee, caller, requireAdmin, type Caller } from '../auth.js';
import { errorSchema } from '../schemas.js';

const tags = ['kimai'];
const queued = z.object({ jobs: z.array(z.object({ link: z.string(), jobId: z.string(), folded: z.boolean() })) });
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'is not yyyy-MM-dd').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'is not a date');
/** Zones reach 14 h from UTC: the window is widened so a local day is never cut off. */
const ZONE_MARGIN_MS = 14 * 3_600_000;

export const kimaiCompatRoutes = (svc: Service): FastifyPluginAsyncZod => async (app) => {
  /** Enabled Kimai links of these external kinds that the caller may run. */
  const kimaiLinks = async (c: Caller, kinds: string[]): Promise<LinkView[]> => {
    const out: LinkView[] = [];
    for (const l of await svc.catalog.listLinks()) {
      if (!l.enabled || !canSee(c, l.owner)) continue;
      const conn = await svc.catalog.getConnection(l.config.connection);
      if (conn?.type === 'kimai' && kinds.includes(l.config.externalKind ?? 'timesheet')) out.push(l);
    }
    if (!out.length) {
      throw new TimebridgeError('RESOURCE_NOT_FOUND', `no enabled Kimai link with externalKind ${kinds.join(' or ')} that you can run`, {
        hint: `add one to timebridge.yaml (or POST /api/v1/links), e.g. { connection: kimai, scope: work, externalKind: ${kinds[0]} }`,
      });
    }
    return out;
  };
  const enqueue = async (links: LinkView[], trigger: string, opts: { full?: boolean; window?: { start: string; end: string } } = {}) => ({
    jobs: await Promise.all(links.map(async (l) => ({ link: l.name, ...(await svc.enqueueRun(l.name, { trigger, ...opts })) }))),
  });

  for (const [path, kinds, what] of [
    ['customers', ['customer', 'project'], 'customers and projects'],
    ['tasks', ['activity'], 'activities'],
    ['accounts', ['user'], 'users (as persons)'],
  ] as const) {
    app.post(`/sync-from-kimai/${path}`, {
      schema: { tags, summary: `Import Kimai ${what} now (queues the Kimai ${kinds.join(' and ')} links)`, response: { 202: queued, 404: errorSchema } },
    }, async (req, reply) => {
      const c = caller(req);
      return reply.code(202).send(await enqueue(await kimaiLinks(c, [...kinds]), `api:${c.userId}:sync-from-kimai`));
    });
  }

  app.post('/sync-to-kimai/work-logs', {
    schema: {
      tags, summary: 'Sync time entries dated start..end (inclusive) with Kimai, in the background',
      body: z.object({ start: day, end: day }).refine((b) => b.start <= b.end, { message: 'start is after end', path: ['end'] }),
      response: { 202: queued, 400: errorSchema, 404: errorSchema },
    },
  }, async (req, reply) => {
    const c = caller(req);
    const window = {
      start: new Date(Date.parse(`${req.body.start}T00:00:00Z`) - ZONE_MARGIN_MS).toISOString(),
      end: new Date(Date.parse(`${req.body.end}T00:00:00Z`) + 86_400_000 + ZONE_MARGIN_MS).toISOString(),
    };
    return reply.code(202).send(await enqueue(await kimaiLinks(c, ['timesheet']), `api:${c.userId}:sync-to-kimai`, { full: true, window }));
  });

  app.post('/update-queue/work-logs/:id', {
    schema: {
      tags, summary: 'Push one hub time entry to Kimai again (queues its scope\'s Kimai timesheet links)',
      params: z.object({ id: z.string().min(1) }), response: { 202: queued, 400: errorSchema, 404: errorSchema },
    },
  }, async (req, reply) => {
    const c = caller(req);
    const [found] = await svc.store.getRecords([req.params.id]);
    // A record in a scope the caller has no access to is as missing as one that is not there.
    const record = found && (c.role === 'admin' || ['own', 'read', 'read-write'].includes(await svc.catalog.scopes.access(c.userId, found.scope))) ? found : undefined;
    if (!record) throw new TimebridgeError('RESOURCE_NOT_FOUND', `no hub record ${req.params.id}`, { hint: 'use the id of a time entry (GET /api/v1/runs shows what runs wrote)' });
    if (record.kind !== 'timeEntry') {
      throw new TimebridgeError('REQUEST_INVALID', `hub record ${record.id} is a ${record.kind}, not a time entry (work log)`, { hint: 'pass the id of a timeEntry record' });
    }
    const links = (await kimaiLinks(c, ['timesheet'])).filter((l) => l.config.scope === record.scope);
    if (!links.length) throw new TimebridgeError('RESOURCE_NOT_FOUND', `no Kimai timesheet link covers scope ${record.scope}`, { hint: 'add a link with externalKind: timesheet and that scope' });
    // A full run compares every record of the scope with its agreement: one that is in sync is left alone, one that is not is pushed.
    return reply.code(202).send(await enqueue(links, `api:${c.userId}:update-queue:${record.id}`, { full: true }));
  });

  app.put('/kimai-timesheets/:kimaiId', {
    schema: {
      tags, summary: 'Read one Kimai timesheet now (queues a full run of the Kimai timesheet links, which also sees it if it was deleted)',
      params: z.object({ kimaiId: z.string().regex(/^\d+$/, 'is not a Kimai timesheet id') }), response: { 202: queued, 400: errorSchema, 404: errorSchema },
    },
  }, async (req, reply) => {
    const c = caller(req);
    const links = await kimaiLinks(c, ['timesheet']);
    // Prefer the links that already track this Kimai id; a new one is found by any of them.
    const tracking: LinkView[] = [];
    for (const l of links) {
      if ((await svc.store.loadStatusIndex(linkIdOf(l.name))).some((r) => r.extId === req.params.kimaiId)) tracking.push(l);
    }
    return reply.code(202).send(await enqueue(tracking.length ? tracking : links, `api:${c.userId}:kimai-timesheet:${req.params.kimaiId}`, { full: true }));
  });

  app.post('/timesheets/lock', {
    schema: {
      tags, summary: 'Lock a month: submitted timesheets become exported, and their entries are exported in Kimai',
      body: z.object({ month: z.number().int().min(1).max(12), year: z.number().int().min(2000).max(2100) }),
      response: { 200: z.object({ reports: z.array(z.object({ scope: z.string(), report: z.unknown() })) }), 400: errorSchema, 404: errorSchema },
    },
  }, async (req) => {
    const c = requireAdmin(req);
    const byScope = new Map<string, LinkView[]>();
    for (const l of await kimaiLinks(c, ['timesheet'])) byScope.set(l.config.scope, [...(byScope.get(l.config.scope) ?? []), l]);
    const reports: { scope: string; report: LockReport }[] = [];
    for (const [scope, links] of byScope) {
      const sources = await Promise.all(links.map(async (l) => {
        const conn = await svc.catalog.connectionSettings(l.config.connection);
        return { linkId: linkIdOf(l.name), api: kimaiApiOf(conn.settings as KimaiConfig, undefined, conn.outbound ? { outbound: conn.outbound } : {}) };
      }));
      reports.push({ scope, report: await lockMonth({ store: svc.store, scope, year: req.body.year, month: req.body.month, sources, origin: `user:${c.userId}`, now: svc.clock() }) });
    }
    return { reports };
  });
};
