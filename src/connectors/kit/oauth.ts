/**
 * OAuth 2.0 authorization-code flow as a connector declares it (its registry entry's
 * `oauth`): the consent URL, the code exchange and revocation here, and what is
 * provider-specific — which settings make the client, extra consent parameters, where the
 * refresh token is stored — in the connector's `OAuthSupport`. The service serves one
 * connect → callback → disconnect flow for every such connector
 * (`interfaces/http/routes/oauth.ts`); keeping the pending states and sealing the tokens
 * into the connection's secrets is its job.
 */
import { TimebridgeError } from '../../core/errors.js';
import { createHttpClient } from './http-client.js';
import type { OutboundGuard } from './outbound-policy.js';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
  /** Absent: the provider has no revocation endpoint; a disconnect only forgets the token. */
  revokeUrl?: string;
  scopes: string[];
  /** Consent parameters the provider needs besides the standard ones (Google: offline access). */
  authParams?: Record<string, string>;
  /** Where the token and revoke requests may go (users' connections: serve.outbound). */
  outbound?: OutboundGuard;
}

export interface Tokens {
  /** Null when the provider hands out a long-lived access token instead (a GitHub OAuth App, Slack without rotation). */
  refreshToken: string | null;
  accessToken: string;
  expiresIn: number;
  scope: string;
}

/** Who signed in, as the connector found out from the provider after the code exchange. */
export interface Identity {
  /** The person field that names them (their GitHub login, their Slack user id). */
  field: 'githubLogin' | 'slackId';
  value: string;
  /** The hub scopes whose person of the caller gets it; null: every scope the caller is a person in. */
  scopes: string[] | null;
}

/** What a connector declares to take part in the connect flow. */
export interface OAuthSupport<C> {
  /** Names the callback, `/oauth/<provider>/callback`; connectors of one provider share it. */
  provider: string;
  /** The provider as users know it, for messages ("Google"). */
  label: string;
  /** The connection's settings (secrets resolved) as an OAuth client; throws a TimebridgeError saying why when the connection cannot connect (not an OAuth connection, no client secret). */
  client(settings: C): OAuthClient;
  /** The settings as stored, with the refresh token of a finished connect. */
  withToken(settings: C, tokens: Tokens): C;
  /** The settings as stored without their token, and the token that was there (refresh token, or the long-lived access token). */
  withoutToken(settings: C): { settings: C; refreshToken: string | null };
  /** What to do when the provider answers a sign-in without a refresh token. */
  noRefreshTokenHint: string;
  /** The tokens in the token endpoint's answer, or a TimebridgeError saying why there are none; default: a standard answer with a refresh token. */
  tokensFrom?(answer: Record<string, unknown>): Tokens;
  /** After a connect: whose account it is, asked from the provider with the new token. */
  identify?(client: OAuthClient, settings: C, tokens: Tokens): Promise<Identity>;
  /** Revokes the stored token where the provider does it otherwise than RFC 7009 (GitHub); default: `revokeToken`. */
  revoke?(client: OAuthClient, token: string, settings: C): Promise<void>;
}

export function authorizationUrl(c: OAuthClient, redirectUri: string, state: string, loginHint?: string): string {
  const url = new URL(c.authUrl);
  const params = {
    client_id: c.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: c.scopes.join(' '),
    state,
    ...c.authParams,
    ...(loginHint ? { login_hint: loginHint } : {}),
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

function formClient(url: string, outbound?: OutboundGuard): { post(form: Record<string, string>): Promise<Record<string, unknown>> } {
  const http = createHttpClient({ baseUrl: new URL(url).origin, timeoutMs: 30_000, ...(outbound ? { outbound } : {}) });
  return {
    async post(form) {
      const res = await http.request({
        method: 'POST',
        path: url,
        // GitHub answers its token endpoint form-encoded unless asked for JSON.
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(form).toString(),
      });
      return res.text ? res.json<Record<string, unknown>>() : {};
    },
  };
}

/** The callback's code → tokens; the provider must send a refresh token, unless the connector reads the answer itself (`tokensFrom`). */
export async function exchangeCode(
  c: OAuthClient,
  code: string,
  redirectUri: string,
  who: Pick<OAuthSupport<unknown>, 'label' | 'noRefreshTokenHint' | 'tokensFrom'>,
): Promise<Tokens> {
  let r: Record<string, unknown>;
  try {
    r = await formClient(c.tokenUrl, c.outbound).post({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: c.clientId,
      client_secret: c.clientSecret,
    });
  } catch (err) {
    throw new TimebridgeError('OAUTH_REQUIRED', `${who.label} did not accept the sign-in (${err instanceof Error ? err.message : String(err)}).`, {
      hint: 'Start the connect flow again; check that the OAuth client lists this redirect URI exactly.',
      cause: err,
    });
  }
  if (who.tokensFrom) return who.tokensFrom(r);
  if (typeof r['refresh_token'] !== 'string' || typeof r['access_token'] !== 'string') {
    throw new TimebridgeError('OAUTH_REQUIRED', `${who.label} answered the sign-in without a refresh token.`, { hint: who.noRefreshTokenHint });
  }
  return { refreshToken: r['refresh_token'], accessToken: r['access_token'], expiresIn: Number(r['expires_in'] ?? 3600), scope: String(r['scope'] ?? '') };
}

/** Revokes a token (RFC 7009); one the provider no longer knows (400) counts as revoked. */
export async function revokeToken(c: Pick<OAuthClient, 'revokeUrl' | 'outbound'>, token: string): Promise<void> {
  if (!c.revokeUrl) return;
  try {
    await formClient(c.revokeUrl, c.outbound).post({ token });
  } catch (err) {
    const status = (err as TimebridgeError).details?.['status'];
    if (status === 400) return;
    throw err;
  }
}
