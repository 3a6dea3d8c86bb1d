/**
 * Expansion of a recurring event into instances, enough for the emulator: RRULE with
 * FREQ DAILY, WEEKLY (BYDAY), MONTHLY or YEARLY (the start's day), INTERVAL, COUNT and
 * UNTIL; EXDATE and RDATE. Wall-clock arithmetic in the event's zone, so 09:00 stays
 * 09:00 across a DST change. Anything else is refused with a 400, never guessed.
 */
import type { CalendarEvent, EventDateTime } from './types.js';
import { parseRfc3339, rfc3339At, wallTimeAt, wallTimeToInstant } from '../kit/time-text.js';
import { readRecurrenceLines, type LinePoint } from './recurrence-lines.js';

export interface Occurrence {
  /** Instance id suffix: 'YYYYMMDDTHHMMSSZ' or 'YYYYMMDD' for all-day. */
  key: string;
  start: EventDateTime;
  end: EventDateTime;
  startMs: number;
  endMs: number;
}

const DAY_MS = 86_400_000;
const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const MAX_STEPS = 20_000;

/** Wall-clock arithmetic runs on "wall ms": a wall time `YYYY-MM-DDTHH:MM:SS` read as if it were UTC. */
const wallMs = (wall: string): number => Date.parse(`${wall}Z`);
const wallOf = (ms: number): string => new Date(ms).toISOString().slice(0, 19);
/** The instant of a wall time in `zone`: the earlier one in an overlap, moved forward in a gap. */
const placed = (wall: string, zone: string): number => wallTimeToInstant(wall, zone) ?? Number.NaN;

export type Expansion = { ok: true; occurrences: Occurrence[] } | { ok: false; error: string };

interface Rule {
  freq: string;
  interval: number;
  count: number | null;
  untilMs: number | null;
  byDay: number[] | null;
}

function parseRule(text: string, tz: string): Rule | string {
  const parts = Object.fromEntries(
    text
      .split(';')
      .map((p) => p.split('=') as [string, string])
      .map(([k, v]) => [k.toUpperCase(), v ?? '']),
  );
  const freq = parts['FREQ'];
  if (!freq || !['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(freq))
    return `RRULE FREQ=${freq ?? '(none)'} is not supported by the emulator (DAILY, WEEKLY, MONTHLY, YEARLY are)`;
  const known = new Set(['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'WKST']);
  const extra = Object.keys(parts).filter((k) => !known.has(k));
  if (extra.length) return `RRULE parts ${extra.join(', ')} are not supported by the emulator`;
  let byDay: number[] | null = null;
  if (parts['BYDAY']) {
    if (freq !== 'WEEKLY') return 'BYDAY is supported by the emulator with FREQ=WEEKLY only';
    byDay = parts['BYDAY'].split(',').map((d) => WEEKDAYS.indexOf(d.toUpperCase()));
    if (byDay.some((d) => d < 0)) return `BYDAY=${parts['BYDAY']} is not a list of plain weekdays (MO,TU,…)`;
  }
  let untilMs: number | null = null;
  if (parts['UNTIL']) {
    const u = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(parts['UNTIL']);
    if (!u) return `UNTIL=${parts['UNTIL']} is not a date or date-time`;
    const wall = `${u[1]}-${u[2]}-${u[3]}T${u[4] ?? '23'}:${u[5] ?? '59'}:${u[6] ?? '59'}`;
    untilMs = u[7] === 'Z' ? wallMs(wall) : placed(wall, tz);
    if (Number.isNaN(untilMs)) return `UNTIL=${parts['UNTIL']} is not a real date or date-time`;
  }
  const interval = parts['INTERVAL'] ? Number(parts['INTERVAL']) : 1;
  const count = parts['COUNT'] ? Number(parts['COUNT']) : null;
  if (!Number.isInteger(interval) || interval < 1 || (count !== null && (!Number.isInteger(count) || count < 1)))
    return 'INTERVAL and COUNT must be whole numbers ≥ 1';
  return { freq, interval, count, untilMs, byDay };
}

/** Candidate wall starts of period n (ms as if UTC), in order. */
function periodStarts(rule: Rule, base: number, n: number): number[] {
  const step = n * rule.interval;
  const d = new Date(base);
  if (rule.freq === 'DAILY') return [base + step * DAY_MS];
  if (rule.freq === 'WEEKLY') {
    const days = rule.byDay ?? [d.getUTCDay()];
    const monday = base - ((d.getUTCDay() + 6) % 7) * DAY_MS + step * 7 * DAY_MS;
    return [...days].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7)).map((wd) => monday + ((wd + 6) % 7) * DAY_MS);
  }
  const y = d.getUTCFullYear() + (rule.freq === 'YEARLY' ? step : 0);
  const m = d.getUTCMonth() + (rule.freq === 'MONTHLY' ? step : 0);
  const t = Date.UTC(y, m, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
  // The 31st in a 30-day month (or 29 February) is skipped (RFC 5545 §3.3.10).
  return new Date(t).getUTCDate() === d.getUTCDate() ? [t] : [];
}

/**
 * Where an EXDATE or RDATE value falls: an instant for a timed series, wall ms for an all-day
 * one (whose starts are dates). A date on a timed series names its midnight UTC.
 */
function pointOf(p: LinePoint, allDay: boolean, tz: string): number {
  if (p.form === 'date') return wallMs(`${p.date}T00:00:00`);
  if (p.form === 'utc') return p.instantMs;
  return allDay ? wallMs(p.wall) : placed(p.wall, p.tzid ?? tz);
}

/** The instances of `master` overlapping [timeMin, timeMax), at most `limit`. */
export function expand(master: CalendarEvent, opts: { timeMin?: number; timeMax?: number; limit: number }): Expansion {
  const allDay = master.start?.date !== undefined;
  const tz = master.start?.timeZone ?? 'UTC';
  const startMs = allDay ? wallMs(`${master.start!.date}T00:00:00`) : parseRfc3339(master.start?.dateTime ?? '');
  const endMs = allDay ? wallMs(`${master.end!.date}T00:00:00`) : parseRfc3339(master.end?.dateTime ?? '');
  if (startMs === null || endMs === null) return { ok: false, error: 'the series has no valid start or end' };
  const rec = readRecurrenceLines(master.recurrence);
  if (rec.refused.length)
    return { ok: false, error: `recurrence lines not supported by the emulator: ${rec.refused.map((r) => `${r.line} (${r.why})`).join(' | ')}` };
  const duration = endMs - startMs;
  const baseWall = allDay ? startMs : wallMs(wallTimeAt(startMs, tz));
  const toInstant = (wall: number): number => (allDay ? wall : placed(wallOf(wall), tz));
  const excluded = new Set(rec.exdates.map((v) => pointOf(v, allDay, tz)));
  const starts: number[] = [];
  if (rec.rrule) {
    const rule = parseRule(rec.rrule, tz);
    if (typeof rule === 'string') return { ok: false, error: rule };
    let produced = 0;
    outer: for (let n = 0; n < MAX_STEPS; n++) {
      for (const wall of periodStarts(rule, baseWall, n)) {
        if (wall < baseWall) continue;
        const at = toInstant(wall);
        if (rule.untilMs !== null && at > rule.untilMs) break outer;
        if (rule.count !== null && produced >= rule.count) break outer;
        produced++;
        if (opts.timeMax !== undefined && at >= opts.timeMax) break outer;
        starts.push(at);
      }
      if (starts.length > opts.limit * 4 + 1000) break;
    }
  } else {
    starts.push(startMs);
  }
  for (const r of rec.rdates) starts.push(pointOf(r, allDay, tz));
  const occurrences = [...new Set(starts)]
    .sort((a, b) => a - b)
    .filter((s) => !excluded.has(s))
    .filter((s) => (opts.timeMin === undefined || s + duration > opts.timeMin) && (opts.timeMax === undefined || s < opts.timeMax))
    .slice(0, opts.limit)
    .map((s): Occurrence => {
      if (allDay) {
        const date = wallOf(s).slice(0, 10);
        return { key: date.replace(/-/g, ''), start: { date }, end: { date: wallOf(s + duration).slice(0, 10) }, startMs: s, endMs: s + duration };
      }
      const zone = master.start?.timeZone;
      return {
        key: `${wallOf(s).replace(/[-:]/g, '')}Z`,
        start: { dateTime: rfc3339At(s, zone), ...(zone ? { timeZone: zone } : {}) },
        end: { dateTime: rfc3339At(s + duration, master.end?.timeZone ?? zone), ...(zone ? { timeZone: master.end?.timeZone ?? zone } : {}) },
        startMs: s,
        endMs: s + duration,
      };
    });
  return { ok: true, occurrences };
}
