/**
 * Which settings are secrets: by key name, at any depth (`auth.password`,
 * `webhook.secret`). Secrets are split off before settings are stored or shown, sealed
 * by the secret box, and merged back only when a connector is built.
 */
import type { Json } from '../core/model.js';

export const SECRET_KEYS: ReadonlySet<string> = new Set(['password', 'token', 'secret', 'apiKey', 'clientSecret', 'privateKey', 'refreshToken', 'accessToken']);

type Obj = { [k: string]: Json };
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Settings without their secrets, and the secrets as a tree of the same shape (null when none). */
export function splitSecrets(settings: Obj): { open: Obj; secrets: Obj | null } {
  const open: Obj = {}, secrets: Obj = {};
  for (const [k, v] of Object.entries(settings)) {
    if (SECRET_KEYS.has(k)) { secrets[k] = v; continue; }
    if (isObj(v)) {
      const inner = splitSecrets(v);
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
export function secretPaths(secrets: Obj | null, prefix = ''): string[] {
  if (!secrets) return [];
  return Object.entries(secrets).flatMap(([k, v]) => (isObj(v) && !SECRET_KEYS.has(k) ? secretPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

/** Settings as recorded for display: inline secrets replaced, never written to the store in clear. */
export function withoutSecrets(v: Json): Json {
  if (Array.isArray(v)) return v.map(withoutSecrets);
  if (!isObj(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.has(k) ? '(not stored)' : withoutSecrets(x)]));
}
