/** /api/v1/runs, /conflicts, /parked, /losses and /jobs: what happened, what waits for a decision or a fix, what a server did not keep, what is queued. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../../app/catalog.js';
import { TimebridgeError } from '../../../core/errors.js';
import type { Fields } from '../../../core/model.js';
import { resolveConflict } from '../../../runtime/resolve.js';
import { linkIdOf, linkNameOf } from '../../../runtime/types.js';
import { undoRun } from '../../../runtime/undo.js';
import type { Job } from '../../../service/jobs/types.js';
import type { Service } from '../../../service/service.js';
import type { RunRecord } from '../../../store/types.js';
import { assertCanChange, canSee, caller, type Caller } from '../auth.js';
import { errorInfoForCaller } from '../remote-errors.js';
import { conflictView, errorSchema, idParam, jobView, lossView, parkedView, resolveBody, runView } from '../schemas.js';

export const activityRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    /** Owner of each link by id, for filtering what a user may see. */
    const owners = async () => new Map((await svc.catalog.listLinks()).map((l) => [linkIdOf(l.name), l.owner]));
    const seesLink = async (c: Caller, linkId: string) => {
      const o = await owners();
      return o.has(linkId) ? canSee(c, o.get(linkId)!) : c.role === 'admin';
    };
    // Users see connector errors without the remote answer's body (remote-errors.ts).
    const runOut = (c: Caller, r: RunRecord, withPlan: boolean) => {
      const { plan, ...rest } = r;
      return {
        ...rest,
        errors: rest.errors.map((e) => ({ ...e, error: errorInfoForCaller(c, e.error, svc.catalog.userRoot(c.userId)) as unknown as Record<string, unknown> })),
        ...(withPlan ? { plan } : {}),
      };
    };
    const jobOut = (c: Caller, j: Job) => ({
      ...j,
      data: j.data as unknown as Record<string, unknown>,
      lastError: (j.lastError && typeof j.lastError.code === 'string'
        ? errorInfoForCaller(c, j.lastError as { code: string; message: string }, svc.catalog.userRoot(c.userId))
        : j.lastError) as Record<string, unknown> | null,
    });

    app.get(
      '/runs',
      {
        schema: {
          tags: ['runs'],
          summary: 'Recent runs, newest first',
          querystring: z.object({ link: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).default(50) }),
          response: { 200: z.object({ runs: z.array(runView) }) },
        },
      },
      async (req) => {
        const c = caller(req),
          o = await owners();
        const runs = await svc.store.listRuns({ ...(req.query.link ? { linkId: linkIdOf(req.query.link) } : {}), limit: req.query.limit });
        return { runs: runs.filter((r) => (o.has(r.linkId) ? canSee(c, o.get(r.linkId)!) : c.role === 'admin')).map((r) => runOut(c, r, false)) };
      },
    );

    app.get(
      '/runs/:id',
      {
        schema: { tags: ['runs'], summary: 'One run with its plan and per-item errors', params: idParam, response: { 200: runView, 404: errorSchema } },
      },
      async (req) => {
        const c = caller(req);
        const r = await svc.store.getRun(req.params.id);
        if (!r || !(await seesLink(c, r.linkId)))
          throw new TimebridgeError('RUN_UNKNOWN', `no run with id ${req.params.id}`, { hint: 'list runs with GET /api/v1/runs' });
        return runOut(c, r, true);
      },
    );

    app.post(
      '/runs/:id/undo',
      {
        schema: {
          tags: ['runs'],
          summary: 'Restore what a run overwrote or deleted in the hub, then queue runs of the affected links',
          params: idParam,
          response: { 200: z.object({ restored: z.number(), keptCreates: z.number(), jobs: z.array(z.string()) }), 404: errorSchema },
        },
      },
      async (req) => {
        const c = caller(req);
        const r = await svc.store.getRun(req.params.id);
        if (!r || !(await seesLink(c, r.linkId)))
          throw new TimebridgeError('RUN_UNKNOWN', `no run with id ${req.params.id}`, { hint: 'list runs with GET /api/v1/runs' });
        const link = await svc.catalog.getLink(linkNameOf(r.linkId));
        assertCanChange(c, link?.owner ?? null, `link ${linkNameOf(r.linkId)}`);
        const spec = link ? await svc.catalog.linkSpec(link.name) : null;
        const out = await undoRun(svc.store, r.id, svc.clock(), (_kind, fields) => spec?.mapper.identity(fields as never) ?? null);
        const jobs: string[] = [];
        if (out.restored) {
          for (const l of await svc.catalog.listLinks()) {
            if (l.enabled && out.scopes.has(l.config.scope)) jobs.push((await svc.enqueueRun(l.name, { trigger: `undo:${r.id}` })).jobId);
          }
        }
        return { restored: out.restored, keptCreates: out.keptCreates, jobs };
      },
    );

    app.get(
      '/conflicts',
      {
        schema: {
          tags: ['conflicts'],
          summary: 'Open conflicts',
          querystring: z.object({ link: z.string().optional() }),
          response: { 200: z.object({ conflicts: z.array(conflictView) }) },
        },
      },
      async (req) => {
        const c = caller(req),
          o = await owners();
        const rows = (await svc.store.listConflicts(req.query.link ? linkIdOf(req.query.link) : undefined)).filter(
          (r) => o.has(r.linkId) && canSee(c, o.get(r.linkId)!),
        );
        const bases = new Map<string, Fields>();
        for (const linkId of new Set(rows.map((r) => r.linkId)))
          for (const s of await svc.store.getStatus(
            linkId,
            rows.filter((r) => r.linkId === linkId).map((r) => r.hubId),
          ))
            bases.set(`${linkId} ${s.hubId}`, s.base);
        return {
          conflicts: rows.map((r) => ({
            link: linkNameOf(r.linkId),
            hubId: r.hubId,
            extId: r.extId,
            fields: r.fields,
            hubFields: r.hubFields,
            extFields: r.extFields,
            base: bases.get(`${r.linkId} ${r.hubId}`) ?? null,
            detectedAt: r.detectedAt,
          })),
        };
      },
    );

    app.get(
      '/parked',
      {
        schema: {
          tags: ['conflicts'],
          summary: 'Items the remote refused for good and that wait for a fix (or a sync with retryParked)',
          querystring: z.object({ link: z.string().optional() }),
          response: { 200: z.object({ parked: z.array(parkedView) }) },
        },
      },
      async (req) => {
        const c = caller(req),
          o = await owners();
        const rows = await svc.store.listParked(req.query.link ? linkIdOf(req.query.link) : undefined);
        return {
          parked: rows
            .filter((r) => o.has(r.linkId) && canSee(c, o.get(r.linkId)!))
            .map((r) => {
              // Users see the refusal without the remote answer's body (remote-errors.ts).
              const shown = errorInfoForCaller(c, { code: r.code, message: r.message }, svc.catalog.userRoot(c.userId));
              return {
                link: linkNameOf(r.linkId),
                hubId: r.hubId,
                extId: r.extId,
                action: r.action,
                item: r.label,
                source: r.source,
                code: r.code,
                message: shown.message,
                status: r.status,
                answer: c.role === 'admin' ? r.answer : null,
                since: r.parkedAt,
                next: `${r.source ? `fix it in ${r.source}` : 'fix it in the hub'} and it is tried again on its next change, or sync the link with retryParked: true`,
              };
            }),
        };
      },
    );

    app.get(
      '/losses',
      {
        schema: {
          tags: ['conflicts'],
          summary: 'Items a server stored differently from what was written (WRITE_LOSS); the hub keeps what was sent',
          querystring: z.object({ link: z.string().optional() }),
          response: { 200: z.object({ losses: z.array(lossView) }) },
        },
      },
      async (req) => {
        const c = caller(req),
          o = await owners();
        const rows = await svc.store.listLosses(req.query.link ? linkIdOf(req.query.link) : undefined);
        return {
          losses: rows
            .filter((r) => o.has(r.linkId) && canSee(c, o.get(r.linkId)!))
            .map((r) => ({
              link: linkNameOf(r.linkId),
              hubId: r.hubId,
              extId: r.extId,
              item: r.label,
              detectedAt: r.detectedAt,
              runId: r.runId,
              fields: r.losses,
            })),
        };
      },
    );

    app.post(
      '/conflicts/:link/:hubId/resolve',
      {
        schema: {
          tags: ['conflicts'],
          summary: 'Resolve a conflict by choosing a side or giving merged fields; runs of the links of its scope are queued',
          params: z.object({ link: z.string(), hubId: z.string() }),
          body: resolveBody,
          response: { 200: z.object({ hubVersion: z.number(), jobId: z.string() }), 404: errorSchema, 409: errorSchema },
        },
      },
      async (req) => {
        const c = caller(req);
        const link = await svc.catalog.getLink(req.params.link);
        if (!link || !canSee(c, link.owner)) throw notFound('link', req.params.link);
        assertCanChange(c, link.owner, `link ${link.name}`);
        const spec = await svc.catalog.linkSpec(link.name);
        const how = req.body.choose === 'merged' ? { choose: 'merged' as const, fields: req.body.fields as Fields } : { choose: req.body.choose };
        const out = await resolveConflict(svc.store, spec, req.params.hubId, how, c.userId, svc.clock());
        // The resolution is a hub change: every link of the scope must carry it, not only this one.
        const queued = link.enabled ? await svc.hubChanged(link.config.scope, `resolve:${c.userId}`) : [];
        const jobId = queued.find((q) => q.link === link.name)?.jobId ?? (await svc.enqueueRun(link.name, { trigger: `resolve:${c.userId}` })).jobId;
        return { hubVersion: out.hubVersion, jobId };
      },
    );

    app.get(
      '/jobs',
      {
        schema: {
          tags: ['jobs'],
          summary: 'Queued, running, finished and dead-lettered jobs, newest first',
          querystring: z.object({
            state: z.enum(['queued', 'active', 'done', 'dead']).optional(),
            link: z.string().optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
          }),
          response: { 200: z.object({ jobs: z.array(jobView), counts: z.record(z.string(), z.number()) }) },
        },
      },
      async (req) => {
        const c = caller(req),
          o = await owners();
        const jobs = await svc.queue.list({
          ...(req.query.state ? { state: req.query.state } : {}),
          ...(req.query.link ? { linkId: linkIdOf(req.query.link) } : {}),
          limit: req.query.limit,
        });
        const visible = jobs.filter((j) => (o.has(j.data.linkId) ? canSee(c, o.get(j.data.linkId)!) : c.role === 'admin'));
        return { jobs: visible.map((j) => jobOut(c, j)), counts: await svc.queue.counts() };
      },
    );

    app.get('/jobs/:id', { schema: { tags: ['jobs'], summary: 'One job', params: idParam, response: { 200: jobView, 404: errorSchema } } }, async (req) => {
      const c = caller(req);
      const j = await svc.queue.get(req.params.id);
      if (!j || !(await seesLink(c, j.data.linkId)))
        throw new TimebridgeError('RESOURCE_NOT_FOUND', `no job ${req.params.id}`, { hint: 'list jobs with GET /api/v1/jobs' });
      return jobOut(c, j);
    });

    app.post(
      '/jobs/:id/retry',
      {
        schema: {
          tags: ['jobs'],
          summary: 'Queue a dead-lettered job again with fresh attempts',
          params: idParam,
          response: { 200: jobView, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req) => {
        const c = caller(req);
        const j = await svc.queue.get(req.params.id);
        if (!j || !(await seesLink(c, j.data.linkId)))
          throw new TimebridgeError('RESOURCE_NOT_FOUND', `no job ${req.params.id}`, { hint: 'list jobs with GET /api/v1/jobs?state=dead' });
        const link = await svc.catalog.getLink(linkNameOf(j.data.linkId));
        assertCanChange(c, link?.owner ?? null, `link ${linkNameOf(j.data.linkId)}`);
        if (!(await svc.queue.retry(j.id)))
          throw new TimebridgeError('RESOURCE_CONFLICT', `job ${j.id} is ${j.state}, not dead`, { hint: 'only dead-lettered jobs can be retried' });
        return jobOut(c, (await svc.queue.get(j.id))!);
      },
    );
  };
