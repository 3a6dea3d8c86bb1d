/**
 * Date and time values of hub events: 'YYYY-MM-DD' for a date, 'YYYY-MM-DDTHH:MM:SS'
 * (+ 'Z' when UTC) for a date-time (the form jCal uses), and RFC 5545 durations. Pure
 * string checks; placing wall times in zones is the connectors' business.
 */

export const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z?)$/;

/** Milliseconds of a wall time read as if it were UTC, or null when not a real date/time. */
export function wallMs(value: string): number | null {
  const m = DATE_TIME_RE.exec(value) ?? DATE_RE.exec(value);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((x) => Number(x ?? 0));
  // Leap seconds (:60) are legal in iCalendar; count them as :59 for validation.
  const ms = Date.UTC(y!, mo! - 1, d!, h, mi, Math.min(s, 59));
  const back = new Date(ms);
  const same =
    back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo! - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    s <= 60;
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
