/**
 * Expansion of a recurring event into instances, enough for the emulator: RRULE with
 * FREQ DAILY, WEEKLY (BYDAY), MONTHLY or YEARLY (the start's day), INTERVAL, COUNT and
 * UNTIL; EXDATE and RDATE. Wall-clock arithmetic in the event's zone, so 09:00 stays
 * 09:00 across a DST change. Anything else is refused with a 400, never guessed.
 */
import type { GEvent, GEventTime } from '../../connectors/google-calendar/google-types.js';
import { parseRecurrence, type DateValue } from '../../connectors/google-calendar/recurrence-lines.js';
import { formatWall, instantToWall, parseRfc3339, rfc3339In, wallMs, wallToInstant } from '../../connectors/kit/zone-time.js';

export interface Occurrence {
  /** Instance id suffix: 'YYYYMMDDTHHMMSSZ' or 'YYYYMMDD' for all-day. */
  key: string;
  start: GEventTime;
  end: GEventTime;
  startMs: number;
  endMs: number;
}

const DAY_MS = 86_400_000;
const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const MAX_STEPS = 20_000;

export type Expansion = { ok: true; occurrences: Occurrence[] } | { ok: false; error: string };

interface Rule { freq: string; interval: number; count: number | null; untilMs: number | null; byDay: number[] | null }

function parseRule(text: string, tz: string): Rule | string {
  const parts = Object.fromEntries(text.split(';').map((p) => p.split('=') as [string, string]).map(([k, v]) => [k.toUpperCase(), v ?? '']));
  const freq = parts['FREQ'];
  if (!freq || !['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(freq)) return `RRULE FREQ=${freq ?? '(none)'} is not supported by the emulator (DAILY, WEEKLY, MONTHLY, YEARLY are)`;
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
    untilMs = u[7] === 'Z' ? wallMs(wall) : wallToInstant(wall, tz);
  }
  const interval = parts['INTERVAL'] ? Number(parts['INTERVAL']) : 1;
  const count = parts['COUNT'] ? Number(parts['COUNT']) : null;
  if (!Number.isInteger(interval) || interval < 1 || (count !== null && (!Number.isInteger(count) || count < 1))) return 'INTERVAL and COUNT must be whole numbers ≥ 1';
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

function pointOf(v: DateValue, allDay: boolean, tz: string): number {
  const first = v.value.split('/')[0]!;
  if (allDay || !first.includes('T')) return wallMs(first.length === 10 ? `${first}T00:00:00` : first);
  return first.endsWith('Z') ? wallMs(first) : wallToInstant(first, v.tzid ?? tz);
}

/** The instances of `master` overlapping [timeMin, timeMax), at most `limit`. */
export function expand(master: GEvent, opts: { timeMin?: number; timeMax?: number; limit: number }): Expansion {
  const allDay = master.start?.date !== undefined;
  const tz = master.start?.timeZone ?? 'UTC';
  const startMs = allDay ? wallMs(`${master.start!.date}T00:00:00`) : parseRfc3339(master.start?.dateTime ?? '');
  const endMs = allDay ? wallMs(`${master.end!.date}T00:00:00`) : parseRfc3339(master.end?.dateTime ?? '');
  if (startMs === null || endMs === null) return { ok: false, error: 'the series has no valid start or end' };
  const rec = parseRecurrence(master.recurrence);
  if (rec.unsupported.length) return { ok: false, error: `recurrence lines not supported by the emulator: ${rec.unsupported.join(' | ')}` };
  const duration = endMs - startMs;
  const baseWall = allDay ? startMs : wallMs(instantToWall(startMs, tz));
  const toInstant = (wall: number): number => (allDay ? wall : wallToInstant(formatWall(wall), tz));
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
  const occurrences = [...new Set(starts)].sort((a, b) => a - b)
    .filter((s) => !excluded.has(s))
    .filter((s) => (opts.timeMin === undefined || s + duration > opts.timeMin) && (opts.timeMax === undefined || s < opts.timeMax))
    .slice(0, opts.limit)
    .map((s): Occurrence => {
      if (allDay) {
        const date = formatWall(s).slice(0, 10);
        return { key: date.replace(/-/g, ''), start: { date }, end: { date: formatWall(s + duration).slice(0, 10) }, startMs: s, endMs: s + duration };
      }
      const zone = master.start?.timeZone;
      return {
        key: `${formatWall(s).replace(/[-:]/g, '')}Z`,
        start: { dateTime: rfc3339In(s, zone ?? null), ...(zone ? { timeZone: zone } : {}) },
        end: { dateTime: rfc3339In(s + duration, master.end?.timeZone ?? zone ?? null), ...(zone ? { timeZone: master.end?.timeZone ?? zone } : {}) },
        startMs: s, endMs: s + duration,
      };
    });
  return { ok: true, occurrences };
}
