/**
 * The GitHub emulator (`timebridge emulate github`), faithful to api-contracts §6: token
 * auth (401 "Bad credentials"), the core rate limit with its `x-ratelimit-*` headers (403, or
 * 429 when set so, once exhausted, until the reset), the issues REST routes
 * (github-routes.ts) and webhooks signed with `X-Hub-Signature-256` (github-hooks.ts).
 * The OAuth App sign-in (`/login/oauth/*`, `GET /user`, token revocation) is github-oauth.ts's.
 * Faults, reset and page size come from the emulator kit; the control routes below play
 * what people do on github.com:
 *
 *   POST  /_emulator/github/repos                              {owner, name}
 *   POST  /_emulator/github/repos/{o}/{r}/hooks                {url, secret?, events?, replace?}: adds a hook (replace: instead of the others), sends `ping`
 *   POST  /_emulator/github/repos/{o}/{r}/issues/bulk          {count, pulls?, labels?}: many issues (and pull requests) at once
 *   POST  /_emulator/github/repos/{o}/{r}/events               {action, number?, title?, body?, labels?, label?, assignee?, sender?}:
 *         open, edit, label, unlabel, assign, unassign, close or reopen an issue, delivering `issues.<action>`
 *   GET   /_emulator/github/deliveries                         the deliveries made (without bodies)
 *   POST  /_emulator/github/deliveries/{guid}/redeliver        the same bytes and GUID again
 *   PATCH /_emulator/github/rate-limit                         {limit?, remaining?, resetInSeconds?, status?}
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createEmulator, type Emulator } from '../kit/emulator.js';
import type { EmulatorEntry } from '../registry.js';
import {
  addIssue,
  addRepo,
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  EMULATOR_TOKEN,
  emptyData,
  repoOf,
  stamp,
  type GhDelivery,
  type GhHook,
  type GithubData,
} from './github-data.js';
import { issuesPayload, pingPayload, type EventExtras } from './github-events.js';
import { deliver, redeliver } from './github-hooks.js';
import { isOAuthPath, registerOAuthRoutes } from './github-oauth.js';
import { changeIssue, notFound, registerRestRoutes, type RouteCtx } from './github-routes.js';

export { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, EMULATOR_TOKEN } from './github-data.js';
export { signatureOf } from './github-hooks.js';

export interface GithubEmulatorOptions {
  seed?: number;
  /** Start with the demo repository (`acme/webshop`): three issues and a pull request. */
  demo?: boolean;
  /** Server clock (tests move it); default the real one. */
  now?: () => Date;
}

export interface GithubEmulator extends Emulator {
  /** The live data (tests read and change it directly). */
  data(): GithubData;
  /** What the control route `events` does, from code. */
  act(repo: string, a: IssueAction): Promise<{ number: number; deliveries: GhDelivery[] }>;
  /** Add a hook (and send its ping), from code. */
  addHook(repo: string, h: { url: string; secret?: string | null; events?: string[] }): Promise<{ hook: GhHook; deliveries: GhDelivery[] }>;
  redeliver(guid: string): Promise<GhDelivery | null>;
}

export interface IssueAction extends EventExtras {
  action: 'opened' | 'edited' | 'labeled' | 'unlabeled' | 'assigned' | 'unassigned' | 'closed' | 'reopened';
  number?: number;
  title?: string;
  body?: string | null;
  labels?: string[];
}

export const DEMO_REPO = 'acme/webshop';

function demoData(now: Date): GithubData {
  const data = emptyData(now);
  const repo = addRepo(data, 'acme', 'webshop');
  addIssue(data, repo, { title: 'Checkout fails for carts over 100 items', labels: ['bug'], author: 'carol' }, now);
  addIssue(data, repo, { title: 'Dark mode for the order history', labels: ['enhancement'], author: 'carol' }, now);
  addIssue(data, repo, { title: 'Bump the payment SDK', pull: true, author: 'dependabot' }, now);
  addIssue(data, repo, { title: 'Update the README screenshots', labels: ['documentation'], author: 'carol' }, now);
  return data;
}

const bearer = (req: FastifyRequest): string | null => {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^(?:bearer|token)\s+(.+)$/i.exec(h.trim()) : null;
  return m ? m[1]!.trim() : null;
};

function rateGate(data: () => GithubData, now: () => Date) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0]!;
    if (path.startsWith('/_emulator') || isOAuthPath(path)) return undefined;
    const token = bearer(req);
    if (!token || !data().tokens.has(token)) {
      return reply.code(401).send({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    }
    const r = data().rate;
    const nowS = Math.floor(now().getTime() / 1000);
    if (nowS >= r.reset) {
      r.remaining = r.limit;
      r.reset = nowS + 3600;
    }
    const counts = path !== '/rate_limit';
    const exhausted = counts && r.remaining <= 0;
    if (counts && !exhausted) r.remaining--;
    void reply.headers({
      'x-ratelimit-limit': String(r.limit),
      'x-ratelimit-remaining': String(Math.max(0, r.remaining)),
      'x-ratelimit-used': String(r.limit - Math.max(0, r.remaining)),
      'x-ratelimit-reset': String(r.reset),
      'x-ratelimit-resource': 'core',
    });
    if (exhausted) {
      return reply
        .code(r.status)
        .send({ message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest/rate-limit', status: String(r.status) });
    }
    return undefined;
  };
}

export function createGithubEmulator(opts: GithubEmulatorOptions = {}): GithubEmulator {
  const now = opts.now ?? (() => new Date());
  let data = opts.demo ? demoData(now()) : emptyData(now());
  const emulator = createEmulator({
    name: 'github',
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    settings: { maxPageSize: 100 },
    errorBody: (status) => ({ message: status >= 500 ? 'Server Error' : 'Error', documentation_url: 'https://docs.github.com/rest', status: String(status) }),
    reset: () => {
      data = emptyData(now());
    },
    snapshot: () => data,
    restore: (d) => {
      data = d as GithubData;
    },
  });
  const app = emulator.app;
  const base = (req: FastifyRequest) => emulator.url() || `${req.protocol}://${req.host}`;
  const ctx: RouteCtx = { data: () => data, now, base, settings: emulator.settings };
  app.addHook(
    'preHandler',
    rateGate(() => data, now),
  );
  registerRestRoutes(app, ctx);
  registerOAuthRoutes(app, ctx);

  const repoNamed = (full: string) => {
    const [owner, name] = full.split('/');
    return owner && name ? repoOf(data, owner, name) : undefined;
  };
  const baseUrl = () => emulator.url();

  async function act(full: string, a: IssueAction): Promise<{ number: number; deliveries: GhDelivery[] }> {
    const repo = repoNamed(full);
    if (!repo) throw new EmulatorInputError(`no repository ${full}`);
    const t = now();
    let issue;
    if (a.action === 'opened') {
      if (!a.title) throw new EmulatorInputError('opened needs a title');
      issue = addIssue(data, repo, { title: a.title, body: a.body ?? null, labels: a.labels ?? [], ...(a.sender ? { author: a.sender } : {}) }, t);
    } else {
      issue = repo.issues.find((i) => i.number === a.number);
      if (!issue) throw new EmulatorInputError(`no issue #${String(a.number)} in ${full}`);
    }
    const x: EventExtras = { ...(a.sender ? { sender: a.sender } : {}) };
    if (a.action === 'edited') {
      x.changes = {
        ...(a.title !== undefined && a.title !== issue.title ? { title: { from: issue.title } } : {}),
        ...(a.body !== undefined && a.body !== issue.body ? { body: { from: issue.body } } : {}),
      };
      changeIssue(issue, { ...(a.title !== undefined ? { title: a.title } : {}), ...(a.body !== undefined ? { body: a.body } : {}) }, t);
    } else if (a.action === 'labeled' || a.action === 'unlabeled') {
      if (!a.label) throw new EmulatorInputError(`${a.action} needs a label`);
      const label = a.label;
      const rest = issue.labels.filter((l) => l.toLowerCase() !== label.toLowerCase());
      changeIssue(issue, { labels: a.action === 'labeled' ? [...rest, label] : rest }, t);
      x.label = label;
    } else if (a.action === 'assigned' || a.action === 'unassigned') {
      if (!a.assignee) throw new EmulatorInputError(`${a.action} needs an assignee`);
      const who = a.assignee;
      const rest = issue.assignees.filter((l) => l.toLowerCase() !== who.toLowerCase());
      changeIssue(issue, { assignees: a.action === 'assigned' ? [...rest, who] : rest }, t);
      x.assignee = who;
    } else if (a.action === 'closed' || a.action === 'reopened') {
      changeIssue(issue, { state: a.action === 'closed' ? 'closed' : 'open' }, t);
    } else if (a.action === 'opened' && a.assignee) {
      issue.assignees = [a.assignee];
    }
    issue.updatedAt = stamp(t);
    const deliveries = await deliver(data, repo, 'issues', issuesPayload(data, baseUrl(), repo, issue, a.action, x));
    return { number: issue.number, deliveries };
  }

  async function addHook(full: string, h: { url: string; secret?: string | null; events?: string[] }) {
    const repo = repoNamed(full);
    if (!repo) throw new EmulatorInputError(`no repository ${full}`);
    const hook: GhHook = { id: data.nextId++, url: h.url, secret: h.secret ?? null, events: h.events ?? ['issues'] };
    repo.hooks.push(hook);
    return { hook, deliveries: await deliver(data, repo, 'ping', pingPayload(baseUrl(), repo, hook), hook) };
  }

  async function again(guid: string): Promise<GhDelivery | null> {
    const past = data.deliveries.filter((d) => d.guid === guid).at(-1);
    const repo = past && repoNamed(past.repo);
    return past && repo ? redeliver(data, repo, past) : null;
  }

  registerControlRoutes(emulator, { data: () => data, act, addHook, redeliver: again, now });
  return Object.assign(emulator, { data: () => data, act, addHook, redeliver: again });
}

class EmulatorInputError extends Error {}

type Control = Pick<GithubEmulator, 'data' | 'act' | 'addHook' | 'redeliver'> & { now(): Date };

const summary = (d: GhDelivery) => ({
  guid: d.guid,
  attempt: d.attempt,
  event: d.event,
  action: d.action,
  repo: d.repo,
  redelivery: d.redelivery,
  deliveredAt: d.deliveredAt,
  status: d.status,
  response: d.response,
});

function registerControlRoutes(emulator: Emulator, c: Control): void {
  const app = emulator.app;
  const guard = async <T>(reply: FastifyReply, f: () => Promise<T>) => {
    try {
      return await f();
    } catch (err) {
      if (err instanceof EmulatorInputError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  };
  type R = { owner: string; repo: string };
  app.post<{ Body: { owner?: string; name?: string } }>('/_emulator/github/repos', async (req, reply) => {
    const { owner, name } = req.body ?? {};
    if (!owner || !name) return reply.code(400).send({ error: 'owner and name are required' });
    const repo = addRepo(c.data(), owner, name);
    return reply.code(201).send({ id: repo.id, full_name: `${repo.owner}/${repo.name}` });
  });
  app.post<{ Params: R; Body: { url?: string; secret?: string; events?: string[]; replace?: boolean } }>(
    '/_emulator/github/repos/:owner/:repo/hooks',
    async (req, reply) =>
      guard(reply, async () => {
        if (!req.body?.url) return reply.code(400).send({ error: 'url is required' });
        // `replace`: the repository's other hooks go (a restarted receiver on a new port).
        const repo = repoOf(c.data(), req.params.owner, req.params.repo);
        if (repo && req.body.replace) repo.hooks = [];
        const r = await c.addHook(`${req.params.owner}/${req.params.repo}`, {
          url: req.body.url,
          secret: req.body.secret ?? null,
          ...(req.body.events ? { events: req.body.events } : {}),
        });
        return reply.code(201).send({ hook: { id: r.hook.id, url: r.hook.url, events: r.hook.events }, deliveries: r.deliveries.map(summary) });
      }),
  );
  app.post<{ Params: R; Body: { count?: number; pulls?: number; labels?: string[] } }>(
    '/_emulator/github/repos/:owner/:repo/issues/bulk',
    async (req, reply) => {
      const repo = repoOf(c.data(), req.params.owner, req.params.repo);
      if (!repo) return notFound(reply);
      const count = Number(req.body?.count ?? 0);
      const pulls = Number(req.body?.pulls ?? 0);
      if (!Number.isInteger(count) || !Number.isInteger(pulls) || count < 0 || pulls < 0 || count + pulls > 100_000) {
        return reply.code(400).send({ error: 'count and pulls must be whole numbers ≥ 0 (together at most 100000)' });
      }
      // Pull requests spread among the issues, as a real repository's numbers are.
      const every = pulls ? Math.max(1, Math.floor((count + pulls) / pulls)) : 0;
      let made = 0,
        madePulls = 0;
      for (let n = 1; made < count || madePulls < pulls; n++) {
        const pull = madePulls < pulls && (made >= count || (every > 0 && n % every === 0));
        if (pull) madePulls++;
        else made++;
        addIssue(c.data(), repo, { title: pull ? `Pull request ${madePulls}` : `Issue ${made}`, pull, labels: pull ? [] : (req.body?.labels ?? []) }, c.now());
      }
      return reply.code(201).send({ issues: made, pulls: madePulls });
    },
  );
  app.post<{ Params: R; Body: IssueAction }>('/_emulator/github/repos/:owner/:repo/events', async (req, reply) =>
    guard(reply, async () => {
      const r = await c.act(`${req.params.owner}/${req.params.repo}`, req.body);
      return { number: r.number, deliveries: r.deliveries.map(summary) };
    }),
  );
  app.get('/_emulator/github/deliveries', async () => ({ deliveries: c.data().deliveries.map(summary) }));
  app.post<{ Params: { guid: string } }>('/_emulator/github/deliveries/:guid/redeliver', async (req, reply) => {
    const d = await c.redeliver(req.params.guid);
    return d ? summary(d) : reply.code(404).send({ error: `no delivery ${req.params.guid}` });
  });
  app.patch<{ Body: { limit?: number; remaining?: number; resetInSeconds?: number; status?: 403 | 429 } }>(
    '/_emulator/github/rate-limit',
    async (req, reply) => {
      const b = req.body ?? {};
      const r = c.data().rate;
      if (b.status !== undefined && b.status !== 403 && b.status !== 429) return reply.code(400).send({ error: 'status must be 403 or 429' });
      if (b.limit !== undefined) r.limit = b.limit;
      if (b.remaining !== undefined) r.remaining = b.remaining;
      if (b.resetInSeconds !== undefined) r.reset = Math.floor(c.now().getTime() / 1000) + b.resetInSeconds;
      if (b.status !== undefined) r.status = b.status;
      return { rate: r };
    },
  );
}

export const githubEmulatorEntry: EmulatorEntry = {
  create: ({ seed, demo }) => createGithubEmulator({ seed, demo }),
  usage: (url) =>
    [
      `GitHub REST API: ${url} (repository ${DEMO_REPO} and its issues, unless --no-demo)`,
      `token: ${EMULATOR_TOKEN}   e.g. curl -H 'Authorization: Bearer ${EMULATOR_TOKEN}' ${url}/repos/${DEMO_REPO}/issues`,
      `webhooks: POST ${url}/_emulator/github/repos/${DEMO_REPO}/hooks {"url": "<timebridge>/webhooks/github/<connection>", "secret": "…"}`,
      `OAuth App: clientId ${EMULATOR_CLIENT_ID}, clientSecret ${EMULATOR_CLIENT_SECRET}, authUrl ${url}/login/oauth/authorize, tokenUrl ${url}/login/oauth/access_token (signs in as octocat; PUT ${url}/_emulator/github/oauth/signed-in {"login": "…"})`,
      'timebridge.yaml:',
      '  connections:',
      '    github:',
      '      type: github',
      `      apiUrl: ${url}`,
      `      repo: ${DEMO_REPO}`,
      `      token: ${EMULATOR_TOKEN}   # or tokenEnv: GITHUB_TOKEN`,
      '      webhook: { secret: <a long random string> }',
      '  links:',
      '    github-issues: { connection: github, scope: work, externalKind: issue }',
    ].join('\n'),
};
