/**
 * The extra routes connectors offer (`routes` of a registry entry, connectors/kit/routes.ts),
 * mounted under each entry's prefix with the API's auth, validation, OpenAPI document and
 * error shape. Their context gives them what they may use: the entry's links the caller may
 * run, the job queue, hub records the caller can see, and the hub's month lock.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ConnectorRoutes, RouteConnection, RouteContext, RouteLink } from '../../../connectors/kit/routes.js';
import { CONNECTORS } from '../../../connectors/registry.js';
import { lockScopeMonth } from '../../../app/month-lock-scope.js';
import { linkIdOf } from '../../../runtime/types.js';
import type { Service } from '../../../service/service.js';
import { canSee, caller, requireAdmin, type Caller } from '../auth.js';
import { errorSchema } from '../schemas.js';

/** Every entry that declares routes, by connector type. */
export const connectorRoutes = (): [string, ConnectorRoutes][] =>
  Object.entries(CONNECTORS).flatMap(([type, e]) => (e.routes ? [[type, e.routes] as [string, ConnectorRoutes]] : []));

const POLL_MS = 100;

function context(svc: Service, type: string, req: FastifyRequest, network: boolean): RouteContext {
  // A network route has no token: it runs links of the connections it decided to trust, as the system.
  const c: Caller = network ? { userId: `network:${req.ip}`, role: 'user', tokenId: '' } : caller(req);
  const onlyNetwork = () => {
    if (!network) throw new Error('only routes with auth: network read connections by themselves');
  };
  const enabledLinks = async (ofType: string, keep: (l: RouteLink) => boolean, anyOwner = false) => {
    const out: RouteLink[] = [];
    for (const l of await svc.catalog.listLinks()) {
      if (!l.enabled || !(anyOwner || canSee(c, l.owner))) continue;
      const conn = await svc.catalog.getConnection(l.config.connection);
      const r = { name: l.name, scope: l.config.scope, externalKind: l.config.externalKind ?? 'timesheet', connection: l.config.connection };
      if (conn?.type === ofType && keep(r)) out.push(r);
    }
    return out;
  };
  return {
    caller: { userId: c.userId, admin: c.role === 'admin' },
    requireAdmin: () => void requireAdmin(req),
    links: (kinds) => enabledLinks(type, (l) => kinds.includes(l.externalKind)),
    otherLinks: (ofType) => enabledLinks(ofType, () => true),
    async connections() {
      onlyNetwork();
      const out: RouteConnection[] = [];
      for (const v of await svc.catalog.listConnections()) {
        if (v.type !== type) continue;
        const conn = await svc.catalog.connectionSettings(v.name);
        out.push({ name: v.name, owner: conn.owner, settings: conn.settings, secret: conn.common.webhook?.secret ?? null });
      }
      return out;
    },
    linksOf: (connection) => {
      onlyNetwork();
      return enabledLinks(type, (l) => l.connection === connection, true);
    },
    notifyChange: (link, o) => svc.notifyWebhook(link, svc.clock(), o),
    log: { info: (f, m) => req.log.info(f, m), warn: (f, m) => req.log.warn(f, m) },
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
    const add = (into: typeof app, r: ConnectorRoutes['routes'][number]) => {
      const network = r.auth === 'network';
      const response = Object.fromEntries(Object.entries(r.responses).map(([status, s]) => [status, s === 'error' ? errorSchema : (s as z.ZodType)]));
      into.route({
        method: r.method,
        url: r.path,
        ...(network ? { config: { public: true } } : {}),
        schema: { tags: [decl.tag], summary: r.summary, ...(r.params ? { params: r.params } : {}), ...(r.body ? { body: r.body } : {}), response },
        handler: async (req, reply) => {
          const answer = await r.handle(
            { params: req.params, body: req.body, query: (req.query ?? {}) as Record<string, unknown>, headers: req.headers, ip: req.ip },
            context(svc, type, req, network),
          );
          return reply.code(answer.status).send(answer.body);
        },
      });
    };
    for (const r of decl.routes) if (r.auth !== 'network') add(app, r);
    const network = decl.routes.filter((r) => r.auth === 'network');
    if (network.length) {
      // Their bodies arrive as text: the route parses them, so a malformed one is refused (and logged) by the route, without its content.
      await app.register(async (child) => {
        child.removeAllContentTypeParsers();
        child.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body));
        for (const r of network) add(child, r);
      });
    }
  };
