/** /api/v1/templates: run a link template now — expand it from its connection, then queue each derived link (admins; templates are the config file's). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Service } from '../../../service/service.js';
import { requireAdmin } from '../auth.js';
import { errorSchema, nameParam } from '../schemas.js';

const tags = ['links'];

export const templateRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/templates/:name/run',
      {
        schema: {
          tags,
          summary:
            'Expand a link template (new collections get links, gone or inactive ones are disabled) and queue a run of each of its enabled links, or of one collection’s (?key=); 202',
          params: nameParam,
          querystring: z.object({ key: z.string().min(1).optional().describe("a collection's key or name (e.g. an employee's Kürzel)") }),
          response: { 202: z.object({ jobId: z.string(), folded: z.boolean() }), 403: errorSchema, 404: errorSchema },
        },
      },
      async (req, reply) => {
        const c = requireAdmin(req);
        const job = await svc.runTemplate(req.params.name, { trigger: `api:${c.userId}`, ...(req.query.key ? { key: req.query.key } : {}) });
        return reply.code(202).send(job);
      },
    );
  };
