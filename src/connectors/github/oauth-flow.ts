/**
 * GitHub's part of the OAuth connect flow (`connectors/kit/oauth.ts`) for a connection with
 * an `oauth` OAuth App: the token endpoint answers an access token that does not expire (no
 * refresh token; a 200 with `error` when the code is bad), stored sealed in `token`, where a
 * personal token would be. After the exchange `GET /user` says whose it is: that login
 * becomes the caller's person `githubLogin`. Disconnecting deletes the token at GitHub
 * (`DELETE /applications/{client_id}/token`, the app's credentials as Basic auth).
 *
 * GitHub App user tokens (8-hour access tokens with a refresh token that rotates on every
 * refresh) are not taken: a run cannot store a rotated refresh token back into the
 * connection, so such a connection would stop working after its first refresh.
 */
import { TimebridgeError } from '../../core/errors.js';
import { createHttpClient } from '../kit/http-client.js';
import type { OAuthClient, OAuthSupport, Tokens } from '../kit/oauth.js';
import type { GithubConfig } from './settings.js';

const GITHUB = {
  label: 'GitHub',
  noRefreshTokenHint: 'Check that the OAuth App has this redirect URI as its callback URL and connect again.',
};

/** The token endpoint's answer as tokens, or why there are none (GitHub answers a bad code with HTTP 200 and `error`). */
function tokensFrom(r: Record<string, unknown>): Tokens {
  if (typeof r['error'] === 'string' || typeof r['access_token'] !== 'string') {
    const why =
      typeof r['error'] === 'string' ? `${r['error']}${typeof r['error_description'] === 'string' ? `: ${r['error_description']}` : ''}` : 'no access_token';
    throw new TimebridgeError('OAUTH_REQUIRED', `GitHub did not accept the sign-in (${why}).`, {
      hint:
        r['error'] === 'incorrect_client_credentials'
          ? "check the connection's oauth.clientId and clientSecret against the OAuth App"
          : r['error'] === 'redirect_uri_mismatch'
            ? "the OAuth App's callback URL must be this service's /oauth/github/callback"
            : 'start the connect flow again (a code works once, for ten minutes)',
    });
  }
  if (typeof r['refresh_token'] === 'string') {
    throw new TimebridgeError('OAUTH_REQUIRED', 'GitHub answered with an expiring user token (a GitHub App), which this connection cannot keep fresh.', {
      hint: "use a GitHub OAuth App, or turn off the GitHub App's “Expire user authorization tokens”",
    });
  }
  return { refreshToken: null, accessToken: r['access_token'], expiresIn: 0, scope: String(r['scope'] ?? '') };
}

const apiClient = (
  settings: GithubConfig,
  client: OAuthClient,
  auth: { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string },
) =>
  createHttpClient({
    baseUrl: settings.apiUrl,
    auth,
    timeoutMs: settings.timeoutMs,
    userAgent: 'timebridge',
    ...(client.outbound ? { outbound: client.outbound } : {}),
  });

const API_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };

export const githubOAuth: OAuthSupport<GithubConfig> = {
  provider: 'github',
  ...GITHUB,
  client(settings) {
    const app = settings.oauth;
    if (!app) {
      throw new TimebridgeError('REQUEST_INVALID', 'this GitHub connection uses a token, not a connected account', {
        hint: 'to connect an account, give the connection oauth: {clientId, clientSecret} of a GitHub OAuth App',
      });
    }
    if (!app.clientSecret)
      throw new TimebridgeError('CONFIG_INVALID', 'the OAuth App client secret of this connection is not set', { hint: 'set oauth.clientSecret' });
    return { clientId: app.clientId, clientSecret: app.clientSecret, authUrl: app.authUrl, tokenUrl: app.tokenUrl, scopes: app.scopes };
  },
  tokensFrom,
  async identify(client, settings, tokens) {
    const res = await apiClient(settings, client, { type: 'bearer', token: tokens.accessToken }).request({ method: 'GET', path: 'user', headers: API_HEADERS });
    const login = res.json<{ login?: unknown }>().login;
    if (typeof login !== 'string' || !login) {
      throw new TimebridgeError('CONNECTOR_BUG', 'GitHub answered GET /user without a login', { hint: "check the connection's apiUrl" });
    }
    return { field: 'githubLogin', value: login, scopes: null };
  },
  async revoke(client, token, settings) {
    try {
      await apiClient(settings, client, { type: 'basic', username: client.clientId, password: client.clientSecret }).request({
        method: 'DELETE',
        path: `applications/${encodeURIComponent(client.clientId)}/token`,
        headers: API_HEADERS,
        body: { access_token: token },
        idempotent: true,
      });
    } catch (err) {
      // A token GitHub no longer knows (404, 422) is as good as revoked.
      const status = (err as TimebridgeError).details?.['status'];
      if (status === 404 || status === 422) return;
      throw err;
    }
  },
  withToken: (settings, tokens) => ({ ...settings, token: tokens.accessToken }),
  withoutToken(settings) {
    const { token, ...rest } = settings;
    return { settings: rest as GithubConfig, refreshToken: token ?? null };
  },
};
