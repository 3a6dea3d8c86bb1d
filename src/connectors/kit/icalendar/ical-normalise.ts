/**
 * The `norm` hash: a content hash of what an iCalendar object holds beyond the event's
 * structured fields — unknown properties, alarms, what overrides hold beyond their
 * structured fields, time zones. It ignores what
 * servers rewrite without changing meaning (folding, PRODID, DTSTAMP, the order of
 * properties and components), and it leaves out the master VEVENT's and the overrides'
 * properties that the structured fields carry: those are compared (and merged) field by
 * field, so a change of the summary on one side and of the location on the other is not
 * a conflict here, and an override that holds nothing else counts for nothing here.
 */
import { canonicalJson, contentHash } from '../../../core/hash.js';
import type { Json } from '../../../core/model.js';
import type { JComp, JProp } from './ical-jcal.js';

/** Properties that say who wrote the object or when, not what it is. */
const VOLATILE = new Set(['prodid', 'dtstamp', 'x-timebridge-id']);

/** Master VEVENT properties the structured event fields carry (DURATION is folded into the end). */
const STRUCTURED_PROPS = new Set(['uid', 'summary', 'description', 'location', 'status', 'transp', 'dtstart', 'dtend', 'duration', 'rrule', 'exdate', 'rdate']);

/** Override VEVENT properties the structured overrides carry. */
const OVERRIDE_PROPS = new Set(['uid', 'recurrence-id', 'summary', 'description', 'location', 'status', 'dtstart', 'dtend', 'duration']);

function isOverride(comp: JComp, master: JComp | undefined): boolean {
  return comp !== master && comp[0] === 'vevent' && comp[1].some((p) => p[0] === 'recurrence-id');
}

function keep(comp: JComp, prop: JProp, master: JComp | undefined): boolean {
  if (VOLATILE.has(prop[0])) return false;
  if (comp === master && STRUCTURED_PROPS.has(prop[0])) return false;
  if (OVERRIDE_PROPS.has(prop[0]) && isOverride(comp, master)) return false;
  // GREGORIAN is the default calendar scale; writing it or not means the same.
  const defaultScale = prop[0] === 'calscale' && String(prop[3]).toUpperCase() === 'GREGORIAN';
  return !(comp[0] === 'vcalendar' && defaultScale);
}

/** Sort key of a subcomponent: type, then TZID or RECURRENCE-ID, then its whole content. */
function componentKey(comp: JComp, body: string): string {
  const id = comp[1].find((p) => p[0] === 'tzid' || p[0] === 'recurrence-id');
  return `${comp[0]}\u0000${id ? String(id[3]) : ''}\u0000${body}`;
}

function byKey(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Canonical JSON of one property, as canonicalJson would give it, but JSON.stringify
 * does the common shapes (no params or one, string values) several times faster.
 */
function propJson(p: JProp): string {
  const params = p[1];
  let keys = 0;
  for (const _key in params) keys++;
  const paramJson = keys === 0 ? '{}' : keys === 1 ? JSON.stringify(params) : canonicalJson(params);
  let out = `[${JSON.stringify(p[0])},${paramJson},${JSON.stringify(p[2])}`;
  for (let i = 3; i < p.length; i++) {
    const v = p[i];
    // Object values (RRULE parts) keep their source order in jCal; sort them.
    out += ',' + (v !== null && typeof v === 'object' && !Array.isArray(v) ? canonicalJson(v as Json) : JSON.stringify(v));
  }
  return out + ']';
}

/** Canonical JSON of a normalised component; children are serialised once and sorted. */
function normalisedJson(comp: JComp, master: JComp | undefined): string {
  // The JSON starts with the quoted name and '"' sorts before any name character,
  // so sorting the JSON sorts by name, then by the full value.
  const props = comp[1]
    .filter((p) => keep(comp, p, master))
    .map(propJson)
    .sort(byText);
  const subs = comp[2]
    // An override with nothing beyond its structured fields is all in the fields.
    .filter((c) => !(isOverride(c, master) && c[2].length === 0 && c[1].every((p) => !keep(c, p, master))))
    .map((c): [string, string] => {
      const body = normalisedJson(c, master);
      return [componentKey(c, body), body];
    })
    .sort(byKey)
    .map(([, json]) => json);
  return `[${JSON.stringify(comp[0])},[${props.join(',')}],[${subs.join(',')}]]`;
}

/** contentHash of the normalised object's canonical text, the master's structured properties left out. */
export function normHash(cal: JComp, master?: JComp): string {
  // The text is built once while sorting; hashing it avoids a second walk of the tree.
  return contentHash(normalisedJson(cal, master));
}
