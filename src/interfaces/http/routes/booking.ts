/**
 * Booking rules of a scope (GET/PUT /scopes/:scope/rules, POST …/rules/apply: admins and the
 * scope's owner) and the time entries waiting to be booked (GET /to-book: those the caller
 * may read). The rules: core/booking.ts; what they do to a scope: app/booking-desk.ts.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BookingDesk } from '../../../app/booking-desk.js';
import { bookingRuleSchema } from '../../../core/booking.js';
import { TimebridgeError } from '../../../core/errors.js';
import type { Service } from '../../../service/service.js';
import { caller, type Caller } from '../auth.js';
import { errorSchema } from '../schemas.js';

const tags = ['booking'];
const scopeName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'use letters, digits, - and _ only');
const rulesView = z.object({
  scope: z.string(),
  file: z.array(bookingRuleSchema).describe("timebridge.yaml's rules: tried first, read only here"),
  api: z.array(bookingRuleSchema).describe('the rules stored through this API: tried after the file'),
  problems: z.array(z.string()).describe('rules naming a person, project or activity the scope does not have: they book nothing until it does'),
  needActivity: z.boolean().describe('an entry needs an activity to be booked (the scope has activity records)'),
});
const waiting = z.object({
  id: z.string(),
  version: z.number(),
  date: z.string().nullable(),
  description: z.string().nullable(),
  personId: z.string().nullable(),
  missing: z.array(z.string()).describe('person, project, activity'),
  rule: z.string().nullable().describe('the rule that would book it now (POST /scopes/{scope}/rules/apply)'),
});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export const bookingRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    const desk = new BookingDesk(svc.store, svc.catalog.scopes, svc.catalog, svc.records);

    /** Admins and the scope's owner; a user the scope was granted to may not change its rules; anyone else does not see it. */
    async function mayManage(c: Caller, scope: string): Promise<void> {
      if (c.role === 'admin') return;
      const access = await svc.catalog.scopes.access(c.userId, scope);
      if (access === 'own') return;
      if (access === 'read' || access === 'read-write')
        throw new TimebridgeError('AUTH_FORBIDDEN', `only the owner of scope ${scope} and admins manage its booking rules`, { hint: 'ask the scope owner' });
      throw new TimebridgeError('RESOURCE_NOT_FOUND', `no scope ${scope}`, { hint: 'list your scopes with GET /api/v1/scopes' });
    }

    app.get(
      '/scopes/:scope/rules',
      {
        schema: {
          tags,
          summary: "A scope's booking rules in the order they are tried (admins, the scope owner)",
          params: z.object({ scope: scopeName }),
          response: { 200: rulesView, 403: errorSchema, 404: errorSchema },
        },
      },
      async (req) => {
        await mayManage(caller(req), req.params.scope);
        return desk.rules(req.params.scope);
      },
    );

    app.put(
      '/scopes/:scope/rules',
      {
        schema: {
          tags,
          summary: "Replace the scope's API booking rules (timebridge.yaml's stay first); checked like the config file",
          params: z.object({ scope: scopeName }),
          // Checked by the desk, so an error names the rule as well as its index.
          body: z.object({ rules: z.array(z.unknown()).max(500) }).strict(),
          response: { 200: rulesView, 400: errorSchema, 403: errorSchema, 404: errorSchema },
        },
      },
      async (req) => {
        await mayManage(caller(req), req.params.scope);
        return desk.putRules(req.params.scope, req.body.rules);
      },
    );

    app.post(
      '/scopes/:scope/rules/apply',
      {
        schema: {
          tags,
          summary: "Book the scope's waiting time entries with the current rules; the scope's links then push them",
          params: z.object({ scope: scopeName }),
          response: {
            200: z.object({
              booked: z.array(z.object({ id: z.string(), rule: z.string() })),
              waiting: z.number(),
              failed: z.array(z.object({ id: z.string(), error: z.string() })),
            }),
            403: errorSchema,
            404: errorSchema,
          },
        },
      },
      async (req) => {
        await mayManage(caller(req), req.params.scope);
        const report = await desk.apply(req.params.scope);
        if (report.booked.length) await svc.hubChanged(req.params.scope, 'rules-apply');
        return report;
      },
    );

    app.get(
      '/to-book',
      {
        schema: {
          tags,
          summary: 'Time entries of a scope the caller may read that wait to be booked: no person or project (or activity, where the scope has activities)',
          querystring: z.object({ scope: scopeName }),
          response: { 200: z.object({ scope: z.string(), entries: z.array(waiting) }) },
        },
      },
      async (req) => {
        const c = caller(req);
        const out = [];
        for (const w of await desk.toBook(req.query.scope)) {
          if (!(await svc.access.allows(c, w.record, 'read'))) continue;
          const f = w.record.fields;
          out.push({
            id: w.record.id,
            version: w.record.version,
            date: str(f.date),
            description: str(f.description),
            personId: str(f.personId),
            missing: w.missing,
            rule: w.rule,
          });
        }
        return { scope: req.query.scope, entries: out };
      },
    );
  };
