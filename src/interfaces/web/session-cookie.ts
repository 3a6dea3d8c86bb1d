/** The dashboard's session cookie: a signed session id (@fastify/cookie), HttpOnly and SameSite=Strict. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { SESSION_COOKIE, SESSION_IDLE_MS, type WebSession, type WebSessions } from './sessions.js';

/** The live session the request's cookie names, if its signature holds. */
export function sessionOf(req: FastifyRequest, sessions: WebSessions): WebSession | null {
  const raw = req.cookies?.[SESSION_COOKIE];
  if (!raw) return null;
  const u = req.unsignCookie(raw);
  return u.valid && u.value ? sessions.get(u.value) : null;
}

export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, s: WebSession): void {
  reply.setCookie(SESSION_COOKIE, s.id, {
    signed: true,
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: req.protocol === 'https',
    maxAge: SESSION_IDLE_MS / 1000,
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
}
