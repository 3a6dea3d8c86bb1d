/** /api/v1/links: CRUD, enable/disable, plan (read-only, synchronous) and sync (queued). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound, type LinkView } from '../../../app/catalog.js';
import type { LinkConfig } from '../../../app/config-schema.js';
import { TimebridgeError } from '../../../core/errors.js';
import { assertSamePlan, planLink } from '../../../runtime/run-link.js';
import type { Plan } from '../../../core/plan-types.js';
import type { Service } from '../../../service/service.js';
import { assertCanChange, canSee, caller } from '../auth.js';
import { errorSchema, jobView, linkCreate, linkPatch, linkView, nameParam, runOptions } from '../schemas.js';
import { assertEditable } from './connections.js';
import { assertRunOptions } from '../../../app/link-rules.js';
import { linkIdOf } from '../../../runtime/types.js';
import { auditLink } from '../../../runtime/audit.js';

const finding = z.object({ side: z.enum(['hub', 'external']), ids: z.array(z.string()), label: z.string(), detail: z.string() });
const auditView = z.object({
  link: z.string(),
  connection: z.string(),
  listed: z.number(),
  complete: z.boolean(),
  hubRecords: z.number(),
  paired: z.number(),
  duplicates: z.array(finding),
  orphans: z.array(finding),
  differs: z.array(finding),
  notes: z.array(z.string()),
});

const tags = ['links'];

export const linkRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    const view = (l: LinkView) => ({ ...l, config: l.config as unknown as Record<string, unknown>, nextRun: svc.scheduler?.nextRuns()[l.name] ?? null });
    const visible = async (name: string, req: Parameters<typeof caller>[0]): Promise<LinkView> => {
      const l = await svc.catalog.getLink(name);
      if (!l || !canSee(caller(req), l.owner)) throw notFound('link', name);
      return l;
    };
    const checkConfig = async (config: LinkConfig, req: Parameters<typeof caller>[0]) => {
      const c = await svc.catalog.getConnection(config.connection);
      if (!c || !canSee(caller(req), c.owner)) {
        throw new TimebridgeError('REQUEST_INVALID', `no connection named "${config.connection}" that you can use`, {
          hint: 'create it first with POST /api/v1/connections, or use a global one',
        });
      }
      await svc.catalog.checkLink(config);
    };
    const changed = async () => {
      await svc.refreshSchedules();
    };
    /** allowDeletes and full on anything global (link, connection or a granted scope) are the admins'. */
    const assertOptions = async (o: { full?: boolean | undefined; allowDeletes?: boolean | undefined }, l: LinkView, req: Parameters<typeof caller>[0]) => {
      const c = caller(req);
      if (c.role === 'admin' || !(o.full || o.allowDeletes)) return;
      assertRunOptions(o, (await svc.catalog.reachesGlobal(l)) ? null : l.owner, false, l.name);
    };

    app.get(
      '/links',
      {
        schema: { tags, summary: 'Links the caller can see', response: { 200: z.object({ links: z.array(linkView) }) } },
      },
      async (req) => {
        const c = caller(req);
        return { links: (await svc.catalog.listLinks()).filter((l) => canSee(c, l.owner)).map(view) };
      },
    );

    app.post(
      '/links',
      {
        schema: { tags, summary: 'Create a link', body: linkCreate, response: { 201: linkView, 400: errorSchema, 409: errorSchema } },
      },
      async (req, reply) => {
        const c = caller(req);
        if (req.body.global && c.role !== 'admin')
          throw new TimebridgeError('AUTH_FORBIDDEN', 'only admins create global links', { hint: 'leave out global to make one you own' });
        if (await svc.catalog.getLink(req.body.name))
          throw new TimebridgeError('RESOURCE_CONFLICT', `a link named "${req.body.name}" exists`, { hint: 'pick another name, or PATCH it' });
        await checkConfig(req.body.config, req);
        const l = await svc.catalog.putLink(req.body.name, req.body.config, req.body.global ? null : c.userId, req.body.enabled ?? true);
        await changed();
        return reply.code(201).send(view(l));
      },
    );

    app.get('/links/:name', { schema: { tags, summary: 'One link', params: nameParam, response: { 200: linkView, 404: errorSchema } } }, async (req) =>
      view(await visible(req.params.name, req)),
    );

    app.patch(
      '/links/:name',
      {
        schema: { tags, summary: "Replace a link's settings", params: nameParam, body: linkPatch, response: { 200: linkView, 404: errorSchema } },
      },
      async (req) => {
        const l = await visible(req.params.name, req);
        assertEditable(caller(req), l, `link ${l.name}`);
        if (l.derived)
          throw new TimebridgeError('RESOURCE_CONFLICT', `link ${l.name} is made by link template ${l.derived.template}`, {
            hint: `change linkTemplates.${l.derived.template} in timebridge.yaml; the next expansion updates the link`,
          });
        await checkConfig(req.body.config, req);
        const out = await svc.catalog.putLink(l.name, req.body.config, l.owner, l.enabled);
        await changed();
        return view(out);
      },
    );

    app.delete(
      '/links/:name',
      {
        schema: { tags, summary: 'Delete a link (its hub records stay)', params: nameParam, response: { 204: z.null(), 404: errorSchema } },
      },
      async (req, reply) => {
        const l = await visible(req.params.name, req);
        assertEditable(caller(req), l, `link ${l.name}`);
        await svc.catalog.deleteLink(l.name);
        await changed();
        return reply.code(204).send(null);
      },
    );

    for (const [action, enabled] of [
      ['enable', true],
      ['disable', false],
    ] as const) {
      app.post(
        `/links/:name/${action}`,
        {
          schema: {
            tags,
            summary: `${action === 'enable' ? 'Enable' : 'Disable'} a link (a disabled link takes no runs)`,
            params: nameParam,
            response: { 200: linkView, 404: errorSchema },
          },
        },
        async (req) => {
          const l = await visible(req.params.name, req);
          assertCanChange(caller(req), l.owner, `link ${l.name}`);
          await svc.catalog.setLinkEnabled(l.name, enabled);
          await changed();
          return view((await svc.catalog.getLink(l.name))!);
        },
      );
    }

    app.post(
      '/links/:name/plan',
      {
        schema: {
          tags,
          summary: 'What a sync would do now (nothing is written)',
          params: nameParam,
          body: runOptions.nullish(),
          response: { 200: z.object({ link: z.string(), plan: z.unknown() }), 404: errorSchema },
        },
      },
      async (req) => {
        const l = await visible(req.params.name, req);
        await assertOptions(req.body ?? {}, l, req);
        const spec = await svc.catalog.linkSpec(l.name);
        const { plan } = await planLink(
          spec,
          { store: svc.store, clock: svc.clock },
          { trigger: 'api-plan', dryRun: true, full: req.body?.full ?? false, allowDeletes: req.body?.allowDeletes ?? false },
        );
        const { actions, ...rest } = plan;
        return { link: l.name, plan: { ...rest, actions: actions.map(({ merged: _m, ...a }) => a) } };
      },
    );

    app.post(
      '/links/:name/apply',
      {
        schema: {
          tags,
          summary:
            'Apply exactly a plan made by POST /links/{name}/plan; refused (409 PLAN_DRIFTED) if either side changed since. Answers when the run is done',
          params: nameParam,
          body: z.object({
            plan: z.object({ linkId: z.string(), actions: z.array(z.record(z.string(), z.unknown())) }).passthrough(),
            allowDeletes: z.boolean().optional(),
          }),
          response: { 200: jobView, 202: z.object({ jobId: z.string(), folded: z.boolean() }), 404: errorSchema, 409: errorSchema },
        },
      },
      async (req, reply) => {
        // Who may sync a link may apply a plan of it: the plan must equal what a sync would do now.
        const l = await visible(req.params.name, req);
        const allowDeletes = req.body.allowDeletes ?? false;
        await assertOptions({ allowDeletes }, l, req);
        if (!l.enabled)
          throw new TimebridgeError('RESOURCE_CONFLICT', `link ${l.name} is disabled`, { hint: `enable it with POST /api/v1/links/${l.name}/enable` });
        const plan = req.body.plan as unknown as Plan;
        if (plan.linkId !== linkIdOf(l.name))
          throw new TimebridgeError('PLAN_INVALID', `this plan is for ${plan.linkId}, not link ${l.name}`, {
            hint: `make a plan with POST /api/v1/links/${l.name}/plan`,
          });
        // Checked here so a drifted plan is refused at once; the run checks again against its own fresh plan before writing.
        const spec = await svc.catalog.linkSpec(l.name);
        assertSamePlan(plan, (await planLink(spec, { store: svc.store, clock: svc.clock }, { trigger: 'apply-check', dryRun: true, allowDeletes })).plan);
        const job = await svc.enqueueRun(l.name, { trigger: `apply:${caller(req).userId}`, allowDeletes, expect: plan });
        const done = await waitForJob(svc, job.jobId, 120_000);
        if (done?.state === 'dead' && done.lastError && typeof done.lastError.code === 'string') {
          const e = done.lastError as { code: string; message: string; hint?: string };
          throw new TimebridgeError(e.code === 'PLAN_DRIFTED' ? 'PLAN_DRIFTED' : 'RESOURCE_CONFLICT', e.message, {
            hint: e.hint ?? 'make a fresh plan and apply that',
          });
        }
        return reply.code(done ? 200 : 202).send(done ?? job);
      },
    );

    app.get(
      '/links/:name/audit',
      {
        schema: {
          tags,
          summary: 'Duplicates, orphans and differing items of the link’s two sides (reads only: the remote is listed and read, nothing is written)',
          params: nameParam,
          response: { 200: auditView, 404: errorSchema },
        },
      },
      async (req) => {
        const l = await visible(req.params.name, req);
        // A probe's connector: it reads and never creates (no calendar made for a link that has none yet).
        const spec = await svc.catalog.linkSpec(l, { probe: true });
        try {
          return await auditLink(spec, svc.store, svc.clock());
        } finally {
          await spec.connector.close?.();
        }
      },
    );

    app.post(
      '/links/:name/sync',
      {
        schema: {
          tags,
          summary: 'Queue a run of the link (202); with ?wait=true, answer when it is done',
          params: nameParam,
          querystring: z.object({ wait: z.enum(['true', 'false']).optional(), timeoutMs: z.coerce.number().int().min(1).max(600_000).optional() }),
          body: runOptions.nullish(),
          response: { 202: z.object({ jobId: z.string(), folded: z.boolean() }), 200: jobView, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req, reply) => {
        const l = await visible(req.params.name, req);
        await assertOptions(req.body ?? {}, l, req);
        if (!l.enabled)
          throw new TimebridgeError('RESOURCE_CONFLICT', `link ${l.name} is disabled`, { hint: `enable it with POST /api/v1/links/${l.name}/enable` });
        const job = await svc.enqueueRun(l.name, {
          trigger: `api:${caller(req).userId}`,
          full: req.body?.full ?? false,
          allowDeletes: req.body?.allowDeletes ?? false,
          retryParked: req.body?.retryParked ?? false,
        });
        if (req.query.wait !== 'true') return reply.code(202).send(job);
        const done = await waitForJob(svc, job.jobId, req.query.timeoutMs ?? 120_000);
        return reply.code(done ? 200 : 202).send(done ?? job);
      },
    );
  };

async function waitForJob(svc: Service, id: string, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  for (let delay = 20; Date.now() < until; delay = Math.min(delay * 2, 500)) {
    const job = await svc.queue.get(id);
    if (job && (job.state === 'done' || job.state === 'dead'))
      return { ...job, data: job.data as unknown as Record<string, unknown>, lastError: job.lastError as Record<string, unknown> | null };
    await new Promise((r) => setTimeout(r, delay));
  }
  return null;
}
