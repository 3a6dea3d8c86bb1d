/** Health, readiness, metrics, the caller, and API tokens (admins). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TimebridgeError } from '../../../core/errors.js';
import type { Service } from '../../../service/service.js';
import { createToken } from '../../../service/tokens.js';
import { caller, requireAdmin } from '../auth.js';
import { errorSchema, idParam } from '../schemas.js';

export const systemRoutes =
  (svc: Service, state: { stopping: boolean }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/healthz',
      { config: { public: true }, schema: { tags: ['system'], summary: 'The process is up', response: { 200: z.object({ ok: z.literal(true) }) } } },
      async () => ({ ok: true as const }),
    );

    app.get(
      '/readyz',
      {
        config: { public: true },
        schema: {
          tags: ['system'],
          summary: 'Store and queue answer; not ready while shutting down. Says whether this process leads (fires the schedules, keeps push channels)',
          response: {
            200: z.object({ ready: z.boolean(), queue: z.record(z.string(), z.number()), leader: z.boolean(), instance: z.string() }),
            503: errorSchema,
          },
        },
      },
      async (_req, reply) => {
        if (state.stopping)
          return reply
            .code(503)
            .send({ error: { code: 'SHUTTING_DOWN', message: 'the service is stopping', hint: 'send requests to another instance, or wait for the restart' } });
        await svc.store.headSeq();
        return { ready: true, queue: await svc.queue.counts(), leader: svc.isLeader(), instance: svc.instance };
      },
    );

    app.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus metrics (needs a token)', produces: ['text/plain'] } }, async (req, reply) => {
      caller(req);
      return reply.type(svc.metrics.registry.contentType).send(await svc.metrics.registry.metrics());
    });
  };

export const tokenRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    const tokenView = z.object({
      id: z.string(),
      userId: z.string(),
      role: z.enum(['admin', 'user']),
      label: z.string(),
      createdAt: z.string(),
      lastUsedAt: z.string().nullable(),
      revokedAt: z.string().nullable(),
    });
    app.get(
      '/me',
      {
        schema: { tags: ['tokens'], summary: 'Who the token belongs to', response: { 200: z.object({ userId: z.string(), role: z.enum(['admin', 'user']) }) } },
      },
      async (req) => {
        const c = caller(req);
        return { userId: c.userId, role: c.role };
      },
    );
    app.get(
      '/tokens',
      { schema: { tags: ['tokens'], summary: 'All tokens (admins)', response: { 200: z.object({ tokens: z.array(tokenView) }) } } },
      async (req) => {
        requireAdmin(req);
        return { tokens: (await svc.store.listTokens()).map(({ hash: _h, ...t }) => t) };
      },
    );
    app.post(
      '/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Create a token (admins); the token is in this answer only',
          body: z.object({ userId: z.string().min(1), role: z.enum(['admin', 'user']), label: z.string().optional() }).strict(),
          response: { 201: tokenView.extend({ token: z.string() }) },
        },
      },
      async (req, reply) => {
        requireAdmin(req);
        const {
          token,
          record: { hash: _h, ...rest },
        } = await createToken(svc.store, {
          userId: req.body.userId,
          role: req.body.role,
          ...(req.body.label ? { label: req.body.label } : {}),
          now: svc.clock(),
        });
        return reply.code(201).send({ ...rest, token });
      },
    );
    app.delete(
      '/tokens/:id',
      { schema: { tags: ['tokens'], summary: 'Revoke a token (admins)', params: idParam, response: { 204: z.null(), 404: errorSchema } } },
      async (req, reply) => {
        requireAdmin(req);
        if (!(await svc.store.revokeToken(req.params.id, svc.clock().toISOString())))
          throw new TimebridgeError('RESOURCE_NOT_FOUND', `no active token ${req.params.id}`, { hint: 'list tokens with GET /api/v1/tokens' });
        return reply.code(204).send(null);
      },
    );
  };
