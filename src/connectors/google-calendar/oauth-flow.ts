/**
 * The per-user OAuth connect flow: the consent URL (offline access, so Google hands out
 * a refresh token), the code exchange, and revocation on disconnect. Keeping the pending
 * states (service/oauth-states.ts) and storing the tokens (sealed connection secrets) is
 * the caller's job.
 */
import { TimebridgeError } from '../../core/errors.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { createHttpClient } from '../kit/http-client.js';
import { CALENDAR_SCOPE } from './auth.js';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  scopes?: string[];
  /** Where the token and revoke requests may go (users' connections: serve.outbound). */
  outbound?: OutboundGuard;
}

export interface Tokens {
  refreshToken: string;
  accessToken: string;
  expiresIn: number;
  scope: string;
}

export function authorizationUrl(c: OAuthClient, redirectUri: string, state: string, loginHint?: string): string {
  const url = new URL(c.authUrl);
  const params = {
    client_id: c.clientId, redirect_uri: redirectUri, response_type: 'code', scope: (c.scopes ?? [CALENDAR_SCOPE]).join(' '),
    // offline + consent: Google sends a refresh token on every connect, not only the first.
    access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true', state, ...(loginHint ? { login_hint: loginHint } : {}),
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

function formClient(url: string, outbound?: OutboundGuard): { post(form: Record<string, string>): Promise<Record<string, unknown>> } {
  const http = createHttpClient({ baseUrl: new URL(url).origin, timeoutMs: 30_000, ...(outbound ? { outbound } : {}) });
  return {
    async post(form) {
      const res = await http.request({ method: 'POST', path: url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
      return res.text ? res.json<Record<string, unknown>>() : {};
    },
  };
}

/** The callback's code → tokens. Google must send a refresh token (offline access). */
export async function exchangeCode(c: OAuthClient, code: string, redirectUri: string): Promise<Tokens> {
  let r: Record<string, unknown>;
  try {
    r = await formClient(c.tokenUrl, c.outbound).post({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: c.clientId, client_secret: c.clientSecret });
  } catch (err) {
    throw new TimebridgeError('OAUTH_REQUIRED', `Google did not accept the sign-in (${err instanceof Error ? err.message : String(err)}).`, {
      hint: 'Start the connect flow again; check that the OAuth client lists this redirect URI exactly.', cause: err,
    });
  }
  if (typeof r['refresh_token'] !== 'string' || typeof r['access_token'] !== 'string') {
    throw new TimebridgeError('OAUTH_REQUIRED', 'Google answered the sign-in without a refresh token.', {
      hint: 'Remove Timebridge from the account\'s third-party access (myaccount.google.com/permissions) and connect again.',
    });
  }
  return { refreshToken: r['refresh_token'], accessToken: r['access_token'], expiresIn: Number(r['expires_in'] ?? 3600), scope: String(r['scope'] ?? '') };
}

/** Revokes a token; one Google no longer knows counts as revoked. */
export async function revokeToken(c: Pick<OAuthClient, 'revokeUrl' | 'outbound'>, token: string): Promise<void> {
  try {
    await formClient(c.revokeUrl, c.outbound).post({ token });
  } catch (err) {
    const status = (err as TimebridgeError).details?.['status'];
    if (status === 400) return;
    throw err;
  }
}
