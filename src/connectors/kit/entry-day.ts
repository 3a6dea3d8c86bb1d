/**
 * The day a time entry belongs to is its person's local day. Kimai renders times in the
 * zone the record was entered in (often the API user's), and Jira in the author's (the
 * API user's for work logged on someone's behalf), so a mapper never takes the day from
 * the rendered offset: it converts the instant by the person's zone.
 */
import type { MapContext } from './mapper.js';
import { instantToLocalDate, isKnownZone } from './zone-time.js';

export interface ZoneCandidates {
  /** The zone the remote keeps for the person themselves (a Kimai user's preference, a Jira author's own profile), or null. */
  ownZone: string | null;
  /** The connection's configured zone, the last resort; null: UTC. */
  connectionZone: string | null;
}

const known = (zone: unknown): zone is string => typeof zone === 'string' && isKnownZone(zone);

/**
 * The zone of an entry's person: the hub person record's, else the linked hub entry's (the
 * zone it was recorded in), else the one the remote keeps for the person, else the
 * connection's. Null: UTC.
 */
export function entryZone(ctx: MapContext, personId: string | null, c: ZoneCandidates): string | null {
  const candidates = [personId ? ctx.refs?.person?.(personId)?.timeZone : null, ctx.linked?.timeZone, c.ownZone, c.connectionZone];
  return candidates.find(known) ?? null;
}

/**
 * `date` and `timeZone` of an entry whose work began at `startMs`. A linked day-granular
 * entry (start null) keeps its day and zone while the work stays on that day in that
 * zone, so an edit of another field never moves it.
 */
export function entryDay(ctx: MapContext, personId: string | null, startMs: number, c: ZoneCandidates): { date: string; timeZone: string | null } {
  const linked = ctx.linked;
  if (linked && linked.start === null && typeof linked.date === 'string') {
    const zone = known(linked.timeZone) ? linked.timeZone : null;
    if (instantToLocalDate(startMs, zone) === linked.date) return { date: linked.date, timeZone: zone };
  }
  const zone = entryZone(ctx, personId, c);
  return { date: instantToLocalDate(startMs, zone), timeZone: zone };
}
