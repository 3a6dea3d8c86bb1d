/**
 * Field-level three-way merge. Top-level fields are compared with the base (the last
 * state both sides agreed on); `extras.<connector>` entries are merged as fields of their
 * own so one connector's opaque data never blocks another field.
 */
import { canonicalJson } from './hash.js';
import type { Fields, Json } from './model.js';
import type { ConflictPolicy, Side } from './policy.js';

export interface MergeInput {
  base: Fields | null;
  hub: Fields;
  ext: Fields;
  owners: Record<string, Side>;
  policy: ConflictPolicy;
  hubUpdatedAt: string;
  extModifiedAt: string | null;
}

export interface MergeResult {
  fields: Fields;
  /** Fields changed on both sides to different values. */
  contested: string[];
  /** How each contested field was decided. */
  decisions: Record<string, Side | 'flag'>;
  /** True when the policy is keep-both and something was contested: nothing may be written. */
  flagged: boolean;
  /** Fields whose merged value differs from the hub's / the external side's. */
  changedForHub: string[];
  changedForExt: string[];
}

type Flat = Map<string, Json>;

function flatten(f: Fields): Flat {
  const out: Flat = new Map();
  for (const [k, v] of Object.entries(f)) {
    if (k === 'extras' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [ck, cv] of Object.entries(v)) out.set(`extras.${ck}`, cv);
    } else {
      out.set(k, v);
    }
  }
  return out;
}

function unflatten(flat: Flat): Fields {
  const out: Fields = {};
  let extras: Fields | null = null;
  for (const [k, v] of flat) {
    if (k.startsWith('extras.')) {
      extras ??= {};
      extras[k.slice('extras.'.length)] = v;
    } else {
      out[k] = v;
    }
  }
  if (extras) out.extras = extras;
  return out;
}

const same = (a: Json | undefined, b: Json | undefined): boolean => canonicalJson(a ?? null) === canonicalJson(b ?? null);

function pickContested(field: string, input: MergeInput): Side | 'flag' {
  const owner = input.owners[field] ?? input.owners[field.split('.')[0] ?? field];
  if (owner) return owner;
  switch (input.policy) {
    case 'hub-wins':
      return 'hub';
    case 'external-wins':
      return 'external';
    case 'keep-both':
      return 'flag';
    case 'newest-wins':
      // Without a remote timestamp the hub's is the only evidence; keep the hub's value.
      if (!input.extModifiedAt) return 'hub';
      return Date.parse(input.extModifiedAt) > Date.parse(input.hubUpdatedAt) ? 'external' : 'hub';
  }
}

export function threeWayMerge(input: MergeInput): MergeResult {
  const base = flatten(input.base ?? {});
  const hub = flatten(input.hub);
  const ext = flatten(input.ext);
  const keys = new Set([...hub.keys(), ...ext.keys(), ...base.keys()]);
  const merged: Flat = new Map();
  const contested: string[] = [];
  const decisions: Record<string, Side | 'flag'> = {};
  for (const k of [...keys].sort()) {
    const h = hub.get(k),
      e = ext.get(k),
      b = base.get(k);
    const hubChanged = !same(h, b),
      extChanged = !same(e, b);
    let v: Json | undefined;
    if (same(h, e)) v = h;
    else if (hubChanged && !extChanged) v = h;
    else if (extChanged && !hubChanged) v = e;
    else {
      contested.push(k);
      const d = pickContested(k, input);
      decisions[k] = d;
      v = d === 'external' ? e : h;
    }
    if (v !== undefined) merged.set(k, v);
  }
  const fields = unflatten(merged);
  const flagged = Object.values(decisions).includes('flag');
  const diff = (side: Flat) => [...new Set([...merged.keys(), ...side.keys()])].filter((k) => !same(merged.get(k), side.get(k)));
  return { fields, contested, decisions, flagged, changedForHub: diff(hub), changedForExt: diff(ext) };
}
