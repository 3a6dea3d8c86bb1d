/**
 * The Jira Cloud emulator (`timebridge emulate jira`), faithful to api-contracts §2.3:
 * Basic `email:api_token` auth, users, projects, issues with time tracking, the
 * enhanced issue search, native worklogs with entity properties, estimate adjustment
 * and the updated/deleted feeds, and Jira's error shape. Its clock drives every
 * timestamp and the `Date` header, so tests can move time past the feeds' blind minute.
 * A Tempo emulator can share its users and issues (`createTempoEmulator({ jira })`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createEmulator, type Emulator } from '../kit/emulator.js';
import type { EmulatorEntry } from '../registry.js';
import { DEMO_API_TOKEN, DEMO_EMAIL, demoJiraData, emptyJiraData, type EmuJiraUser, type JiraData } from './jira-data.js';
import { directoryRoutes } from './jira-directory.js';
import { defaultJiraMessage, jiraError, sendJiraError } from './jira-render.js';
import { worklogRoutes } from './jira-worklogs.js';

declare module 'fastify' {
  interface FastifyRequest {
    jiraUser: EmuJiraUser | null;
  }
}

export interface JiraEmulatorOptions {
  seed?: number;
  demo?: boolean;
  /** Data to start with (tests build their own). */
  data?: JiraData;
  /** Server clock in ms; default Date.now. */
  now?: () => number;
  /** Worklogs an issue may hold before a create answers 413 (Jira Cloud: 5000). */
  maxWorklogsPerIssue?: number;
}

export interface JiraEmulator extends Emulator {
  data(): JiraData;
  now(): number;
  site: JiraSite;
}

function caller(data: JiraData, header: string | undefined): EmuJiraUser | null {
  if (!header || !/^Basic\s+/i.test(header)) return null;
  const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  if (at < 0) return null;
  const email = decoded.slice(0, at).toLowerCase(),
    token = decoded.slice(at + 1);
  return data.users.find((u) => u.emailAddress.toLowerCase() === email && u.apiToken !== null && u.apiToken === token && u.active) ?? null;
}

/** The parts of a Jira site another emulator (Tempo) shares: its data and its clock. */
export interface JiraSite {
  data(): JiraData;
  now(): number;
  /** A strictly increasing timestamp for a write. */
  stamp(): number;
}

export function jiraSite(initial: JiraData, now: () => number): JiraSite & { replace(d: JiraData): void } {
  let data = initial;
  return {
    data: () => data,
    now,
    stamp: () => {
      data.lastStamp = Math.max(now(), data.lastStamp + 1);
      return data.lastStamp;
    },
    replace: (d) => {
      data = d;
    },
  };
}

/** Installs Jira's auth, `Date` header and routes on an emulator app (its own, or Tempo's when Tempo runs alone). */
export function mountJira(app: FastifyInstance, site: JiraSite, settings: { maxPageSize: number }, maxWorklogsPerIssue = 5000): void {
  const base = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? req.hostname}`;
  app.decorateRequest('jiraUser', null);
  // The server's clock, as Jira sends it: clients take their first cursor from it, never from their own.
  app.addHook('onSend', async (_req, reply) => {
    void reply.header('date', new Date(site.now()).toUTCString());
  });
  app.addHook('preHandler', async (req, reply) => {
    if (!req.url.startsWith('/rest/')) return undefined;
    req.jiraUser = caller(site.data(), req.headers.authorization);
    if (!req.jiraUser) return sendJiraError(reply, 401, 'Client must be authenticated to access this resource.');
    return undefined;
  });
  const ctx = { data: site.data, base, settings, now: site.now, stamp: site.stamp, maxWorklogsPerIssue };
  directoryRoutes(app, ctx);
  worklogRoutes(app, ctx);
}

export function createJiraEmulator(opts: JiraEmulatorOptions = {}): JiraEmulator {
  const now = opts.now ?? Date.now;
  const site = jiraSite(opts.data ? structuredClone(opts.data) : opts.demo ? demoJiraData(new Date(now())) : emptyJiraData(), now);
  const emulator = createEmulator({
    name: 'jira',
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    errorBody: (status) => jiraError([defaultJiraMessage(status)]),
    reset: () => site.replace(emptyJiraData()),
    snapshot: () => site.data(),
    restore: (d) => site.replace(d as JiraData),
  });
  const app = emulator.app;
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return sendJiraError(reply, status, status === 500 ? defaultJiraMessage(500) : err.message);
  });
  app.setNotFoundHandler((req, reply) => sendJiraError(reply, 404, `No route for ${req.method} ${req.url.split('?')[0]}.`));
  mountJira(app, site, emulator.settings, opts.maxWorklogsPerIssue);
  return Object.assign(emulator, { data: site.data, now, site });
}

export const jiraEmulatorEntry: EmulatorEntry = {
  create: ({ seed, demo }) => createJiraEmulator({ seed, demo }),
  usage: (url) =>
    [
      `Jira site: ${url} (demo users: Ada Lovelace ${DEMO_EMAIL}, API user; Grace Hopper grace@example.com; project DEMO)`,
      `Basic auth: ${DEMO_EMAIL} / ${DEMO_API_TOKEN}   e.g. curl -u ${DEMO_EMAIL}:${DEMO_API_TOKEN} ${url}/rest/api/3/myself`,
      'timebridge.yaml:',
      '  connections:',
      '    jira:',
      '      type: jira',
      `      url: ${url}`,
      `      email: ${DEMO_EMAIL}`,
      `      token: ${DEMO_API_TOKEN}   # or tokenEnv: JIRA_TOKEN`,
      '  links:',
      '    jira-users: { connection: jira, scope: work, externalKind: user, direction: pull, conflict: hub-wins }',
      '    jira-issues: { connection: jira, scope: work, externalKind: issue, collection: DEMO, direction: pull, conflict: hub-wins }',
      '    jira-worklogs: { connection: jira, scope: work, externalKind: worklog, collection: DEMO }',
    ].join('\n'),
};
