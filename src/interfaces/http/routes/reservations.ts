/**
 * moffman's drop-in REST API (issue 20): `POST /api/v1/reservations` with moffman's body
 * creates a pending reservation, approves the existing one for the same person, office and
 * days, or creates it approved (app/attendance-desk.ts); the office's google-attendance
 * link then writes the calendar event (`svc.hubChanged`); an approval queues its approval
 * form and e-mail when `attendance.approvals.on` has `api` (app/approval-outbox.ts). `GET /api/v1/config_update`
 * reloads the offices and manual users from Google Sheets (app/attendance-book.ts; also
 * at start and every `attendance.sheets.everyMinutes`), keeps the last good config when the
 * sheet is broken and says why, and queues the office links' runs. Who may call: admins and the owner of the attendance scope (an
 * automation token of that user); a user the scope is granted to gets 403, anyone else
 * 404. `GET /api/v1/offices` lists the offices in force to anyone who may read the scope or is
 * a person in it (the dashboard's /offices page). Without an `attendance:` block every route is 404.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AttendanceBook } from '../../../app/attendance-book.js';
import { AttendanceDesk } from '../../../app/attendance-desk.js';
import { TimebridgeError } from '../../../core/errors.js';
import type { Service } from '../../../service/service.js';
import { caller, type Caller } from '../auth.js';
import { errorSchema } from '../schemas.js';

const tags = ['attendance'];
const errors = { 400: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema };

/**
 * The service's book (service.ts makes it in every process); the process serving the API is
 * its reader: the sheet at start and on its schedule, once per service (several servers share it).
 */
const started = new WeakSet<AttendanceBook>();
function bookOf(svc: Service, onClose: (stop: () => void) => void): AttendanceBook | undefined {
  const book = svc.attendance;
  if (!book || started.has(book)) return book;
  started.add(book);
  void book.start();
  const every = book.base.sheets?.everyMinutes;
  if (every !== undefined) {
    const timer = setInterval(() => book.reloadInBackground(), every * 60_000);
    timer.unref();
    onClose(() => clearInterval(timer));
  }
  return book;
}

const moffmanBody = z
  .object({
    user: z.object({ name: z.string().min(1), email: z.string().min(3) }).describe('Who will be in the office; found by e-mail among the scope’s persons'),
    approved: z.boolean().describe('true: approve (or create approved); false: a pending request'),
    start: z.string().describe('First day, YYYY-MM-DD'),
    end: z.string().describe('The day after the last day, YYYY-MM-DD (exclusive, as in moffman)'),
    request_dt: z.string().optional().describe('When it was asked for: "HH:MM:SS YYYY/MM/DD" (UTC) or an ISO instant; default now'),
    office_id: z.string().min(1).describe('An office id of timebridge.yaml’s attendance.offices'),
  })
  .describe('moffman’s reservation request');

export const reservationRoutes =
  (svc: Service): FastifyPluginAsyncZod =>
  async (app) => {
    const book = bookOf(svc, (stop) => app.addHook('onClose', async () => stop()));
    const desk = new AttendanceDesk(svc.store, svc.records, () => book?.config(), svc.clock);

    /** Admins and the owner of the attendance scope; a user it is granted to is forbidden; anyone else does not see it. */
    async function mayReserve(c: Caller): Promise<string> {
      const scope = desk.settings().scope;
      if (c.role === 'admin') return scope;
      const access = await svc.catalog.scopes.access(c.userId, scope);
      if (access === 'own') return scope;
      if (access === 'read' || access === 'read-write')
        throw new TimebridgeError('AUTH_FORBIDDEN', `only the owner of scope ${scope} and admins send reservations`, {
          hint: 'use a token of the scope owner (the automation workflow’s user)',
        });
      throw new TimebridgeError('RESOURCE_NOT_FOUND', 'office attendance is not available to you', {
        hint: 'ask an admin for a token of the attendance scope owner',
      });
    }

    app.post(
      '/reservations',
      {
        schema: {
          tags,
          summary: 'moffman’s reservation request: create pending, approve, or create approved (idempotent per person, office and days)',
          body: moffmanBody,
          response: {
            200: z.object({
              id: z.string().describe('Hub id of the reservation'),
              state: z.string(),
              outcome: z.enum(['created', 'changed', 'unchanged']),
              jobs: z.array(z.object({ link: z.string(), jobId: z.string(), folded: z.boolean() })).describe('Runs queued so the office calendar follows'),
              approvalJob: z
                .string()
                .optional()
                .describe('The outbox job issuing the approval form and e-mail (when attendance.approvals.on has `api` and this request approved it)'),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const c = caller(req);
        const scope = await mayReserve(c);
        const { record, outcome } = await desk.reserve({ origin: `api:${c.userId}` }, req.body);
        const jobs = outcome === 'unchanged' ? [] : await svc.hubChanged(scope, `api:${c.userId}:reservations`);
        const approval = outcome === 'unchanged' ? null : await svc.approvals.queue(record, 'api');
        return { id: record.id, state: String(record.fields.state), outcome, jobs, ...(approval ? { approvalJob: approval.jobId } : {}) };
      },
    );

    app.get(
      '/offices',
      {
        schema: {
          tags,
          summary: 'The offices in force (timebridge.yaml and Google Sheets) and the attendance scope, for anyone who may read that scope or is a person in it',
          response: {
            200: z.object({
              scope: z.string().describe('The hub scope of the reservations (GET /api/v1/records/reservation?scope=…)'),
              offices: z.array(z.object({ id: z.string(), name: z.string() })),
              mayApprove: z.boolean().describe('Admins and the scope owner approve; the records API decides each change'),
            }),
            404: errorSchema,
          },
        },
      },
      async (req) => {
        const c = caller(req);
        const cfg = desk.settings();
        const access = c.role === 'admin' ? 'own' : await svc.catalog.scopes.access(c.userId, cfg.scope);
        if ((access === 'none' || access === 'free') && (await svc.access.personsOf(c.userId, cfg.scope)).length === 0)
          throw new TimebridgeError('RESOURCE_NOT_FOUND', 'office attendance is not available to you', {
            hint: `ask an admin for a person record or a grant in scope ${cfg.scope}`,
          });
        return { scope: cfg.scope, offices: cfg.offices.map((o) => ({ id: o.id, name: o.name })), mayApprove: access === 'own' || access === 'read-write' };
      },
    );

    app.get(
      '/config_update',
      {
        schema: {
          tags,
          summary: 'moffman’s config reload: offices and manual users read again from Google Sheets (the last good config kept when the sheet is broken)',
          response: {
            200: z.object({
              offices: z.array(z.string()).describe('Office ids in force'),
              manualUsers: z.array(z.string()).describe('E-mails whose events added by hand become approved reservations'),
              source: z.enum(['timebridge.yaml', 'timebridge.yaml+sheets']),
              sheetsLoadedAt: z.string().nullable().describe('When the sheet was last read whole and good'),
              linksCreated: z.array(z.string()).describe('Office links made for offices new in the sheet'),
              linksDisabled: z.array(z.string()).describe('Office links disabled because their office left the sheet (kept, calendars untouched)'),
              problems: z.array(z.string()).describe('What is wrong with the sheet; non-empty: the last good config was kept'),
              officeProblems: z
                .array(z.string())
                .describe('Offices whose calendar or link could not be made (the sheet was taken; the next reload tries again)'),
              jobs: z.array(z.object({ link: z.string(), jobId: z.string(), folded: z.boolean() })).describe('Runs queued for the office links'),
            }),
            403: errorSchema,
            404: errorSchema,
          },
        },
      },
      async (req) => {
        const c = caller(req);
        const scope = await mayReserve(c);
        const report = await book!.reload();
        const jobs = report.problems.length ? [] : await svc.hubChanged(scope, `api:${c.userId}:config_update`);
        return { ...report, jobs };
      },
    );
  };
