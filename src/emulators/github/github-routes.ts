/**
 * The REST routes of the GitHub emulator (api-contracts §6.2): a repository, its issue list
 * (`state`, `labels`, `since`, `sort`, `direction`, `per_page` ≤ 100, `page`, the `Link`
 * header, pull requests mixed in), one issue, creating and changing an issue (a change of
 * state delivers `issues.closed`/`reopened` to the hooks, as GitHub does for API edits),
 * and `/rate_limit`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { servePage } from '../kit/listing-faults.js';
import type { EmulatorSettings } from '../kit/emulator.js';
import { addIssue, issueJson, repoJson, repoOf, stamp, type GhIssue, type GhRepo, type GithubData } from './github-data.js';
import { deliver } from './github-hooks.js';
import { issuesPayload } from './github-events.js';

export interface RouteCtx {
  data(): GithubData;
  now(): Date;
  base(req: FastifyRequest): string;
  settings: EmulatorSettings;
}

type RepoParams = { owner: string; repo: string };
type IssueParams = RepoParams & { number: string };

export const notFound = (reply: FastifyReply) =>
  reply.code(404).send({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });

const invalid = (reply: FastifyReply, message: string) =>
  reply.code(422).send({ message: 'Validation Failed', errors: [{ message }], documentation_url: 'https://docs.github.com/rest', status: '422' });

function sorted(issues: GhIssue[], sort: string, direction: string): GhIssue[] {
  const key = sort === 'updated' ? (i: GhIssue) => i.updatedAt : (i: GhIssue) => i.createdAt;
  const sign = direction === 'asc' ? 1 : -1;
  return [...issues].sort((a, b) => sign * (key(a).localeCompare(key(b)) || a.number - b.number));
}

function linkHeader(url: URL, page: number, last: number): string | null {
  if (last <= 1) return null;
  const at = (p: number) => {
    const u = new URL(url);
    u.searchParams.set('page', String(p));
    return u.href;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`<${at(page - 1)}>; rel="prev"`);
  if (page < last) rels.push(`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`);
  if (page > 1) rels.push(`<${at(1)}>; rel="first"`);
  return rels.join(', ');
}

export function listIssues(ctx: RouteCtx) {
  return async (req: FastifyRequest<{ Params: RepoParams; Querystring: Record<string, string | undefined> }>, reply: FastifyReply) => {
    const data = ctx.data();
    const repo = repoOf(data, req.params.owner, req.params.repo);
    if (!repo) return notFound(reply);
    const q = req.query;
    const state = q.state ?? 'open';
    if (!['open', 'closed', 'all'].includes(state)) return invalid(reply, `state must be open, closed or all (was ${state})`);
    const perPage = Math.min(100, ctx.settings.maxPageSize, Math.max(1, Number(q.per_page ?? 30) || 30));
    const page = Math.max(1, Math.floor(Number(q.page ?? 1)) || 1);
    const wanted = (q.labels ?? '')
      .split(',')
      .map((l) => l.trim().toLowerCase())
      .filter(Boolean);
    const since = q.since ? Date.parse(q.since) : NaN;
    const all = sorted(
      repo.issues.filter(
        (i) =>
          (state === 'all' || i.state === state) &&
          wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)) &&
          (Number.isNaN(since) || Date.parse(i.updatedAt) >= since),
      ),
      q.sort ?? 'created',
      q.direction ?? 'desc',
    );
    const remove = (row: GhIssue) => {
      repo.issues = repo.issues.filter((i) => i !== row);
    };
    const served = servePage(req.listingFault, all, (page - 1) * perPage, perPage, remove);
    const lastPage = Math.max(1, Math.ceil(served.all.length / perPage));
    const url = new URL(`${ctx.base(req)}${req.url}`);
    const link = linkHeader(url, page, lastPage);
    if (link) void reply.header('link', link);
    return served.rows.map((i) => issueJson(data, ctx.base(req), repo, i));
  };
}

const findIssue = (repo: GhRepo, n: string) => repo.issues.find((i) => String(i.number) === n);

export interface IssueChange {
  title?: string;
  body?: string | null;
  state?: 'open' | 'closed';
  state_reason?: 'completed' | 'not_planned' | 'reopened' | null;
  labels?: (string | { name: string })[];
  assignees?: string[];
}

/** Apply a change to an issue; the issue actions it amounts to, in GitHub's order. */
export function changeIssue(issue: GhIssue, c: IssueChange, now: Date): string[] {
  const actions: string[] = [];
  if (c.title !== undefined && c.title !== issue.title) {
    issue.title = c.title;
    actions.push('edited');
  }
  if (c.body !== undefined && c.body !== issue.body) {
    issue.body = c.body;
    if (!actions.includes('edited')) actions.push('edited');
  }
  if (c.labels) issue.labels = c.labels.map((l) => (typeof l === 'string' ? l : l.name));
  if (c.assignees) issue.assignees = [...c.assignees];
  if (c.state && c.state !== issue.state) {
    issue.state = c.state;
    issue.closedAt = c.state === 'closed' ? stamp(now) : null;
    issue.stateReason = c.state === 'closed' ? (c.state_reason ?? 'completed') : 'reopened';
    actions.push(c.state === 'closed' ? 'closed' : 'reopened');
  }
  issue.updatedAt = stamp(now);
  return actions;
}

export function registerRestRoutes(app: FastifyInstance, ctx: RouteCtx): void {
  app.get<{ Params: RepoParams }>('/repos/:owner/:repo', async (req, reply) => {
    const repo = repoOf(ctx.data(), req.params.owner, req.params.repo);
    return repo ? repoJson(ctx.base(req), repo) : notFound(reply);
  });
  app.get('/repos/:owner/:repo/issues', listIssues(ctx));
  app.get<{ Params: IssueParams }>('/repos/:owner/:repo/issues/:number', async (req, reply) => {
    const data = ctx.data();
    const repo = repoOf(data, req.params.owner, req.params.repo);
    const issue = repo && findIssue(repo, req.params.number);
    return repo && issue ? issueJson(data, ctx.base(req), repo, issue) : notFound(reply);
  });
  app.post<{ Params: RepoParams; Body: IssueChange }>('/repos/:owner/:repo/issues', async (req, reply) => {
    const data = ctx.data();
    const repo = repoOf(data, req.params.owner, req.params.repo);
    if (!repo) return notFound(reply);
    const b = req.body ?? {};
    if (typeof b.title !== 'string' || !b.title.trim()) return invalid(reply, 'title is required');
    const issue = addIssue(
      data,
      repo,
      { title: b.title, body: b.body ?? null, labels: (b.labels ?? []).map((l) => (typeof l === 'string' ? l : l.name)), assignees: b.assignees ?? [] },
      ctx.now(),
    );
    await deliver(data, repo, 'issues', issuesPayload(data, ctx.base(req), repo, issue, 'opened'));
    return reply.code(201).send(issueJson(data, ctx.base(req), repo, issue));
  });
  app.patch<{ Params: IssueParams; Body: IssueChange }>('/repos/:owner/:repo/issues/:number', async (req, reply) => {
    const data = ctx.data();
    const repo = repoOf(data, req.params.owner, req.params.repo);
    const issue = repo && findIssue(repo, req.params.number);
    if (!repo || !issue) return notFound(reply);
    const b = req.body ?? {};
    if (b.state !== undefined && b.state !== 'open' && b.state !== 'closed') return invalid(reply, `state must be open or closed (was ${String(b.state)})`);
    for (const action of changeIssue(issue, b, ctx.now())) await deliver(data, repo, 'issues', issuesPayload(data, ctx.base(req), repo, issue, action));
    return issueJson(data, ctx.base(req), repo, issue);
  });
  app.get('/rate_limit', async () => {
    const r = ctx.data().rate;
    const core = { limit: r.limit, remaining: r.remaining, reset: r.reset, used: r.limit - r.remaining, resource: 'core' };
    return { resources: { core }, rate: core };
  });
}
