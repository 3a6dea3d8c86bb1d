/**
 * The JSON the dashboard needs beyond the plain API (under /api/v1, in the OpenAPI document):
 * a per-link overview, a run's hub-side diff, the live progress stream (server-sent events),
 * and the scopes where the caller is a person (the records pages' scope picker).
 * Ownership is the API's: a user sees global links and their own, nothing else.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Fields } from '../../core/model.js';
import { linkIdOf, linkNameOf } from '../../runtime/types.js';
import type { RunEvent } from '../../service/run-events.js';
import type { Service } from '../../service/service.js';
import { canSee, caller, type Caller } from '../http/auth.js';
import { TimebridgeError } from '../../core/errors.js';
import { errorSchema, idParam } from '../http/schemas.js';
import { linkLight } from './overview.js';

const tags = ['dashboard'];

const overviewLink = z.object({
  name: z.string(),
  owner: z.string().nullable(),
  enabled: z.boolean(),
  lastRun: z.object({ id: z.string(), status: z.string(), startedAt: z.string(), errors: z.number() }).nullable(),
  inSync: z.number().describe('Items paired with the hub'),
  parked: z.number(),
  conflicts: z.number(),
  losses: z.number(),
  nextRun: z.string().nullable(),
  light: z.enum(['green', 'amber', 'red']),
  todo: z.string().nullable().describe('What to do when the light is not green'),
});

const diffItem = z.object({
  recordId: z.string(),
  extId: z.string().nullable().describe("The item's id on the link's external side"),
  version: z.number(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
});

export const dashboardApiRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    const seesRunLink = async (c: Caller, linkId: string) => {
      const l = await svc.catalog.getLink(linkNameOf(linkId));
      return l ? canSee(c, l.owner) : c.role === 'admin';
    };

    app.get(
      '/overview',
      {
        schema: {
          tags,
          summary: 'Every link the caller can see, with its last run, counts and what to do',
          response: { 200: z.object({ links: z.array(overviewLink) }) },
        },
      },
      async (req) => {
        const c = caller(req);
        const links = (await svc.catalog.listLinks()).filter((l) => canSee(c, l.owner));
        const next = svc.scheduler?.nextRuns() ?? {};
        const out = [];
        for (const l of links) {
          const id = linkIdOf(l.name);
          const [run] = await svc.store.listRuns({ linkId: id, limit: 1 });
          const counts = {
            inSync: (await svc.store.loadStatusIndex(id)).length,
            parked: (await svc.store.listParked(id)).length,
            conflicts: (await svc.store.listConflicts(id)).length,
            losses: (await svc.store.listLosses(id)).length,
          };
          const lastRun = run ? { id: run.id, status: run.status, startedAt: run.startedAt, errors: run.errors.length } : null;
          out.push({
            name: l.name,
            owner: l.owner,
            enabled: l.enabled,
            lastRun,
            ...counts,
            nextRun: next[l.name] ?? null,
            ...linkLight(l.name, l.enabled, lastRun, counts),
          });
        }
        return { links: out };
      },
    );

    app.get(
      '/runs/:id/diff',
      {
        schema: {
          tags,
          summary: 'What a run changed in the hub, field by field: each record before and after',
          params: idParam,
          response: { 200: z.object({ changes: z.array(diffItem) }), 404: errorSchema },
        },
      },
      async (req) => {
        const c = caller(req);
        const r = await svc.store.getRun(req.params.id);
        if (!r || !(await seesRunLink(c, r.linkId)))
          throw new TimebridgeError('RUN_UNKNOWN', `no run with id ${req.params.id}`, { hint: 'list runs with GET /api/v1/runs' });
        const changes = [];
        for (const ch of await svc.store.changesOfRun(r.id)) {
          // The record as this change left it: the next change's "before", or the record now.
          const later = (await svc.store.changesOfRecord(ch.recordId)).find((x) => x.version > ch.version);
          const [now] = later ? [] : await svc.store.getRecords([ch.recordId]);
          const after: Fields | null = later ? (later.before?.tombstone ? null : (later.before?.fields ?? null)) : now && !now.tombstone ? now.fields : null;
          const pairing = (await svc.store.pairingsOf(ch.recordId)).find((p) => p.linkId === r.linkId);
          changes.push({
            recordId: ch.recordId,
            extId: pairing?.extId ?? null,
            version: ch.version,
            before: ch.before && !ch.before.tombstone ? ch.before.fields : null,
            after,
          });
        }
        return { changes };
      },
    );

    app.get(
      '/events',
      {
        schema: {
          tags,
          summary: 'Live progress of the runs this process executes (text/event-stream): planned, applied, failed items',
          produces: ['text/event-stream'],
          querystring: z.object({
            timeoutMs: z.coerce.number().int().min(1).max(3_600_000).default(300_000).describe('The stream ends after this long (EventSource reconnects)'),
          }),
        },
      },
      async (req, reply) => {
        const c = caller(req);
        const visible = (link: string) => seesRunLink(c, linkIdOf(link));
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        // Browsers reconnect 1 s after the stream ends; it ends now and then so each reconnect checks the session again (a revoked token stops it).
        res.write(': live progress of runs\nretry: 1000\n\n');
        const send = (e: RunEvent) =>
          void visible(e.link).then((ok) => {
            if (ok && !res.writableEnded) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
          });
        const stop = svc.events.subscribe(send);
        // A comment now and then keeps proxies from closing an idle stream.
        const ping = setInterval(() => res.write(': ping\n\n'), 20_000);
        const end = setTimeout(() => res.end(), req.query.timeoutMs);
        const close = () => {
          clearInterval(ping);
          clearTimeout(end);
          stop();
        };
        req.raw.on('close', close);
        res.on('close', close);
      },
    );

    app.get(
      '/me/persons',
      {
        schema: {
          tags,
          summary: 'The person records that are the caller (username or e-mail), one per scope: where the records pages can show their time',
          response: { 200: z.object({ persons: z.array(z.object({ scope: z.string(), id: z.string(), name: z.string().nullable() })) }) },
        },
      },
      async (req) => {
        const c = caller(req);
        const persons = [];
        for (const s of await svc.catalog.scopes.list()) {
          for (const p of await svc.access.personsOf(c.userId, s.scope))
            persons.push({ scope: s.scope, id: p.id, name: typeof p.fields.name === 'string' ? p.fields.name : null });
        }
        return { persons };
      },
    );
  };
