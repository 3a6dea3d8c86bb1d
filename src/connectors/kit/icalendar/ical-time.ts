/**
 * Date and time values in the hub's form, which is also jCal's: 'YYYY-MM-DD' for a
 * DATE, 'YYYY-MM-DDTHH:MM:SS' (+ 'Z' when UTC) for a DATE-TIME. Wall times are never
 * converted: a zoned time keeps its wall clock and TZID, so DST gaps and overlaps
 * survive a round trip untouched.
 */
import { isDateValue, isUtc, wallMs, type Duration } from '../../../core/fields/event-values.js';
import { isKnownZone, offsetMs, wallMsToInstant } from '../zone-time.js';

export { isDateTimeValue, isDateValue, isUtc, parseDuration, type Duration } from '../../../core/fields/event-values.js';

const DAY_MS = 86_400_000;

function formatWall(ms: number, utc: boolean): string {
  return new Date(ms).toISOString().slice(0, 19) + (utc ? 'Z' : '');
}

export function addDays(date: string, days: number): string {
  return new Date((wallMs(date) ?? 0) + days * DAY_MS).toISOString().slice(0, 10);
}

/** 'YYYY-MM-DDTHH:MM:SSZ' of an instant. */
export function utcStamp(at: Date): string {
  return at.toISOString().slice(0, 19) + 'Z';
}

/**
 * The end of an event given by DTSTART and DURATION (RFC 5545 §3.3.6): days are
 * nominal (same wall time on a later date), hours/minutes/seconds are exact, so
 * 'PT1H' from 01:30 on a spring-forward night in Berlin ends at 03:30.
 */
export function endFromDuration(start: string, tz: string | null, d: Duration): string {
  if (isDateValue(start)) {
    return addDays(start, d.sign * (d.days + Math.floor(d.seconds / 86_400)));
  }
  const utc = isUtc(start);
  const dayShifted = (wallMs(start) ?? 0) + d.sign * d.days * DAY_MS;
  const exactMs = d.sign * d.seconds * 1000;
  // Floating and UTC times have no DST. A TZID unknown to the runtime (a custom
  // VTIMEZONE name) falls back to wall arithmetic, wrong only across a DST change.
  if (!tz || utc || !isKnownZone(tz)) return formatWall(dayShifted + exactMs, utc);
  const instant = wallMsToInstant(dayShifted, tz) + exactMs;
  return formatWall(instant + offsetMs(instant, tz), false);
}
