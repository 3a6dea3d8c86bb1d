/**
 * Which settings are secrets follows from the marks in each connector's schema (and the
 * common connection settings): `connectors/kit/settings-marks.ts`. Secrets are split off
 * before settings are stored or shown, sealed by the secret box, and merged back only
 * when a connector is built.
 */
import { CONNECTORS } from '../connectors/registry.js';
import { isMark, marksOf, mergeMarks, type MarkTree } from '../connectors/kit/settings-marks.js';
import type { Json } from '../core/model.js';
import { connectionCommonSchema } from './config-schema.js';

type Obj = { [k: string]: Json };
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const COMMON_MARKS = marksOf(connectionCommonSchema);
// Keyed by the entry, not the type name: a type asked for before its entry was registered must not keep "no secrets".
const byEntry = new WeakMap<object, MarkTree>();

/** The marks of a connection of this type: its connector's schema and the common settings. */
export function connectionMarks(type: string): MarkTree {
  const entry = CONNECTORS[type];
  if (!entry) return COMMON_MARKS;
  let m = byEntry.get(entry);
  if (!m) byEntry.set(entry, (m = mergeMarks(COMMON_MARKS, marksOf(entry.configSchema))));
  return m;
}

/** Key names marked secret in any connector (the logger redacts them wherever they appear). */
export function secretKeyNames(): string[] {
  const names = new Set<string>();
  const walk = (t: MarkTree) => {
    for (const [k, v] of Object.entries(t)) {
      if (isMark(v)) {
        if (v.$mark === 'secret') names.add(k);
      } else walk(v);
    }
  };
  for (const type of Object.keys(CONNECTORS)) walk(connectionMarks(type));
  return [...names].sort();
}

const sub = (marks: MarkTree, k: string): MarkTree => {
  const m = marks[k];
  return m && !isMark(m) ? m : {};
};
const isSecret = (marks: MarkTree, k: string): boolean => {
  const m = marks[k];
  return isMark(m) && m.$mark === 'secret';
};

/** Settings without their secrets, and the secrets as a tree of the same shape (null when none). */
export function splitSecrets(settings: Obj, marks: MarkTree): { open: Obj; secrets: Obj | null } {
  const open: Obj = {},
    secrets: Obj = {};
  for (const [k, v] of Object.entries(settings)) {
    if (isSecret(marks, k)) {
      secrets[k] = v;
      continue;
    }
    if (isObj(v)) {
      const inner = splitSecrets(v, sub(marks, k));
      open[k] = inner.open;
      if (inner.secrets) secrets[k] = inner.secrets;
      continue;
    }
    open[k] = v;
  }
  return { open, secrets: Object.keys(secrets).length ? secrets : null };
}

/** Deep merge of a secrets tree back into settings. */
export function mergeSecrets(open: Obj, secrets: Obj | null): Obj {
  if (!secrets) return open;
  const out: Obj = { ...open };
  for (const [k, v] of Object.entries(secrets)) out[k] = isObj(v) && isObj(out[k]) ? mergeSecrets(out[k], v) : v;
  return out;
}

/** Dotted paths of the secrets in a tree (what the API shows instead of their values). */
export function secretPaths(secrets: Obj | null, marks: MarkTree, prefix = ''): string[] {
  if (!secrets) return [];
  return Object.entries(secrets).flatMap(([k, v]) => (isObj(v) && !isSecret(marks, k) ? secretPaths(v, sub(marks, k), `${prefix}${k}.`) : [`${prefix}${k}`]));
}

/** Settings as recorded for display: inline secrets replaced, never written to the store in clear. */
export function withoutSecrets(v: Json, marks: MarkTree): Json {
  if (Array.isArray(v)) return v.map((x) => withoutSecrets(x, marks));
  if (!isObj(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, isSecret(marks, k) ? '(not stored)' : withoutSecrets(x, sub(marks, k))]));
}
