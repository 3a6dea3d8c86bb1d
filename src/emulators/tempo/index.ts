/**
 * The Tempo Cloud v4 emulator (`timebridge emulate tempo`), faithful to api-contracts
 * §2.1–2.2: Bearer tokens (401/403 as text/html), worklogs with `metadata.next` paging,
 * full-replacement PUT, 204 DELETE, `{"errors":[{"message"}]}` bodies, and a built-in
 * 429 with Retry-After from a token bucket per token (about 5 requests a second).
 *
 * Tempo refers to Jira issues by numeric id and to authors by account id, so it works on
 * a Jira site's data: pass `jira` (a Jira emulator's `site`) to share one, or leave it
 * out and the same server also answers the Jira API (`/rest/api/3/…`) for its own site.
 */
import type { FastifyReply } from 'fastify';
import { createEmulator, type Emulator } from '../kit/emulator.js';
import type { EmulatorEntry } from '../registry.js';
import { DEMO_API_TOKEN, DEMO_EMAIL, addIssue, demoJiraData, emptyJiraData } from '../jira/jira-data.js';
import { jiraSite, mountJira, type JiraSite } from '../jira/index.js';
import { RateBuckets, type RateLimit } from './rate-bucket.js';
import { DEMO_TEMPO_TOKEN, emptyTempoData, type TempoData } from './tempo-data.js';
import { tempoError, tempoRoutes } from './tempo-worklogs.js';

export interface TempoEmulatorOptions {
  seed?: number;
  demo?: boolean;
  /** The Jira site whose issues and users Tempo uses; absent: a site of its own, served by this emulator too. */
  jira?: JiraSite;
  data?: TempoData;
  /** Data clock in ms (createdAt, updatedAt); default the Jira site's clock. */
  now?: () => number;
  /** Requests per token before 429; null: unlimited. Default 5 a second, bursts of 5. */
  rateLimit?: RateLimit | null;
}

export interface TempoEmulator extends Emulator {
  data(): TempoData;
  /** The Jira site it works on. */
  jira: JiraSite;
}

export const TEMPO_RATE_LIMIT: RateLimit = { perSecond: 5, burst: 5 };

function demoTempo(site: JiraSite): TempoData {
  const data = emptyTempoData([DEMO_TEMPO_TOKEN]);
  const jira = site.data();
  const issue = jira.issues.find((i) => i.key === 'DEMO-2') ?? addIssue(jira, 'DEMO', 'Write the docs');
  const day = new Date(site.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  const at = site.now() - 86_400_000;
  data.worklogs.push({
    tempoWorklogId: data.nextId++,
    issueId: Number(issue.id),
    authorAccountId: '712020:ada',
    startDate: day,
    startTime: '10:00:00',
    timeSpentSeconds: 5400,
    billableSeconds: 5400,
    description: 'Outline of the user guide',
    createdAt: at,
    updatedAt: at,
    attributes: [],
  });
  issue.timeSpentSeconds += 5400;
  return data;
}

const unauthorised = (reply: FastifyReply, status: 401 | 403) =>
  reply
    .code(status)
    .type('text/html')
    .send(
      `<html><head><title>${status}</title></head><body>${status === 401 ? 'Unauthorized: the Bearer token is missing or not valid for this region.' : 'Forbidden'}</body></html>`,
    );

export function createTempoEmulator(opts: TempoEmulatorOptions = {}): TempoEmulator {
  const ownSite = opts.jira ? null : jiraSite(opts.demo ? demoJiraData(new Date(opts.now?.() ?? Date.now())) : emptyJiraData(), opts.now ?? Date.now);
  const site = opts.jira ?? ownSite!;
  const now = opts.now ?? site.now;
  let data = opts.data ? structuredClone(opts.data) : opts.demo ? demoTempo(site) : emptyTempoData();
  const limit = opts.rateLimit === undefined ? TEMPO_RATE_LIMIT : opts.rateLimit;
  const buckets = limit ? new RateBuckets(limit) : null;
  const emulator = createEmulator({
    name: 'tempo',
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    errorBody: (status) => ({ errors: [{ message: status === 429 ? 'Rate limit exceeded: retry after the Retry-After seconds.' : `HTTP ${status}` }] }),
    reset: () => {
      data = emptyTempoData(data.tokens);
      buckets?.clear();
    },
    snapshot: () => ({ tempo: data, ...(ownSite ? { jira: ownSite.data() } : {}) }),
    restore: (d) => {
      const s = d as { tempo: TempoData; jira?: ReturnType<JiraSite['data']> };
      data = s.tempo;
      if (ownSite && s.jira) ownSite.replace(s.jira);
    },
  });
  const app = emulator.app;
  app.addHook('onSend', async (_req, reply) => {
    void reply.header('date', new Date(now()).toUTCString());
  });
  app.addHook('preHandler', async (req, reply) => {
    if (!req.url.startsWith('/4/')) return undefined;
    const header = req.headers.authorization;
    const token = typeof header === 'string' && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : null;
    if (!token || !data.tokens.includes(token)) return unauthorised(reply, 401);
    const wait = buckets?.take(token) ?? null;
    if (wait !== null) {
      void reply.header('retry-after', String(wait));
      return tempoError(reply, 429, `Rate limit exceeded (${limit!.perSecond} requests a second): retry after ${wait} s.`);
    }
    return undefined;
  });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return tempoError(reply, status, status === 500 ? 'Internal server error.' : err.message);
  });
  app.setNotFoundHandler((req, reply) => tempoError(reply, 404, `No route for ${req.method} ${req.url.split('?')[0]}.`));
  if (ownSite) mountJira(app, ownSite, emulator.settings);
  tempoRoutes(app, { data: () => data, jira: site, now, settings: emulator.settings });
  return Object.assign(emulator, { data: () => data, jira: site });
}

export const tempoEmulatorEntry: EmulatorEntry = {
  create: ({ seed, demo }) => createTempoEmulator({ seed, demo }),
  usage: (url) =>
    [
      `Tempo API: ${url}/4/worklogs   token: ${DEMO_TEMPO_TOKEN}   (429 with Retry-After above 5 requests a second)`,
      `Its Jira site (issues, users): ${url}/rest/api/3   Basic auth ${DEMO_EMAIL} / ${DEMO_API_TOKEN}; project DEMO`,
      'timebridge.yaml:',
      '  connections:',
      '    tempo:',
      '      type: tempo',
      `      url: ${url}`,
      `      token: ${DEMO_TEMPO_TOKEN}   # or tokenEnv: TEMPO_TOKEN`,
      '      jira:',
      `        url: ${url}`,
      `        email: ${DEMO_EMAIL}`,
      `        token: ${DEMO_API_TOKEN}   # or tokenEnv: JIRA_TOKEN`,
      '  links:',
      '    tempo-users: { connection: tempo, scope: work, externalKind: user, direction: pull, conflict: hub-wins }',
      '    tempo-issues: { connection: tempo, scope: work, externalKind: issue, collection: DEMO, direction: pull, conflict: hub-wins }',
      '    tempo-worklogs: { connection: tempo, scope: work, externalKind: worklog, collection: DEMO, window: { pastDays: 31, futureDays: 31 } }',
    ].join('\n'),
};
