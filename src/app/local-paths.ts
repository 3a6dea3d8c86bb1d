/**
 * Local paths of a user's connections (settings marked `localPath()` in a connector's
 * schema) live under the user's data root, `<serve.dataRoot>/<user>/`: relative, no
 * `..`, and — resolved with realpath, so a symlink cannot lead out — inside that root.
 * Admins and timebridge.yaml may name any path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMark, type MarkTree } from '../connectors/kit/settings-marks.js';
import { TimebridgeError } from '../core/errors.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `<dataRoot>/<user>`; the user id becomes one path segment. */
export function userRoot(dataRoot: string, userId: string): string {
  const segment = encodeURIComponent(userId);
  if (segment === '.' || segment === '..') throw invalid('the user id cannot name a folder', 'use another user id for this token');
  return path.join(path.resolve(dataRoot), segment);
}

/** Dotted paths and values of the local paths present in settings. */
export function localPathSettings(settings: Obj, marks: MarkTree, prefix = ''): { field: string; value: string }[] {
  const out: { field: string; value: string }[] = [];
  for (const [k, v] of Object.entries(settings)) {
    const m = marks[k];
    if (!m) continue;
    if (isMark(m)) {
      if (m.$mark === 'localPath' && typeof v === 'string') out.push({ field: `${prefix}${k}`, value: v });
      continue;
    }
    if (isObj(v)) out.push(...localPathSettings(v, m, `${prefix}${k}.`));
  }
  return out;
}

/** Refuse (400, naming the field) a local path that is not confined to `root`; returns nothing when all are. */
export function assertConfined(settings: Obj, marks: MarkTree, root: string | null, where = 'settings'): void {
  for (const { field, value } of localPathSettings(settings, marks)) {
    const name = `${where}.${field}`;
    if (root === null) {
      throw new TimebridgeError('AUTH_FORBIDDEN', `${name}: this service keeps no folders for users (serve.dataRoot is not set)`, {
        hint: 'ask an admin to set serve.dataRoot, or to make the connection',
      });
    }
    if (value.includes('\u0000')) throw invalid(`${name} contains a NUL byte`, 'remove it');
    if (path.isAbsolute(value) || /^[A-Za-z]:/.test(value))
      throw invalid(`${name} must be relative to your data folder, not an absolute path`, 'write it like calendars/work');
    if (value.split(/[\\/]+/).includes('..')) throw invalid(`${name} must not contain ..`, 'write a path inside your data folder, like calendars/work');
    if (!inside(realish(path.resolve(root, value)), realish(root)))
      throw invalid(`${name} leads outside your data folder`, 'use a folder inside it; symbolic links that lead out are refused');
  }
}

/** realpath of the longest existing prefix, with the rest appended: where the path really points. */
function realish(p: string): string {
  let head = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(head), ...rest.reverse());
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return path.join(head, ...rest.reverse());
      rest.push(path.basename(head));
      head = parent;
    }
  }
}

const inside = (p: string, root: string): boolean => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

function invalid(message: string, hint: string): TimebridgeError {
  return new TimebridgeError('REQUEST_INVALID', message, { hint });
}
