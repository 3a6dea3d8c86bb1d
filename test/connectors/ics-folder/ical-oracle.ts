/**
 * A semantic comparison of two iCalendar objects for the fidelity tests, written apart
 * from the code under test (it imports nothing from src/): its own content-line parser,
 * facts of the form `<component path> | <property>` with parameters sorted and unquoted,
 * compared as multisets. It ignores what does not change meaning — PRODID, DTSTAMP,
 * folding, line ends, property and component order, default VALUE parameters, how many
 * lines a list of EXDATE/RDATE values takes — and nothing else.
 */

export interface Prop {
  name: string;
  params: [string, string[]][];
  value: string;
}

export interface Comp {
  name: string;
  props: Prop[];
  subs: Comp[];
}

/** Bytes → text for the oracle, by an encoding the test table states (not detected). */
export function sourceText(bytes: Buffer, encoding: 'utf-8' | 'latin1' | 'cp1252'): string {
  // Unfold on octets, so a fold that cut a character in two is mended before decoding.
  const flat = Buffer.from(bytes.toString('latin1').replace(/\r?\n[ \t]/g, ''), 'latin1');
  if (encoding === 'utf-8') {
    const text = flat.toString('utf8');
    if (text.includes('\ufffd')) throw new Error('the source is not UTF-8 after unfolding');
    return text;
  }
  const text = flat.toString('latin1');
  return encoding === 'latin1' ? text : [...text].map((c) => CP1252[c.charCodeAt(0)] ?? c).join('');
}

/** The Windows-1252 bytes 0x80–0x9F the corpus uses. */
const CP1252: Record<number, string> = {
  0x80: '€',
  0x85: '…',
  0x89: '‰',
  0x8a: 'Š',
  0x91: '‘',
  0x92: '’',
  0x93: '“',
  0x94: '”',
  0x95: '•',
  0x96: '–',
  0x99: '™',
};

function parseLine(line: string): Prop {
  let i = 0;
  const until = (stop: string): string => {
    const from = i;
    while (i < line.length && !stop.includes(line[i]!)) i++;
    return line.slice(from, i);
  };
  const name = until(';:').toUpperCase();
  const params: [string, string[]][] = [];
  while (line[i] === ';') {
    i++;
    const pname = until('=').toUpperCase();
    i++;
    const values: string[] = [];
    for (;;) {
      if (line[i] === '"') {
        i++;
        values.push(until('"'));
        i++;
      } else {
        values.push(until(',;:'));
      }
      if (line[i] !== ',') break;
      i++;
    }
    params.push([pname, values]);
  }
  return { name, params, value: line.slice(i + 1) };
}

export function parseIcs(text: string): Comp {
  const lines = text
    .replace(/^\ufeff/, '')
    .replace(/\r?\n[ \t]/g, '')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const root: Comp = { name: '', props: [], subs: [] };
  const stack = [root];
  for (const line of lines) {
    const p = parseLine(line);
    const top = stack[stack.length - 1]!;
    if (p.name === 'BEGIN') {
      const c: Comp = { name: p.value.toUpperCase(), props: [], subs: [] };
      top.subs.push(c);
      stack.push(c);
    } else if (p.name === 'END') {
      stack.pop();
    } else {
      top.props.push(p);
    }
  }
  if (root.subs.length !== 1) throw new Error(`expected one VCALENDAR, found ${root.subs.length}`);
  return root.subs[0]!;
}

const IGNORED = new Set(['PRODID', 'DTSTAMP']);
/** Parameter values that are enumerations, compared without case. */
const ENUM_PARAMS = new Set(['VALUE', 'ENCODING', 'RSVP', 'ROLE', 'PARTSTAT', 'CUTYPE', 'RELATED', 'RELTYPE']);
/** VALUE parameters that say what the property's default type is anyway. */
const DEFAULT_VALUE = new Set(['DATE-TIME', 'DURATION', 'URI', 'TEXT']);
const LISTS = new Set(['EXDATE', 'RDATE']);
/**
 * Single-valued TEXT properties: their escapes are undone, so `a\; b` equals `a; b` and a
 * comma a writer left without its backslash reads as the comma it means.
 */
const TEXT = new Set(['SUMMARY', 'DESCRIPTION', 'LOCATION', 'COMMENT', 'CONTACT', 'UID']);

function propFacts(p: Prop): string[] {
  const params = p.params
    .map(([k, vs]): [string, string[]] => [k, ENUM_PARAMS.has(k) ? vs.map((v) => v.toUpperCase()) : vs])
    .filter(([k, vs]) => !(k === 'VALUE' && vs.length === 1 && DEFAULT_VALUE.has(vs[0]!)))
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, vs]) => `;${k}=${vs.map((v) => JSON.stringify(v)).join(',')}`)
    .join('');
  // TEXT escapes: \N and \n are the same newline.
  const value = TEXT.has(p.name) ? p.value.replace(/\\([\\;,nN])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c)) : p.value.replace(/\\N/g, '\\n');
  const values = LISTS.has(p.name) ? value.split(',') : [value];
  return values.map((v) => `${p.name}${params}:${v}`);
}

/** The master VEVENT: the one without RECURRENCE-ID, or the first when all are overrides. */
export function masterOf(cal: Comp): Comp | undefined {
  const events = cal.subs.filter((c) => c.name === 'VEVENT');
  return events.find((e) => !e.props.some((p) => p.name === 'RECURRENCE-ID')) ?? events[0];
}

function keyOf(c: Comp): string {
  const id = c.props.find((p) => p.name === 'RECURRENCE-ID' || p.name === 'TZID');
  return id ? `${c.name}[${propFacts(id)[0]}]` : c.name;
}

/** Keyless subcomponents (VALARM, STANDARD, DAYLIGHT) are one fact each: their whole sorted content. */
function atomic(c: Comp): string {
  const inner = [...c.props.filter((p) => !IGNORED.has(p.name)).flatMap(propFacts), ...c.subs.map(atomic)].sort();
  return `${c.name}{${inner.join(' | ')}}`;
}

function facts(c: Comp, path: string, master: Comp | undefined, ignore: ReadonlySet<string>, out: string[]): void {
  for (const p of c.props) {
    if (IGNORED.has(p.name) || (c === master && ignore.has(p.name))) continue;
    for (const f of propFacts(p)) out.push(`${path} | ${f}`);
  }
  for (const s of c.subs) {
    const keyed = s.name === 'VEVENT' || s.name === 'VTIMEZONE' || s.name === 'VTODO' || s.name === 'VJOURNAL';
    if (keyed) facts(s, `${path}/${keyOf(s)}`, master, ignore, out);
    else out.push(`${path} | ${atomic(s)}`);
  }
}

/** Facts of `text`; `ignore` names master VEVENT properties left out (the ones an edit changed). */
export function factsOf(text: string, ignore: Iterable<string> = []): string[] {
  const cal = parseIcs(text);
  const out: string[] = [];
  facts(cal, 'VCALENDAR', masterOf(cal), new Set(ignore), out);
  return out.sort();
}

/** What only `a` has and what only `b` has, as multisets of facts. */
export function diffFacts(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const count = new Map<string, number>();
  for (const f of a) count.set(f, (count.get(f) ?? 0) + 1);
  const onlyB: string[] = [];
  for (const f of b) {
    const n = count.get(f) ?? 0;
    if (n > 0) count.set(f, n - 1);
    else onlyB.push(f);
  }
  const onlyA = [...count].flatMap(([f, n]) => Array<string>(n).fill(f));
  return { onlyA: onlyA.sort(), onlyB: onlyB.sort() };
}

/** The value of the master's first `name` property, TEXT escapes undone. */
export function masterValue(text: string, name: string): string | undefined {
  const p = masterOf(parseIcs(text))?.props.find((x) => x.name === name);
  return p?.value.replace(/\\([\\;,])/g, '$1').replace(/\\[nN]/g, '\n');
}
