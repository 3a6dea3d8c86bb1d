/**
 * Settings that read the server (an environment variable, a file) are the admin's: they
 * are allowed in timebridge.yaml and in connections an admin makes, never in a user's.
 * Which settings those are is declared in each connector's schema (`fromEnv`,
 * `fromFile` in connectors/kit/settings-marks.ts); here they are found and resolved, so
 * connectors themselves never read `process.env` or a file named in their settings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMark, isServerRead, type MarkTree, type ServerRead } from '../connectors/kit/settings-marks.js';
import { TimebridgeError } from '../core/errors.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Dotted paths of the settings present that read the server. */
export function serverReadPaths(settings: Obj, marks: MarkTree, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(settings)) {
    const m = marks[k];
    if (!m || v === undefined) continue;
    if (isMark(m)) {
      if (isServerRead(m)) out.push(`${prefix}${k}`);
      continue;
    }
    if (isObj(v)) out.push(...serverReadPaths(v, m, `${prefix}${k}.`));
  }
  return out;
}

/** Refuse settings a user gave that read the server's environment or files. */
export function assertNoServerReads(settings: Obj, marks: MarkTree, where = 'settings'): void {
  const found = serverReadPaths(settings, marks);
  if (!found.length) return;
  throw new TimebridgeError(
    'AUTH_FORBIDDEN',
    `${found.map((p) => `${where}.${p}`).join(', ')} read${found.length === 1 ? 's' : ''} the server's environment or files: only admins and timebridge.yaml may set ${found.length === 1 ? 'it' : 'them'}`,
    {
      hint: 'give the secret inline instead (it is sealed at rest and never shown), or connect with OAuth where the connector offers it',
    },
  );
}

export interface ServerReadContext {
  env: NodeJS.ProcessEnv;
  /** Relative files are resolved against this folder (the config file's). */
  baseDir: string;
  /** For messages: which connection. */
  connection: string;
}

/** The settings with every server read replaced by what it names (`passwordEnv: X` → `password: <$X>`). */
export function resolveServerReads(settings: Obj, marks: MarkTree, ctx: ServerReadContext, prefix = ''): Obj {
  const out: Obj = { ...settings };
  for (const [k, v] of Object.entries(settings)) {
    const m = marks[k];
    if (!m || v === undefined) continue;
    if (!isMark(m)) {
      if (isObj(v)) out[k] = resolveServerReads(v, m, ctx, `${prefix}${k}.`);
      continue;
    }
    if (!isServerRead(m)) continue;
    delete out[k];
    out[m.into] = read(m, String(v), `${prefix}${k}`, ctx);
  }
  return out;
}

function read(m: ServerRead, name: string, setting: string, ctx: ServerReadContext): string {
  if (m.$mark === 'env') {
    const value = ctx.env[name];
    if (value === undefined || value === '') {
      throw new TimebridgeError('CONFIG_INVALID', `The environment variable ${name} (${setting} of connection ${ctx.connection}) is not set.`, {
        hint: `Export it before running Timebridge, e.g. export ${name}='…', or put it in the service's environment file.`,
      });
    }
    return value;
  }
  const file = path.resolve(ctx.baseDir, name);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new TimebridgeError(
      'CONFIG_INVALID',
      `The file ${file} (${setting} of connection ${ctx.connection}) cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`,
      {
        hint: 'Check the path (relative to the config file) and that the service may read it.',
      },
    );
  }
}
