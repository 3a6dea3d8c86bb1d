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
}

export interface CorpusEntry {
  file: string;
  encoding: 'utf-8' | 'latin1' | 'cp1252';
  /** Reading it converts from another encoding: the run must warn, naming the file. */
  warns: boolean;
  uid: string;
  /** What Radicale changes, as named losses; empty when it keeps everything. */
  radicale: Loss[];
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

export const CORPUS: CorpusEntry[] = [
  { file: 'split-fold-2byte.ics', encoding: 'utf-8', warns: false, uid: 'split-2@corpus', radicale: [BARE_COMMA] },
  { file: 'split-fold-3byte.ics', encoding: 'utf-8', warns: false, uid: 'split-3@corpus', radicale: [] },
  { file: 'split-fold-4byte.ics', encoding: 'utf-8', warns: false, uid: 'split-4@corpus', radicale: [] },
  { file: 'latin1.ics', encoding: 'latin1', warns: true, uid: 'latin1@corpus', radicale: [BARE_COMMA] },
  { file: 'windows-1252.ics', encoding: 'cp1252', warns: true, uid: 'cp1252@corpus', radicale: [] },
  { file: 'lf-line-ends.ics', encoding: 'utf-8', warns: false, uid: 'lf@corpus', radicale: [] },
  { file: 'crlf-tab-fold.ics', encoding: 'utf-8', warns: false, uid: 'crlf@corpus', radicale: [] },
  { file: 'dst-spring-forward.ics', encoding: 'utf-8', warns: false, uid: 'dst-spring@corpus', radicale: [] },
  { file: 'dst-fall-back.ics', encoding: 'utf-8', warns: false, uid: 'dst-fall@corpus', radicale: [] },
  { file: 'floating.ics', encoding: 'utf-8', warns: false, uid: 'floating@corpus', radicale: [BARE_COMMA] },
  { file: 'all-day-multi-day.ics', encoding: 'utf-8', warns: false, uid: 'allday@corpus', radicale: [] },
  {
    file: 'rdate-period.ics', encoding: 'utf-8', warns: false, uid: 'rdate-period@corpus', radicale: [],
    radicaleRefuses: "RDATE with PERIOD values ('tuple' object has no attribute 'year')",
  },
  {
    file: 'overrides-no-master.ics', encoding: 'utf-8', warns: false, uid: 'orphans@corpus', radicale: [],
    radicaleRefuses: 'overrides without a master (Main component missing)',
  },
  { file: 'valarms.ics', encoding: 'utf-8', warns: false, uid: 'alarms@corpus', radicale: [] },
  { file: 'attendees.ics', encoding: 'utf-8', warns: false, uid: 'attendees@corpus', radicale: [] },
  { file: 'x-and-iana-props.ics', encoding: 'utf-8', warns: false, uid: 'xprops@corpus', radicale: [] },
  { file: 'escaping.ics', encoding: 'utf-8', warns: false, uid: 'escaping@corpus', radicale: [BARE_COMMA] },
  { file: 'recurring-overrides.ics', encoding: 'utf-8', warns: false, uid: 'weekly@corpus', radicale: [] },
];

export function corpusBytes(e: CorpusEntry): Buffer {
  return fs.readFileSync(path.join(CORPUS_DIR, e.file));
}

/** The source as text, read by the oracle in the encoding the table states. */
export function corpusText(e: CorpusEntry): string {
  return sourceText(corpusBytes(e), e.encoding);
}
