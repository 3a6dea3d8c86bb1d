/**
 * Timekeeper work log ⇄ hub `timeEntry`. A work log has a day and a length, no time:
 * the hub entry is day-granular (`start` null), its day the work log's `cal:dtstart`, its
 * zone the person's. The person, project and activity are resolved by the Kimai ids
 * Timekeeper keeps on them (the account's and the task's `dct:identifier`) through the
 * links of the Kimai connection named by the link's `kimai` option — the same hub records
 * the Kimai links sync, so a work log reaches Kimai on the activity Timekeeper shows.
 * An entry made in Kimai comes back as a work log on its person's local day; one on a
 * Kimai global activity (no parent project in Timekeeper) keeps its hub project.
 */
import { z } from 'zod';
import { waitingReason } from '../../core/booking.js';
import type { Fields, Json } from '../../core/model.js';
import { entryZone } from '../kit/entry-day.js';
import { unresolvedRef, type MapContext, type Mapper, type MapperEntry, type MapResult } from '../kit/mapper.js';
import type { WorkLog } from './types.js';

export const workLogMapperOptions = z
  .object({
    kimai: z.string().min(1).describe('the Kimai connection whose user, project and activity links give the Kimai ids Timekeeper keeps'),
  })
  .strict();

export type WorkLogMapperOptions = z.infer<typeof workLogMapperOptions>;

const text = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);

export function workLogMapper(opts: WorkLogMapperOptions): Mapper<WorkLog> {
  const kind = (k: string) => `${opts.kimai}:${k}`;
  const hubOf = (ctx: MapContext, k: string, id: string | null) => (id === null ? null : (ctx.refs?.hubId(kind(k), id) ?? null));
  const extOf = (ctx: MapContext, k: string, id: string | null) => (id === null ? null : (ctx.refs?.extId(kind(k), id) ?? null));

  function toHub(w: WorkLog, ctx: MapContext): MapResult<{ fields: Fields; identity: string | null }> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(w.date)) return { ok: false, error: `the work log has no day (cal:dtstart is "${w.date}"); give it a date in Timekeeper` };
    const missing: string[] = [];
    const personId = hubOf(ctx, 'user', w.kimaiUserId);
    const activityId = hubOf(ctx, 'activity', w.kimaiActivityId);
    // A Kimai global activity has no parent project in Timekeeper: the entry keeps the project it has in the hub (made in Kimai).
    const linkedProject = text(ctx.linked?.projectId);
    const projectId = w.kimaiProjectId === null && w.kimaiActivityId !== null ? linkedProject : hubOf(ctx, 'project', w.kimaiProjectId);
    if (w.kimaiUserId === null) missing.push(`its person (${w.person ?? 'none'}) has no Kimai account`);
    else if (!personId) missing.push(`Kimai user ${w.kimaiUserId}`);
    if (w.kimaiActivityId === null) missing.push(`its task (${w.task ?? 'none'}) is not a Kimai activity`);
    else if (!activityId) missing.push(`Kimai activity ${w.kimaiActivityId}`);
    if (w.kimaiActivityId !== null && w.kimaiProjectId === null && !projectId) missing.push(`its activity ${w.kimaiActivityId} is global (no parent project)`);
    else if (w.kimaiProjectId !== null && !projectId) missing.push(`Kimai project ${w.kimaiProjectId}`);
    if (missing.length) {
      return unresolvedRef(
        `the Timekeeper work log refers to ${missing.join(', ')}, not known to the links of connection ${opts.kimai} yet`,
        `Run the user, project and activity links of ${opts.kimai} first, and link the person to their Kimai account in Timekeeper; the work log is synced on the next run.`,
      );
    }
    const zone = entryZone(ctx, personId, { ownZone: null, connectionZone: null });
    const fields: Fields = {
      date: w.date,
      start: null,
      durationSeconds: w.durationSeconds,
      timeZone: zone,
      personId,
      projectId,
      activityId,
      // Not held (Timekeeper has no such fields): they make a new entry whole, and an existing one keeps its own.
      description: null,
      taskId: null,
      billable: null,
      tags: [],
    };
    return { ok: true, value: { fields, identity: null } };
  }

  function toExternal(fields: Fields, ctx: MapContext, previous: WorkLog | null): MapResult<WorkLog> {
    const projectId = text(fields.projectId),
      activityId = text(fields.activityId),
      personId = text(fields.personId);
    const unbooked = [...(projectId ? [] : ['project']), ...(activityId ? [] : ['activity'])];
    if (unbooked.length) return { ok: false, skip: waitingReason(unbooked) };
    const date = text(fields.date);
    if (!date) return { ok: false, error: 'the entry has no day; Timekeeper keeps work logs by day' };
    const user = extOf(ctx, 'user', personId);
    const activity = extOf(ctx, 'activity', activityId);
    const project = extOf(ctx, 'project', projectId);
    const missing = [
      ...(user === null ? [`person ${personId ?? '(none)'} (no Kimai user of ${opts.kimai} is linked to it)`] : []),
      ...(activity === null ? [`activity ${activityId} (not a Kimai activity of ${opts.kimai})`] : []),
      ...(project === null ? [`project ${projectId} (not a Kimai project of ${opts.kimai})`] : []),
    ];
    if (missing.length) {
      return unresolvedRef(
        `Timekeeper finds people and tasks by their Kimai ids, and there is none for ${missing.join(', ')}`,
        `Book the entry on a person, project and activity synced from ${opts.kimai}, or run those links first.`,
      );
    }
    const seconds = typeof fields.durationSeconds === 'number' ? fields.durationSeconds : null;
    if (seconds === null) return { ok: false, skip: 'still running (no duration yet): Timekeeper keeps finished work only' };
    return {
      ok: true,
      value: {
        date,
        durationSeconds: seconds,
        // The same Kimai ids: keep the URIs the work log has (a person with two Kimai accounts stays who they were).
        person: previous && previous.kimaiUserId === user ? previous.person : null,
        task: previous && previous.kimaiActivityId === activity ? previous.task : null,
        kimaiUserId: user,
        kimaiActivityId: activity,
        kimaiProjectId: project,
      },
    };
  }

  return {
    name: 'timekeeper-work-log',
    hubKind: 'timeEntry',
    holds: ['date', 'durationSeconds', 'personId', 'projectId', 'activityId'],
    refKinds: [kind('user'), kind('project'), kind('activity')],
    readsPersons: true,
    readsLinkedRecord: true,
    toHub,
    toExternal,
    identity: () => null,
    label: (f) => `${String(f.date ?? '?')} ${typeof f.durationSeconds === 'number' ? `${Math.round(f.durationSeconds / 60)} min` : 'running'}`,
  };
}

export const workLogMapperEntry: MapperEntry<WorkLog, WorkLogMapperOptions> = {
  externalKind: 'work-log',
  hubKind: 'timeEntry',
  options: workLogMapperOptions,
  make: workLogMapper,
};
