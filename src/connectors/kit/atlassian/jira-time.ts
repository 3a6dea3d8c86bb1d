/**
 * Time formats of Jira and Tempo, pure: Jira's `started` (`2021-01-17T12:34:00.000+0000`),
 * Tempo's worker-local `startDate` + `startTime`.
 */
// Wall time ⇄ instant conversions are the kit's (connectors/kit/zone-time.ts): instantToLocalParts, localPartsToInstant.

const DAY_MS = 86_400_000;

/** `9:05:00` → `09:05:00`; `09:05` → `09:05:00`. */
export function normaliseTime(time: string): string {
  const [h = '0', m = '0', s = '0'] = time.split(':');
  return `${h.padStart(2, '0')}:${m.padStart(2, '0')}:${s.padStart(2, '0')}`;
}

/** A UTC instant as the hub writes it: `YYYY-MM-DDTHH:MM:SSZ`. */
export function hubInstant(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Jira's `started`: `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, always written in UTC (`+0000`). */
export function formatStarted(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}+0000`;
}

/** Jira's timestamps (`started`, `created`, `updated`) with a `+HHMM` offset → ms; NaN when unreadable. */
export function parseJiraTime(s: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (!m) return Date.parse(s);
  const offset = (Number(m[3]) * 60 + Number(m[4])) * 60_000 * (m[2] === '-' ? -1 : 1);
  return Date.parse(`${m[1]}Z`) - offset;
}

/** Days from `date` (YYYY-MM-DD), as a date. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

const UNIT_SECONDS: Record<string, number> = { w: 5 * 8 * 3600, d: 8 * 3600, h: 3600, m: 60, s: 1 };

/** Jira's duration text (`3h 20m`, `1d`, `2w 4d`; 1w = 5d, 1d = 8h) in seconds; null when unreadable. */
export function parseJiraDuration(text: string): number | null {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 60; // a bare number is minutes in Jira
  const parts = t.split(/\s+/);
  let total = 0;
  for (const p of parts) {
    const m = /^(\d+(?:\.\d+)?)([wdhms])$/.exec(p);
    if (!m) return null;
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  }
  return Math.round(total);
}

/** Seconds as Jira shows them (`3h 20m`; days and weeks of 8 h and 5 d). */
export function formatJiraDuration(seconds: number): string {
  if (seconds <= 0) return '0m';
  const out: string[] = [];
  let rest = seconds;
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit]!;
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (!out.length) out.push(`${rest}s`);
  return out.join(' ');
}
