/**
 * WebDAV / CalDAV XML: the request bodies this connector sends and a parser for the
 * 207 multistatus answers (RFC 4918 §13, RFC 4791, RFC 6578). fast-xml-parser does the
 * XML; namespaces are dropped because no two properties read here share a local name.
 */
import { XMLParser } from 'fast-xml-parser';
import { TimebridgeError } from '../../core/errors.js';

const NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"';
const HEAD = '<?xml version="1.0" encoding="utf-8"?>\n';

/** Properties by their prefixed name, as they go into request bodies. */
export type DavProp =
  | 'D:resourcetype'
  | 'D:displayname'
  | 'D:current-user-principal'
  | 'D:getetag'
  | 'D:getlastmodified'
  | 'D:sync-token'
  | 'C:calendar-home-set'
  | 'C:calendar-data'
  | 'CS:getctag';

const propList = (props: DavProp[]): string => `<D:prop>${props.map((p) => `<${p}/>`).join('')}</D:prop>`;

export function propfindBody(props: DavProp[]): string {
  return `${HEAD}<D:propfind ${NS}>${propList(props)}</D:propfind>`;
}

/** RFC 6578 sync-collection; an empty token asks for every member. */
export function syncCollectionBody(token: string): string {
  return (
    `${HEAD}<D:sync-collection ${NS}><D:sync-token>${escapeXml(token)}</D:sync-token><D:sync-level>1</D:sync-level>` +
    `${propList(['D:getetag'])}</D:sync-collection>`
  );
}

export function multigetBody(hrefs: string[]): string {
  return (
    `${HEAD}<C:calendar-multiget ${NS}>${propList(['D:getetag', 'D:getlastmodified', 'C:calendar-data'])}` +
    `${hrefs.map((h) => `<D:href>${escapeXml(h)}</D:href>`).join('')}</C:calendar-multiget>`
  );
}

/** Etags of the events overlapping [start, end) (any recurrence instance counts). */
export function timeRangeQueryBody(start: Date, end: Date): string {
  return (
    `${HEAD}<C:calendar-query ${NS}>${propList(['D:getetag'])}<C:filter><C:comp-filter name="VCALENDAR">` +
    `<C:comp-filter name="VEVENT"><C:time-range start="${davTime(start)}" end="${davTime(end)}"/></C:comp-filter>` +
    '</C:comp-filter></C:filter></C:calendar-query>'
  );
}

export function mkcalendarBody(displayName: string): string {
  return (
    `${HEAD}<C:mkcalendar ${NS}><D:set><D:prop><D:displayname>${escapeXml(displayName)}</D:displayname>` +
    '<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>' +
    '</D:prop></D:set></C:mkcalendar>'
  );
}

/** One `<response>`: its href, the response-level status if any, and the properties found (2xx propstats). */
export interface DavResponse {
  href: string;
  /** Status of the whole response (404 for a removed member or a missing multiget href); null when per propstat. */
  status: number | null;
  props: DavProps;
}

/** Found properties by local name; a property with child elements is an object. */
export type DavProps = Record<string, unknown>;

export interface Multistatus {
  responses: DavResponse[];
  /** sync-collection: the new token (a child of multistatus). */
  syncToken: string | null;
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  // Etags, tokens and calendar data stay strings exactly as sent.
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'response' || name === 'propstat' || name === 'href',
});

type Node = Record<string, unknown>;

export function parseMultistatus(xml: string, where: string): Multistatus {
  return multistatusOf(parseXml(xml, where), where);
}

/**
 * A multistatus from its bytes, keeping the bytes of every `calendar-data` (a
 * `Uint8Array` in the props; `bytesProp` reads it). The XML is UTF-8 by spec, but the
 * calendar data inside may hold bytes that are not (a Latin-1 object, a fold that cut a
 * character in two), and decoding the body as UTF-8 would turn those into U+FFFD. So the
 * body is read as Latin-1 — one character per byte, nothing lost — and parsed: the markup
 * is ASCII, so the structure is the same; the parser resolves the five named entities
 * and keeps CDATA as is, and what is left is turned back into the bytes it was. Numeric
 * character references (`&#13;`, `&#xE9;`) become the UTF-8 bytes of their character.
 * Every other text (hrefs, etags) is then decoded as UTF-8.
 */
export function parseMultistatusBytes(body: Uint8Array, where: string): Multistatus {
  const doc = parseXml(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'), where);
  return multistatusOf(fromLatin1(doc, '') as Node, where);
}

function parseXml(xml: string, where: string): Node {
  try {
    return parser.parse(xml) as Node;
  } catch (err) {
    throw notDav(where, `its XML does not parse (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Every string of a document parsed from Latin-1 back to what its bytes say: calendar-data as bytes, the rest as UTF-8 text. */
function fromLatin1(v: unknown, key: string): unknown {
  if (typeof v === 'string') {
    if (key === 'calendar-data') return latin1Bytes(v);
    return /[\u0080-\u00ff]|&#/.test(v) ? Buffer.from(latin1Bytes(v)).toString('utf8') : v; // ASCII is the same either way
  }
  if (Array.isArray(v)) return v.map((x) => fromLatin1(x, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromLatin1(x, k)]));
  return v;
}

/** A Latin-1 string (one character per byte) as its bytes, with numeric character references as UTF-8. */
function latin1Bytes(s: string): Uint8Array {
  if (!s.includes('&#')) return new Uint8Array(Buffer.from(s, 'latin1'));
  const parts: Buffer[] = [];
  let from = 0;
  for (const m of s.matchAll(/&#(?:x([0-9a-f]+)|([0-9]+));/gi)) {
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) continue; // not a character: left as written
    parts.push(Buffer.from(s.slice(from, m.index), 'latin1'), Buffer.from(String.fromCodePoint(cp), 'utf8'));
    from = m.index + m[0].length;
  }
  parts.push(Buffer.from(s.slice(from), 'latin1'));
  return new Uint8Array(Buffer.concat(parts));
}

function multistatusOf(doc: Node, where: string): Multistatus {
  const ms = doc.multistatus;
  if (ms === undefined || ms === null || typeof ms !== 'object') {
    // An empty multistatus parses to ''.
    if (ms === '') return { responses: [], syncToken: null };
    throw notDav(where, 'it holds no <multistatus> element');
  }
  const node = ms as Node;
  const responses = asArray(node.response).map((r) => responseOf(r as Node, where));
  const token = node['sync-token'];
  return { responses, syncToken: typeof token === 'string' && token !== '' ? token : null };
}

function responseOf(r: Node, where: string): DavResponse {
  const href = asArray(r.href)[0];
  if (typeof href !== 'string' || href === '') throw notDav(where, 'a <response> has no <href>');
  const props: DavProps = {};
  for (const ps of asArray(r.propstat)) {
    const p = ps as Node;
    const status = statusOf(p.status);
    if (status !== null && (status < 200 || status > 299)) continue;
    if (p.prop && typeof p.prop === 'object') Object.assign(props, p.prop);
  }
  return { href, status: statusOf(r.status), props };
}

/** `HTTP/1.1 404 Not Found` → 404. */
function statusOf(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/i.exec(value.trim());
  return m ? Number(m[1]) : null;
}

/** A property's text ('' when empty or absent). */
export function textProp(props: DavProps, name: string): string {
  const v = props[name];
  return typeof v === 'string' ? v : '';
}

/** A property kept as bytes (`calendar-data` of `parseMultistatusBytes`); null when absent or empty. */
export function bytesProp(props: DavProps, name: string): Uint8Array | null {
  const v = props[name];
  return v instanceof Uint8Array && v.length > 0 ? v : null;
}

/** The first `<href>` inside a property such as current-user-principal, or null. */
export function hrefProp(props: DavProps, name: string): string | null {
  const v = props[name];
  if (!v || typeof v !== 'object') return null;
  const href = asArray((v as Node).href)[0];
  return typeof href === 'string' && href !== '' ? href : null;
}

/** Whether `resourcetype` names the given type (collection, calendar, principal). */
export function hasResourceType(props: DavProps, type: string): boolean {
  const v = props.resourcetype;
  return v !== null && typeof v === 'object' && type in (v as Node);
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** UTC `YYYYMMDDTHHMMSSZ` as time-range wants it. */
function davTime(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function asArray(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function notDav(where: string, why: string): TimebridgeError {
  return new TimebridgeError('CONNECTOR_INVALID_INPUT', `${where} answered with something that is not a WebDAV multistatus: ${why}.`, {
    hint: 'Check that url points at a CalDAV server; a proxy or login page may be answering.',
  });
}
