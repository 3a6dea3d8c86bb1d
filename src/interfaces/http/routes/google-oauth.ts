/**
 * The per-user Google connect flow of a `google-calendar` connection made through the
 * API: start (a consent link with a one-time state, kept in the hub store so the callback
 * may reach any service process), Google's callback (code → refresh token, sealed into
 * the connection's secrets) and disconnect (revoke, then forget).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound, type ConnectionView } from '../../../app/catalog.js';
import { GOOGLE_AUTH_URL, GOOGLE_REVOKE_URL, type GoogleCalendarConfig } from '../../../connectors/google-calendar/index.js';
import { authorizationUrl, exchangeCode, revokeToken, type OAuthClient } from '../../../connectors/google-calendar/oauth-flow.js';
import { TimebridgeError } from '../../../core/errors.js';
import type { Service } from '../../../service/service.js';
import { canSee, caller, type Caller } from '../auth.js';
import { errorSchema, nameParam } from '../schemas.js';
import { assertEditable } from './connections.js';

const tags = ['connections'];
export const GOOGLE_CALLBACK_PATH = '/oauth/google/callback';

type Settings = GoogleCalendarConfig & Record<string, unknown>;

export const googleOAuthRoutes = (svc: Service, prefix: string): FastifyPluginAsyncZod => async (app) => {
  /** The connection as an OAuth client, with its current settings (secrets included). */
  async function oauthConnection(name: string, c: Caller | null): Promise<{ view: ConnectionView; settings: Settings; client: OAuthClient }> {
    const view = await svc.catalog.getConnection(name);
    // What a caller may not see is missing, whatever its type (no 400 that tells them apart).
    if (!view || (c && !canSee(c, view.owner))) throw notFound('connection', name);
    if (c) assertEditable(c, view, `connection ${view.name}`);
    const conn = await svc.catalog.connectionSettings(name);
    const settings = { ...(conn.settings as GoogleCalendarConfig), ...conn.common } as Settings;
    if (conn.type !== 'google-calendar' || settings.auth.type !== 'oauth') {
      throw new TimebridgeError('REQUEST_INVALID', `connection ${name} is not a google-calendar connection with auth type oauth`, { hint: 'the connect flow is for per-user OAuth connections; service accounts need none' });
    }
    const auth = settings.auth;
    // The catalog has resolved clientSecretEnv (only for the config file's and admins' connections).
    const clientSecret = auth.clientSecret;
    if (!clientSecret) throw new TimebridgeError('CONFIG_INVALID', `the OAuth client secret of connection ${name} is not set`, { hint: 'set auth.clientSecret' });
    return {
      view, settings,
      client: {
        clientId: auth.clientId, clientSecret, authUrl: settings.authUrl ?? GOOGLE_AUTH_URL, tokenUrl: settings.tokenUrl, revokeUrl: settings.revokeUrl ?? GOOGLE_REVOKE_URL, scopes: auth.scopes,
        ...(conn.outbound ? { outbound: conn.outbound } : {}),
      },
    };
  }

  app.get(`${prefix}/connections/:name/oauth/start`, {
    schema: {
      tags, summary: 'Start connecting a Google account: a consent link valid for ten minutes (?redirect=true answers 302 to it)', params: nameParam,
      querystring: z.object({ redirect: z.enum(['true', 'false']).optional(), loginHint: z.string().optional() }),
      response: { 200: z.object({ authorizationUrl: z.string(), redirectUri: z.string(), expiresAt: z.string() }), 404: errorSchema },
    },
  }, async (req, reply) => {
    const c = caller(req);
    const { view, client } = await oauthConnection(req.params.name, c);
    const redirectUri = `${req.protocol}://${req.headers.host ?? 'localhost'}${GOOGLE_CALLBACK_PATH}`;
    const { state, expiresAt } = await svc.oauthStates.open({ connection: view.name, userId: c.userId, redirectUri });
    const url = authorizationUrl(client, redirectUri, state, req.query.loginHint);
    if (req.query.redirect === 'true') return reply.redirect(url, 302);
    return { authorizationUrl: url, redirectUri, expiresAt };
  });

  app.get(GOOGLE_CALLBACK_PATH, {
    config: { public: true },
    schema: {
      tags, summary: 'Google\'s redirect after consent: stores the refresh token sealed in the connection',
      querystring: z.object({ state: z.string().optional(), code: z.string().optional(), error: z.string().optional() }),
      response: { 200: z.object({ connected: z.string(), scope: z.string() }), 400: errorSchema },
    },
  }, async (req) => {
    const flow = await svc.oauthStates.take(req.query.state ?? '');
    if (req.query.error || !req.query.code) {
      throw new TimebridgeError('OAUTH_REQUIRED', `Google did not grant access (${req.query.error ?? 'no code'}).`, { hint: 'start again and allow access to the calendar' });
    }
    const { view, client } = await oauthConnection(flow.connection, null);
    const tokens = await exchangeCode(client, req.query.code, flow.redirectUri);
    // Stored as given (an admin's clientSecretEnv stays a reference), plus the refresh token.
    const raw = await svc.catalog.rawSettings(view.name) as Settings;
    await svc.catalog.putConnection({ name: view.name, type: view.type, owner: view.owner, settings: { ...raw, auth: { ...raw.auth, refreshToken: tokens.refreshToken } } as never }, view);
    req.log.info({ connection: view.name }, 'google account connected');
    return { connected: view.name, scope: tokens.scope };
  });

  app.delete(`${prefix}/connections/:name/oauth`, {
    schema: { tags, summary: 'Disconnect the Google account: revoke the refresh token and forget it', params: nameParam, response: { 200: z.object({ disconnected: z.string(), revoked: z.boolean() }), 404: errorSchema } },
  }, async (req) => {
    const c = caller(req);
    const { view, settings, client } = await oauthConnection(req.params.name, c);
    const { refreshToken } = settings.auth as Extract<GoogleCalendarConfig['auth'], { type: 'oauth' }>;
    if (refreshToken) await revokeToken(client, refreshToken);
    const raw = await svc.catalog.rawSettings(view.name) as Settings;
    const { refreshToken: _gone, ...rest } = raw.auth as Extract<GoogleCalendarConfig['auth'], { type: 'oauth' }>;
    // Without `existing` the stored secrets are replaced, so the refresh token is really gone.
    await svc.catalog.putConnection({ name: view.name, type: view.type, owner: view.owner, settings: { ...raw, auth: rest } as never }, null);
    return { disconnected: view.name, revoked: refreshToken !== undefined };
  });
};
