/**
 * The fidelity corpus (test/fixtures/ical-corpus/, hand made, see its README): each file
 * with the encoding the oracle reads it in, whether reading it must warn, and what a
 * real Radicale is known to change (named losses: facts of the source Radicale drops
 * and facts it adds, matched by regular expression).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceText } from './ical-oracle.js';

export const CORPUS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/ical-corpus');

export interface Loss {
  /** What is lost or changed, in words for the test name and the report. */
  name: string;
  /** Facts of the source that may be missing on the server. */
  dropped?: RegExp;
  /** Facts on the server that the source does not have. */
  added?: RegExp;
  /** A field the other system holds comes back changed, so a pull after an edit there changes the source too. */
  reachesSource?: boolean;
}

export interface CorpusEntry {
  file: string;
  encoding: 'utf-8' | 'latin1' | 'cp1252';
  /** Reading it converts from another encoding: the run must warn, naming the file. */
  warns: boolean;
  uid: string;
  /** What Radicale changes, as named losses; empty when it keeps everything. */
  radicale: Loss[];
  /** What a copy through Google changes in what the Google mapper holds, as named losses. */
  google: Loss[];
  /** The Google mapper does not write the object (a skip, no error): the named reason. */
  googleSkips?: string;
  /** Radicale (3.1) refuses the object with HTTP 400: the named reason, from its log. */
  radicaleRefuses?: string;
}

/**
 * Radicale 3.1 (vobject) reads a comma written without its backslash in SUMMARY,
 * DESCRIPTION or LOCATION as a list separator and keeps only the text before it. Several
 * exporters write such commas; the corpus has them in four files. Radicale answers the PUT
 * with success; the engine's read-back names each cut field as a write loss (WRITE_LOSS).
 */
export const BARE_COMMA: Loss = {
  name: 'Radicale cuts SUMMARY/DESCRIPTION/LOCATION at a comma written without its backslash',
  dropped: /\| (SUMMARY|DESCRIPTION|LOCATION):.*,/,
  added: /\| (SUMMARY|DESCRIPTION|LOCATION):/,
};

const FLOATING_PINNED: Loss = {
  name: 'Google has no floating time: it is pinned to UTC',
  dropped: /\| DT(START|END):\d{8}T\d{6}$/,
  added: /\| DT(START|END):\d{8}T\d{6}Z$/,
  reachesSource: true,
};

export const CORPUS: CorpusEntry[] = [
  { file: 'split-fold-2byte.ics', encoding: 'utf-8', warns: false, uid: 'split-2@corpus', radicale: [BARE_COMMA], google: [] },
  { file: 'split-fold-3byte.ics', encoding: 'utf-8', warns: false, uid: 'split-3@corpus', radicale: [], google: [] },
  { file: 'split-fold-4byte.ics', encoding: 'utf-8', warns: false, uid: 'split-4@corpus', radicale: [], google: [] },
  { file: 'latin1.ics', encoding: 'latin1', warns: true, uid: 'latin1@corpus', radicale: [BARE_COMMA], google: [] },
  { file: 'windows-1252.ics', encoding: 'cp1252', warns: true, uid: 'cp1252@corpus', radicale: [], google: [] },
  { file: 'lf-line-ends.ics', encoding: 'utf-8', warns: false, uid: 'lf@corpus', radicale: [], google: [] },
  { file: 'crlf-tab-fold.ics', encoding: 'utf-8', warns: false, uid: 'crlf@corpus', radicale: [], google: [] },
  {
    file: 'dst-spring-forward.ics',
    encoding: 'utf-8',
    warns: false,
    uid: 'dst-spring@corpus',
    radicale: [],
    google: [
      {
        name: 'Google gives a start in the spring-forward gap as the time it means (02:30 → 03:30, the same instant)',
        dropped: /DTSTART;TZID="Europe\/Berlin":20240331T023000/,
        added: /DTSTART;TZID="Europe\/Berlin":20240331T033000/,
        reachesSource: true,
      },
    ],
  },
  {
    file: 'dst-fall-back.ics',
    encoding: 'utf-8',
    warns: false,
    uid: 'dst-fall@corpus',
    radicale: [],
    google: [
      {
        name: 'an hour that ends at the wall time it starts (the fall-back overlap) comes back as zero length: the hub keeps wall times, not the DURATION',
        dropped: /\| DURATION:PT1H$/,
      },
    ],
  },
  { file: 'floating.ics', encoding: 'utf-8', warns: false, uid: 'floating@corpus', radicale: [BARE_COMMA], google: [FLOATING_PINNED] },
  { file: 'all-day-multi-day.ics', encoding: 'utf-8', warns: false, uid: 'allday@corpus', radicale: [], google: [] },
  {
    file: 'rdate-period.ics',
    encoding: 'utf-8',
    warns: false,
    uid: 'rdate-period@corpus',
    radicale: [],
    google: [
      { name: 'Google holds no RDATE periods (an instance with its own length): not sent, kept in the hub and the file', dropped: /RDATE;VALUE="PERIOD"/ },
    ],
    radicaleRefuses: "RDATE with PERIOD values ('tuple' object has no attribute 'year')",
  },
  {
    file: 'overrides-no-master.ics',
    encoding: 'utf-8',
    warns: false,
    uid: 'orphans@corpus',
    radicale: [],
    google: [],
    googleSkips: 'instances of a series without the series: Google holds no exception without its series',
    radicaleRefuses: 'overrides without a master (Main component missing)',
  },
  { file: 'valarms.ics', encoding: 'utf-8', warns: false, uid: 'alarms@corpus', radicale: [], google: [] },
  { file: 'attendees.ics', encoding: 'utf-8', warns: false, uid: 'attendees@corpus', radicale: [], google: [] },
  { file: 'x-and-iana-props.ics', encoding: 'utf-8', warns: false, uid: 'xprops@corpus', radicale: [], google: [] },
  { file: 'escaping.ics', encoding: 'utf-8', warns: false, uid: 'escaping@corpus', radicale: [BARE_COMMA], google: [] },
  { file: 'recurring-overrides.ics', encoding: 'utf-8', warns: false, uid: 'weekly@corpus', radicale: [], google: [] },
  { file: 'series-exceptions.ics', encoding: 'utf-8', warns: false, uid: 'series-exceptions@corpus', radicale: [], google: [] },
  {
    file: 'two-rrules.ics',
    encoding: 'utf-8',
    warns: false,
    uid: 'two-rrules@corpus',
    radicale: [],
    google: [{ name: 'Google gets only the first RRULE (the hub models one; the file keeps both)', dropped: /RRULE:FREQ=MONTHLY/ }],
  },
];

export function corpusBytes(e: CorpusEntry): Buffer {
  return fs.readFileSync(path.join(CORPUS_DIR, e.file));
}

/** The source as text, read by the oracle in the encoding the table states. */
export function corpusText(e: CorpusEntry): string {
  return sourceText(corpusBytes(e), e.encoding);
}
