/**
 * A worklog (Jira native or Tempo) ⇄ hub `timeEntry` (core/fields/time-entry.ts). The
 * issue and the author are hub ids resolved through the connection's issue and user
 * links (`ctx.refs`); a worklog on an issue no link has mapped yet is an error naming
 * REF_UNRESOLVED, retried on the next run, and never written without it.
 *
 * Authors: a person with a user on the site is logged as that user. Otherwise Tempo logs
 * the work as `fallbackAuthor`, and Jira (which always logs as the API user) as the API
 * user; the worklog then says whose it is (trailer line, Jira entity property), and
 * reading it back gives the real person again plus `extras.<site>.authorFallback`, so a
 * fallback never turns into a change of person.
 */
import { z } from 'zod';
import { waitingReason } from '../../../core/booking.js';
import type { Fields, Json } from '../../../core/model.js';
import { entryDay } from '../entry-day.js';
import { unresolvedRef, type MapContext, type Mapper, type MapperEntry, type MapResult } from '../mapper.js';
import { instantToLocalParts, isKnownZone, localPartsToInstant } from '../zone-time.js';
import { hubInstant } from './jira-time.js';
import type { WorklogItem, WorklogVisibility } from './jira-types.js';
import { personLabel } from './worklog-trailer.js';

export type Site = 'jira' | 'tempo';

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'is not a time HH:MM such as 09:00');

export const worklogOptionsSchema = z
  .object({
    /** How writes move the issue's remaining estimate: auto (by the time logged), retain (never), manual (reduced on create only). */
    remainingEstimate: z.enum(['auto', 'retain', 'manual']).default('auto'),
    /** Tempo: the account id that logs the work of a person who has no user on this site. */
    fallbackAuthor: z.string().min(1).optional(),
    /** Where a time entry that has a day but no time starts, in its zone. */
    dayStart: clock.default('09:00'),
  })
  .strict();

export type WorklogOptions = z.infer<typeof worklogOptionsSchema>;

/** Jira's worklog mapper takes no fallbackAuthor: Jira Cloud always logs native worklogs as the API user. */
export const jiraWorklogOptionsSchema = worklogOptionsSchema.superRefine((o, ctx) => {
  if (o.fallbackAuthor !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['fallbackAuthor'],
      message:
        "Jira Cloud logs native worklogs as the API user, so another person's work is always logged as that user (and marked). Remove fallbackAuthor from this jira link; it applies to tempo links",
    });
  }
});

type Obj = { [k: string]: Json };
const str = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);

function siteExtras(fields: Fields, site: Site): Obj {
  const extras = fields.extras as Obj | undefined;
  const own = extras?.[site];
  return own && typeof own === 'object' && !Array.isArray(own) ? own : {};
}

function toHub(w: WorklogItem, ctx: MapContext, site: Site): MapResult<{ fields: Fields; identity: string | null }> {
  const taskId = ctx.refs?.hubId('issue', w.issueId) ?? null;
  const personId = w.onBehalfOf?.personId ?? (w.authorAccountId ? (ctx.refs?.hubId('user', w.authorAccountId) ?? null) : null);
  const missing = [...(taskId ? [] : [`issue ${w.issueId}`]), ...(personId ? [] : [`author ${w.authorAccountId ?? '(none)'}`])];
  if (missing.length) {
    return unresolvedRef(
      `the ${site === 'tempo' ? 'Tempo' : 'Jira'} worklog refers to ${missing.join(' and ')}, not synced by this connection's issue/user links yet`,
      "Add links with externalKind: issue and externalKind: user on this connection (the issue link's collection must cover the issue) or run them first; the worklog syncs on the next run.",
    );
  }
  const extras: Obj = {};
  // `for` is the hub person (a stable reference); `name` is whom the remote's readers see named.
  if (w.onBehalfOf)
    extras.authorFallback = { loggedAs: w.authorAccountId, for: w.onBehalfOf.personId, ...(w.onBehalfOf.name ? { name: w.onBehalfOf.name } : {}) };
  if (w.billableSeconds !== null) extras.billableSeconds = w.billableSeconds;
  if (w.visibility) extras.visibility = { ...w.visibility } as Obj;
  // Work logged as someone else (Jira's API user, Tempo's fallback author) shows that account's zone, not the person's.
  const day = entryDay(ctx, personId, Date.parse(w.start), { ownZone: w.onBehalfOf ? null : w.timeZone, connectionZone: null });
  const fields: Fields = {
    date: day.date,
    start: w.start,
    durationSeconds: w.seconds,
    timeZone: day.timeZone,
    description: w.description,
    personId,
    projectId: null,
    activityId: null,
    taskId,
    billable: null,
    tags: [],
    ...(Object.keys(extras).length ? { extras: { [site]: extras } } : {}),
  };
  return { ok: true, value: { fields, identity: worklogIdentity(fields) } };
}

function toExternal(fields: Fields, ctx: MapContext, previous: WorklogItem | null, site: Site, opts: WorklogOptions): MapResult<WorklogItem> {
  const seconds = typeof fields.durationSeconds === 'number' ? fields.durationSeconds : null;
  if (seconds === null) return { ok: false, skip: 'still running: it becomes a worklog once it has a length' };
  if (seconds < 1) return { ok: false, skip: 'zero length: a worklog needs at least one second' };
  const taskId = str(fields.taskId);
  if (!taskId) return { ok: false, skip: waitingReason(['task']) };
  const issueId = ctx.refs?.extId('issue', taskId) ?? null;
  if (!issueId) {
    return unresolvedRef(
      `task ${taskId} is not an issue on this site yet`,
      "Map it with the issue link (same key, options.keyMap or options.keyField) and make sure the issue link's collection covers it; the worklog is written on the next run.",
    );
  }
  const personId = str(fields.personId);
  const account = personId ? (ctx.refs?.extId('user', personId) ?? null) : null;
  let authorAccountId = account;
  let onBehalfOf: WorklogItem['onBehalfOf'] = null;
  // Whose work it is, as people reading the worklog see it: the hub person's name and e-mail.
  const card = personId ? (ctx.refs?.person?.(personId) ?? null) : null;
  const behalf = personId ? { personId, name: personLabel(card?.name, card?.email) } : null;
  if (site === 'jira') {
    onBehalfOf = behalf;
  } else if (!account) {
    if (!opts.fallbackAuthor) {
      return unresolvedRef(
        personId ? `person ${personId} has no user on this site (no user link matched their email)` : 'the entry has no person',
        'Add the person to Jira with the same email, or set options.fallbackAuthor on this link to the account id that should log such work.',
      );
    }
    authorAccountId = opts.fallbackAuthor;
    onBehalfOf = behalf;
  }
  const zone = str(fields.timeZone);
  const date = str(fields.date) ?? previous?.date ?? '';
  const start = str(fields.start) ?? hubInstant(localPartsToInstant(date, opts.dayStart, zone && isKnownZone(zone) ? zone : null));
  const own = siteExtras(fields, site);
  return {
    ok: true,
    value: {
      issueId,
      authorAccountId,
      onBehalfOf,
      date: instantToLocalParts(Date.parse(start), zone && isKnownZone(zone) ? zone : null).date,
      start,
      timeZone: zone,
      seconds,
      description: str(fields.description),
      billableSeconds: typeof own.billableSeconds === 'number' ? own.billableSeconds : null,
      visibility: (own.visibility as unknown as WorklogVisibility | undefined) ?? previous?.visibility ?? null,
      estimate: opts.remainingEstimate,
    },
  };
}

/** The same work on another site: task, person, start and length. */
export function worklogIdentity(f: Fields): string | null {
  if (typeof f.taskId !== 'string' || typeof f.personId !== 'string') return null;
  return `worklog:${f.taskId}|${f.personId}|${str(f.start) ?? str(f.date)}|${String(f.durationSeconds)}`;
}

export function worklogMapper(site: Site, opts: WorklogOptions): Mapper<WorklogItem> {
  return {
    name: `${site}-worklog`,
    // A worklog has no project, activity, billable flag or tags: a pull keeps those of the entry's other systems.
    holds: ['date', 'start', 'durationSeconds', 'timeZone', 'description', 'personId', 'taskId', `extras.${site}`],
    hubKind: 'timeEntry',
    refKinds: ['issue', 'user'],
    // The day is the person's: counted in their hub record's zone, never the logging account's.
    readsPersons: true,
    readsLinkedRecord: true,
    deleteOptions: { remainingEstimate: opts.remainingEstimate },
    toHub: (w, ctx) => toHub(w, ctx, site),
    toExternal: (fields, ctx, previous) => toExternal(fields, ctx, previous, site, opts),
    identity: worklogIdentity,
    label: (f) => {
      const minutes = typeof f.durationSeconds === 'number' ? `${Math.round(f.durationSeconds / 60)} min` : 'running';
      const extras = (f.extras ?? {}) as Obj;
      const fallback = Object.entries(extras).find(([, v]) => v && typeof v === 'object' && 'authorFallback' in (v as Obj));
      return `${String(f.date ?? '?')} ${minutes}${f.description ? ` ${String(f.description)}` : ''}${fallback ? ` (logged as a fallback author on ${fallback[0]})` : ''}`;
    },
  };
}

export function worklogMapperEntry(site: Site): MapperEntry<WorklogItem, WorklogOptions> {
  return {
    externalKind: 'worklog',
    hubKind: 'timeEntry',
    options: (site === 'jira' ? jiraWorklogOptionsSchema : worklogOptionsSchema) as z.ZodType<WorklogOptions>,
    make: (o) => worklogMapper(site, o),
  };
}
