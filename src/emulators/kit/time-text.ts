/**
 * Date, time and duration texts as the emulated APIs write and read them, implemented here
 * from the API contracts (docs/api-contracts*.md) and not shared with the connectors: an
 * emulator that reused a connector's time code would agree with its mistakes.
 *
 * The zone offset comes from `Intl.DateTimeFormat`'s `longOffset` name ("GMT+09:00"); a wall
 * time is placed by trying the offsets in force a day before and a day after it, the way
 * PHP's DateTime (Kimai) does: in a DST gap it moves forward, in an overlap it takes the
 * earlier instant. RFC 5545 §3.3.5 places iCalendar wall times (Google's `timeZone` +
 * `dateTime`, recurrence TZIDs) the same way.
 */

const DAY_MS = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds east of UTC in force in `zone` at an instant (historic local mean times have seconds). */
function zoneOffsetMs(zone: string, instantMs: number): number {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formats.set(zone, f);
  }
  const name = f.formatToParts(new Date(instantMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(name);
  if (!m) throw new Error(`unexpected zone offset name ${name} for ${zone}`);
  return m[1] ? (m[1] === '-' ? -1 : 1) * ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0)) * 1000 : 0;
}

/** Minutes east of UTC in force in `zone` at an instant. */
export function zoneOffsetMinutes(instantMs: number, zone: string): number {
  return zoneOffsetMs(zone, instantMs) / 60_000;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `YYYY-MM-DDTHH:MM:SS` of the wall clock in `zone` at an instant. */
export function wallTimeAt(instantMs: number, zone: string): string {
  return new Date(instantMs + zoneOffsetMs(zone, instantMs)).toISOString().slice(0, 19);
}

/** True when `zone` is an IANA name this runtime knows. */
export function isZoneName(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** True for UTC under any of its names (`Etc/UTC`, `GMT`, `Zulu`, …): the runtime resolves them all to `UTC`. */
export function isUtcZone(zone: string): boolean {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone === 'UTC';
}

/** `+HHMM` / `-HHMM` for an offset in minutes. */
function offsetText(minutes: number): string {
  const abs = Math.abs(Math.trunc(minutes));
  return `${minutes < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
}

const WALL_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * The instant a wall time `YYYY-MM-DDTHH:MM[:SS]` (no offset) stands for in `zone`; null when
 * the text is not a real date and time.
 */
export function wallTimeToInstant(text: string, zone: string): number | null {
  const m = WALL_RE.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const s = m[6] ? Number(m[6]) : 0;
  if (mo! < 1 || mo! > 12 || h! > 23 || mi! > 59 || s > 59) return null;
  const asUtc = Date.UTC(y!, mo! - 1, d!, h!, mi!, s);
  if (new Date(asUtc).getUTCDate() !== d) return null;
  const want = new Date(asUtc).toISOString().slice(0, 19);
  const before = asUtc - zoneOffsetMs(zone, asUtc - DAY_MS);
  const after = asUtc - zoneOffsetMs(zone, asUtc + DAY_MS);
  const fits = [before, after].filter((t) => wallTimeAt(t, zone) === want);
  if (fits.length) return Math.min(...fits);
  // In a gap: read with the offset before the change, which lands after the gap.
  return before;
}

/** Kimai's output `Y-m-d\TH:i:sO`: `2024-05-06T09:00:00+0200`. */
export function kimaiDateTime(instantMs: number, zone: string): string {
  return `${wallTimeAt(instantMs, zone)}${offsetText(zoneOffsetMinutes(instantMs, zone))}`;
}

/** Jira's timestamps: `2024-05-06T09:00:00.000+0200`, shown in `zone` (UTC unless the user has one). */
export function jiraTimestamp(instantMs: number, zone = 'UTC'): string {
  const off = zoneOffsetMinutes(instantMs, zone);
  return `${new Date(instantMs + off * 60_000).toISOString().slice(0, 23)}${offsetText(off)}`;
}

const JIRA_TS_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,3})?([+-])(\d{2}):?(\d{2})$/;

/** A Jira request timestamp (`…T09:00:00.000+0200`) as an instant; NaN when it is not one. */
export function parseJiraTimestamp(text: string): number {
  const m = JIRA_TS_RE.exec(text);
  if (!m) return Number.NaN;
  const wall = Date.parse(`${m[1]}T${m[2]}${m[3] ?? ''}Z`);
  const off = (m[4] === '-' ? -1 : 1) * (Number(m[5]) * 60 + Number(m[6]));
  return wall - off * 60_000;
}

/**
 * Google's `dateTime` (RFC 3339): `2024-05-06T09:00:00+02:00` with the offset of `zone` at that
 * instant, `…Z` when there is no zone or it is UTC. A historic offset's seconds are dropped
 * from both the offset and the wall time, so the text still names the instant to the minute.
 */
export function rfc3339At(instantMs: number, zone?: string | null): string {
  if (!zone || isUtcZone(zone)) return `${new Date(instantMs).toISOString().slice(0, 19)}Z`;
  const off = Math.trunc(zoneOffsetMs(zone, instantMs) / 60_000);
  const abs = Math.abs(off);
  const wall = new Date(instantMs + off * 60_000).toISOString().slice(0, 19);
  return `${wall}${off < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/i;

/** An RFC 3339 date-time with its mandatory offset (`Z` or `±HH:MM`) as an instant; null when it is not one. */
export function parseRfc3339(text: string): number | null {
  const m = RFC3339_RE.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (mo! < 1 || mo! > 12 || h! > 23 || mi! > 59 || s! > 59) return null;
  const wall = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  if (new Date(wall).getUTCDate() !== d) return null;
  const ms = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  if (m[9] && (Number(m[10]) > 23 || Number(m[11]) > 59)) return null;
  const off = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  return wall + ms - off * 60_000;
}

/** Jira's time-tracking units: a week is 5 days, a day 8 hours. */
const UNITS: [unit: string, seconds: number][] = [
  ['w', 144_000],
  ['d', 28_800],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** Seconds as Jira writes them: `1d 2h 30m`; under a minute, seconds. */
export function jiraDurationText(seconds: number): string {
  if (seconds <= 0) return '0m';
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of UNITS.slice(0, 4)) {
    const n = Math.floor(rest / size);
    if (n) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.length ? parts.join(' ') : `${seconds}s`;
}

/** Jira's duration input (`3h 20m`, `1.5h`, `2w 4d`; a bare number is minutes) in seconds; null when unreadable. */
export function parseJiraDurationText(text: string): number | null {
  const t = text.trim();
  if (!t) return null;
  if (/^\d+$/.test(t)) return Number(t) * 60;
  let total = 0;
  for (const word of t.split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)([wdhms])$/.exec(word);
    if (!m) return null;
    total += Number(m[1]) * UNITS.find(([u]) => u === m[2])![1];
  }
  return Math.round(total);
}
