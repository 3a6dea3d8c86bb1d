/**
 * Normalised content hashes. Two values with the same meaning hash the same:
 * object keys are sorted, and properties whose name starts with `$` are carriers
 * (e.g. the raw iCalendar text kept for a lossless round trip), not content.
 */
import { createHash } from 'node:crypto';
import type { Json } from './model.js';

/** Canonical JSON: sorted keys, `$` keys and undefined values left out. Written as loops: it is hot. */
export function canonicalJson(value: Json | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
    return out + ']';
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = value[k];
    if (v === undefined || k.charCodeAt(0) === 36 /* $ */) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + canonicalJson(v);
    first = false;
  }
  return out + '}';
}

/** sha256 of the canonical form, base64url, truncated to 128 bits (ample for change detection). */
export function contentHash(value: Json): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 22);
}
