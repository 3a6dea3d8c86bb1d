/**
 * /api/v1/records: the hub as a system of record. People list, read, create, change (JSON
 * merge patch with If-Match), delete and split hub records, and read who changed them
 * through which system. The operations are app/record-desk.ts's; after each write the
 * scope's links are queued, so the change reaches them.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseKind, RecordDesk, type RecordView } from '../../../app/record-desk.js';
import { TimebridgeError } from '../../../core/errors.js';
import type { Fields, HubRecord, Json } from '../../../core/model.js';
import type { Service } from '../../../service/service.js';
import { caller } from '../auth.js';
import { errorSchema } from '../schemas.js';

const tags = ['records'];
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'is not YYYY-MM-DD');
const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'is not a UTC instant YYYY-MM-DDTHH:MM:SSZ');

const kindParam = z.object({ kind: z.string().describe('Record kind: timeEntry, task, person (written here); any kind can be read') });
const recordParams = kindParam.extend({ id: z.string().min(1) });
const ifMatch = z.object({ 'if-match': z.string().optional().describe('"<version>" from the ETag: required to change a record') });

const recordView = z
  .object({
    id: z.string(),
    kind: z.string(),
    scope: z.string(),
    version: z.number(),
    updatedAt: z.string(),
    origin: z.string().describe('Who wrote it last: link:<name>, api:<user>, cli:<user>'),
    deleted: z.boolean(),
    fields: z.record(z.string(), z.unknown()),
    owner: z.string().nullable().describe('Hub id of the person it belongs to'),
  })
  .describe('HubRecord');

const historyView = z.object({
  seq: z.number(),
  version: z.number(),
  at: z.string(),
  origin: z.string(),
  via: z.string().describe('link, api, cli or user'),
  by: z.string().describe('The link or the user'),
  system: z.string().nullable().describe('For a link: its connection type (kimai, google-calendar…); else the same as via'),
  runId: z.string().nullable(),
  action: z.enum(['create', 'update', 'delete', 'restore']),
  changes: z.array(z.object({ field: z.string(), before: z.unknown().optional(), after: z.unknown().optional() })),
});

const listQuery = z.object({
  scope: z.string().optional().describe('Default: every scope you may read'),
  personId: z.string().optional(),
  projectId: z.string().optional(),
  taskId: z.string().optional(),
  assigneeId: z.string().optional().describe('Tasks assigned to this person'),
  state: z.string().optional().describe('Tasks in this state (todo, in-progress, done); reservations (pending, approved, rejected, cancelled)'),
  office: z.string().optional().describe("A reservation's office"),
  from: day.optional().describe("On a time entry's date, inclusive; a reservation with any day in the range"),
  to: day.optional(),
  includeDeleted: z.enum(['true', 'false']).optional(),
  after: z.string().optional().describe('The `next` cursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const fieldsBody = z.record(z.string(), z.unknown());
const errors = { 400: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 428: errorSchema };

/** The version an If-Match names (`"3"`, `W/"3"` or `3`); IF_MATCH_REQUIRED when absent. */
export function versionOf(header: string | undefined): number {
  if (header === undefined || header.trim() === '')
    throw new TimebridgeError('IF_MATCH_REQUIRED', 'changing a record needs If-Match: the version you read', {
      hint: 'read the record first and send its ETag back as If-Match: "<version>"',
    });
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  if (!m) throw new TimebridgeError('REQUEST_INVALID', `If-Match ${header} names no version`, { hint: 'send the ETag as you got it, e.g. If-Match: "3"' });
  return Number(m[1]);
}

export const recordRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    const desk = new RecordDesk({
      store: svc.store,
      records: svc.records,
      access: svc.access,
      scopes: async () => (await svc.catalog.scopes.list()).map((s) => s.scope),
      async systemOf(link) {
        const l = await svc.catalog.getLink(link);
        return l ? ((await svc.catalog.getConnection(l.config.connection))?.type ?? null) : null;
      },
    });
    const who = (req: FastifyRequest) => {
      const c = caller(req);
      return { caller: { userId: c.userId, role: c.role }, actor: { origin: `api:${c.userId}` } };
    };
    const answer = (reply: FastifyReply, r: HubRecord, status = 200): RecordView => {
      reply.code(status).header('etag', `"${r.version}"`);
      return desk.view(r);
    };
    const changed = async (req: FastifyRequest, ...records: HubRecord[]) => {
      for (const scope of new Set(records.map((r) => r.scope))) await svc.hubChanged(scope, `api:${caller(req).userId}:records`);
    };

    app.get(
      '/records/:kind',
      {
        schema: {
          tags,
          summary: 'Records of a kind you may read, ordered by id, a page at a time',
          params: kindParam,
          querystring: listQuery,
          response: {
            200: z.object({ items: z.array(recordView), next: z.string().nullable().describe('Cursor of the next page (send as after)') }),
            400: errorSchema,
          },
        },
      },
      async (req) => {
        const { includeDeleted, ...q } = req.query;
        const page = await desk.list(who(req).caller, { ...q, kind: parseKind(req.params.kind), includeDeleted: includeDeleted === 'true' });
        return { items: page.items.map((r) => desk.view(r)), next: page.next };
      },
    );

    app.get(
      '/records/:kind/:id',
      {
        schema: {
          tags,
          summary: 'One record; its version is the ETag',
          params: recordParams,
          response: { 200: recordView, 400: errorSchema, 404: errorSchema },
        },
      },
      async (req, reply) => answer(reply, await desk.get(who(req).caller, parseKind(req.params.kind), req.params.id)),
    );

    app.get(
      '/records/:kind/:id/history',
      {
        schema: {
          tags,
          summary: 'Who changed the record, through which system, when, and each field before and after',
          params: recordParams,
          response: { 200: z.object({ history: z.array(historyView) }), 404: errorSchema },
        },
      },
      async (req) => ({ history: await desk.history(who(req).caller, parseKind(req.params.kind), req.params.id) }),
    );

    app.post(
      '/records/:kind',
      {
        schema: {
          tags,
          summary: 'Create a time entry, task or person in a scope (yours, unless you own the scope or are an admin)',
          params: kindParam,
          querystring: z.object({ scope: z.string().min(1).describe('The hub scope to create it in') }),
          body: z.object({ fields: fieldsBody }).strict(),
          response: { 201: recordView, ...errors },
        },
      },
      async (req, reply) => {
        const w = who(req);
        const r = await desk.create(w.caller, w.actor, parseKind(req.params.kind), req.query.scope, req.body.fields as Fields);
        await changed(req, r);
        return answer(reply, r, 201);
      },
    );

    app.patch(
      '/records/:kind/:id',
      {
        schema: {
          tags,
          summary: "Change a record's fields (JSON merge patch; null clears a field) against the version in If-Match",
          params: recordParams,
          headers: ifMatch,
          body: z.object({ fields: fieldsBody }).strict(),
          response: { 200: recordView, ...errors },
        },
      },
      async (req, reply) => {
        const w = who(req);
        const version = versionOf(req.headers['if-match']);
        const r = await desk.patch(w.caller, w.actor, parseKind(req.params.kind), req.params.id, req.body.fields as Record<string, Json>, version);
        if (r.version !== version) await changed(req, r);
        return answer(reply, r);
      },
    );

    app.delete(
      '/records/:kind/:id',
      {
        schema: {
          tags,
          summary: 'Delete a record (it stays as a tombstone); answers it',
          params: recordParams,
          headers: ifMatch,
          response: { 200: recordView, ...errors },
        },
      },
      async (req, reply) => {
        const w = who(req);
        const r = await desk.remove(w.caller, w.actor, parseKind(req.params.kind), req.params.id, versionOf(req.headers['if-match']));
        await changed(req, r);
        return answer(reply, r);
      },
    );

    app.post(
      '/records/timeEntry/:id/split',
      {
        schema: {
          tags,
          summary: 'Split a time entry in two (one commit): it keeps the first part, a new entry gets the rest',
          params: z.object({ id: z.string().min(1) }),
          headers: ifMatch,
          body: z.union([
            z.object({ at: instant.describe('Where the second part starts') }).strict(),
            z
              .object({ durationsSeconds: z.tuple([z.number().int().min(1), z.number().int().min(1)]).describe('The two lengths; they add up to the entry') })
              .strict(),
          ]),
          response: { 200: z.object({ kept: recordView, created: recordView }), ...errors },
        },
      },
      async (req, reply) => {
        const w = who(req);
        const [kept, created] = await desk.split(w.caller, w.actor, req.params.id, req.body, versionOf(req.headers['if-match']));
        await changed(req, kept, created);
        reply.header('etag', `"${kept.version}"`);
        return { kept: desk.view(kept), created: desk.view(created) };
      },
    );
  };
