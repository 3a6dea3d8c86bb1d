/**
 * jCal → iCalendar text. ical.js formats and escapes each property, but its line
 * folding lets continuation lines reach 76 octets (75 plus the leading space), so
 * lines are folded here instead (RFC 5545 §3.1: at most 75 octets, CRLF).
 *
 * A property the writer did not touch keeps its original content line: ical.js would
 * reformat it (GEO:52.5200 as 52.52, X-P=a,b as X-P="a,b", unescaped commas escaped),
 * which changes bytes and, for parameters, meaning.
 */
import ICAL from 'ical.js';
import type { JComp, JProp } from './ical-jcal.js';

const CRLF = '\r\n';
const MAX_OCTETS = 75;

function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Folds one content line at ≤75 octets per line, never inside a UTF-8 sequence. */
export function foldLine(line: string): string {
  // A UTF-16 unit is at most 3 UTF-8 octets, so short lines need no counting.
  if (line.length <= MAX_OCTETS / 3 || Buffer.byteLength(line) <= MAX_OCTETS) return line;
  let out = '';
  let from = 0;
  let octets = 0;
  let limit = MAX_OCTETS;
  for (let i = 0; i < line.length;) {
    const cp = line.codePointAt(i)!;
    const size = utf8Length(cp);
    if (octets + size > limit) {
      out += line.slice(from, i) + CRLF + ' ';
      from = i;
      octets = 0;
      limit = MAX_OCTETS - 1; // the leading space of a continuation counts
    }
    octets += size;
    i += cp > 0xffff ? 2 : 1;
  }
  return out + line.slice(from);
}

/** The original (unfolded) content line of each property parsed from a text. */
export type OriginalLines = ReadonlyMap<JProp, string>;

function componentLines(comp: JComp, out: string[], original: OriginalLines): void {
  const name = comp[0].toUpperCase();
  out.push('BEGIN:' + name);
  for (const prop of comp[1]) {
    out.push(foldLine(original.get(prop) ?? ICAL.stringify.property(prop, ICAL.design.icalendar, true)));
  }
  for (const sub of comp[2]) componentLines(sub, out, original);
  out.push('END:' + name);
}

/** The iCalendar text of a VCALENDAR, every line ending in CRLF. */
export function serialiseCalendar(cal: JComp, original: OriginalLines = new Map()): string {
  const lines: string[] = [];
  componentLines(cal, lines, original);
  return lines.join(CRLF) + CRLF;
}

/**
 * Pairs each property of `cal` (parsed from `text`) with its content line. ical.js keeps
 * properties in line order, so the lines of each component are zipped with its
 * properties; a component whose counts differ (a line ical.js skipped) is left unpaired.
 */
export function originalLines(text: string, cal: JComp): OriginalLines {
  const out = new Map<JProp, string>();
  const lines = text
    .replace(/\r?\n[ \t]/g, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  let i = 0;
  const walk = (comp: JComp): void => {
    i++; // BEGIN
    const own: string[] = [];
    let sub = 0;
    while (i < lines.length && !/^END:/i.test(lines[i]!)) {
      if (/^BEGIN:/i.test(lines[i]!)) {
        const next = comp[2][sub++];
        if (!next) return;
        walk(next);
      } else {
        own.push(lines[i++]!);
      }
    }
    i++; // END
    if (own.length === comp[1].length) comp[1].forEach((p, k) => out.set(p, own[k]!.replace(/^\ufeff/, '')));
  };
  walk(cal);
  return out;
}
