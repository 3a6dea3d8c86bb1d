/** How a notes connection takes part in the generic OAuth connect flow (provider `notes`). */
import type { OAuthSupport } from '../../../../src/connectors/kit/oauth.js';
import { TimebridgeError } from '../../../../src/core/errors.js';
import type { NotesConfig } from './index.js';

export const notesOAuth: OAuthSupport<NotesConfig> = {
  provider: 'notes',
  label: 'Notes',
  client(settings) {
    if (!settings.oauth) {
      throw new TimebridgeError('REQUEST_INVALID', 'it signs in with an API token, not OAuth', {
        hint: 'set oauth.clientId and oauth.clientSecret to connect an account',
      });
    }
    const base = settings.baseUrl.replace(/\/+$/, '');
    return {
      clientId: settings.oauth.clientId,
      clientSecret: settings.oauth.clientSecret,
      scopes: ['notes'],
      authUrl: `${base}/oauth/authorize`,
      tokenUrl: `${base}/oauth/token`,
      revokeUrl: `${base}/oauth/revoke`,
    };
  },
  withToken: (settings, tokens) => ({ ...settings, oauth: { ...settings.oauth!, refreshToken: tokens.refreshToken ?? undefined } }),
  withoutToken(settings) {
    if (!settings.oauth) return { settings, refreshToken: null };
    const { refreshToken, ...oauth } = settings.oauth;
    return { settings: { ...settings, oauth }, refreshToken: refreshToken ?? null };
  },
  noRefreshTokenHint: "disconnect Timebridge in the notes system's account settings, then connect again",
};
