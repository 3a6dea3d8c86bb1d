/**
 * Jira's users, projects and issues as the emulator serves them: `myself`, user lookup and
 * search (by email or name), `users/search`, projects, issues by key or id, and the
 * enhanced issue search (`/search/jql`, `nextPageToken` paging) for the JQL the
 * connectors send: `project = X`, `project in (…)`, `key in (…)`, `id in (…)` joined by AND.
 */
import { servePage } from '../kit/listing-faults.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EmuIssue, JiraData } from './jira-data.js';
import { renderIssue, renderUser, sendJiraError } from './jira-render.js';

export interface JiraCtx {
  data(): JiraData;
  base(req: FastifyRequest): string;
  settings: { maxPageSize: number };
}

type Q = Record<string, string | undefined>;

export function findIssue(d: JiraData, idOrKey: string): EmuIssue | undefined {
  return d.issues.find((i) => i.id === idOrKey || i.key.toLowerCase() === idOrKey.toLowerCase());
}

/** The issues a JQL query selects, or the reason it cannot be read. */
export function runJql(d: JiraData, jql: string): EmuIssue[] | string {
  const where = jql.replace(/\s+ORDER\s+BY\s+.*$/i, '').trim();
  let issues = [...d.issues].sort((a, b) => Number(a.id) - Number(b.id));
  if (!where) return issues;
  for (const clause of where.split(/\s+AND\s+/i)) {
    const m = /^(project|key|id|issuekey)\s*(=|in)\s*(.+)$/i.exec(clause.trim());
    if (!m) return `Error in the JQL Query: the emulator understands project/key/id with = or in, not "${clause.trim()}".`;
    const values = m[3]!
      .replace(/^\(|\)$/g, '')
      .split(',')
      .map((v) =>
        v
          .trim()
          .replace(/^["']|["']$/g, '')
          .toLowerCase(),
      );
    const field = m[1]!.toLowerCase();
    issues = issues.filter((i) => {
      if (field === 'project') {
        const p = d.projects.find((x) => x.id === i.projectId);
        return p !== undefined && (values.includes(p.key.toLowerCase()) || values.includes(p.id));
      }
      if (field === 'id') return values.includes(i.id);
      return values.includes(i.key.toLowerCase());
    });
  }
  return issues;
}

export function directoryRoutes(app: FastifyInstance, ctx: JiraCtx): void {
  app.get('/rest/api/3/myself', async (req) => renderUser(req.jiraUser!, req.jiraUser!.accountId, ctx.base(req)));

  app.get('/rest/api/3/user', async (req, reply) => {
    const { accountId } = req.query as Q;
    const u = ctx.data().users.find((x) => x.accountId === accountId);
    if (!u) return sendJiraError(reply, 404, `Specified user does not exist or you do not have required permissions`);
    return renderUser(u, u.accountId, ctx.base(req));
  });

  app.get('/rest/api/3/user/search', async (req, reply) => {
    const { query, accountId } = req.query as Q;
    if (!query && !accountId) return sendJiraError(reply, 400, 'One of the query parameters query or accountId is required.');
    const q = (query ?? '').toLowerCase();
    const found = ctx.data().users.filter((u) =>
      accountId
        ? u.accountId === accountId
        : // A hidden e-mail is not searchable either.
          (!u.emailHidden && (u.emailAddress.toLowerCase() === q || u.emailAddress.toLowerCase().startsWith(q))) || u.displayName.toLowerCase().startsWith(q),
    );
    return found.map((u) => renderUser(u, u.accountId, ctx.base(req)));
  });

  app.get('/rest/api/3/users/search', async (req) => {
    const { startAt, maxResults } = req.query as Q;
    const start = Math.max(0, Number(startAt ?? 0) || 0);
    const size = Math.min(Number(maxResults ?? 50) || 50, ctx.settings.maxPageSize, 1000);
    const remove = (u: { accountId: string }) => {
      ctx.data().users = ctx.data().users.filter((x) => x.accountId !== u.accountId);
    };
    return servePage(req.listingFault, ctx.data().users, start, size, remove).rows.map((u) => renderUser(u, u.accountId, ctx.base(req)));
  });

  app.get('/rest/api/3/project/:key', async (req, reply) => {
    const { key } = req.params as { key: string };
    const p = ctx.data().projects.find((x) => x.id === key || x.key.toLowerCase() === key.toLowerCase());
    if (!p) return sendJiraError(reply, 404, `No project could be found with key '${key}'.`);
    return { id: p.id, key: p.key, name: p.name, self: `${ctx.base(req)}/rest/api/3/project/${p.id}` };
  });

  app.get('/rest/api/3/issue/:idOrKey', async (req, reply) => {
    const { idOrKey } = req.params as { idOrKey: string };
    const issue = findIssue(ctx.data(), idOrKey);
    if (!issue) return sendJiraError(reply, 404, 'Issue does not exist or you do not have permission to see it.');
    return renderIssue(ctx.data(), issue, ctx.base(req));
  });

  const search = async (req: FastifyRequest, q: { jql?: string; nextPageToken?: string; maxResults?: number | string }) => {
    const found = runJql(ctx.data(), q.jql ?? '');
    if (typeof found === 'string') return { status: 400, body: { errorMessages: [found], errors: {} } };
    const start = q.nextPageToken ? Number(Buffer.from(q.nextPageToken, 'base64url').toString('utf8')) || 0 : 0;
    const size = Math.min(Number(q.maxResults ?? 50) || 50, ctx.settings.maxPageSize, 5000);
    const remove = (i: { id: string }) => {
      ctx.data().issues = ctx.data().issues.filter((x) => x.id !== i.id);
    };
    const served = servePage(req.listingFault, found, start, size, remove);
    const page = served.rows;
    const more = served.more;
    return {
      status: 200,
      body: {
        issues: page.map((i) => renderIssue(ctx.data(), i, ctx.base(req))),
        isLast: !more,
        ...(more ? { nextPageToken: Buffer.from(String(start + size), 'utf8').toString('base64url') } : {}),
      },
    };
  };
  app.get('/rest/api/3/search/jql', async (req, reply) => {
    const r = await search(req, req.query as Q);
    return reply.code(r.status).send(r.body);
  });
  app.post('/rest/api/3/search/jql', async (req, reply) => {
    const r = await search(req, (req.body ?? {}) as Q);
    return reply.code(r.status).send(r.body);
  });
}
