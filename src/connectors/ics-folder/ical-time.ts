/**
 * Date and time values in the hub's form, which is also jCal's: 'YYYY-MM-DD' for a
 * DATE, 'YYYY-MM-DDTHH:MM:SS' (+ 'Z' when UTC) for a DATE-TIME. Wall times are never
 * converted: a zoned time keeps its wall clock and TZID, so DST gaps and overlaps
 * survive a round trip untouched.
 */
import { isKnownZone, offsetMs, wallMsToInstant } from '../kit/zone-time.js';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z?)$/;

const DAY_MS = 86_400_000;

/** Milliseconds of a wall time read as if it were UTC, or null when not a real date/time. */
function wallMs(value: string): number | null {
  const m = DATE_TIME_RE.exec(value) ?? DATE_RE.exec(value);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((x) => Number(x ?? 0));
  // Leap seconds (:60) are legal in iCalendar; count them as :59 for validation.
  const ms = Date.UTC(y!, mo! - 1, d!, h, mi, Math.min(s, 59));
  const back = new Date(ms);
  const same = back.getUTCFullYear() === y && back.getUTCMonth() === mo! - 1 && back.getUTCDate() === d
    && back.getUTCHours() === h && back.getUTCMinutes() === mi && s <= 60;
  return same && y! >= 1 ? ms : null;
}

export function isDateValue(value: string): boolean {
  return DATE_RE.test(value) && wallMs(value) !== null;
}

export function isDateTimeValue(value: string): boolean {
  return DATE_TIME_RE.test(value) && wallMs(value) !== null;
}

export function isUtc(value: string): boolean {
  return value.endsWith('Z');
}

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

export interface Duration {
  sign: 1 | -1;
  /** Nominal part: days and weeks, added to the calendar date. */
  days: number;
  /** Exact part: hours, minutes and seconds. */
  seconds: number;
}

const DURATION_RE = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export function parseDuration(text: string): Duration | null {
  const m = DURATION_RE.exec(text);
  if (!m || text.endsWith('P') || text.endsWith('T')) return null;
  const n = (i: number): number => Number(m[i] ?? 0);
  return { sign: m[1] === '-' ? -1 : 1, days: n(2) * 7 + n(3), seconds: n(4) * 3600 + n(5) * 60 + n(6) };
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
  return formatWall(instant + offsetMs(tz, instant), false);
}
