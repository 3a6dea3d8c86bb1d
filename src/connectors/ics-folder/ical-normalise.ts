/**
 * The `norm` hash: a content hash of a whole iCalendar object that ignores what
 * servers rewrite without changing meaning (folding, PRODID, DTSTAMP, the order of
 * properties and components) but sees every real property, known or not.
 */
import { canonicalJson, contentHash } from '../../core/hash.js';
import type { Json } from '../../core/model.js';
import type { JComp, JProp } from './ical-jcal.js';

/** Properties that say who wrote the object or when, not what it is. */
const VOLATILE = new Set(['prodid', 'dtstamp', 'x-timebridge-id']);

function keep(comp: JComp, prop: JProp): boolean {
  if (VOLATILE.has(prop[0])) return false;
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

/** Canonical JSON of a normalised component; children are serialised once and sorted. */
function normalisedJson(comp: JComp): string {
  const props = comp[1]
    .filter((p) => keep(comp, p))
    // The name leads the key, so properties sort by name, then by full value.
    .map((p): [string, string] => [p[0] + '\u0000' + canonicalJson(p.slice(1) as Json), canonicalJson(p as Json)])
    .sort(byKey)
    .map(([, json]) => json);
  const subs = comp[2]
    .map((c): [string, string] => {
      const body = normalisedJson(c);
      return [componentKey(c, body), body];
    })
    .sort(byKey)
    .map(([, json]) => json);
  return `[${JSON.stringify(comp[0])},[${props.join(',')}],[${subs.join(',')}]]`;
}

/** contentHash of the normalised object's canonical text. */
export function normHash(cal: JComp): string {
  // The text is built once while sorting; hashing it avoids a second walk of the tree.
  return contentHash(normalisedJson(cal));
}
