/**
 * Slack's part of the OAuth connect flow (`connectors/kit/oauth.ts`) for a connection with
 * `oauth`: the consent asks for user scopes (`user_scope`), `oauth.v2.access` answers HTTP
 * 200 with `ok` (its errors as `ok:false`), and the person's user token
 * (`authed_user.access_token`, no refresh token while the app has token rotation off) is
 * stored sealed in `userToken`. `auth.test` with that token says whose account it is: the
 * Slack user id becomes the caller's person `slackId` in the connection's scope, so `/tt`
 * and notices find them. Disconnecting calls `auth.revoke` with the token.
 */
import { TimebridgeError } from '../../core/errors.js';
import type { OAuthSupport, Tokens } from '../kit/oauth.js';
import { SlackApi } from './api.js';
import type { SlackConfig } from './settings.js';

const SLACK = {
  label: 'Slack',
  noRefreshTokenHint: 'Connect again, and allow the user permissions the app asks for.',
};

const methodUrl = (c: SlackConfig, method: string): string => `${c.apiUrl.endsWith('/') ? c.apiUrl : `${c.apiUrl}/`}${method}`;

/** `oauth.v2.access`'s answer as tokens: the person's user token, or why there is none. */
function tokensFrom(r: Record<string, unknown>): Tokens {
  if (r['ok'] !== true) {
    const error = typeof r['error'] === 'string' ? r['error'] : 'no ok in the answer';
    throw new TimebridgeError('OAUTH_REQUIRED', `Slack did not accept the sign-in (${error}).`, {
      hint:
        error === 'invalid_client_id' || error === 'bad_client_secret'
          ? "check the connection's oauth.clientId and clientSecret against the app's App Credentials"
          : error === 'bad_redirect_uri'
            ? "add this service's /oauth/slack/callback to the app's Redirect URLs"
            : 'start the connect flow again (a code works once, for ten minutes)',
    });
  }
  const user = r['authed_user'] as { id?: unknown; access_token?: unknown; scope?: unknown; refresh_token?: unknown; expires_in?: unknown } | undefined;
  if (typeof user?.access_token !== 'string') {
    throw new TimebridgeError('OAUTH_REQUIRED', 'Slack answered the sign-in without a user token.', {
      hint: "ask for user scopes (the connection's oauth.userScopes, e.g. users:read)",
    });
  }
  if (typeof user.refresh_token === 'string') {
    throw new TimebridgeError('OAUTH_REQUIRED', 'Slack answered with an expiring user token (token rotation is on), which this connection cannot keep fresh.', {
      hint: "turn off token rotation in the app's OAuth & Permissions",
    });
  }
  return { refreshToken: null, accessToken: user.access_token, expiresIn: 0, scope: typeof user.scope === 'string' ? user.scope : '' };
}

export const slackOAuth: OAuthSupport<SlackConfig> = {
  provider: 'slack',
  ...SLACK,
  client(settings) {
    const app = settings.oauth;
    if (!app) {
      throw new TimebridgeError('REQUEST_INVALID', 'this Slack connection has no oauth app to connect a person through', {
        hint: 'give the connection oauth: {clientId, clientSecret} of the Slack app (Basic Information → App Credentials)',
      });
    }
    if (!app.clientSecret)
      throw new TimebridgeError('CONFIG_INVALID', 'the Slack client secret of this connection is not set', { hint: 'set oauth.clientSecret' });
    return {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      authUrl: app.authUrl,
      tokenUrl: methodUrl(settings, 'oauth.v2.access'),
      revokeUrl: methodUrl(settings, 'auth.revoke'),
      // Bot scopes (`scope`) are the workspace admin's install; a person asks only for their own.
      scopes: [],
      authParams: { user_scope: app.userScopes.join(',') },
    };
  },
  tokensFrom,
  async identify(client, settings, tokens) {
    const api = new SlackApi({
      apiUrl: settings.apiUrl,
      botToken: tokens.accessToken,
      timeoutMs: settings.timeoutMs,
      ...(client.outbound ? { outbound: client.outbound } : {}),
    });
    const me = await api.call<{ user_id?: unknown }>('auth.test', {});
    if (typeof me.user_id !== 'string' || !/^[UW][A-Z0-9]+$/.test(me.user_id)) {
      throw new TimebridgeError('CONNECTOR_BUG', 'Slack answered auth.test without a user id', { hint: "check the connection's apiUrl" });
    }
    return { field: 'slackId', value: me.user_id, scopes: [settings.scope] };
  },
  withToken: (settings, tokens) => ({ ...settings, userToken: tokens.accessToken }),
  withoutToken(settings) {
    const { userToken, ...rest } = settings;
    return { settings: rest as SlackConfig, refreshToken: userToken ?? null };
  },
};
