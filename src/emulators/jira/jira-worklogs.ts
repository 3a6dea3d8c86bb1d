/**
 * Jira Cloud native worklogs (api-contracts §2.3): list, create (201), get, update,
 * delete (204) per issue, with `adjustEstimate` (auto, leave, new, manual) moving the
 * issue's remaining estimate and time spent; entity properties on worklogs; the
 * `/worklog/updated` and `/worklog/deleted` feeds (ms `since`, ≤1000 per page, oldest
 * first, `lastPage`/`nextPage`, the last minute never returned); `/worklog/list` by ids.
 * The author of a new worklog is always the caller, as in Jira Cloud.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseJiraDurationText, parseJiraTimestamp } from '../kit/time-text.js';
import type { AdfNode } from './adf.js';
import type { EmuIssue, EmuWorklog } from './jira-data.js';
import { findIssue, type JiraCtx } from './jira-directory.js';
import { renderWorklog, sendJiraError } from './jira-render.js';
import { servePage } from '../kit/listing-faults.js';

export interface WorklogCtx extends JiraCtx {
  now(): number;
  /** A strictly increasing timestamp for a write. */
  stamp(): number;
  /** Worklogs one issue may have before a create answers 413. */
  maxWorklogsPerIssue: number;
}

type Q = Record<string, string | undefined>;
type Op = 'create' | 'update' | 'delete';

const FEED_PAGE = 1000;
/** `/worklog/updated|deleted` never return the last minute before the request. */
const FEED_BLIND_MS = 60_000;
const STARTED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$/;

interface Body {
  started?: unknown;
  timeSpentSeconds?: unknown;
  timeSpent?: unknown;
  comment?: unknown;
  visibility?: unknown;
  properties?: unknown;
}

/** The fields a create or update sets, or the 400 it gets. */
function readBody(
  body: Body,
  partial: boolean,
):
  | { ok: true; started?: number; seconds?: number; comment?: AdfNode | null; visibility?: EmuWorklog['visibility']; properties?: Record<string, unknown> }
  | { ok: false; errors: Record<string, string>; message?: string } {
  const errors: Record<string, string> = {};
  const out: { started?: number; seconds?: number; comment?: AdfNode | null; visibility?: EmuWorklog['visibility']; properties?: Record<string, unknown> } = {};
  if (body.started !== undefined) {
    if (typeof body.started !== 'string' || !STARTED.test(body.started) || Number.isNaN(parseJiraTimestamp(body.started))) {
      errors.started = `Could not parse started "${String(body.started)}": use yyyy-MM-dd'T'HH:mm:ss.SSSZ, e.g. 2021-01-17T12:34:00.000+0000.`;
    } else out.started = parseJiraTimestamp(body.started);
  } else if (!partial) errors.started = 'You must specify a start date.';
  if (body.timeSpentSeconds !== undefined && body.timeSpent !== undefined) {
    return { ok: false, errors: {}, message: 'timeSpent and timeSpentSeconds are mutually exclusive: send one of them.' };
  }
  if (body.timeSpentSeconds !== undefined) {
    if (typeof body.timeSpentSeconds !== 'number' || !Number.isInteger(body.timeSpentSeconds) || body.timeSpentSeconds < 1)
      errors.timeLogged = 'Time spent must be a whole number of seconds, at least 1.';
    else out.seconds = body.timeSpentSeconds;
  } else if (body.timeSpent !== undefined) {
    const s = typeof body.timeSpent === 'string' ? parseJiraDurationText(body.timeSpent) : null;
    if (!s) errors.timeLogged = `Invalid time duration entered: "${String(body.timeSpent)}".`;
    else out.seconds = s;
  } else if (!partial) errors.timeLogged = 'You must indicate the time spent working.';
  if (body.comment !== undefined) {
    if (body.comment === null) out.comment = null;
    else if (typeof body.comment !== 'object' || (body.comment as AdfNode).type !== 'doc')
      errors.comment = 'Comment must be an Atlassian Document Format document (type doc, version 1) in REST v3.';
    else out.comment = body.comment as AdfNode;
  }
  if (body.visibility !== undefined) out.visibility = body.visibility as EmuWorklog['visibility'];
  if (body.properties !== undefined) {
    if (!Array.isArray(body.properties)) errors.properties = 'properties must be an array of {key, value}.';
    else out.properties = Object.fromEntries((body.properties as { key: string; value: unknown }[]).map((p) => [p.key, p.value]));
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, ...out };
}

/** Applies `adjustEstimate` for a change of `delta` logged seconds; a string is the 400 message. */
function adjustEstimate(issue: EmuIssue, q: Q, op: Op, delta: number): string | null {
  const mode = q.adjustEstimate ?? 'auto';
  const seconds = (name: string): number | string => {
    const v = q[name];
    if (v === undefined) return `${name} is required when adjustEstimate is ${mode}.`;
    const s = parseJiraDurationText(v);
    return s === null ? `${name} "${v}" is not a duration such as 2h 30m.` : s;
  };
  let remaining = issue.remainingEstimateSeconds;
  switch (mode) {
    case 'auto':
      if (remaining !== null) remaining = Math.max(0, remaining - delta);
      break;
    case 'leave':
      break;
    case 'new': {
      const s = seconds('newEstimate');
      if (typeof s === 'string') return s;
      remaining = s;
      break;
    }
    case 'manual': {
      if (op === 'update') return 'adjustEstimate manual is not allowed when updating a worklog: use auto, new or leave.';
      const s = seconds(op === 'create' ? 'reduceBy' : 'increaseBy');
      if (typeof s === 'string') return s;
      remaining = op === 'create' ? Math.max(0, (remaining ?? 0) - s) : (remaining ?? 0) + s;
      break;
    }
    default:
      return `adjustEstimate "${mode}" is not one of new, leave, manual, auto.`;
  }
  issue.remainingEstimateSeconds = remaining;
  issue.timeSpentSeconds = Math.max(0, issue.timeSpentSeconds + delta);
  return null;
}

function feedPage(ctx: WorklogCtx, req: FastifyRequest, entries: { worklogId: string; updatedTime: number; properties: unknown[] }[], path: string) {
  // `since` is exclusive ("after which"): a page ends at its last item, and the next starts after it.
  const { since } = req.query as Q;
  const from = Number(since ?? 0) || 0;
  const cutoff = ctx.now() - FEED_BLIND_MS;
  const size = Math.min(FEED_PAGE, ctx.settings.maxPageSize);
  const all = entries
    .filter((e) => e.updatedTime > from && e.updatedTime <= cutoff)
    .sort((a, b) => a.updatedTime - b.updatedTime || Number(a.worklogId) - Number(b.worklogId));
  const values = all.slice(0, size);
  const lastPage = all.length <= size;
  const until = values.length ? values[values.length - 1]!.updatedTime : from;
  const base = `${ctx.base(req)}${path}`;
  return {
    values: values.map((v) => ({ worklogId: Number(v.worklogId), updatedTime: v.updatedTime, properties: v.properties })),
    since: from,
    until,
    self: `${base}?since=${from}`,
    lastPage,
    ...(lastPage ? {} : { nextPage: `${base}?since=${until}` }),
  };
}

export function worklogRoutes(app: FastifyInstance, ctx: WorklogCtx): void {
  const d = () => ctx.data();
  const withProps = (req: FastifyRequest) => ((req.query as Q).expand ?? '').split(',').includes('properties');
  const issueOr404 = (req: FastifyRequest, reply: FastifyReply): EmuIssue | null => {
    const issue = findIssue(d(), (req.params as { idOrKey: string }).idOrKey);
    if (!issue) void sendJiraError(reply, 404, 'Issue does not exist or you do not have permission to see it.');
    return issue ?? null;
  };
  const worklogOr404 = (req: FastifyRequest, reply: FastifyReply, issue: EmuIssue): EmuWorklog | null => {
    const { id } = req.params as { id: string };
    const w = d().worklogs.find((x) => x.id === id && x.issueId === issue.id);
    if (!w) void sendJiraError(reply, 404, `Cannot find worklog with id: ${id}.`);
    return w ?? null;
  };

  app.get('/rest/api/3/issue/:idOrKey/worklog', async (req, reply) => {
    const issue = issueOr404(req, reply);
    if (!issue) return reply;
    const q = req.query as Q;
    const after = q.startedAfter !== undefined ? Number(q.startedAfter) : -Infinity;
    const before = q.startedBefore !== undefined ? Number(q.startedBefore) : Infinity;
    const all = d()
      .worklogs.filter((w) => w.issueId === issue.id && w.started >= after && w.started < before)
      .sort((a, b) => a.created - b.created || Number(a.id) - Number(b.id));
    const startAt = Math.max(0, Number(q.startAt ?? 0) || 0);
    const maxResults = Math.min(Number(q.maxResults ?? 5000) || 5000, ctx.settings.maxPageSize, 5000);
    const remove = (w: EmuWorklog) => {
      d().worklogs = d().worklogs.filter((x) => x !== w);
      const at = ctx.stamp();
      d().deleted.push({ worklogId: w.id, at });
      issue.timeSpentSeconds = Math.max(0, issue.timeSpentSeconds - w.timeSpentSeconds);
      issue.updated = at;
    };
    const served = servePage(req.listingFault, all, startAt, maxResults, remove);
    return {
      startAt,
      maxResults,
      total: served.total,
      worklogs: served.rows.map((w) => renderWorklog(d(), w, ctx.base(req), withProps(req))),
    };
  });

  app.post('/rest/api/3/issue/:idOrKey/worklog', async (req, reply) => {
    const issue = issueOr404(req, reply);
    if (!issue) return reply;
    const parsed = readBody((req.body ?? {}) as Body, false);
    if (!parsed.ok) return sendJiraError(reply, 400, parsed.message ?? '', parsed.errors);
    if (d().worklogs.filter((w) => w.issueId === issue.id).length >= ctx.maxWorklogsPerIssue) {
      return sendJiraError(reply, 413, `The issue ${issue.key} has reached its limit of ${ctx.maxWorklogsPerIssue} worklogs.`);
    }
    const problem = adjustEstimate(issue, req.query as Q, 'create', parsed.seconds!);
    if (problem) return sendJiraError(reply, 400, problem);
    const at = ctx.stamp();
    const me = req.jiraUser!.accountId;
    const w: EmuWorklog = {
      id: String(d().nextId++),
      issueId: issue.id,
      authorAccountId: me,
      updateAuthorAccountId: me,
      created: at,
      updated: at,
      started: parsed.started!,
      timeSpentSeconds: parsed.seconds!,
      comment: parsed.comment ?? null,
      visibility: parsed.visibility ?? null,
      properties: parsed.properties ?? {},
    };
    d().worklogs.push(w);
    issue.updated = at;
    return reply.code(201).send(renderWorklog(d(), w, ctx.base(req), withProps(req)));
  });

  app.get('/rest/api/3/issue/:idOrKey/worklog/:id', async (req, reply) => {
    const issue = issueOr404(req, reply);
    const w = issue && worklogOr404(req, reply, issue);
    if (!w) return reply;
    return renderWorklog(d(), w, ctx.base(req), withProps(req));
  });

  app.put('/rest/api/3/issue/:idOrKey/worklog/:id', async (req, reply) => {
    const issue = issueOr404(req, reply);
    const w = issue && worklogOr404(req, reply, issue);
    if (!issue || !w) return reply;
    const parsed = readBody((req.body ?? {}) as Body, true);
    if (!parsed.ok) return sendJiraError(reply, 400, parsed.message ?? '', parsed.errors);
    const seconds = parsed.seconds ?? w.timeSpentSeconds;
    const problem = adjustEstimate(issue, req.query as Q, 'update', seconds - w.timeSpentSeconds);
    if (problem) return sendJiraError(reply, 400, problem);
    if (parsed.started !== undefined) w.started = parsed.started;
    w.timeSpentSeconds = seconds;
    if (parsed.comment !== undefined) w.comment = parsed.comment;
    if (parsed.visibility !== undefined) w.visibility = parsed.visibility;
    if (parsed.properties !== undefined) Object.assign(w.properties, parsed.properties);
    w.updated = ctx.stamp();
    w.updateAuthorAccountId = req.jiraUser!.accountId;
    issue.updated = w.updated;
    return renderWorklog(d(), w, ctx.base(req), withProps(req));
  });

  app.delete('/rest/api/3/issue/:idOrKey/worklog/:id', async (req, reply) => {
    const issue = issueOr404(req, reply);
    const w = issue && worklogOr404(req, reply, issue);
    if (!issue || !w) return reply;
    const problem = adjustEstimate(issue, req.query as Q, 'delete', -w.timeSpentSeconds);
    if (problem) return sendJiraError(reply, 400, problem);
    d().worklogs = d().worklogs.filter((x) => x !== w);
    const at = ctx.stamp();
    d().deleted.push({ worklogId: w.id, at });
    issue.updated = at;
    return reply.code(204).send();
  });

  app.get('/rest/api/3/issue/:idOrKey/worklog/:id/properties', async (req, reply) => {
    const issue = issueOr404(req, reply);
    const w = issue && worklogOr404(req, reply, issue);
    if (!w) return reply;
    return {
      keys: Object.keys(w.properties).map((key) => ({ key, self: `${ctx.base(req)}/rest/api/3/issue/${w.issueId}/worklog/${w.id}/properties/${key}` })),
    };
  });

  app.get('/rest/api/3/issue/:idOrKey/worklog/:id/properties/:key', async (req, reply) => {
    const issue = issueOr404(req, reply);
    const w = issue && worklogOr404(req, reply, issue);
    if (!w) return reply;
    const { key } = req.params as { key: string };
    if (!(key in w.properties)) return sendJiraError(reply, 404, `The property with key '${key}' does not exist.`);
    return { key, value: w.properties[key] };
  });

  app.put('/rest/api/3/issue/:idOrKey/worklog/:id/properties/:key', async (req, reply) => {
    const issue = issueOr404(req, reply);
    const w = issue && worklogOr404(req, reply, issue);
    if (!w) return reply;
    const { key } = req.params as { key: string };
    const existed = key in w.properties;
    w.properties[key] = req.body ?? null;
    return reply.code(existed ? 200 : 201).send();
  });

  app.delete('/rest/api/3/issue/:idOrKey/worklog/:id/properties/:key', async (req, reply) => {
    const issue = issueOr404(req, reply);
    const w = issue && worklogOr404(req, reply, issue);
    if (!w) return reply;
    const { key } = req.params as { key: string };
    if (!(key in w.properties)) return sendJiraError(reply, 404, `The property with key '${key}' does not exist.`);
    delete w.properties[key];
    return reply.code(204).send();
  });

  app.get('/rest/api/3/worklog/updated', async (req) =>
    feedPage(
      ctx,
      req,
      d().worklogs.map((w) => ({
        worklogId: w.id,
        updatedTime: w.updated,
        properties: withProps(req) ? Object.entries(w.properties).map(([key, value]) => ({ key, value })) : [],
      })),
      '/rest/api/3/worklog/updated',
    ),
  );

  app.get('/rest/api/3/worklog/deleted', async (req) =>
    feedPage(
      ctx,
      req,
      d().deleted.map((x) => ({ worklogId: x.worklogId, updatedTime: x.at, properties: [] })),
      '/rest/api/3/worklog/deleted',
    ),
  );

  app.post('/rest/api/3/worklog/list', async (req, reply) => {
    const ids = (req.body as { ids?: unknown } | undefined)?.ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 1000) {
      return sendJiraError(reply, 400, 'ids must list between 1 and 1000 worklog ids.');
    }
    const wanted = new Set(ids.map(String));
    return d()
      .worklogs.filter((w) => wanted.has(w.id))
      .map((w) => renderWorklog(d(), w, ctx.base(req), withProps(req)));
  });
}
