/**
 * Normalised content hashes. Two values with the same meaning hash the same:
 * object keys are sorted, and properties whose name starts with `$` are carriers
 * (e.g. the raw iCalendar text kept for a lossless round trip), not content.
 */
import crypto from 'node:crypto';
import type { Json } from './model.js';

/** Keys repeat across every record of a kind: their JSON form is made once (bounded, so odd keys cannot grow it). */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quotedKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(k, q);
  }
  return q;
}

/** Canonical JSON: sorted keys, `$` keys and undefined values left out. Written as loops: it is hot. */
export function canonicalJson(value: Json | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    let out = '[' + canonicalJson(value[0]);
    for (let i = 1; i < value.length; i++) out += ',' + canonicalJson(value[i]);
    return out + ']';
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = value[k];
    if (v === undefined || k.charCodeAt(0) === 36 /* $ */) continue;
    out += (out.length === 1 ? '' : ',') + quotedKey(k) + ':' + canonicalJson(v);
  }
  return out + '}';
}

/** One-shot sha256 (Node ≥ 20.12): no Hash object per call; older Node 20 releases take the streaming API. */
const sha256 =
  typeof crypto.hash === 'function'
    ? (text: string) => crypto.hash('sha256', text, 'base64url')
    : (text: string) => crypto.createHash('sha256').update(text).digest('base64url');

/** sha256 of the canonical form, base64url, truncated to 128 bits (ample for change detection). */
export function contentHash(value: Json): string {
  return sha256(canonicalJson(value)).slice(0, 22);
}
