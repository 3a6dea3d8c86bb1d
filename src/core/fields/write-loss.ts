/**
 * Write losses: held fields a remote answered a write with success for, yet stored
 * differently (Radicale 3.1.8 cuts a SUMMARY at an unescaped comma). Both sides are hub
 * fields as the link's mapper reads them, so harmless normalisation (property order,
 * PRODID, a server's own formatting) is no difference. Pure: the runtime reads back and
 * records; these functions decide.
 */
import { canonicalJson } from '../hash.js';
import type { Fields, Json } from '../model.js';
import { projectFields, type Holds } from './holds.js';

/** One held field the remote did not keep as sent. `field` is a holds key (`summary`, `extras.ics`). */
export interface FieldLoss {
  field: string;
  sent: Json;
  stored: Json;
}

const EXTRAS = 'extras.';

function extrasOf(f: Fields): Record<string, Json> {
  const x = f['extras'];
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? x : {};
}

/** The value of a holds key (missing is null). */
export function fieldValue(f: Fields, key: string): Json {
  if (key.startsWith(EXTRAS)) return extrasOf(f)[key.slice(EXTRAS.length)] ?? null;
  return f[key] ?? null;
}

function withField(f: Fields, key: string, value: Json): Fields {
  if (!key.startsWith(EXTRAS)) return { ...f, [key]: value };
  return { ...f, extras: { ...extrasOf(f), [key.slice(EXTRAS.length)]: value } };
}

const same = (a: Json, b: Json): boolean => canonicalJson(a) === canonicalJson(b);

/** The keys a comparison walks: the held ones, or every top-level key of either side when the mapper holds the whole record. */
function keysOf(a: Fields, b: Fields, holds: Holds): string[] {
  const keys = holds ? [...holds] : [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => k !== 'extras' && !k.startsWith(EXTRAS));
}

/**
 * The modelled held fields `stored` has not as `sent`. Extras are not compared: they are
 * a connector's carriers and digests of what the hub does not model (`extras.ics.norm`),
 * and they move with harmless additions too (Radicale adds a VTIMEZONE for a TZID), so a
 * difference there names nothing a user could act on.
 */
export function writeLosses(sent: Fields, stored: Fields, holds: Holds): FieldLoss[] {
  const a = projectFields(sent, holds),
    b = projectFields(stored, holds);
  const out: FieldLoss[] = [];
  for (const field of keysOf(a, b, holds)) {
    const s = fieldValue(a, field),
      t = fieldValue(b, field);
    if (!same(s, t)) out.push({ field, sent: s, stored: t });
  }
  return out;
}

/**
 * The external item's fields as the hub should take them, given the losses recorded for
 * it: while a lost field still holds the value the remote stored, that value is the
 * remote's loss, not an edit, so the value sent is kept. A field whose value moved since
 * was edited on the remote: it flows as it is, and its loss is dropped from `holding`.
 */
export function keepSentOverLosses(ext: Fields, losses: readonly FieldLoss[]): { fields: Fields; holding: FieldLoss[] } {
  let fields = ext;
  const holding: FieldLoss[] = [];
  for (const l of losses) {
    if (!same(fieldValue(ext, l.field), l.stored)) continue;
    fields = withField(fields, l.field, l.sent);
    holding.push(l);
  }
  return { fields, holding };
}

/** A value as a message shows it: text as it is, anything else as JSON, cut to `max` characters. */
export function shownValue(v: Json, max = 60): string {
  const text = typeof v === 'string' ? v : canonicalJson(v);
  return JSON.stringify(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}
