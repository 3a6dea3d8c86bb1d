/**
 * When a person's daily summary is due, pure (`now` passed in): on each local day, once the
 * person's local clock has reached their summary time. The local day and time come from
 * the zone's rules for that instant, so 18:00 stays 18:00 on both sides of a DST change
 * (on a day that skips the hour, a time inside the gap is due once the clock passes it).
 */
import { instantToLocalParts } from '../connectors/kit/zone-time.js';

/** `HH:MM`, 00:00–23:59. */
export const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The local day whose summary is due at `now` (its time has come), or null before the time. */
export function summaryDueDay(now: Date, zone: string | null, at: string): string | null {
  const { date, time } = instantToLocalParts(now.getTime(), zone);
  return time.slice(0, 5) >= at ? date : null;
}
