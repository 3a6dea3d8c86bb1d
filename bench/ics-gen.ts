/**
 * Synthetic but realistic calendar data for the folder benchmark: one VCALENDAR per
 * event, valid RFC 5545 (CRLF, lines folded at 75 octets without splitting UTF-8,
 * TEXT escaped). The mix resembles an exported work calendar: most events zoned in
 * Europe/Berlin with an embedded VTIMEZONE, some UTC, some all-day (often multi-day),
 * ~5 % weekly series with RRULE + EXDATE, part of them with a RECURRENCE-ID override.
 * Everything is derived from a seeded PRNG, so a run is reproducible.
 */

/** The seeded generator every benchmark draws from (mulberry32). */
export { seededRandom as prng } from '../src/core/random.js';

export type Rand = () => number;

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

export type EventKind = 'zoned' | 'utc' | 'allday' | 'recurring';

export interface EventSpec {
  uid: string;
  /** File name in the folder it was generated into. */
  file: string;
  kind: EventKind;
  summary: string;
  location: string | null;
  description: string | null;
  /** 'YYYYMMDDTHHMMSS' (wall, zoned/recurring), '...Z' (utc) or 'YYYYMMDD' (all-day). */
  start: string;
  end: string;
  rrule: string | null;
  exdates: string[];
  /** RECURRENCE-ID of an override VEVENT (wall time), with its moved start/end and summary. */
  override: { recurrenceId: string; start: string; end: string; summary: string } | null;
  alarm: boolean;
  attendees: string[];
  sequence: number;
  /** DTSTAMP / LAST-MODIFIED, 'YYYYMMDDTHHMMSSZ'. */
  stamp: string;
}

const BERLIN_VTIMEZONE = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'X-LIC-LOCATION:Europe/Berlin',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

const TOPICS = [
  'Weekly sync',
  'Sprint planning',
  'Retro',
  '1:1',
  'Kundentermin',
  'Architektur-Review',
  'Budgetplanung Q3',
  'Zahnarzt',
  'Mittagessen mit Jürgen',
  'Übergabe Schichtplan',
  'Standup',
  'Team-Frühstück',
  'Onboarding',
  'Всеобщее собрание',
  'Встреча с клиентом',
  '定例会議',
  '打ち合わせ',
  'プロジェクト進捗',
  'Réunion d’équipe',
  'Café avec Zoë',
  'Revisión trimestral',
  'Año nuevo planning',
  'Workshop: Ölförderung & Umwelt',
  'Interview – backend',
  'Release 2.4 go/no-go',
  'Board meeting',
  'Yoga 🧘',
  'Geburtstag 🎂 Maja',
  'Flight ✈️ BER→LIS',
  'Περίληψη έργου',
  'סקירת עיצוב',
  'Đánh giá mã',
  '코드 리뷰',
  'Training; part 2, advanced',
];
const SUFFIXES = ['', '', '', ' (remote)', ' – Raum 3.14', ' @ HQ', ', bitte vorbereiten', ' [optional]', ' 🚀', ' (verschoben)'];
const LOCATIONS = [
  'Raum Ostsee, 3. OG',
  'Zoom',
  'Teams',
  'Café Größenwahn, Kantstraße 1, Berlin',
  '会議室A',
  'Переговорная 2',
  'Müllerstraße 12; Hinterhof',
  'Home office',
  'Lisboa, Rua Augusta 100',
  'Building 7 / Room 101',
];
const DESC_WORDS = [
  'Agenda',
  'Protokoll',
  'follow-up',
  'Entscheidung',
  'Budget',
  'Roadmap',
  'Kunden',
  'Änderungen',
  'Risiken',
  'Aufgaben',
  'задачи',
  '議題',
  'review',
  'milestones',
  'Überblick',
  'naïve',
  'résumé',
  'deadline',
  'Q&A',
  'Notizen',
];
const PEOPLE = ['anna', 'jürgen', 'maja', 'li.wei', 'olga', 'zoë', 'pedro', 'kenji', 'fatima', 'tom'];

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function dateOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

function dateTimeOf(ms: number): string {
  const d = new Date(ms);
  return `${dateOf(ms)}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

const DAY = 86_400_000;
const BASE_MS = Date.UTC(2023, 0, 2); // a Monday
const SPAN_DAYS = 4 * 365;

function uuidLike(r: Rand): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(r, ['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
}

export function makeSummary(r: Rand, n: number): string {
  return `${pick(r, TOPICS)}${pick(r, SUFFIXES)} #${n}`;
}

function makeDescription(r: Rand): string | null {
  if (r() < 0.5) return null;
  const lines = int(r, 1, 4);
  const out: string[] = [];
  for (let l = 0; l < lines; l++) {
    out.push(Array.from({ length: int(r, 4, 16) }, () => pick(r, DESC_WORDS)).join(' ') + (r() < 0.3 ? ', siehe Wiki; danke!' : '.'));
  }
  return out.join('\n');
}

/** A new event; `n` makes the summary unique-ish and the uid is random. */
export function makeEvent(r: Rand, n: number): EventSpec {
  const uid = `${uuidLike(r)}@bench.timebridge.test`;
  const roll = r();
  const kind: EventKind = roll < 0.05 ? 'recurring' : roll < 0.15 ? 'allday' : roll < 0.3 ? 'utc' : 'zoned';
  const day = BASE_MS + int(r, 0, SPAN_DAYS) * DAY;
  const spec: EventSpec = {
    uid,
    file: `${uid}.ics`,
    kind,
    summary: makeSummary(r, n),
    location: r() < 0.6 ? pick(r, LOCATIONS) : null,
    description: makeDescription(r),
    start: '',
    end: '',
    rrule: null,
    exdates: [],
    override: null,
    alarm: r() < 0.3,
    attendees: r() < 0.25 ? Array.from({ length: int(r, 1, 4) }, () => pick(r, PEOPLE)) : [],
    sequence: 0,
    stamp: dateTimeOf(BASE_MS - int(r, 1, 400) * DAY + int(r, 0, 86_399) * 1000) + 'Z',
  };
  if (kind === 'allday') {
    spec.start = dateOf(day);
    spec.end = dateOf(day + (r() < 0.5 ? 1 : int(r, 2, 6)) * DAY);
    return spec;
  }
  const startMs = day + int(r, 14, 38) * 30 * 60_000; // 07:00 .. 19:00 in half hours
  const endMs = startMs + pick(r, [15, 30, 45, 60, 60, 90, 120]) * 60_000;
  if (kind === 'utc') {
    spec.start = dateTimeOf(startMs) + 'Z';
    spec.end = dateTimeOf(endMs) + 'Z';
    return spec;
  }
  spec.start = dateTimeOf(startMs);
  spec.end = dateTimeOf(endMs);
  if (kind === 'recurring') {
    const count = int(r, 8, 52);
    spec.rrule = r() < 0.5 ? `FREQ=WEEKLY;COUNT=${count}` : `FREQ=WEEKLY;UNTIL=${dateTimeOf(startMs + (count - 1) * 7 * DAY - 3_600_000)}Z;INTERVAL=1`;
    const ex = new Set<number>();
    for (let i = int(r, 1, 3); i > 0; i--) ex.add(int(r, 1, count - 2));
    spec.exdates = [...ex].sort((a, b) => a - b).map((w) => dateTimeOf(startMs + w * 7 * DAY));
    if (r() < 0.4) {
      let w = int(r, 1, count - 2);
      while (ex.has(w)) w = (w % (count - 2)) + 1;
      const rid = startMs + w * 7 * DAY;
      spec.override = {
        recurrenceId: dateTimeOf(rid),
        start: dateTimeOf(rid + 3_600_000),
        end: dateTimeOf(rid + 3_600_000 + (endMs - startMs)),
        summary: `${spec.summary} (verschoben ⏰)`,
      };
    }
  }
  return spec;
}

/** RFC 5545 §3.3.11 TEXT escaping. */
export function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** Folds a content line at ≤75 octets, never inside a UTF-8 sequence or surrogate pair. */
export function fold(line: string): string {
  if (Buffer.byteLength(line) <= 75) return line;
  const parts: string[] = [];
  let cur = '';
  let octets = 0;
  let limit = 75;
  for (const ch of line) {
    const size = Buffer.byteLength(ch);
    if (octets + size > limit) {
      parts.push(cur);
      cur = '';
      octets = 0;
      limit = 74;
    }
    cur += ch;
    octets += size;
  }
  parts.push(cur);
  return parts.join('\r\n ');
}

function timeLines(name: string, value: string, kind: EventKind): string {
  if (kind === 'allday') return `${name};VALUE=DATE:${value}`;
  if (kind === 'utc') return `${name}:${value}`;
  return `${name};TZID=Europe/Berlin:${value}`;
}

/** The iCalendar text of an event spec. */
export function render(e: EventSpec): string {
  const zoned = e.kind === 'zoned' || e.kind === 'recurring';
  const lines: string[] = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Bench Corp//Groupware 9.1//DE', 'CALSCALE:GREGORIAN'];
  if (zoned) lines.push(...BERLIN_VTIMEZONE);
  lines.push(
    'BEGIN:VEVENT',
    `UID:${e.uid}`,
    `DTSTAMP:${e.stamp}`,
    `CREATED:${e.stamp}`,
    `LAST-MODIFIED:${e.stamp}`,
    `SEQUENCE:${e.sequence}`,
    timeLines('DTSTART', e.start, e.kind),
    timeLines('DTEND', e.end, e.kind),
    `SUMMARY:${escapeText(e.summary)}`,
  );
  if (e.location !== null) lines.push(`LOCATION:${escapeText(e.location)}`);
  if (e.description !== null) lines.push(`DESCRIPTION:${escapeText(e.description)}`);
  lines.push('STATUS:CONFIRMED', `TRANSP:${e.kind === 'allday' ? 'TRANSPARENT' : 'OPAQUE'}`);
  if (e.rrule) lines.push(`RRULE:${e.rrule}`);
  if (e.exdates.length) lines.push(`EXDATE;TZID=Europe/Berlin:${e.exdates.join(',')}`);
  if (e.attendees.length) {
    lines.push(`ORGANIZER;CN=${e.attendees[0]}:mailto:${e.attendees[0]}@example.org`);
    for (const a of e.attendees) lines.push(`ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;CN=${a}:mailto:${a}@example.org`);
  }
  if (e.alarm) lines.push('BEGIN:VALARM', 'ACTION:DISPLAY', `DESCRIPTION:${escapeText(e.summary)}`, 'TRIGGER:-PT15M', 'END:VALARM');
  lines.push('END:VEVENT');
  if (e.override) {
    const o = e.override;
    lines.push(
      'BEGIN:VEVENT',
      `UID:${e.uid}`,
      `DTSTAMP:${e.stamp}`,
      `RECURRENCE-ID;TZID=Europe/Berlin:${o.recurrenceId}`,
      `SEQUENCE:${e.sequence + 1}`,
      `DTSTART;TZID=Europe/Berlin:${o.start}`,
      `DTEND;TZID=Europe/Berlin:${o.end}`,
      `SUMMARY:${escapeText(o.summary)}`,
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return lines.map(fold).join('\r\n') + '\r\n';
}

/** What a calendar client does when someone edits an event: new title, SEQUENCE and stamps move on. */
export function edited(r: Rand, e: EventSpec, n: number, at: Date): EventSpec {
  return { ...e, summary: `${makeSummary(r, n)} ✎`, sequence: e.sequence + 1, stamp: dateTimeOf(at.getTime()) + 'Z' };
}
