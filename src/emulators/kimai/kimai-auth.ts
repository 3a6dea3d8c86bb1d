/**
 * Kimai API authentication (api-contracts §1.1): `Authorization: Bearer <api token>`
 * (2.14+), or the deprecated `X-AUTH-USER` + `X-AUTH-TOKEN` pair, with Kimai's exact
 * refusals. More than 5 failed legacy logins per minute from one address get a 400.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmuUser, KimaiData } from './kimai-data.js';

const LEGACY_FAILURES_PER_MINUTE = 5;

declare module 'fastify' {
  interface FastifyRequest {
    kimaiUser: EmuUser | null;
  }
}

export function kimaiAuth(data: () => KimaiData, now: () => number) {
  const failures = new Map<string, number[]>();
  const recentFailures = (ip: string): number[] => {
    const since = now() - 60_000;
    const list = (failures.get(ip) ?? []).filter((t) => t > since);
    failures.set(ip, list);
    return list;
  };

  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    req.kimaiUser = null;
    const header = req.headers.authorization;
    const legacyUser = req.headers['x-auth-user'];
    const legacyToken = req.headers['x-auth-token'];
    if (typeof header === 'string' && /^Bearer\s+/i.test(header)) {
      const token = header.replace(/^Bearer\s+/i, '').trim();
      const user = data().users.find((u) => u.apiToken === token && u.enabled);
      if (!user) {
        // The body and header of Symfony's access-token failure are unconfirmed [?].
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer error="invalid_token",error_description="Invalid credentials."')
          .send({ code: 401, message: 'Invalid credentials.' });
      }
      req.kimaiUser = user;
      return undefined;
    }
    if (legacyUser === undefined && legacyToken === undefined) return reply.code(401).send({ code: 401, message: 'Unauthorized' });
    if (recentFailures(req.ip).length > LEGACY_FAILURES_PER_MINUTE) {
      return reply.code(400).send({ code: 400, message: 'Too many API requests with invalid username. Possible attack?' });
    }
    if (typeof legacyUser !== 'string' || legacyUser === '') {
      return reply.code(403).send({ message: 'Authentication required, missing user header: X-AUTH-USER' });
    }
    const user = data().users.find((u) => u.username === legacyUser && u.enabled);
    if (!user || typeof legacyToken !== 'string' || legacyToken !== user.apiPassword) {
      recentFailures(req.ip).push(now());
      return reply.code(403).send({ message: 'Invalid credentials' });
    }
    req.kimaiUser = user;
    return undefined;
  };
}

/** The authenticated caller (the auth hook ran before every API route). */
export function me(req: FastifyRequest): EmuUser {
  if (!req.kimaiUser) throw new Error('the Kimai auth hook did not run for this route');
  return req.kimaiUser;
}
