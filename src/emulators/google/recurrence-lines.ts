/**
 * An event's `recurrence` lines as the emulator reads them (api-contracts §3.4: RRULE,
 * EXRULE, RDATE, EXDATE as in RFC 5545, no DTSTART). Written from RFC 5545 §3.1 (content
 * lines, quoted parameter values), §3.3.4–5 (DATE, DATE-TIME in its UTC, TZID and floating
 * forms), §3.3.9 (PERIOD) and §3.8.5 (EXDATE, RDATE), not from the connector's parser.
 * Whatever the emulator cannot expand is refused with its reason, never guessed.
 */
import { isZoneName } from '../kit/time-text.js';

/** One EXDATE or RDATE value; a PERIOD counts by its start, as an instance starts there. */
export type LinePoint =
  | { form: 'date'; date: string }
  | { form: 'utc'; instantMs: number }
  /** A wall time `YYYY-MM-DDTHH:MM:SS` in `tzid`, or in the event's zone when null (floating). */
  | { form: 'wall'; wall: string; tzid: string | null };

export interface RecurrenceLines {
  rrule: string | null;
  exdates: LinePoint[];
  rdates: LinePoint[];
  refused: { line: string; why: string }[];
}

interface ContentLine {
  name: string;
  params: Map<string, string>;
  value: string;
}

/** `NAME;P1=a;P2="b:c":value` (RFC 5545 §3.1): a colon inside quotes belongs to the parameter. */
function contentLine(line: string): ContentLine | null {
  let quoted = false;
  let colon = -1;
  for (let i = 0; i < line.length && colon < 0; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === ':' && !quoted) colon = i;
  }
  if (colon < 0) return null;
  const [name, ...rawParams] = line.slice(0, colon).split(/;(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  const params = new Map<string, string>();
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    if (eq < 1) return null;
    const v = p.slice(eq + 1);
    params.set(p.slice(0, eq).toUpperCase(), v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v);
  }
  return { name: (name ?? '').trim().toUpperCase(), params, value: line.slice(colon + 1) };
}

const DATE_RE = /^(\d{4})(\d{2})(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/;

function realDate(y: string, m: string, d: string): string | null {
  const t = Date.UTC(Number(y), Number(m) - 1, Number(d));
  const text = `${y}-${m}-${d}`;
  return Number(m) >= 1 && Number(m) <= 12 && new Date(t).toISOString().startsWith(text) ? text : null;
}

/** One DATE or DATE-TIME value, or the reason it is not one. */
function point(text: string, kind: string, tzid: string | null): LinePoint | string {
  const d = DATE_RE.exec(text);
  // A bare date without VALUE=DATE is read as a date too: lenient where RFC 5545 is strict.
  if (d && kind !== 'PERIOD') {
    const date = realDate(d[1]!, d[2]!, d[3]!);
    return date ? { form: 'date', date } : `${text} is not a real date`;
  }
  if (kind === 'DATE') return `${text} is not a DATE (YYYYMMDD)`;
  const t = DATE_TIME_RE.exec(text);
  if (!t) return `${text} is not a DATE-TIME (YYYYMMDDTHHMMSS, optionally ending in Z)`;
  const date = realDate(t[1]!, t[2]!, t[3]!);
  if (!date || Number(t[4]) > 23 || Number(t[5]) > 59 || Number(t[6]) > 59) return `${text} is not a real date and time`;
  const wall = `${date}T${t[4]}:${t[5]}:${t[6]}`;
  if (t[7]) return { form: 'utc', instantMs: Date.parse(`${wall}Z`) };
  return { form: 'wall', wall, tzid };
}

/** EXDATE / RDATE values of one line, or the reason the line is refused. */
function points(cl: ContentLine): LinePoint[] | string {
  const kind = (cl.params.get('VALUE') ?? 'DATE-TIME').toUpperCase();
  if (!['DATE', 'DATE-TIME', 'PERIOD'].includes(kind) || (kind === 'PERIOD' && cl.name !== 'RDATE')) return `VALUE=${kind} is not allowed on ${cl.name}`;
  const tzid = cl.params.get('TZID') ?? null;
  if (tzid !== null && !isZoneName(tzid)) return `TZID=${tzid} is not a time zone the emulator knows (use an IANA name such as Europe/Berlin)`;
  const out: LinePoint[] = [];
  for (const raw of cl.value.split(',')) {
    // A PERIOD is start/end or start/duration; the instance starts at its start.
    const text = kind === 'PERIOD' ? raw.split('/')[0]! : raw;
    if (kind === 'PERIOD' && !raw.includes('/')) return `${raw} is not a PERIOD (start/end or start/duration)`;
    const p = point(text.trim(), kind, tzid);
    if (typeof p === 'string') return p;
    out.push(p);
  }
  return out;
}

export function readRecurrenceLines(lines: readonly string[] | undefined): RecurrenceLines {
  const out: RecurrenceLines = { rrule: null, exdates: [], rdates: [], refused: [] };
  for (const line of lines ?? []) {
    const cl = contentLine(line);
    if (!cl) {
      out.refused.push({ line, why: 'not a NAME[;PARAM=value]:value line' });
      continue;
    }
    if (cl.name === 'RRULE') {
      if (out.rrule === null) out.rrule = cl.value;
      else out.refused.push({ line, why: 'a second RRULE' });
      continue;
    }
    if (cl.name !== 'EXDATE' && cl.name !== 'RDATE') {
      out.refused.push({ line, why: `${cl.name} is not expanded by the emulator` });
      continue;
    }
    const p = points(cl);
    if (typeof p === 'string') out.refused.push({ line, why: p });
    else (cl.name === 'EXDATE' ? out.exdates : out.rdates).push(...p);
  }
  return out;
}
