/**
 * jCal → iCalendar text. ical.js formats and escapes each property, but its line
 * folding lets continuation lines reach 76 octets (75 plus the leading space), so
 * lines are folded here instead (RFC 5545 §3.1: at most 75 octets, CRLF).
 */
import ICAL from 'ical.js';
import type { JComp } from './ical-jcal.js';

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

function componentLines(comp: JComp, out: string[]): void {
  const name = comp[0].toUpperCase();
  out.push('BEGIN:' + name);
  for (const prop of comp[1]) {
    out.push(foldLine(ICAL.stringify.property(prop, ICAL.design.icalendar, true)));
  }
  for (const sub of comp[2]) componentLines(sub, out);
  out.push('END:' + name);
}

/** The iCalendar text of a VCALENDAR, every line ending in CRLF. */
export function serialiseCalendar(cal: JComp): string {
  const lines: string[] = [];
  componentLines(cal, lines);
  return lines.join(CRLF) + CRLF;
}
