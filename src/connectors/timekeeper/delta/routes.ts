/**
 * `POST /delta`: the receiver of the mu-semtech delta notifier (v0.0.1 change sets),
 * offered by the Timekeeper entry at the root, where the Kimai sync service had it. The
 * notifier cannot send a token, so the route checks its callers itself:
 * - a connection with a `webhook.secret` takes only deltas that carry it (`?token=` in
 *   the rule's callback URL, or an `x-delta-token` header);
 * - a global connection without one trusts the network, as mu-semtech services do: a
 *   delta from a loopback or private address is a delta of the stack.
 * A trusted delta that reports only our own writes (their `mu-call-id`s, see `newCallId`)
 * runs nothing; otherwise, when a triple matches the connection's rules, the connection's
 * links run after its grace period (deltas within it fold into one run). The engine's echo
 * suppression then skips what our own runs wrote. Answered 204 at once, as the original;
 * a malformed delta gets 400 and is logged without its content.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { TimebridgeError } from '../../../core/errors.js';
import { route, type ConnectorRoute, type RouteConnection, type RouteContext } from '../../kit/routes.js';
import { affectedSubjects, deltaSettingsSchema, isInternalAddress, isOwnDelivery, parseDelta, type DeltaSettings } from './delta.js';

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** The connection's delta settings (`delta:` in its config), or the defaults. */
export function deltaSettingsOf(settings: unknown): DeltaSettings {
  const raw = settings && typeof settings === 'object' ? (settings as { delta?: unknown }).delta : undefined;
  const r = deltaSettingsSchema.safeParse(raw ?? {});
  return r.success ? r.data : deltaSettingsSchema.parse({});
}

/** The connections that trust this request. */
export function trustingConnections(conns: RouteConnection[], req: { ip: string; token: string | null }): RouteConnection[] {
  return conns.filter((c) => (c.secret !== null ? req.token !== null && sameSecret(c.secret, req.token) : c.owner === null && isInternalAddress(req.ip)));
}

const tokenOf = (query: Record<string, unknown>, headers: Record<string, string | string[] | undefined>): string | null => {
  const q = query.token;
  if (typeof q === 'string' && q) return q;
  const h = headers['x-delta-token'];
  return typeof h === 'string' && h ? h : null;
};

export const deltaReceived = z.null();

export async function receiveDelta(
  req: { body: unknown; query: Record<string, unknown>; headers: Record<string, string | string[] | undefined>; ip: string },
  ctx: RouteContext,
): Promise<{ status: number; body: unknown }> {
  const conns = await ctx.connections();
  const trusting = trustingConnections(conns, { ip: req.ip, token: tokenOf(req.query, req.headers) });
  if (!trusting.length) {
    ctx.log.warn({ delta: { ip: req.ip, reason: conns.length ? 'not trusted' : 'no connection' } }, 'delta refused');
    if (!conns.length)
      throw new TimebridgeError('RESOURCE_NOT_FOUND', 'no Timekeeper connection takes deltas here', {
        hint: 'add a connection of type timekeeper to timebridge.yaml',
      });
    throw new TimebridgeError('AUTH_REQUIRED', 'this delta is not trusted', {
      hint: "put the Timekeeper connection's webhook secret in the rule's callback URL (?token=…), or call from the stack's private network to a connection without a secret",
    });
  }
  const text = typeof req.body === 'string' ? req.body : '';
  const parsed = parseDelta(text);
  if (!parsed.ok) {
    // The reason names places and types, never values: the body stays out of the log.
    ctx.log.warn({ delta: { ip: req.ip, bytes: Buffer.byteLength(text), reason: parsed.reason } }, 'delta refused');
    throw new TimebridgeError('REQUEST_INVALID', parsed.reason, { hint: 'send the delta notifier v0.0.1 change sets (resourceFormat: "v0.0.1" in the rule)' });
  }
  if (isOwnDelivery(req.headers)) {
    ctx.log.info({ delta: { ignored: 'our own writes', changeSets: parsed.changeSets.length } }, 'delta ignored');
    return { status: 204, body: null };
  }
  for (const conn of trusting) {
    const settings = deltaSettingsOf(conn.settings);
    const subjects = affectedSubjects(parsed.changeSets, settings.rules);
    if (!subjects.length) continue;
    const links = (await ctx.linksOf(conn.name)).filter((l) => !settings.externalKinds || settings.externalKinds.includes(l.externalKind));
    for (const l of links) await ctx.notifyChange(l.name, { trigger: `delta:${conn.name}`, graceMs: settings.gracePeriodMs });
    ctx.log.info({ delta: { connection: conn.name, resources: subjects.length, links: links.map((l) => l.name) } }, 'delta queued runs');
  }
  return { status: 204, body: null };
}

export const deltaRoute: ConnectorRoute = route({
  method: 'POST',
  path: '/delta',
  auth: 'network',
  summary:
    'mu-semtech delta notifier (v0.0.1 change sets): a change of a work log runs the Timekeeper links after the grace period; no token (trusted by network or by ?token=<webhook secret>); 204 at once',
  responses: { 204: deltaReceived, 400: 'error', 401: 'error', 404: 'error' },
  handle: (req, ctx) => receiveDelta(req, ctx),
});
