/**
 * Field ownership: a link sees a hub record through the fields its mapper models
 * (`Mapper.holds`). A pull writes only those and keeps every other field another system
 * gave the record; hashes and merges compare only those, so a field one side cannot hold
 * is never a change, a conflict or a loss. Keys are top-level field names, and
 * `extras.<name>` for one connector's own extras. No list (undefined) means the mapper
 * models the whole record: a pull replaces it.
 */
import type { Fields, Json } from '../model.js';

export type Holds = readonly string[] | undefined;

const EXTRAS = 'extras.';

function extrasOf(f: Fields): Record<string, Json> {
  const x = f['extras'];
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? x : {};
}

/** The part of `fields` a link with `holds` models. */
export function projectFields(fields: Fields, holds: Holds): Fields {
  if (!holds) return fields;
  const out: Fields = {};
  const extras: Record<string, Json> = {};
  const own = extrasOf(fields);
  for (const k of holds) {
    if (k.startsWith(EXTRAS)) {
      const v = own[k.slice(EXTRAS.length)];
      if (v !== undefined) extras[k.slice(EXTRAS.length)] = v;
    } else if (fields[k] !== undefined) {
      out[k] = fields[k];
    }
  }
  // A held carrier (`extras.$google`) hashes as nothing, so a record without it and the
  // same record read back with it must both project to `extras: {}` to hash alike.
  if (Object.keys(extras).length || holds.some((k) => k.startsWith(`${EXTRAS}$`))) out['extras'] = extras;
  return out;
}

/**
 * `current` with the fields a link models taken from `incoming`: a held field missing
 * from `incoming` is removed (the link says it is empty), every other field is kept.
 * With no current record, the new one is the whole mapping (its defaults included).
 */
export function overlayFields(current: Fields | null, incoming: Fields, holds: Holds): Fields {
  if (!holds || !current) return incoming;
  const out: Fields = { ...current };
  const extras: Record<string, Json> = { ...extrasOf(current) };
  const theirs = extrasOf(incoming);
  for (const k of holds) {
    if (k.startsWith(EXTRAS)) {
      const name = k.slice(EXTRAS.length);
      if (theirs[name] !== undefined) extras[name] = theirs[name]!;
      else delete extras[name];
    } else if (incoming[k] !== undefined) {
      out[k] = incoming[k]!;
    } else {
      delete out[k];
    }
  }
  if (Object.keys(extras).length) out['extras'] = extras;
  else delete out['extras'];
  return out;
}
