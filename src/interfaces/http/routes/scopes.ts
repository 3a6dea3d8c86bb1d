/** /api/v1/scopes: who owns each hub scope, and the grants admins give users on them. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TimebridgeError } from '../../../core/errors.js';
import type { Service } from '../../../service/service.js';
import { caller, requireAdmin } from '../auth.js';
import { errorSchema } from '../schemas.js';

const tags = ['scopes'];
const scopeName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'use letters, digits, - and _ only');
const access = z.enum(['read', 'read-write']);
const scopeView = z.object({ scope: z.string(), owner: z.string().nullable().describe('null: global (admins)'), grants: z.record(z.string(), access) });

export const scopeRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/scopes',
      {
        schema: { tags, summary: 'Scopes the caller owns or was granted (admins: all)', response: { 200: z.object({ scopes: z.array(scopeView) }) } },
      },
      async (req) => {
        const c = caller(req);
        const all = await svc.catalog.scopes.list();
        if (c.role === 'admin') return { scopes: all };
        return {
          scopes: all
            .filter((s) => s.owner === c.userId || s.grants[c.userId])
            .map((s) => ({ ...s, grants: s.owner === c.userId ? s.grants : { [c.userId]: s.grants[c.userId]! } })),
        };
      },
    );

    app.post(
      '/scopes/:scope/grants',
      {
        schema: {
          tags,
          summary: 'Grant a user read or read-write access to a scope (admins); their links may then join it',
          params: z.object({ scope: scopeName }),
          body: z.object({ user: z.string().min(1).max(200), access }).strict(),
          response: { 200: scopeView, 400: errorSchema, 403: errorSchema },
        },
      },
      async (req) => {
        requireAdmin(req);
        return svc.catalog.scopes.grant(req.params.scope, req.body.user, req.body.access);
      },
    );

    app.delete(
      '/scopes/:scope/grants/:user',
      {
        schema: {
          tags,
          summary: "Withdraw a grant (admins); the user's links in the scope stop running",
          params: z.object({ scope: scopeName, user: z.string().min(1) }),
          response: { 204: z.null(), 404: errorSchema },
        },
      },
      async (req, reply) => {
        requireAdmin(req);
        const v = await svc.catalog.scopes.view(req.params.scope);
        if (!v.grants[req.params.user])
          throw new TimebridgeError('RESOURCE_NOT_FOUND', `user ${req.params.user} has no grant on scope ${req.params.scope}`, {
            hint: 'list grants with GET /api/v1/scopes',
          });
        await svc.catalog.scopes.grant(req.params.scope, req.params.user, null);
        return reply.code(204).send(null);
      },
    );
  };
