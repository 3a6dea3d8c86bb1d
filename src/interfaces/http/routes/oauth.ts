/**
 * The OAuth connect flow of every connector whose registry entry declares `oauth`
 * (`connectors/kit/oauth.ts`): start (a consent link with a one-time state, kept in the hub
 * store so the callback may reach any service process), the provider's callback (code →
 * refresh token, sealed into the connection's secrets) and disconnect (revoke, then forget).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound, type ConnectionView } from '../../../app/catalog.js';
import { authorizationUrl, exchangeCode, revokeToken, type Identity, type OAuthClient, type OAuthSupport } from '../../../connectors/kit/oauth.js';
import { CONNECTORS } from '../../../connectors/registry.js';
import { TimebridgeError } from '../../../core/errors.js';
import type { Service } from '../../../service/service.js';
import { canSee, caller, type Caller } from '../auth.js';
import { errorSchema, nameParam } from '../schemas.js';
import { assertEditable } from './connections.js';

const tags = ['connections'];
type Settings = Record<string, unknown>;

export const callbackPath = (provider: string): string => `/oauth/${provider}/callback`;

/** The providers with a connect flow, and a connector type of each (for its messages). */
function providers(): Map<string, OAuthSupport<Settings>> {
  const out = new Map<string, OAuthSupport<Settings>>();
  for (const entry of Object.values(CONNECTORS)) if (entry.oauth && !out.has(entry.oauth.provider)) out.set(entry.oauth.provider, entry.oauth);
  return out;
}

const identitySchema = z.object({
  field: z.string(),
  value: z.string(),
  persons: z.array(z.object({ id: z.string(), scope: z.string() })),
  note: z.string().optional(),
});

/**
 * Writes who signed in (their GitHub login, Slack id) into the caller's own person record of
 * each scope the identity names (RecordAccess.personsOf: only records that are this user).
 * A scope where the user is no person, or several, is skipped and said in the note.
 */
async function recordIdentity(svc: Service, userId: string, id: Identity): Promise<z.infer<typeof identitySchema>> {
  const scopes = id.scopes ?? (await svc.catalog.scopes.list()).map((s) => s.scope);
  const persons: { id: string; scope: string }[] = [];
  const skipped: string[] = [];
  for (const scope of scopes) {
    const mine = await svc.access.personsOf(userId, scope);
    if (mine.length !== 1) {
      if (id.scopes || mine.length > 1)
        skipped.push(
          `${scope} (${mine.length ? `${mine.length} persons are ${userId}` : `${userId} is no person there`}: an admin gives one person record username "${userId}", then connect again)`,
        );
      continue;
    }
    const p = mine[0]!;
    // The same account on someone else's person: the scope's records say who it is, not the provider's answer to a connection anyone may point anywhere.
    const same = (v: unknown) => typeof v === 'string' && v.toLowerCase() === id.value.toLowerCase();
    const other = (await svc.store.listScope(scope, 'person')).find((o) => o.id !== p.id && !o.tombstone && same(o.fields[id.field]));
    if (other) {
      skipped.push(`${scope} (person ${other.id} already has ${id.field} ${id.value}; an admin decides whose it is)`);
      continue;
    }
    if (p.fields[id.field] !== id.value) {
      await svc.records.update({ id: p.id, fields: { ...p.fields, [id.field]: id.value }, ifMatch: p.version, actor: { origin: `api:${userId}:oauth` } });
      await svc.hubChanged(scope, `api:${userId}:oauth`);
    }
    persons.push({ id: p.id, scope });
  }
  const note = skipped.length
    ? `not recorded in ${skipped.join(', ')}`
    : persons.length
      ? undefined
      : `you are no person in any scope yet, so ${id.field} ${id.value} is recorded nowhere: an admin makes one with username "${userId}" and you connect again`;
  return { field: id.field, value: id.value, persons, ...(note ? { note } : {}) };
}

export const oauthRoutes =
  (svc: Service, prefix: string): FastifyPluginAsyncZod =>
  async (app) => {
    /** The connection as an OAuth client, with its connector's flow. */
    async function oauthConnection(
      name: string,
      c: Caller | null,
    ): Promise<{ view: ConnectionView; flow: OAuthSupport<Settings>; settings: Settings; client: OAuthClient }> {
      const view = await svc.catalog.getConnection(name);
      // What a caller may not see is missing, whatever its type (no 400 that tells them apart).
      if (!view || (c && !canSee(c, view.owner))) throw notFound('connection', name);
      if (c) assertEditable(c, view, `connection ${view.name}`);
      const conn = await svc.catalog.connectionSettings(name);
      const flow = CONNECTORS[conn.type]?.oauth as OAuthSupport<Settings> | undefined;
      if (!flow) {
        throw new TimebridgeError('REQUEST_INVALID', `connection ${name} (type ${conn.type}) has no OAuth connect flow`, {
          hint: `connectors with one: ${[...providers().keys()].join(', ') || 'none'}`,
        });
      }
      const settings = { ...(conn.settings as Settings), ...conn.common };
      let client: OAuthClient;
      try {
        client = flow.client(settings);
      } catch (err) {
        if (err instanceof TimebridgeError) throw new TimebridgeError(err.code, `connection ${name}: ${err.message}`, { hint: err.hint });
        throw err;
      }
      return { view, flow, settings, client: { ...client, ...(conn.outbound ? { outbound: conn.outbound } : {}) } };
    }

    app.get(
      `${prefix}/connections/:name/oauth/start`,
      {
        schema: {
          tags,
          summary: 'Start connecting an account (Google…): a consent link valid for ten minutes (?redirect=true answers 302 to it)',
          params: nameParam,
          querystring: z.object({ redirect: z.enum(['true', 'false']).optional(), loginHint: z.string().optional() }),
          response: { 200: z.object({ authorizationUrl: z.string(), redirectUri: z.string(), expiresAt: z.string() }), 404: errorSchema },
        },
      },
      async (req, reply) => {
        const c = caller(req);
        const { view, flow, client } = await oauthConnection(req.params.name, c);
        const redirectUri = `${req.protocol}://${req.headers.host ?? 'localhost'}${callbackPath(flow.provider)}`;
        const { state, expiresAt } = await svc.oauthStates.open({ connection: view.name, userId: c.userId, redirectUri });
        const url = authorizationUrl(client, redirectUri, state, req.query.loginHint);
        if (req.query.redirect === 'true') return reply.redirect(url, 302);
        return { authorizationUrl: url, redirectUri, expiresAt };
      },
    );

    for (const [provider, { label }] of providers()) {
      app.get(
        callbackPath(provider),
        {
          config: { public: true },
          schema: {
            tags,
            summary: `${label}'s redirect after consent: stores the token sealed in the connection, and records whose account it is on the caller's person`,
            querystring: z.object({ state: z.string().optional(), code: z.string().optional(), error: z.string().optional() }),
            response: { 200: z.object({ connected: z.string(), scope: z.string(), identity: identitySchema.optional() }), 400: errorSchema },
          },
        },
        async (req) => {
          const pending = await svc.oauthStates.take(req.query.state ?? '');
          if (req.query.error || !req.query.code) {
            throw new TimebridgeError('OAUTH_REQUIRED', `${label} did not grant access (${req.query.error ?? 'no code'}).`, {
              hint: 'start again and allow access',
            });
          }
          const { view, flow, settings, client } = await oauthConnection(pending.connection, null);
          const tokens = await exchangeCode(client, req.query.code, pending.redirectUri, flow);
          // Asked before storing: a token the provider will not say whose it is stays unstored.
          let who: Identity | null = null;
          try {
            who = flow.identify ? await flow.identify(client, settings, tokens) : null;
          } catch (err) {
            // Not kept, so not left valid at the provider either (best effort: the identity error is what the caller sees).
            const token = tokens.refreshToken ?? tokens.accessToken;
            await (flow.revoke ? flow.revoke(client, token, settings) : revokeToken(client, token)).catch(() => undefined);
            throw err;
          }
          // Stored as given (an admin's clientSecretEnv stays a reference), plus the token.
          const raw = (await svc.catalog.rawSettings(view.name)) as Settings;
          await svc.catalog.putConnection({ name: view.name, type: view.type, owner: view.owner, settings: flow.withToken(raw, tokens) as never }, view);
          req.log.info({ connection: view.name, provider }, 'account connected');
          const identity = who && pending.userId ? await recordIdentity(svc, pending.userId, who) : undefined;
          return { connected: view.name, scope: tokens.scope, ...(identity ? { identity } : {}) };
        },
      );
    }

    app.delete(
      `${prefix}/connections/:name/oauth`,
      {
        schema: {
          tags,
          summary: 'Disconnect the account: revoke the stored token and forget it',
          params: nameParam,
          response: { 200: z.object({ disconnected: z.string(), revoked: z.boolean() }), 404: errorSchema },
        },
      },
      async (req) => {
        const c = caller(req);
        const { view, flow, settings, client } = await oauthConnection(req.params.name, c);
        const { refreshToken } = flow.withoutToken(settings);
        if (refreshToken) await (flow.revoke ? flow.revoke(client, refreshToken, settings) : revokeToken(client, refreshToken));
        const raw = (await svc.catalog.rawSettings(view.name)) as Settings;
        // Without `existing` the stored secrets are replaced, so the refresh token is really gone.
        await svc.catalog.putConnection({ name: view.name, type: view.type, owner: view.owner, settings: flow.withoutToken(raw).settings as never }, null);
        return { disconnected: view.name, revoked: refreshToken !== null };
      },
    );
  };
