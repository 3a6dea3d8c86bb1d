/**
 * Date, time and duration texts as the emulated APIs write and read them, implemented here
 * from the API contracts (docs/api-contracts*.md) and not shared with the connectors: an
 * emulator that reused a connector's time code would agree with its mistakes.
 *
 * The zone offset comes from `Intl.DateTimeFormat`'s `longOffset` name ("GMT+09:00"); a wall
 * time is placed by trying the offsets in force a day before and a day after it, the way
 * PHP's DateTime (Kimai) does: in a DST gap it moves forward, in an overlap it takes the
 * earlier instant.
 */

const DAY_MS = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC in force in `zone` at an instant. */
export function zoneOffsetMinutes(zone: string, instantMs: number): number {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formats.set(zone, f);
  }
  const name = f.formatToParts(new Date(instantMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!m) throw new Error(`unexpected zone offset name ${name} for ${zone}`);
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `YYYY-MM-DDTHH:MM:SS` of the wall clock in `zone` at an instant. */
function wallText(zone: string, instantMs: number): string {
  return new Date(instantMs + zoneOffsetMinutes(zone, instantMs) * 60_000).toISOString().slice(0, 19);
}

/** `+HHMM` / `-HHMM` for an offset in minutes. */
function offsetText(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
}

const WALL_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * The instant a wall time `YYYY-MM-DDTHH:MM[:SS]` (no offset) stands for in `zone`; null when
 * the text is not a real date and time.
 */
export function wallTimeToInstant(zone: string, text: string): number | null {
  const m = WALL_RE.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const s = m[6] ? Number(m[6]) : 0;
  if (mo! < 1 || mo! > 12 || h! > 23 || mi! > 59 || s > 59) return null;
  const asUtc = Date.UTC(y!, mo! - 1, d!, h!, mi!, s);
  if (new Date(asUtc).getUTCDate() !== d) return null;
  const want = new Date(asUtc).toISOString().slice(0, 19);
  const before = asUtc - zoneOffsetMinutes(zone, asUtc - DAY_MS) * 60_000;
  const after = asUtc - zoneOffsetMinutes(zone, asUtc + DAY_MS) * 60_000;
  const fits = [before, after].filter((t) => wallText(zone, t) === want);
  if (fits.length) return Math.min(...fits);
  // In a gap: read with the offset before the change, which lands after the gap.
  return before;
}

/** Kimai's output `Y-m-d\TH:i:sO`: `2024-05-06T09:00:00+0200`. */
export function kimaiDateTime(zone: string, instantMs: number): string {
  return `${wallText(zone, instantMs)}${offsetText(zoneOffsetMinutes(zone, instantMs))}`;
}

/** Jira's timestamps: `2024-05-06T09:00:00.000+0200`, shown in `zone` (UTC unless the user has one). */
export function jiraTimestamp(instantMs: number, zone = 'UTC'): string {
  const off = zoneOffsetMinutes(zone, instantMs);
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

/** Jira's time-tracking units: a week is 5 days, a day 8 hours. */
const UNITS: [unit: string, seconds: number][] = [['w', 144_000], ['d', 28_800], ['h', 3_600], ['m', 60], ['s', 1]];

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
