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

export function errorForCaller(c: Caller, err: unknown, info: ErrorInfo): { code: string; message: string; hint?: string } {
  const out = { code: info.code, message: info.message, ...(info.hint ? { hint: info.hint } : {}) };
  if (c.role === 'admin' || !info.code.startsWith('CONNECTOR_')) return out;
  const status = isTimebridgeError(err) ? err.details?.['status'] : undefined;
  return { ...out, message: typeof status === 'number' ? `the remote side answered HTTP ${status}` : withoutRemoteBody(info.message) };
}

/** Run and job errors as a user may see them. */
export function errorInfoForCaller<T extends { code: string; message: string }>(c: Caller, e: T): T {
  if (c.role === 'admin' || !e.code.startsWith('CONNECTOR_')) return e;
  return { ...e, message: withoutRemoteBody(e.message) };
}
