/**
 * A request to the service's Fastify app in this process, as one of the test users: their
 * token, a JSON body when one is given, and the answer parsed where it is JSON.
 */
import type { FastifyInstance } from 'fastify';

export type Actor = 'anonymous' | 'alice' | 'bob' | 'admin';

export interface Injected {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
  headers: Record<string, unknown>;
}

export function injectCall(app: FastifyInstance, tokens: Record<Exclude<Actor, 'anonymous'>, string>) {
  return async (actor: Actor, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Injected> => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(actor !== 'anonymous' ? { authorization: `Bearer ${tokens[actor]}` } : {}),
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    let parsed: unknown = null;
    try {
      parsed = res.body ? JSON.parse(res.body) : null;
    } catch {
      parsed = null;
    }
    return { status: res.statusCode, body: parsed, text: res.body, headers: res.headers };
  };
}
