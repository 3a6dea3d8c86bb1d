/** /api/v1/connections: list, create, read, change, delete, and a `test` of the credentials. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound, type ConnectionView } from '../../../app/catalog.js';
import { TimebridgeError, describeError, isTimebridgeError } from '../../../core/errors.js';
import type { Service } from '../../../service/service.js';
import { assertCanChange, canSee, caller, type Caller } from '../auth.js';
import { errorForCaller } from '../remote-errors.js';
import { connectionCreate, connectionPatch, connectionView, errorSchema, nameParam } from '../schemas.js';

const tags = ['connections'];

export const connectionRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    const visible = async (name: string, req: Parameters<typeof caller>[0]): Promise<ConnectionView> => {
      const c = await svc.catalog.getConnection(name);
      if (!c || !canSee(caller(req), c.owner)) throw notFound('connection', name);
      return c;
    };

    app.get(
      '/connections',
      {
        schema: { tags, summary: 'Connections the caller can see', response: { 200: z.object({ connections: z.array(connectionView) }) } },
      },
      async (req) => {
        const c = caller(req);
        return { connections: (await svc.catalog.listConnections()).filter((x) => canSee(c, x.owner)) };
      },
    );

    app.post(
      '/connections',
      {
        schema: {
          tags,
          summary: 'Create a connection (secrets are sealed, write-only)',
          body: connectionCreate,
          response: { 201: connectionView, 400: errorSchema, 409: errorSchema },
        },
      },
      async (req, reply) => {
        const c = caller(req);
        if (req.body.global && c.role !== 'admin')
          throw new TimebridgeError('AUTH_FORBIDDEN', 'only admins create global connections', { hint: 'leave out global to make one you own' });
        if (await svc.catalog.getConnection(req.body.name)) {
          throw new TimebridgeError('RESOURCE_CONFLICT', `a connection named "${req.body.name}" exists`, {
            hint: 'pick another name, or PATCH the existing one',
          });
        }
        const view = await svc.catalog.putConnection(
          { name: req.body.name, type: req.body.type, owner: req.body.global ? null : c.userId, settings: req.body.settings as never },
          null,
        );
        return reply.code(201).send(view);
      },
    );

    app.get(
      '/connections/:name',
      {
        schema: { tags, summary: 'One connection', params: nameParam, response: { 200: connectionView, 404: errorSchema } },
      },
      async (req) => visible(req.params.name, req),
    );

    app.patch(
      '/connections/:name',
      {
        schema: {
          tags,
          summary: "Replace a connection's settings (secrets left out are kept)",
          params: nameParam,
          body: connectionPatch,
          response: { 200: connectionView, 404: errorSchema },
        },
      },
      async (req) => {
        const existing = await visible(req.params.name, req);
        assertEditable(caller(req), existing, `connection ${existing.name}`);
        return svc.catalog.putConnection({ name: existing.name, type: existing.type, owner: existing.owner, settings: req.body.settings as never }, existing);
      },
    );

    app.delete(
      '/connections/:name',
      {
        schema: { tags, summary: 'Delete a connection no link uses', params: nameParam, response: { 204: z.null(), 404: errorSchema, 409: errorSchema } },
      },
      async (req, reply) => {
        const existing = await visible(req.params.name, req);
        assertEditable(caller(req), existing, `connection ${existing.name}`);
        await svc.catalog.deleteConnection(existing.name);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/connections/:name/test',
      {
        schema: {
          tags,
          summary: 'Check the credentials: list the remote side once (creates nothing; users see the remote status, not its answer)',
          params: nameParam,
          response: {
            200: z.object({
              ok: z.boolean(),
              items: z.number().optional(),
              error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
            }),
          },
        },
      },
      async (req) => {
        const c = caller(req);
        const existing = await visible(req.params.name, req);
        assertCanChange(c, existing.owner, `connection ${existing.name}`);
        // A probe: the connector is built read-only (no folder or calendar is made).
        let connector: Awaited<ReturnType<typeof svc.catalog.freshConnector>> | null = null;
        try {
          connector = await svc.catalog.freshConnector(existing.name);
          const listing = await connector.list({ cursor: null, window: null });
          return { ok: true, items: listing.refs.length };
        } catch (err) {
          if (isTimebridgeError(err) && err.code === 'AUTH_FORBIDDEN') throw err;
          return { ok: false, error: errorForCaller(c, err, describeError(err), existing.owner ? svc.catalog.userRoot(existing.owner) : null) };
        } finally {
          await connector?.close?.();
        }
      },
    );
  };

/** The caller may change the resource (owner or admin), and it was made through the API, not the config file. */
export function assertEditable(c: Caller, res: { owner: string | null; source: 'file' | 'api' }, what: string): void {
  assertCanChange(c, res.owner, what);
  if (res.source === 'file') {
    throw new TimebridgeError('RESOURCE_READ_ONLY', `${what} comes from the config file`, { hint: 'change it in timebridge.yaml and restart the service' });
  }
}
