/**
 * Google's part of the OAuth connect flow (`connectors/kit/oauth.ts`): offline access with
 * consent, so Google hands out a refresh token on every connect; the client from a
 * `google-calendar` connection with `auth.type: oauth`; the refresh token stored in
 * `auth.refreshToken` (sealed by the catalog, as a secret field of the schema).
 */
import { TimebridgeError } from '../../core/errors.js';
import * as kit from '../kit/oauth.js';
import type { OAuthClient, OAuthSupport, Tokens } from '../kit/oauth.js';
import { CALENDAR_SCOPE } from './auth.js';
import type { GoogleCalendarConfig } from './index.js';

export const GOOGLE_AUTH_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
export const GOOGLE_REVOKE_URL = 'https://oauth2.googleapis.com/revoke';
const GOOGLE_AUTH_PARAMS = { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' };
const GOOGLE = {
  label: 'Google',
  noRefreshTokenHint: "Remove Timebridge from the account's third-party access (myaccount.google.com/permissions) and connect again.",
};

type GoogleClient = Omit<OAuthClient, 'scopes'> & { scopes?: string[] };
const withGoogle = (c: GoogleClient): OAuthClient => ({ ...c, scopes: c.scopes ?? [CALENDAR_SCOPE], authParams: GOOGLE_AUTH_PARAMS });

export const authorizationUrl = (c: GoogleClient, redirectUri: string, state: string, loginHint?: string): string =>
  kit.authorizationUrl(withGoogle(c), redirectUri, state, loginHint);
/** Google always sends a refresh token here (the kit's default answer check insists on one). */
export const exchangeCode = (c: GoogleClient, code: string, redirectUri: string): Promise<Tokens & { refreshToken: string }> =>
  kit.exchangeCode(withGoogle(c), code, redirectUri, GOOGLE) as Promise<Tokens & { refreshToken: string }>;
export const revokeToken = kit.revokeToken;

type OAuthAuth = Extract<GoogleCalendarConfig['auth'], { type: 'oauth' }>;

export const googleOAuth: OAuthSupport<GoogleCalendarConfig> = {
  provider: 'google',
  ...GOOGLE,
  client(settings) {
    if (settings.auth.type !== 'oauth') {
      throw new TimebridgeError('REQUEST_INVALID', 'this google-calendar connection uses a service account, not per-user OAuth', {
        hint: 'the connect flow is for per-user OAuth connections (auth.type: oauth); service accounts need none',
      });
    }
    // The catalog has resolved clientSecretEnv (only for the config file's and admins' connections).
    if (!settings.auth.clientSecret)
      throw new TimebridgeError('CONFIG_INVALID', 'the OAuth client secret of this connection is not set', { hint: 'set auth.clientSecret' });
    return withGoogle({
      clientId: settings.auth.clientId,
      clientSecret: settings.auth.clientSecret,
      authUrl: settings.authUrl ?? GOOGLE_AUTH_URL,
      tokenUrl: settings.tokenUrl,
      revokeUrl: settings.revokeUrl ?? GOOGLE_REVOKE_URL,
      ...(settings.auth.scopes ? { scopes: settings.auth.scopes } : {}),
    });
  },
  withToken(settings, tokens) {
    return { ...settings, auth: { ...(settings.auth as OAuthAuth), ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}) } };
  },
  withoutToken(settings) {
    const { refreshToken, ...rest } = settings.auth as OAuthAuth;
    return { settings: { ...settings, auth: rest }, refreshToken: refreshToken ?? null };
  },
};
