/**
 * Tempo Cloud REST v4 worklogs (api-contracts §2.2): lists by date range, issue, user,
 * project and `updatedFrom`, offset/limit paging with `metadata.next` as a full URL,
 * listing faults from the emulator kit on every list, POST (200), PUT replacing the whole record (omitted fields reset), DELETE (204),
 * `POST /4/worklogs/search`. Issues and authors must exist on the shared Jira site;
 * `startDateTimeUtc` comes from the author's Jira time zone; each write moves the issue's
 * time spent and (unless the input sets `remainingEstimateSeconds`) its remaining estimate.
 * Deleted worklogs simply vanish, as in Tempo.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { wallTimeToInstant } from '../kit/time-text.js';
import type { JiraSite } from '../jira/index.js';
import { servePage } from '../kit/listing-faults.js';
import type { EmuTempoWorklog, TempoData } from './tempo-data.js';

export interface TempoCtx {
  data(): TempoData;
  jira: JiraSite;
  now(): number;
  settings: { maxPageSize: number };
}

type Q = Record<string, string | string[] | undefined>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([0-1]?[0-9]|2[0-3])(:[0-5][0-9])(:[0-5][0-9])$/;
const MAX_LIMIT = 5000;

export function tempoError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ errors: [{ message }] });
}

const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

interface Filter {
  issueIds: number[];
  projectIds: number[];
  authorIds: string[];
  from?: string;
  to?: string;
  updatedFrom?: string;
  orderBy?: string;
}

/** `updatedFrom` as ms: a day (from its start, UTC) or `yyyy-MM-ddTHH:mm:ssZ`; a string is the 400 message. */
function updatedFromMs(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  if (DATE.test(v)) return Date.parse(`${v}T00:00:00Z`);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(v)) return Date.parse(v);
  return `updatedFrom "${v}" must be yyyy-MM-dd or yyyy-MM-ddTHH:mm:ssZ.`;
}

export function tempoRoutes(app: FastifyInstance, ctx: TempoCtx): void {
  const d = () => ctx.data();
  const base = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? req.hostname}`;
  const zoneOf = (accountId: string) => ctx.jira.data().users.find((u) => u.accountId === accountId)?.timeZone ?? 'UTC';
  const issueOf = (id: number) => ctx.jira.data().issues.find((i) => Number(i.id) === id);

  const render = (req: FastifyRequest, w: EmuTempoWorklog) => ({
    self: `${base(req)}/4/worklogs/${w.tempoWorklogId}`,
    tempoWorklogId: w.tempoWorklogId,
    issue: { self: `${base(req)}/rest/api/2/issue/${w.issueId}`, id: w.issueId },
    timeSpentSeconds: w.timeSpentSeconds,
    billableSeconds: w.billableSeconds,
    startDate: w.startDate,
    startTime: w.startTime,
    // Validated when stored (date and HH:mm:ss), so the wall time always reads.
    startDateTimeUtc: iso(wallTimeToInstant(`${w.startDate}T${w.startTime}`, zoneOf(w.authorAccountId))!),
    description: w.description,
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
    author: { self: `${base(req)}/rest/api/2/user?accountId=${encodeURIComponent(w.authorAccountId)}`, accountId: w.authorAccountId },
    attributes: { self: `${base(req)}/4/worklogs/${w.tempoWorklogId}/work-attribute-values`, values: w.attributes },
  });

  const page = (req: FastifyRequest, reply: FastifyReply, f: Filter, paging: { offset?: string; limit?: string }) => {
    if (f.from !== undefined && !DATE.test(f.from)) return tempoError(reply, 400, `from "${f.from}" must be yyyy-MM-dd.`);
    if (f.to !== undefined && !DATE.test(f.to)) return tempoError(reply, 400, `to "${f.to}" must be yyyy-MM-dd.`);
    const since = updatedFromMs(f.updatedFrom);
    if (typeof since === 'string') return tempoError(reply, 400, since);
    const offset = Math.max(0, Number(paging.offset ?? 0) || 0);
    const limit = Math.max(1, Math.min(Number(paging.limit ?? 50) || 50, MAX_LIMIT, ctx.settings.maxPageSize));
    const projectOf = (issueId: number) => Number(issueOf(issueId)?.projectId ?? -1);
    const all = d().worklogs.filter(
      (w) =>
        (!f.issueIds.length || f.issueIds.includes(w.issueId)) &&
        (!f.projectIds.length || f.projectIds.includes(projectOf(w.issueId))) &&
        (!f.authorIds.length || f.authorIds.includes(w.authorAccountId)) &&
        (f.from === undefined || w.startDate >= f.from) &&
        (f.to === undefined || w.startDate <= f.to) &&
        (since === undefined || w.updatedAt >= since),
    );
    const order = (f.orderBy ?? 'START_DATE_TIME').toUpperCase();
    all.sort((a, b) => {
      if (order === 'UPDATED') return a.updatedAt - b.updatedAt || a.tempoWorklogId - b.tempoWorklogId;
      if (order === 'ID') return a.tempoWorklogId - b.tempoWorklogId;
      return `${a.startDate}T${a.startTime}`.localeCompare(`${b.startDate}T${b.startTime}`) || a.tempoWorklogId - b.tempoWorklogId;
    });
    const remove = (w: EmuTempoWorklog) => {
      d().worklogs = d().worklogs.filter((x) => x !== w);
      moveIssueTime(ctx, w.issueId, -w.timeSpentSeconds, undefined);
    };
    const served = servePage(req.listingFault, all, offset, limit, remove);
    const results = served.rows;
    const url = (o: number) => {
      const u = new URL(`${base(req)}${req.url}`);
      u.searchParams.set('offset', String(o));
      u.searchParams.set('limit', String(limit));
      return u.href;
    };
    return {
      self: url(offset),
      metadata: {
        count: results.length,
        offset,
        limit,
        ...(served.more ? { next: url(offset + limit) } : {}),
        ...(offset > 0 ? { previous: url(Math.max(0, offset - limit)) } : {}),
      },
      results: results.map((w) => render(req, w)),
    };
  };

  const queryFilter = (q: Q): Filter => ({
    issueIds: list(q.issueId).map(Number),
    projectIds: list(q.projectId).map(Number),
    authorIds: [],
    from: one(q.from),
    to: one(q.to),
    updatedFrom: one(q.updatedFrom),
    orderBy: one(q.orderBy),
  });
  const paging = (q: Q) => ({ offset: one(q.offset), limit: one(q.limit) });

  app.get('/4/worklogs', async (req, reply) => page(req, reply, queryFilter(req.query as Q), paging(req.query as Q)));

  app.get('/4/worklogs/issue/:issueId', async (req, reply) => {
    const id = Number((req.params as { issueId: string }).issueId);
    if (!issueOf(id)) return tempoError(reply, 404, `Issue with id ${id} does not exist.`);
    return page(req, reply, { ...queryFilter(req.query as Q), issueIds: [id] }, paging(req.query as Q));
  });
  app.get('/4/worklogs/user/:accountId', async (req, reply) => {
    const { accountId } = req.params as { accountId: string };
    if (!ctx.jira.data().users.some((u) => u.accountId === accountId)) return tempoError(reply, 404, `User with account id ${accountId} does not exist.`);
    return page(req, reply, { ...queryFilter(req.query as Q), authorIds: [accountId] }, paging(req.query as Q));
  });
  app.get('/4/worklogs/project/:projectId', async (req, reply) => {
    const id = Number((req.params as { projectId: string }).projectId);
    if (!ctx.jira.data().projects.some((p) => Number(p.id) === id)) return tempoError(reply, 404, `Project with id ${id} does not exist.`);
    return page(req, reply, { ...queryFilter(req.query as Q), projectIds: [id] }, paging(req.query as Q));
  });
  app.post('/4/worklogs/search', async (req, reply) => {
    const b = (req.body ?? {}) as {
      authorIds?: string[];
      issueIds?: number[];
      projectIds?: number[];
      from?: string;
      to?: string;
      updatedFrom?: string;
      orderBy?: { field?: string }[];
    };
    return page(
      req,
      reply,
      {
        issueIds: b.issueIds ?? [],
        projectIds: b.projectIds ?? [],
        authorIds: b.authorIds ?? [],
        from: b.from,
        to: b.to,
        updatedFrom: b.updatedFrom,
        orderBy: b.orderBy?.[0]?.field,
      },
      paging(req.query as Q),
    );
  });

  const byId = (req: FastifyRequest, reply: FastifyReply): EmuTempoWorklog | null => {
    const id = Number((req.params as { id: string }).id);
    const w = d().worklogs.find((x) => x.tempoWorklogId === id);
    if (!w) void tempoError(reply, 404, `Worklog with id ${(req.params as { id: string }).id} does not exist.`);
    return w ?? null;
  };

  app.get('/4/worklogs/:id', async (req, reply) => {
    const w = byId(req, reply);
    return w ? render(req, w) : reply;
  });

  app.post('/4/worklogs', async (req, reply) => {
    const input = readInput(ctx, req.body, true);
    if (typeof input === 'string') return tempoError(reply, 400, input);
    const at = ctx.now();
    const w: EmuTempoWorklog = { tempoWorklogId: d().nextId++, ...input.worklog, createdAt: at, updatedAt: at };
    d().worklogs.push(w);
    moveIssueTime(ctx, w.issueId, w.timeSpentSeconds, input.remaining);
    return render(req, w);
  });

  app.put('/4/worklogs/:id', async (req, reply) => {
    const w = byId(req, reply);
    if (!w) return reply;
    const input = readInput(ctx, { ...((req.body as object) ?? {}), issueId: w.issueId }, false);
    if (typeof input === 'string') return tempoError(reply, 400, input);
    const delta = input.worklog.timeSpentSeconds - w.timeSpentSeconds;
    Object.assign(w, input.worklog, { updatedAt: Math.max(ctx.now(), w.updatedAt) });
    moveIssueTime(ctx, w.issueId, delta, input.remaining);
    return render(req, w);
  });

  app.delete('/4/worklogs/:id', async (req, reply) => {
    const w = byId(req, reply);
    if (!w) return reply;
    d().worklogs = d().worklogs.filter((x) => x !== w);
    moveIssueTime(ctx, w.issueId, -w.timeSpentSeconds, undefined);
    return reply.code(204).send();
  });
}

/** The issue's time spent moves with every write; its remaining estimate is set, or reduced as Jira's `auto` would. */
function moveIssueTime(ctx: TempoCtx, issueId: number, delta: number, remaining: number | undefined): void {
  const issue = ctx.jira.data().issues.find((i) => Number(i.id) === issueId);
  if (!issue) return;
  issue.timeSpentSeconds = Math.max(0, issue.timeSpentSeconds + delta);
  if (remaining !== undefined) issue.remainingEstimateSeconds = remaining;
  else if (issue.remainingEstimateSeconds !== null) issue.remainingEstimateSeconds = Math.max(0, issue.remainingEstimateSeconds - delta);
  issue.updated = ctx.jira.stamp();
}

type Input = { worklog: Omit<EmuTempoWorklog, 'tempoWorklogId' | 'createdAt' | 'updatedAt'>; remaining: number | undefined };

/** A WorklogInput (POST) or WorklogUpdate (PUT: omitted fields reset to their defaults); a string is the 400 message. */
function readInput(ctx: TempoCtx, raw: unknown, create: boolean): Input | string {
  const b = (raw ?? {}) as Record<string, unknown>;
  const int = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (typeof b.authorAccountId !== 'string' || !b.authorAccountId) return 'authorAccountId is required.';
  if (!ctx.jira.data().users.some((u) => u.accountId === b.authorAccountId)) return `Author with account id ${b.authorAccountId} does not exist in Jira.`;
  if (create && !int(b.issueId, 1)) return 'issueId is required and must be a number (Tempo v4 takes Jira issue ids, not keys).';
  if (!ctx.jira.data().issues.some((i) => Number(i.id) === b.issueId)) return `Issue with id ${String(b.issueId)} does not exist.`;
  if (typeof b.startDate !== 'string' || !DATE.test(b.startDate)) return 'startDate is required and must be yyyy-MM-dd.';
  if (b.startTime !== undefined && (typeof b.startTime !== 'string' || !TIME.test(b.startTime)))
    return `startTime "${String(b.startTime)}" must match HH:mm:ss.`;
  if (!int(b.timeSpentSeconds, 1)) return 'timeSpentSeconds is required and must be at least 1.';
  if (b.billableSeconds !== undefined && !int(b.billableSeconds, 0)) return 'billableSeconds must be a whole number ≥ 0.';
  if (b.remainingEstimateSeconds !== undefined && !int(b.remainingEstimateSeconds, 0)) return 'remainingEstimateSeconds must be a whole number ≥ 0.';
  if (b.description !== undefined && b.description !== null && typeof b.description !== 'string') return 'description must be a string.';
  const attributes = (b.attributes ?? []) as { key?: unknown; value?: unknown }[];
  if (!Array.isArray(attributes)) return 'attributes must be an array of {key, value}.';
  for (const a of attributes) {
    if (typeof a.key !== 'string' || !ctx.data().workAttributes.includes(a.key)) return `Work attribute with key ${String(a.key)} does not exist.`;
  }
  return {
    worklog: {
      issueId: b.issueId as number,
      authorAccountId: b.authorAccountId,
      startDate: b.startDate,
      startTime: clockTime((b.startTime as string | undefined) ?? '00:00:00'),
      timeSpentSeconds: b.timeSpentSeconds as number,
      billableSeconds: (b.billableSeconds as number | undefined) ?? (b.timeSpentSeconds as number),
      description: (b.description as string | null | undefined) ?? '',
      attributes: attributes.map((a) => ({ key: String(a.key), value: String(a.value) })),
    },
    remaining: b.remainingEstimateSeconds as number | undefined,
  };
}

/** Tempo's `startTime` as stored: `9:05` and `09:05` are `09:05:00`. */
function clockTime(text: string): string {
  const [h = '0', m = '0', s = '0'] = text.split(':');
  return [h, m, s].map((p) => p.padStart(2, '0')).join(':');
}
