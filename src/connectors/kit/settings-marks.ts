/**
 * What a connection setting is, declared where the setting is: in the connector's zod
 * schema. A `secret` is sealed at rest and never shown; a setting that `readsServer`
 * names something on the server (an environment variable, a file) whose content the
 * composition root puts into another setting before the connector is built. Sealing,
 * redaction and the rule that only admins and the config file may read the server all
 * follow from these marks (app/secret-fields.ts, app/server-reads.ts), so a new
 * connector's secret cannot be forgotten in a list kept elsewhere.
 */
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';

/** `$mark` cannot clash with a setting's name (settings never start with `$`), so a mark and a nested tree are told apart. */
export type ServerRead = { $mark: 'env' | 'file'; into: string };
export type SettingMark = { $mark: 'secret' } | ServerRead | { $mark: 'localPath' };

/** Marks by key, nested like the settings: `{ auth: { password: {$mark: 'secret'}, passwordEnv: {$mark: 'env', into: 'password'} } }`. */
export interface MarkTree {
  [key: string]: SettingMark | MarkTree;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A secret value given inline (sealed at rest when stored through the API). */
export function secret<T extends z.ZodType>(schema: T): T {
  return schema.meta({ secret: true }) as T;
}

/** The name of an environment variable whose value becomes the setting `into` (config file and admins only). */
export function fromEnv(into: string, example = 'MY_SECRET'): z.ZodString {
  return z.string().regex(ENV_NAME, `an environment variable name such as ${example}`).meta({ readsServer: 'env', into });
}

/** A file on the server, relative to the config file, whose text becomes the setting `into` (config file and admins only). */
export function fromFile(into: string): z.ZodString {
  return z.string().min(1).meta({ readsServer: 'file', into });
}

/** A path on the server that the connector reads and writes: for a user, confined to their data root (app/local-paths.ts). */
export function localPath(): z.ZodString {
  return z
    .string()
    .min(1)
    .refine((p) => !p.includes('\u0000'), 'must not contain a NUL byte')
    .meta({ localPath: true });
}

export const isMark = (v: SettingMark | MarkTree | undefined): v is SettingMark => v !== undefined && '$mark' in v;
export const isServerRead = (v: SettingMark | MarkTree | undefined): v is ServerRead => isMark(v) && (v.$mark === 'env' || v.$mark === 'file');

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
};

/** The mark of a field schema, looking through optional, default, nullable and pipes. */
function markOf(schema: z.ZodType): SettingMark | null {
  for (let s: z.ZodType | undefined = schema; s;) {
    const meta = s.meta() as Record<string, unknown> | undefined;
    if (meta?.secret === true) return { $mark: 'secret' };
    if (meta?.readsServer === 'env' || meta?.readsServer === 'file') return { $mark: meta.readsServer, into: String(meta.into) };
    if (meta?.localPath === true) return { $mark: 'localPath' };
    const def = s._zod.def as unknown as Def;
    s = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
  }
  return null;
}

/** The objects a schema may hold at this level (an object, each option of a union, through wrappers). */
function objectsOf(schema: z.ZodType): Record<string, z.ZodType>[] {
  const def = schema._zod.def as unknown as Def;
  if (def.type === 'object') return [(schema as z.ZodObject).shape];
  if (def.type === 'union') return (def.options ?? []).flatMap(objectsOf);
  if (def.type === 'pipe') return [...objectsOf(def.in!), ...objectsOf(def.out!)];
  if (def.innerType) return objectsOf(def.innerType);
  return [];
}

/** Every marked setting of a schema, as a tree; options of a union are merged (their marks never disagree). */
export function marksOf(schema: z.ZodType): MarkTree {
  const out: MarkTree = {};
  for (const shape of objectsOf(schema)) {
    for (const [key, field] of Object.entries(shape)) {
      const mark = markOf(field);
      if (mark) {
        out[key] = mark;
        continue;
      }
      const inner = marksOf(field);
      if (!Object.keys(inner).length) continue;
      const had = out[key];
      out[key] = had && !isMark(had) ? mergeMarks(had, inner) : inner;
    }
  }
  return out;
}

export function mergeMarks(a: MarkTree, b: MarkTree): MarkTree {
  const out: MarkTree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const had = out[k];
    out[k] = had && !isMark(had) && !isMark(v) ? mergeMarks(had, v) : v;
  }
  return out;
}

/** A value that must be there once the composition root resolved the server reads; a config error naming it otherwise. */
export function resolved<T>(value: T | undefined, what: string): T {
  if (value !== undefined) return value;
  throw new TimebridgeError('CONFIG_INVALID', `The ${what} is not set.`, {
    hint: 'Give it inline, or (in timebridge.yaml, or as an admin) name the environment variable or file that holds it.',
  });
}
