/**
 * The extra routes connectors offer (`routes` of a registry entry, connectors/kit/routes.ts),
 * mounted under each entry's prefix with the API's auth, validation, OpenAPI document and
 * error shape. Their context gives them what they may use: the entry's links the caller may
 * run, the job queue, hub records the caller can see, and the hub's month lock.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ConnectorRoutes, RouteContext, RouteLink } from '../../../connectors/kit/routes.js';
import { CONNECTORS } from '../../../connectors/registry.js';
import { lockScopeMonth } from '../../../app/month-lock-scope.js';
import { linkIdOf } from '../../../runtime/types.js';
import type { Service } from '../../../service/service.js';
import { canSee, caller, requireAdmin } from '../auth.js';
import { errorSchema } from '../schemas.js';

/** Every entry that declares routes, by connector type. */
export const connectorRoutes = (): [string, ConnectorRoutes][] =>
  Object.entries(CONNECTORS).flatMap(([type, e]) => (e.routes ? [[type, e.routes] as [string, ConnectorRoutes]] : []));

const POLL_MS = 100;

function context(svc: Service, type: string, req: FastifyRequest): RouteContext {
  const c = caller(req);
  return {
    caller: { userId: c.userId, admin: c.role === 'admin' },
    requireAdmin: () => void requireAdmin(req),
    async links(kinds) {
      const out: RouteLink[] = [];
      for (const l of await svc.catalog.listLinks()) {
        if (!l.enabled || !canSee(c, l.owner)) continue;
        const conn = await svc.catalog.getConnection(l.config.connection);
        const kind = l.config.externalKind ?? 'timesheet';
        if (conn?.type === type && kinds.includes(kind)) out.push({ name: l.name, scope: l.config.scope, externalKind: kind });
      }
      return out;
    },
    enqueueRun: (link, opts) => svc.enqueueRun(link, opts),
    async waitForJobs(ids, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const states = await Promise.all(ids.map(async (jobId) => ({ jobId, state: (await svc.queue.get(jobId))?.state ?? 'gone' })));
        if (states.every((s) => ['done', 'dead', 'gone'].includes(s.state)) || Date.now() >= until) return states;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
    async hubRecord(id) {
      const [found] = await svc.store.getRecords([id]);
      // A record in a scope the caller has no access to is as missing as one that is not there.
      if (!found || !(c.role === 'admin' || ['own', 'read', 'read-write'].includes(await svc.catalog.scopes.access(c.userId, found.scope)))) return null;
      return { id: found.id, kind: found.kind, scope: found.scope };
    },
    tracked: async (link) => (await svc.store.loadStatusIndex(linkIdOf(link))).map((r) => ({ hubId: r.hubId, extId: r.extId })),
    lockMonth: (o) => {
      requireAdmin(req);
      return lockScopeMonth(svc, { scope: o.scope, month: `${o.year}-${String(o.month).padStart(2, '0')}`, origin: `user:${c.userId}`, now: svc.clock() });
    },
  };
}

/** One connector type's routes, to be registered under its prefix. */
export const connectorRoutePlugin =
  (svc: Service, type: string, decl: ConnectorRoutes): FastifyPluginAsyncZod =>
  async (app) => {
    for (const r of decl.routes) {
      const response = Object.fromEntries(Object.entries(r.responses).map(([status, s]) => [status, s === 'error' ? errorSchema : (s as z.ZodType)]));
      app.route({
        method: r.method,
        url: r.path,
        schema: { tags: [decl.tag], summary: r.summary, ...(r.params ? { params: r.params } : {}), ...(r.body ? { body: r.body } : {}), response },
        handler: async (req, reply) => {
          const answer = await r.handle({ params: req.params, body: req.body }, context(svc, type, req));
          return reply.code(answer.status).send(answer.body);
        },
      });
    }
  };
