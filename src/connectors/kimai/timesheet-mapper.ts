/**
 * Kimai timesheet ⇄ hub `timeEntry` (core/fields/time-entry.ts). The person, project and
 * activity are hub ids resolved through the connection's user, project and activity
 * links; an entry that refers to something the other side does not know is an error
 * that names it (REF_UNRESOLVED) and is retried on the next run. Kimai-only fields
 * (exported flag, break) go under `extras.kimai`; the exported flag is also the hub's
 * `exported` (the period lock, set by locking a month) in both directions. The key line a create leaves at the end
 * of the description (`[timebridge id=…]`) never reaches the hub, so it changes no hash.
 *
 * Option `granularity: day` is for hubs whose work logs have a day and a length but no
 * time (Timekeeper): entries are pulled without a start, and pushed ones are placed by
 * the connector within their day (after the user's latest record, or at `dayStart`).
 */
import { z } from 'zod';
import { waitingReason } from '../../core/booking.js';
import type { Fields, Json } from '../../core/model.js';
import { entryDay } from '../kit/entry-day.js';
import { unresolvedRef, type MapContext, type Mapper, type MapperEntry, type MapResult } from '../kit/mapper.js';
import type { KimaiEntry } from './kimai-types.js';
import { splitKey } from './timesheet-codec.js';
import { kimaiExtras, refExt, refHub } from './taxonomy-mappers.js';

export const timesheetMapperOptions = z
  .object({
    /** `exact` (default): start times as in Kimai. `day`: the hub keeps only the day and the length. */
    granularity: z.enum(['exact', 'day']).default('exact'),
  })
  .strict();

export type TimesheetMapperOptions = z.infer<typeof timesheetMapperOptions>;

const str = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);

function toHub(e: KimaiEntry, ctx: MapContext, opts: TimesheetMapperOptions): MapResult<{ fields: Fields; identity: string | null }> {
  const refs: [string, number, string][] = [
    ['user', e.user ?? -1, 'user'],
    ['project', e.project, 'project'],
    ['activity', e.activity, 'activity'],
  ];
  const ids: Record<string, string> = {};
  const missing: string[] = [];
  for (const [kind, id, label] of refs) {
    const hub = refHub(ctx, kind, id);
    if (hub) ids[kind] = hub;
    else missing.push(`${label} ${id}`);
  }
  if (missing.length) {
    return unresolvedRef(
      `the Kimai timesheet refers to ${missing.join(', ')}, not synced by this connection's user/project/activity links yet`,
      'Add those links on this connection (externalKind: user, project, activity) or run them first; the timesheet is synced on the next run.',
    );
  }
  const day = e.start
    ? entryDay(ctx, ids.user!, Date.parse(e.start), { ownZone: e.timeZone, connectionZone: e.fallbackZone ?? null })
    : { date: e.date, timeZone: e.timeZone };
  const fields: Fields = {
    date: day.date,
    start: opts.granularity === 'day' ? null : e.start,
    durationSeconds: e.durationSeconds,
    timeZone: day.timeZone,
    description: splitKey(e.description).description,
    personId: ids.user!,
    projectId: ids.project!,
    activityId: ids.activity!,
    taskId: null,
    billable: e.billable,
    tags: [...e.tags].sort(),
    ...(e.exported ? { exported: true } : {}),
    extras: { kimai: { exported: e.exported, breakSeconds: e.breakSeconds } },
  };
  return { ok: true, value: { fields, identity: timeEntryIdentity(fields) } };
}

function toExternal(fields: Fields, ctx: MapContext, previous: KimaiEntry | null, opts: TimesheetMapperOptions): MapResult<KimaiEntry> {
  const personId = str(fields.personId),
    projectId = str(fields.projectId),
    activityId = str(fields.activityId);
  // Not booked yet: the entry waits in the "to book" list instead of failing every run.
  const unbooked = [...(projectId ? [] : ['project']), ...(activityId ? [] : ['activity'])];
  if (unbooked.length) return { ok: false, skip: waitingReason(unbooked) };
  const user = personId ? refExt(ctx, 'user', personId) : null;
  const project = projectId ? refExt(ctx, 'project', projectId) : null;
  const activity = activityId ? refExt(ctx, 'activity', activityId) : null;
  const missing = [
    ...(personId && user === null ? [`person ${personId} (no Kimai user is linked to it)`] : []),
    ...(project === null ? [`project ${projectId} (not a Kimai project)`] : []),
    ...(activity === null ? [`activity ${activityId} (not a Kimai activity)`] : []),
  ];
  if (missing.length) {
    return unresolvedRef(
      `Kimai does not know ${missing.join(', ')}`,
      'Book the entry on a project and activity synced from Kimai (or run the project and activity links first), and make sure its person has a Kimai user (the user link matches persons by email, then username).',
    );
  }
  const start = opts.granularity === 'day' ? null : str(fields.start);
  const durationSeconds = typeof fields.durationSeconds === 'number' ? fields.durationSeconds : null;
  if (start === null && durationSeconds === null)
    return { ok: false, error: 'a running entry (no duration) needs a start time; Kimai cannot place it within its day' };
  const k = kimaiExtras(fields);
  return {
    ok: true,
    value: {
      start,
      date: str(fields.date) ?? previous?.date ?? '',
      durationSeconds,
      breakSeconds: typeof k.breakSeconds === 'number' ? k.breakSeconds : (previous?.breakSeconds ?? 0),
      timeZone: str(fields.timeZone),
      user,
      project: project!,
      activity: activity!,
      description: str(fields.description),
      tags: Array.isArray(fields.tags) ? fields.tags.filter((t): t is string => typeof t === 'string') : [],
      billable: typeof fields.billable === 'boolean' ? fields.billable : (previous?.billable ?? true),
      // A locked hub entry exports the Kimai record; nothing here un-exports one (that is a Kimai admin's call).
      exported: fields.exported === true || (previous?.exported ?? false),
    },
  };
}

/**
 * The natural key of a time entry in hub terms (person, start, length, project,
 * activity), so a Kimai record that a lost create reply left behind, or the same entry
 * in a second Kimai, is adopted instead of duplicated. Day-granular entries have none:
 * two equal work logs on one day are legitimate, and must not be taken for one.
 */
export function timeEntryIdentity(f: Fields): string | null {
  if (typeof f.personId !== 'string' || typeof f.projectId !== 'string' || typeof f.activityId !== 'string' || typeof f.start !== 'string') return null;
  return `timeEntry:${f.personId}|${f.start}|${String(f.durationSeconds)}|${f.projectId}|${f.activityId}`;
}

export function timesheetMapper(opts: TimesheetMapperOptions): Mapper<KimaiEntry> {
  return {
    name: 'kimai-timesheet',
    hubKind: 'timeEntry',
    // Everything but the task (Kimai books on project and activity); by the day, not the start time.
    holds: [
      'date',
      ...(opts.granularity === 'day' ? [] : ['start']),
      'durationSeconds',
      'timeZone',
      'description',
      'personId',
      'projectId',
      'activityId',
      'billable',
      'tags',
      'exported',
      'extras.kimai',
    ],
    refKinds: ['user', 'project', 'activity'],
    // The day is the person's: counted in their hub record's zone, and a day-granular entry keeps its day.
    readsPersons: true,
    readsLinkedRecord: true,
    toHub: (e, ctx) => toHub(e, ctx, opts),
    toExternal: (fields, ctx, previous) => toExternal(fields, ctx, previous, opts),
    identity: timeEntryIdentity,
    label: (f) => {
      const minutes = typeof f.durationSeconds === 'number' ? `${Math.round(f.durationSeconds / 60)} min` : 'running';
      return `${String(f.date ?? '?')} ${minutes}${f.description ? ` ${String(f.description)}` : ''}`;
    },
  };
}

export const timesheetMapperEntry: MapperEntry<KimaiEntry, TimesheetMapperOptions> = {
  externalKind: 'timesheet',
  hubKind: 'timeEntry',
  options: timesheetMapperOptions,
  make: timesheetMapper,
};
