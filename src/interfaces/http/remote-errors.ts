/**
 * What a caller sees of an error a remote side caused. Admins see it whole; users see
 * the code, the HTTP status and a generic message — never the remote answer's body, so
 * a connection cannot be used to read what some server says.
 */
import type { ErrorInfo } from '../../core/errors.js';
import { isTimebridgeError } from '../../core/errors.js';
import type { Caller } from './auth.js';

const GENERIC = 'the remote side refused the request or could not be reached';

/** A connector error's message without the remote body (for users). */
export function withoutRemoteBody(message: string): string {
  const http = /^(.*?(?:failed with|answered) HTTP \d+)\b/s.exec(message);
  if (http) return `${http[1]}.`;
  return GENERIC;
}

/** A user's data folder appears as `<your data folder>`: the server's own layout is not theirs to read. */
const hideRoot = (text: string, root: string | null): string => (root ? text.split(root).join('<your data folder>') : text);

export function errorForCaller(c: Caller, err: unknown, info: ErrorInfo, root: string | null = null): { code: string; message: string; hint?: string } {
  const out = { code: info.code, message: info.message, ...(info.hint ? { hint: info.hint } : {}) };
  if (c.role === 'admin') return out;
  if (!info.code.startsWith('CONNECTOR_')) return { ...out, message: hideRoot(out.message, root), ...(out.hint ? { hint: hideRoot(out.hint, root) } : {}) };
  const status = isTimebridgeError(err) ? err.details?.['status'] : undefined;
  if (typeof status === 'number') return { ...out, message: `the remote side answered HTTP ${status}` };
  // Not an HTTP answer: a local folder's error (paths shown relative to the user's folder) or an unreachable server.
  return {
    ...out,
    message: root && info.message.includes(root) ? hideRoot(info.message, root) : withoutRemoteBody(info.message),
    ...(out.hint ? { hint: hideRoot(out.hint, root) } : {}),
  };
}

/** Run and job errors as a user may see them. */
export function errorInfoForCaller<T extends { code: string; message: string; hint?: string }>(c: Caller, e: T, root: string | null = null): T {
  if (c.role === 'admin') return e;
  if (!e.code.startsWith('CONNECTOR_')) return { ...e, message: hideRoot(e.message, root), ...(e.hint ? { hint: hideRoot(e.hint, root) } : {}) };
  return {
    ...e,
    message: /HTTP \d+/.test(e.message) ? withoutRemoteBody(e.message) : hideRoot(e.message, root),
    ...(e.hint ? { hint: hideRoot(e.hint, root) } : {}),
  };
}
