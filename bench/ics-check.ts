/**
 * An independent reader for the benchmark's checks (deliberately not ical.js and not
 * Timebridge's mapper): unfolds lines, and takes UID and SUMMARY of the master VEVENT
 * (the one without RECURRENCE-ID) of every `.ics` file in a folder.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface FolderItem {
  file: string;
  uid: string;
  summary: string | null;
  text: string;
}

export interface FolderScan {
  items: Map<string, FolderItem>;
  files: number;
  problems: string[];
}

export function unescapeText(s: string): string {
  return s.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** Value of a content line after the first unquoted ':' (params may hold quoted ':'). */
function valueOf(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) return line.slice(i + 1);
  }
  return '';
}

function nameOf(line: string): string {
  const m = /^[A-Za-z0-9-]+/.exec(line);
  return m ? m[0].toUpperCase() : '';
}

export function readMaster(text: string): { uid: string | null; summary: string | null; problem: string | null } {
  if (!text.endsWith('\r\n')) return { uid: null, summary: null, problem: 'does not end with CRLF' };
  if (/[^\r]\n|\r(?!\n)/.test(text)) return { uid: null, summary: null, problem: 'bare LF or CR' };
  const lines = text.replace(/\r\n[ \t]/g, '').split('\r\n');
  const stack: string[] = [];
  let cur: { uid: string | null; summary: string | null; rid: boolean } | null = null;
  let master: { uid: string | null; summary: string | null } | null = null;
  const uids = new Set<string>();
  for (const line of lines) {
    if (!line) continue;
    const name = nameOf(line);
    if (name === 'BEGIN') {
      const comp = valueOf(line).toUpperCase();
      stack.push(comp);
      if (comp === 'VEVENT' && stack.length === 2) cur = { uid: null, summary: null, rid: false };
      continue;
    }
    if (name === 'END') {
      const comp = stack.pop();
      if (comp !== valueOf(line).toUpperCase()) return { uid: null, summary: null, problem: `END:${valueOf(line)} does not close ${comp}` };
      if (comp === 'VEVENT' && cur && stack.length === 1) {
        if (cur.uid) uids.add(cur.uid);
        if (!cur.rid && !master) master = cur;
        cur = null;
      }
      continue;
    }
    // Only direct properties of a VEVENT (not of its VALARMs).
    if (!cur || stack.length !== 2) continue;
    if (name === 'UID') cur.uid = unescapeText(valueOf(line));
    else if (name === 'SUMMARY') cur.summary = unescapeText(valueOf(line));
    else if (name === 'RECURRENCE-ID') cur.rid = true;
  }
  if (stack.length) return { uid: null, summary: null, problem: `unclosed ${stack.join('/')}` };
  if (!master) return { uid: null, summary: null, problem: 'no master VEVENT' };
  if (uids.size !== 1) return { uid: null, summary: null, problem: `VEVENTs with ${uids.size} UIDs` };
  return { uid: master.uid, summary: master.summary, problem: null };
}

export function scanFolder(dir: string): FolderScan {
  const items = new Map<string, FolderItem>();
  const problems: string[] = [];
  let files = 0;
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith('.ics') || file.startsWith('.')) continue;
    files++;
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const m = readMaster(text);
    if (m.problem || !m.uid) {
      problems.push(`${file}: ${m.problem ?? 'no UID'}`);
      continue;
    }
    const dup = items.get(m.uid);
    if (dup) {
      problems.push(`${file}: UID ${m.uid} also in ${dup.file}`);
      continue;
    }
    items.set(m.uid, { file, uid: m.uid, summary: m.summary, text });
  }
  return { items, files, problems };
}

export interface CheckResult {
  ok: boolean;
  countA: number;
  countB: number;
  expected: number;
  /** Share of UIDs whose file text is byte-identical on both sides. */
  identical: number;
  problems: string[];
}

/**
 * Both folders must hold exactly the expected UIDs (no duplicates, no extras), each with
 * the expected SUMMARY of its master VEVENT; so A and B agree with each other too.
 */
export function checkFolders(a: FolderScan, b: FolderScan, expected: Map<string, string>): CheckResult {
  const problems: string[] = [...a.problems.map((p) => `A ${p}`), ...b.problems.map((p) => `B ${p}`)];
  let identical = 0;
  for (const [side, scan] of [
    ['A', a],
    ['B', b],
  ] as const) {
    for (const [uid, item] of scan.items) {
      const want = expected.get(uid);
      if (want === undefined) problems.push(`${side} has unexpected UID ${uid} (${item.file})`);
      else if (item.summary !== want) problems.push(`${side} ${item.file}: SUMMARY ${JSON.stringify(item.summary)} ≠ expected ${JSON.stringify(want)}`);
    }
    for (const uid of expected.keys()) if (!scan.items.has(uid)) problems.push(`${side} is missing UID ${uid}`);
  }
  for (const [uid, item] of a.items) if (b.items.get(uid)?.text === item.text) identical++;
  return {
    ok: problems.length === 0,
    countA: a.items.size,
    countB: b.items.size,
    expected: expected.size,
    identical: expected.size ? identical / expected.size : 1,
    problems: problems.slice(0, 20).concat(problems.length > 20 ? [`… ${problems.length - 20} more`] : []),
  };
}
