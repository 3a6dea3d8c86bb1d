/** The one schema of timebridge.yaml. Connector settings are checked by each connector's own schema. */
import { Cron } from 'croner';
import { z } from 'zod';
import { fromEnv, secret } from '../connectors/kit/settings-marks.js';
import { approvalsSchema } from './approval-config.js';
import { bookingRulesSchema } from '../core/booking.js';
import { RECORD_KINDS } from '../core/model.js';
import { DIRECTIONS } from '../core/policy.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'use letters, digits, - and _ only');

/** A five- or six-field cron expression (croner syntax), checked when the config loads. */
export const cronSchema = z
  .string()
  .min(1)
  .refine((expr) => {
    try {
      new Cron(expr, { paused: true }).stop();
      return true;
    } catch {
      return false;
    }
  }, 'is not a valid cron expression (e.g. "*/15 * * * *" for every 15 minutes)');

export const linkSchema = z
  .object({
    connection: z.string().min(1),
    /** Hub collection this link covers; links with the same scope sync with each other through the hub. */
    scope: name,
    kind: z.enum(RECORD_KINDS).optional(),
    /** Which collection of the connection (a Google calendar id, a Kimai user…); the connector says what it takes. */
    collection: z.string().min(1).optional(),
    /** Which of the connector's external kinds (default: its first), e.g. `project` or `timesheet` for Kimai. */
    externalKind: z.string().min(1).optional(),
    /** A named mapper of the connector (default: the first for the external kind), e.g. `google-import`. */
    mapper: z.string().min(1).optional(),
    /** The mapper's settings, checked by the mapper (e.g. `{rounding: {minutes: 15, mode: up}}`). */
    options: z.record(z.string(), z.unknown()).optional(),
    /**
     * `pull` (into the hub), `push` (out of it), `both`, or `mirror` (out of it, and the remote's
     * edits and deletions of the link's items are undone from the hub). Left out: the mapper's
     * default — `mirror` for `google-export`, `both` for the others.
     */
    direction: z.enum(DIRECTIONS).optional(),
    conflict: z.enum(['hub-wins', 'external-wins', 'newest-wins', 'keep-both']).default('keep-both'),
    fieldOwners: z.record(z.string(), z.enum(['hub', 'external'])).default({}),
    deletes: z
      .object({
        toExternal: z.boolean().default(true),
        toHub: z.boolean().default(true),
      })
      .strict()
      .default({ toExternal: true, toHub: true }),
    /** An item made directly in the external system: `import` it, or `delete` it there (the hub is authoritative for the window). */
    externalOnly: z.enum(['import', 'delete']).default('import'),
    guard: z
      .object({
        maxDeleteCount: z.number().int().min(0).default(10),
        maxDeleteShare: z.number().min(0).max(1).default(0.25),
      })
      .strict()
      .default({ maxDeleteCount: 10, maxDeleteShare: 0.25 }),
    /** Days before and after now the external side is read for; `null`: everything, even where the connector has a default window. */
    window: z
      .object({ pastDays: z.number().int().min(0), futureDays: z.number().int().min(0) })
      .strict()
      .nullable()
      .optional(),
    /** `timebridge serve`/`worker`: reconcile the link on this cron schedule (the safety net for missed webhooks). */
    schedule: cronSchema.optional(),
  })
  .strict();

/** A link of a template: a link's keys, where any text may hold `{key}` and `{name}` of the collection; `name` must hold `{key}`. */
const templateLinkSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .refine((n) => n.includes('{key}'), 'must contain {key}, so each collection gets a link of its own'),
  })
  .catchall(z.unknown());

/**
 * One link per collection of a connection (an Advoware employee, a Kimai user): the links are
 * expanded from the connector's list of collections (app/link-templates.ts) and kept as links
 * of the catalog, derived from the template.
 */
export const linkTemplateSchema = z
  .object({
    forEach: z
      .object({
        connection: name,
        /** Only these collections (by key or name), for trials. */
        only: z.array(z.string().min(1)).min(1).optional(),
        /** Every collection but these (by key or name). */
        except: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .refine((f) => f.only === undefined || f.except === undefined, 'give only or except, not both'),
    links: z.array(templateLinkSchema).min(1),
    /** When the service expands the template and runs every derived link (default: daily at 03:00). */
    schedule: cronSchema.default('0 3 * * *'),
  })
  .strict();
export type LinkTemplateConfig = z.infer<typeof linkTemplateSchema>;

/** Settings every connection may carry besides its connector's own (taken off before the connector sees them). */
export const connectionCommonSchema = z.object({
  /** Signed webhooks for this connection: `POST /webhooks/<type>/<connection>`. */
  webhook: z
    .object({
      secret: secret(z.string().min(16, 'use at least 16 characters')).optional(),
      secretEnv: fromEnv('secret', 'TIMEBRIDGE_HOOK_SECRET').optional().describe('timebridge.yaml and admins only'),
    })
    .strict()
    .refine((w) => w.secret !== undefined || w.secretEnv !== undefined, 'give secret or secretEnv')
    .optional(),
  /** Calls per interval to this connection (default: the connector's published limit, if any). */
  rateLimit: z
    .object({
      requests: z.number().int().min(1),
      perSeconds: z.number().positive(),
    })
    .strict()
    .optional(),
});
export const COMMON_CONNECTION_KEYS = ['webhook', 'rateLimit'] as const;
export type ConnectionCommon = z.infer<typeof connectionCommonSchema>;

const sqliteStore = z
  .object({
    type: z.literal('sqlite'),
    /** SQLite file, relative to the config file's folder. */
    path: z.string().min(1).default('.timebridge/hub.sqlite'),
  })
  .strict();

const postgresStore = z
  .object({
    type: z.literal('postgres'),
    /** postgres://user@host:5432/db — or urlEnv naming the variable that holds it (it may carry a password). */
    url: z.string().min(1).optional(),
    urlEnv: z.string().min(1).optional(),
    /** PostgreSQL schema for Timebridge's tables (default public); pg-boss uses `<schema>_jobs`. */
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, 'use lower-case letters, digits and _')
      .default('public'),
  })
  .strict()
  .refine((s) => s.url !== undefined || s.urlEnv !== undefined, 'give url or urlEnv');

const DEFAULT_SERVE = {
  host: '127.0.0.1',
  port: 8787,
  webhookGraceMs: 500,
  concurrency: 2,
  shutdownGraceMs: 10000,
  maxAttempts: 5,
  scheduler: true,
};

export const serveSchema = z
  .object({
    host: z.string().min(1).default(DEFAULT_SERVE.host),
    port: z.number().int().min(0).max(65535).default(DEFAULT_SERVE.port),
    /** A webhook's run waits this long, so a burst of notifications becomes one run. */
    webhookGraceMs: z.number().int().min(0).default(DEFAULT_SERVE.webhookGraceMs),
    /** Links run at the same time by one process (never two runs of one link). */
    concurrency: z.number().int().min(1).max(64).default(DEFAULT_SERVE.concurrency),
    /** On SIGTERM, how long the current runs may go on before they stop at the next item. */
    shutdownGraceMs: z.number().int().min(0).default(DEFAULT_SERVE.shutdownGraceMs),
    /** Tries of a run before its job is dead-lettered. */
    maxAttempts: z.number().int().min(1).max(50).default(DEFAULT_SERVE.maxAttempts),
    /** Whether this process may lead: of the processes that may, one at a time fires the links' cron schedules and keeps push channels. */
    scheduler: z.boolean().default(DEFAULT_SERVE.scheduler),
    /**
     * The address remote systems reach this service at (e.g. https://timebridge.example.com):
     * with it, the leading process opens push channels (Google Calendar) to its webhooks.
     */
    publicUrl: z
      .string()
      .regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address')
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    /** Users' local paths (an .ics folder) live under `<dataRoot>/<user>/`, relative to the config file; unset: users may have none. */
    dataRoot: z
      .string()
      .min(1)
      .refine((p) => !p.includes('\u0000'), 'must not contain a NUL byte')
      .optional(),
    /** Where users' connections may send requests. Admins' and the config file's connections are not limited. */
    outbound: z
      .object({
        /** Host names or `*.suffix` patterns users' connections may reach; empty: any public host. */
        allowHosts: z.array(z.string().min(1)).default([]),
        denyHosts: z.array(z.string().min(1)).default([]),
        /** CIDR ranges users may reach although they are private or loopback (by default none). */
        allowNetworks: z.array(z.string().min(1)).default([]),
        denyNetworks: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .optional(),
  })
  .strict();

const colorId = z.string().regex(/^([1-9]|1[01])$/, 'is a Google event colour 1–11');

/**
 * Office attendance (issue 20): the offices reservations are for, each shown in one Google
 * calendar by a link with the `google-attendance` mapper, and the event colours by state.
 * Offices and manual users come from this file and, with `sheets`, from Google Sheets
 * ranges read at runtime (app/attendance-book.ts; this file's entries win on a clash).
 */
export const attendanceSchema = z
  .object({
    /** The hub scope the reservations and the persons they name live in. */
    scope: name,
    offices: z
      .array(
        z
          .object({
            /** What moffman's `office_id` and a reservation's `office` say. */
            id: z.string().min(1),
            name: z.string().min(1),
            /**
             * The office's Google calendar id (the collection of its google-attendance link).
             * Absent: the office's link makes the calendar on first use (`attendance.calendars`)
             * and the hub keeps its id.
             */
            calendar: z.string().min(1).optional(),
            /** The google-calendar connection its link uses. */
            connection: name,
          })
          .strict(),
      )
      .default([])
      .refine((os) => new Set(os.map((o) => o.id)).size === os.length, 'office ids must differ'),
    /** People whose events added straight into an office calendar become approved reservations (matched by the event's creator e-mail). */
    manualUsers: z
      .array(z.object({ email: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'is not an e-mail address'), name: z.string().min(1).optional() }).strict())
      .default([]),
    /** Offices and manual users also read from Google Sheets, with a Google connection's credentials. */
    sheets: z
      .object({
        /** The google-calendar connection whose account reads the spreadsheet (needs the spreadsheets.readonly scope). */
        connection: name,
        spreadsheetId: z.string().min(1),
        /** A1 range of office rows: office id, calendar id, display name (optional). E.g. `Offices!A2:C`. */
        offices: z.string().min(1).optional(),
        /** A1 range of manual user rows: e-mail, name (optional). E.g. `Users!A2:B`. */
        manualUsers: z.string().min(1).optional(),
        /** Reload every this many minutes (absent: at start and on GET /api/v1/config_update only). */
        everyMinutes: z.number().int().min(1).optional(),
      })
      .strict()
      .refine((s) => s.offices !== undefined || s.manualUsers !== undefined, 'give offices, manualUsers or both (A1 ranges)')
      .optional(),
    /** Calendars made for offices that give no calendar id (app/office-calendars.ts). */
    calendars: z
      .object({
        /** The made calendar's name; `{name}` and `{id}` are the office's. An existing calendar of that name is taken, not made again. */
        summary: z.string().min(1).default('{name}'),
        timeZone: z.string().min(1).optional(),
        description: z.string().optional(),
        /** Shared with these when made; empty: the Google connection's `create.shareWith`. */
        shareWith: z
          .array(
            z
              .object({
                email: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'is not an e-mail address'),
                role: z.enum(['owner', 'writer', 'reader', 'freeBusyReader']),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ summary: '{name}', shareWith: [] }),
    /** An event added by hand by anyone not a manual user: `report` it (left in the calendar) or `delete` it. A link's own option wins. */
    foreignEvents: z.enum(['report', 'delete']).default('report'),
    /** Google colour ids (1–11) by state; moffman's defaults: unapproved 4, approved 5. */
    colors: z
      .object({ pending: colorId.default('4'), approved: colorId.default('5') })
      .strict()
      .default({ pending: '4', approved: '5' }),
    /** Approval forms and e-mail for approved reservations (app/approval-config.ts); absent: none. */
    approvals: approvalsSchema.optional(),
  })
  .strict()
  .refine((a) => a.offices.length > 0 || a.sheets?.offices !== undefined, {
    message: 'give at least one office, or a sheets.offices range',
    path: ['offices'],
  });
export type AttendanceConfig = z.infer<typeof attendanceSchema>;

export const configSchema = z
  .object({
    // `type` may be left out for the SQLite default.
    store: z
      .preprocess(
        (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('type' in v) ? { ...v, type: 'sqlite' } : v),
        z.discriminatedUnion('type', [sqliteStore, postgresStore]),
      )
      .default({ type: 'sqlite', path: '.timebridge/hub.sqlite' }),
    serve: serveSchema.default(DEFAULT_SERVE),
    connections: z.record(name, z.object({ type: z.string().min(1) }).passthrough()).default({}),
    links: z.record(name, linkSchema).default({}),
    /** Links expanded for each collection of a connection (one link per employee or user). */
    linkTemplates: z.record(name, linkTemplateSchema).default({}),
    /** Booking rules per hub scope, in order (core/booking.ts): they book time entries that arrive without person, project or activity. */
    booking: z.record(name, bookingRulesSchema).default({}),
    /** Office attendance: offices, colours and the scope of the reservations (absent: no /api/v1/reservations). */
    attendance: attendanceSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    // An office link names an office of the attendance block.
    const offices = new Set((c.attendance?.offices ?? []).map((o) => o.id));
    for (const [linkName, l] of Object.entries(c.links)) {
      if (l.mapper !== 'google-attendance') continue;
      const office = l.options?.['office'];
      // Offices read from Sheets are known only at runtime.
      if (typeof office === 'string' && !offices.has(office) && c.attendance?.sheets?.offices === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['links', linkName, 'options', 'office'],
          message: `no office "${office}" in attendance.offices (${[...offices].join(', ') || 'none configured'})`,
        });
    }
  })
  .transform((c) => {
    // The office links show the attendance block's colours unless a link sets its own.
    if (!c.attendance) return c;
    const colors = c.attendance.colors;
    // The block's manual users join a link's own.
    const own = (l: LinkConfig): string[] => (Array.isArray(l.options?.['manualUsers']) ? (l.options['manualUsers'] as string[]) : []);
    const users = (l: LinkConfig) => [...new Set([...c.attendance!.manualUsers.map((u) => u.email.toLowerCase()), ...own(l)])];
    const links = Object.fromEntries(
      Object.entries(c.links).map(([k, l]) => [
        k,
        l.mapper === 'google-attendance' ? { ...l, options: { colors, foreignEvents: c.attendance!.foreignEvents, ...l.options, manualUsers: users(l) } } : l,
      ]),
    );
    return { ...c, links };
  });

export type Config = z.infer<typeof configSchema>;
export type LinkConfig = z.infer<typeof linkSchema>;
export type ServeConfig = z.infer<typeof serveSchema>;
export type StoreConfig = Config['store'];
