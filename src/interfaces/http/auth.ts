/**
 * Token auth: `Authorization: Bearer tb_…` on every route but the public ones (health,
 * readiness, signed webhooks, the API reference). The token's SHA-256 is looked up;
 * revoked and unknown tokens get the same 401. Ownership: users see global resources
 * and their own, and change only their own; admins manage everything.
 */
import type { FastifyRequest } from 'fastify';
import { TimebridgeError } from '../../core/errors.js';
import { hashToken } from '../../service/tokens.js';
import type { ApiToken, HubStore, Role } from '../../store/types.js';
import { sessionOf } from '../web/session-cookie.js';
import { csrfMatches, type WebSessions } from '../web/sessions.js';

export interface Caller {
  userId: string;
  role: Role;
  tokenId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    public?: boolean;
  }
}

const TOUCH_EVERY_MS = 60_000;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The token behind a dashboard session cookie; state-changing requests must carry the session's CSRF token. */
async function sessionToken(req: FastifyRequest, store: HubStore, sessions: WebSessions): Promise<ApiToken | null> {
  const s = sessionOf(req, sessions);
  if (!s) return null;
  const token = await store.findToken(s.tokenHash);
  if (!token) {
    sessions.end(s.id);
    throw new TimebridgeError('AUTH_REQUIRED', 'your session ended: its API token was revoked', { hint: 'sign in again with a valid token' });
  }
  if (!SAFE_METHODS.has(req.method) && !csrfMatches(s, req.headers['x-csrf-token'] as string | undefined)) {
    throw new TimebridgeError('AUTH_CSRF', 'this request changes something but came without the session’s CSRF token', {
      hint: 'reload the dashboard and try again; scripts send the token from GET /api/v1/session in the x-csrf-token header',
    });
  }
  return token;
}

export function authenticator(store: HubStore, clock: () => Date, sessions?: WebSessions) {
  const touched = new Map<string, number>();
  return async (req: FastifyRequest): Promise<void> => {
    req.caller = null;
    if (req.routeOptions.config?.public || req.url.startsWith('/docs')) return;
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const fromSession = !header && sessions ? await sessionToken(req, store, sessions) : null;
    if (fromSession) return setCaller(req, fromSession);
    if (!m) {
      throw new TimebridgeError('AUTH_REQUIRED', 'this route needs an API token', {
        hint: 'send Authorization: Bearer <token>; create one with `timebridge token create --user <name> --role admin|user`',
      });
    }
    const token = await store.findToken(hashToken(m[1]!));
    if (!token) throw new TimebridgeError('AUTH_REQUIRED', 'the API token is unknown or revoked', { hint: 'create a new one with `timebridge token create`' });
    await setCaller(req, token);
  };

  async function setCaller(req: FastifyRequest, token: ApiToken): Promise<void> {
    req.caller = { userId: token.userId, role: token.role, tokenId: token.id };
    const now = clock().getTime();
    if (now - (touched.get(token.id) ?? 0) > TOUCH_EVERY_MS) {
      touched.set(token.id, now);
      await store.touchToken(token.id, new Date(now).toISOString());
    }
  }
}

export function caller(req: FastifyRequest): Caller {
  if (!req.caller) throw new TimebridgeError('AUTH_REQUIRED', 'this route needs an API token', { hint: 'send Authorization: Bearer <token>' });
  return req.caller;
}

export function requireAdmin(req: FastifyRequest): Caller {
  const c = caller(req);
  if (c.role !== 'admin') throw new TimebridgeError('AUTH_FORBIDDEN', 'only admins may do this', { hint: 'ask an admin, or use an admin token' });
  return c;
}

/** May the caller see a resource with this owner? */
export const canSee = (c: Caller, owner: string | null): boolean => c.role === 'admin' || owner === null || owner === c.userId;

/** May the caller change it? Global resources are the admins'. */
export function assertCanChange(c: Caller, owner: string | null, what: string): void {
  if (c.role === 'admin' || (owner !== null && owner === c.userId)) return;
  throw new TimebridgeError('AUTH_FORBIDDEN', owner === null ? `${what} is global: only admins change it` : `${what} belongs to another user`, {
    hint: 'use an admin token, or make your own with POST',
  });
}
