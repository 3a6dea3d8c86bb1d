/**
 * Date and time values in the hub's form, which is also jCal's: 'YYYY-MM-DD' for a
 * DATE, 'YYYY-MM-DDTHH:MM:SS' (+ 'Z' when UTC) for a DATE-TIME. Wall times are never
 * converted: a zoned time keeps its wall clock and TZID, so DST gaps and overlaps
 * survive a round trip untouched.
 */

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
  const fmt = tz && !utc ? zoneFormatter(tz) : null;
  // Floating and UTC times have no DST. A TZID unknown to the runtime (a custom
  // VTIMEZONE name) falls back to wall arithmetic, wrong only across a DST change.
  if (!fmt) return formatWall(dayShifted + exactMs, utc);
  const instant = wallToUtc(fmt, dayShifted) + exactMs;
  return formatWall(instant + offsetMs(fmt, instant), false);
}

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormatter(tz: string): Intl.DateTimeFormat | null {
  let fmt = formatters.get(tz);
  if (fmt === undefined) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      fmt = null;
    }
    formatters.set(tz, fmt);
  }
  return fmt;
}

/** UTC offset (ms) of the zone at an instant. */
function offsetMs(fmt: Intl.DateTimeFormat, instant: number): number {
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(new Date(instant))) p[part.type] = Number(part.value);
  const wall = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The instant of a wall time: the earlier one when ambiguous, the pre-gap offset in a gap (RFC 5545 §3.3.5). */
function wallToUtc(fmt: Intl.DateTimeFormat, wall: number): number {
  const before = wall - offsetMs(fmt, wall - DAY_MS);
  const after = wall - offsetMs(fmt, wall + DAY_MS);
  const valid = [before, after].filter((c) => c + offsetMs(fmt, c) === wall);
  return valid.length > 0 ? Math.min(...valid) : before;
}
