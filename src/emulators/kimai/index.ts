/**
 * The Kimai 2 emulator (`timebridge emulate kimai`), faithful to api-contracts §1: Bearer
 * and legacy X-AUTH-* auth, customers/projects/activities/users/tags, timesheets with
 * local-time input, `+HHMM` output, minute rounding, paging headers, the exported lock
 * and Kimai's error shapes. Faults, reset and page size come from the emulator kit.
 */
import { createEmulator, type Emulator } from '../kit/emulator.js';
import type { EmulatorEntry } from '../registry.js';
import { kimaiAuth } from './kimai-auth.js';
import { DEMO_ADMIN_TOKEN, DEMO_USER_TOKEN, demoData, emptyData, type KimaiData } from './kimai-data.js';
import { defaultMessage, sendCode } from './kimai-form.js';
import { taxonomyRoutes } from './kimai-taxonomy.js';
import { timesheetRoutes } from './kimai-timesheets.js';

export interface KimaiEmulatorOptions {
  seed?: number;
  /** Start with the demo data set (two users, customers, projects, activities, timesheets). */
  demo?: boolean;
  /** Data to start with instead (tests build their own). */
  data?: KimaiData;
  /** Server clock in ms (tests move it); default Date.now. */
  now?: () => number;
  /** Largest page of the timesheet list (Kimai 2.42+ clamps to 500). */
  maxPageSize?: number;
}

export interface KimaiEmulator extends Emulator {
  /** The live data (tests read and change it directly). */
  data(): KimaiData;
}

export const KIMAI_VERSION = { version: '2.66.0', versionId: 26600, copyright: 'Kimai 2.66.0 by Kevin Papst (emulated by Timebridge).' };

export function createKimaiEmulator(opts: KimaiEmulatorOptions = {}): KimaiEmulator {
  const now = opts.now ?? Date.now;
  const initial = (): KimaiData => (opts.data ? structuredClone(opts.data) : opts.demo ? demoData(new Date(now())) : emptyData());
  let data = initial();
  const emulator = createEmulator({
    name: 'kimai',
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    settings: { maxPageSize: opts.maxPageSize ?? 500 },
    errorBody: (status) => ({ code: status, message: defaultMessage(status) }),
    reset: () => {
      data = emptyData();
    },
    snapshot: () => data,
    restore: (d) => {
      data = d as KimaiData;
    },
  });
  const ctx = { data: () => data, now, settings: emulator.settings };
  const app = emulator.app;
  app.decorateRequest('kimaiUser', null);
  const auth = kimaiAuth(() => data, now);
  app.addHook('preHandler', async (req, reply) => {
    if (!req.url.startsWith('/api/')) return undefined;
    return auth(req, reply);
  });
  // Fastify's own refusals (bad JSON, unknown route) in Kimai's shape.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return sendCode(reply, status, status === 500 ? defaultMessage(500) : err.message);
  });
  app.setNotFoundHandler((_req, reply) => sendCode(reply, 404, 'Not Found'));
  app.get('/api/ping', async () => ({ message: 'pong' }));
  app.get('/api/version', async () => KIMAI_VERSION);
  timesheetRoutes(app, ctx);
  taxonomyRoutes(app, ctx);
  return Object.assign(emulator, { data: () => data });
}

export const kimaiEmulatorEntry: EmulatorEntry = {
  create: ({ seed, demo }) => createKimaiEmulator({ seed, demo }),
  usage: (url) =>
    [
      `Kimai API: ${url}/api (demo users: anna, admin, Europe/Berlin; ben, user, America/New_York)`,
      `API tokens: anna ${DEMO_ADMIN_TOKEN} · ben ${DEMO_USER_TOKEN}   e.g. curl -H 'Authorization: Bearer ${DEMO_ADMIN_TOKEN}' ${url}/api/ping`,
      'timebridge.yaml:',
      '  connections:',
      '    kimai:',
      '      type: kimai',
      `      url: ${url}`,
      `      token: ${DEMO_ADMIN_TOKEN}   # or tokenEnv: KIMAI_TOKEN`,
      '  links:',
      '    kimai-customers: { connection: kimai, scope: work, externalKind: customer, direction: pull }',
      '    kimai-projects: { connection: kimai, scope: work, externalKind: project, direction: pull }',
      '    kimai-activities: { connection: kimai, scope: work, externalKind: activity, direction: pull }',
      '    kimai-users: { connection: kimai, scope: work, externalKind: user, direction: pull }',
      '    kimai-timesheets: { connection: kimai, scope: work, externalKind: timesheet, collection: all, window: { pastDays: 31, futureDays: 31 } }',
    ].join('\n'),
};
