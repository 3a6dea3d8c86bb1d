/**
 * The mu-semtech delta notifier's change sets (`resourceFormat: "v0.0.1"`), as pure
 * functions: parsing, matching against rules like the ones of `config/delta/rules.js`, and
 * telling our own writes apart. The notifier sends every change set of a request once any
 * of its triples matches a rule, so the receiver filters again.
 */
import { randomUUID } from 'node:crypto';
import { BlockList, isIPv4 } from 'node:net';
import { z } from 'zod';

export const ICAL = 'http://www.w3.org/2002/12/cal/ical#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

/** An RDF term as the notifier writes it (`uri` or `literal`, a typed literal's `datatype`, a tagged one's `xml:lang`). */
const term = z.object({ type: z.string().min(1), value: z.string(), datatype: z.string().optional(), 'xml:lang': z.string().optional() }).passthrough();
const quad = z.object({ subject: term, predicate: term, object: term, graph: term.optional() }).passthrough();
const changeSet = z.object({ inserts: z.array(quad), deletes: z.array(quad) }).passthrough();
export const deltaSchema = z.array(changeSet);
export type Quad = z.infer<typeof quad>;
export type ChangeSet = z.infer<typeof changeSet>;

/** A rule's pattern: the given keys of each given term must be equal (`{}` matches every triple), as the notifier's `match`. */
const pattern = z.object({ type: z.string().optional(), value: z.string().optional() }).strict();
export const deltaRuleSchema = z.object({ subject: pattern.optional(), predicate: pattern.optional(), object: pattern.optional() }).strict();
export type DeltaRule = z.infer<typeof deltaRuleSchema>;

const uri = (value: string) => ({ type: 'uri', value });

/** The rules of Timekeeper's `config/delta/rules.js` for the Kimai sync service: work logs appear or go, and the four predicates the work-log mapping reads. */
export const DEFAULT_DELTA_RULES: DeltaRule[] = [
  { predicate: uri(RDF_TYPE), object: uri(`${ICAL}Vevent`) },
  { predicate: uri(`${ICAL}dtstart`) },
  { predicate: uri(`${ICAL}duration`) },
  { predicate: uri('http://www.w3.org/ns/prov#wasAssociatedWith') },
  { predicate: uri('http://purl.org/dc/terms/subject') },
];

/** The delta settings of a Timekeeper connection (`delta:` in its config). */
export const deltaSettingsSchema = z
  .object({
    /** A matching delta runs the connection's links after this many milliseconds; deltas within it fold into one run. */
    gracePeriodMs: z.number().int().min(0).max(600_000).default(2_000),
    /** Which triples make a run (default: the original's rules.js). */
    rules: z.array(deltaRuleSchema).min(1).default(DEFAULT_DELTA_RULES),
    /** Only links of these external kinds run on a delta (default: every enabled link of the connection). */
    externalKinds: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();
export type DeltaSettings = z.infer<typeof deltaSettingsSchema>;

export type Parsed = { ok: true; changeSets: ChangeSet[] } | { ok: false; reason: string };

/** Where in the body an issue is: `[0].inserts[2].predicate.value`. */
const where = (path: PropertyKey[]) =>
  path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '') || 'the body';

/**
 * Parse a request body. The reason names where the body is wrong and what is expected,
 * never a value from it (it is logged).
 */
export function parseDelta(text: string): Parsed {
  if (!text.trim()) return { ok: false, reason: 'the delta has no body: give the rule options.resourceFormat "v0.0.1" in config/delta/rules.js' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the delta is not JSON' };
  }
  const r = deltaSchema.safeParse(json);
  if (r.success) return { ok: true, changeSets: r.data };
  const issue = r.error.issues[0]!;
  // invalid_type says which types it expected and got, no value; other messages may quote one.
  const said = issue.message.toLowerCase().replace(/^invalid input: /, '');
  const what = issue.code !== 'invalid_type' ? 'is not valid' : said.endsWith('received undefined') ? 'is missing' : said;
  return {
    ok: false,
    reason: `${where(issue.path)}: ${what} (a v0.0.1 delta is an array of { inserts: [...], deletes: [...] } of { subject, predicate, object } terms with type and value)`,
  };
}

const termMatches = (p: DeltaRule['subject'], t: Quad['subject']) =>
  !p || ((p.type === undefined || p.type === t.type) && (p.value === undefined || p.value === t.value));

export const quadMatches = (rule: DeltaRule, q: Quad): boolean =>
  termMatches(rule.subject, q.subject) && termMatches(rule.predicate, q.predicate) && termMatches(rule.object, q.object);

/** The subjects (URIs) of the inserted or deleted triples that match a rule: the resources to sync again. */
export function affectedSubjects(changeSets: ChangeSet[], rules: DeltaRule[]): string[] {
  const out = new Set<string>();
  for (const set of changeSets)
    for (const q of [...set.inserts, ...set.deletes]) if (q.subject.type === 'uri' && rules.some((r) => quadMatches(r, q))) out.add(q.subject.value);
  return [...out];
}

/** What starts the `mu-call-id` of every SPARQL call the Timekeeper connector makes. */
export const OWN_CALL_ID_PREFIX = 'timebridge-';

/** A fresh `mu-call-id` for one SPARQL call of the connector: the receiver knows its writes by it. */
export const newCallId = (): string => `${OWN_CALL_ID_PREFIX}${randomUUID()}`;

export const isOwnCallId = (id: unknown): boolean => typeof id === 'string' && id.startsWith(OWN_CALL_ID_PREFIX);

type Headers = Record<string, string | string[] | undefined>;
const header = (h: Headers, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** JSON arrays of call ids; null when a header is not one. */
function trails(h: Headers): string[][] | null {
  const bundled = header(h, 'mu-bundled-call-id-trails');
  const single = header(h, 'mu-call-id-trail');
  const text = bundled ? `[${bundled}]` : single ? `[${single}]` : null;
  if (!text) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) && v.every((t) => Array.isArray(t)) ? (v as string[][]) : null;
  } catch {
    return null;
  }
}

/**
 * The delta reports only our own writes: every call trail the notifier forwards (one, or
 * one per bundled request) holds a call id the connector made. A bundle mixing our writes
 * with others' is not ours: its changes cannot be told apart.
 */
export function isOwnDelivery(h: Headers): boolean {
  const t = trails(h);
  return !!t && t.length > 0 && t.every((trail) => trail.some(isOwnCallId));
}

/** Loopback, private, unique-local and link-local addresses: where a mu-semtech stack's notifier calls from. */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ['127.0.0.0', 8],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['169.254.0.0', 16],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv6');

/** The address is inside the private network (mu-semtech's trust: whoever can reach the service is a service of the stack). */
export function isInternalAddress(ip: string): boolean {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip;
  return isIPv4(v4) ? INTERNAL.check(v4, 'ipv4') : INTERNAL.check(ip, 'ipv6');
}
