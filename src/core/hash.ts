/**
 * Normalised content hashes. Two values with the same meaning hash the same:
 * object keys are sorted, and properties whose name starts with `$` are carriers
 * (e.g. the raw iCalendar text kept for a lossless round trip), not content.
 */
import { createHash } from 'node:crypto';
import type { Json } from './model.js';

export function canonicalJson(value: Json | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return '[' + value.map((v) => canonicalJson(v)).join(',') + ']';
  if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => !k.startsWith('$') && value[k] !== undefined).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(value[k])).join(',') + '}';
  }
  return JSON.stringify(value);
}

/** sha256 of the canonical form, base64url, truncated to 128 bits (ample for change detection). */
export function contentHash(value: Json): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 22);
}
