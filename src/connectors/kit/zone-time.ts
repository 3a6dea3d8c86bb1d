/**
 * Wall time in an IANA zone ⇄ instants, on Intl alone, shared by every connector (iCalendar
 * TZIDs, Google's `dateTime` + `timeZone`, Kimai's and Tempo's local times). Formatters are
 * cached per zone; an unknown zone has none.
 */

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatter(tz: string): Intl.DateTimeFormat | null {
  let fmt = formatters.get(tz);
  if (fmt === undefined) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      fmt = null;
    }
    formatters.set(tz, fmt);
  }
  return fmt;
}

export function isKnownZone(tz: string): boolean {
  return formatter(tz) !== null;
}

/** UTC, Etc/UTC, GMT…: zones that need no TZID. */
export function isUtcZone(tz: string | null | undefined): boolean {
  return !tz || /^(Etc\/)?(UTC|UCT|GMT|Zulu|Universal)$/i.test(tz);
}

/** Offset of the zone from UTC at an instant, in ms (0 for an unknown zone). */
export function offsetMs(instant: number, tz: string): number {
  const fmt = formatter(tz);
  if (!fmt) return 0;
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(new Date(instant))) p[part.type] = Number(part.value);
  const wall = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** Milliseconds of a wall time 'YYYY-MM-DDTHH:MM:SS' read as if it were UTC. */
export function wallMs(wall: string): number {
  return Date.parse(`${wall.slice(0, 19)}Z`);
}

export function formatWall(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** The instant of a wall time in a zone: the earlier one when ambiguous, the pre-gap offset in a gap (RFC 5545 §3.3.5). */
export function wallToInstant(wall: string, tz: string): number {
  return wallMsToInstant(wallMs(wall), tz);
}

/** `wallToInstant` for a wall time given as ms "as if UTC". */
export function wallMsToInstant(w: number, tz: string): number {
  const before = w - offsetMs(w - DAY_MS, tz);
  const after = w - offsetMs(w + DAY_MS, tz);
  const valid = [before, after].filter((c) => c + offsetMs(c, tz) === w);
  return valid.length > 0 ? Math.min(...valid) : before;
}

/** 'YYYY-MM-DDTHH:MM:SS' of an instant in a zone. */
export function instantToWall(instant: number, tz: string): string {
  return formatWall(instant + offsetMs(instant, tz));
}

/** The local day 'YYYY-MM-DD' of an instant in a zone (null: UTC). */
export function instantToLocalDate(instant: number, tz: string | null): string {
  return instantToWall(instant, tz ?? 'UTC').slice(0, 10);
}

/** The local day and time (`YYYY-MM-DD`, `HH:MM:SS`) of an instant in a zone (null: UTC), as Tempo takes them. */
export function instantToLocalParts(instant: number, tz: string | null): { date: string; time: string } {
  const wall = instantToWall(instant, tz ?? 'UTC');
  return { date: wall.slice(0, 10), time: wall.slice(11, 19) };
}

/** The instant of a local day and time (`HH:MM[:SS]`) in a zone (null: UTC); DST as `wallToInstant`. */
export function localPartsToInstant(date: string, time: string, tz: string | null): number {
  const [h = '0', m = '0', s = '0'] = time.split(':');
  return wallToInstant(`${date}T${h.padStart(2, '0')}:${m.padStart(2, '0')}:${s.padStart(2, '0')}`, tz ?? 'UTC');
}

/** RFC 3339 with the zone's offset, as Google writes `dateTime`. */
export function rfc3339In(instant: number, tz: string | null): string {
  if (isUtcZone(tz)) return `${formatWall(instant)}Z`;
  const off = offsetMs(instant, tz!);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off) / 60_000;
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${formatWall(instant + off)}${sign}${hh}:${mm}`;
}

/** An RFC 3339 time with a mandatory offset, or null. */
export function parseRfc3339(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

export function addDaysToDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
