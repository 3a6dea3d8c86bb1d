/**
 * The emulator's Google OAuth: the token endpoint (JWT bearer for service accounts,
 * refresh_token and authorization_code grants), revoke, an authorization page that
 * consents at once, and access tokens with an expiry a control route can cut short.
 */
import { createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

export const EMULATOR_CLIENT_ID = 'timebridge-emulator.apps.googleusercontent.com';
export const EMULATOR_CLIENT_SECRET = 'emulator-client-secret';
export const DEMO_USER = 'alice@example.com';
export const SERVICE_ACCOUNT_EMAIL = 'timebridge@emulator.iam.gserviceaccount.com';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_SECONDS = 3599;

interface AccessToken {
  principal: string;
  expiresAt: number;
  refresh: string | null;
}
interface RefreshToken {
  principal: string;
  clientId: string;
  scope: string;
}

export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

export type TokenAnswer = { status: number; body: Record<string, unknown> };

const oauthError = (error: string, description: string, status = 400): TokenAnswer => ({ status, body: { error, error_description: description } });
const token = (prefix: string): string => `${prefix}${randomBytes(24).toString('base64url')}`;

export class OAuthState {
  private readonly access = new Map<string, AccessToken>();
  private readonly refresh = new Map<string, RefreshToken>();
  private readonly codes = new Map<string, RefreshToken & { redirectUri: string }>();
  readonly saKeyId = randomBytes(20).toString('hex');
  private readonly saPublic: KeyObject;
  readonly saPrivatePem: string;
  /** Service accounts allowed to impersonate users (domain-wide delegation). */
  delegation = true;

  constructor(private readonly now: () => number) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.saPublic = pair.publicKey;
    this.saPrivatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  reset(): void {
    this.access.clear();
    this.refresh.clear();
    this.codes.clear();
  }

  serviceAccountKey(base: string): ServiceAccountKey {
    return {
      type: 'service_account',
      project_id: 'timebridge-emulator',
      private_key_id: this.saKeyId,
      private_key: this.saPrivatePem,
      client_email: SERVICE_ACCOUNT_EMAIL,
      client_id: '100000000000000000001',
      token_uri: `${base}/token`,
    };
  }

  /** The principal of a live access token, or null (missing, unknown, expired). */
  principalOf(authorization: string | undefined): string | null {
    const m = /^Bearer (.+)$/i.exec(authorization ?? '');
    const t = m ? this.access.get(m[1]!) : undefined;
    return t && t.expiresAt > this.now() ? t.principal : null;
  }

  expireAccessTokens(): number {
    for (const t of this.access.values()) t.expiresAt = 0;
    return this.access.size;
  }

  issueRefreshToken(principal: string, clientId = EMULATOR_CLIENT_ID, scope = 'https://www.googleapis.com/auth/calendar', fixed?: string): string {
    const t = fixed ?? token('1//emu-');
    this.refresh.set(t, { principal, clientId, scope });
    return t;
  }

  /** The authorization page: consents as `login_hint` (or the demo user) and hands back a code. */
  authorize(q: Record<string, string | undefined>): { redirect: string } | { error: string } {
    if (q['client_id'] !== EMULATOR_CLIENT_ID) return { error: `unknown client_id; the emulator knows ${EMULATOR_CLIENT_ID}` };
    if (q['response_type'] !== 'code' || !q['redirect_uri']) return { error: 'response_type=code and redirect_uri are required' };
    const code = token('4/emu-');
    this.codes.set(code, { principal: q['login_hint'] || DEMO_USER, clientId: q['client_id'], scope: q['scope'] ?? '', redirectUri: q['redirect_uri'] });
    const url = new URL(q['redirect_uri']);
    url.searchParams.set('code', code);
    if (q['state']) url.searchParams.set('state', q['state']);
    return { redirect: url.href };
  }

  grant(form: Record<string, string | undefined>, tokenUrl: string): TokenAnswer {
    switch (form['grant_type']) {
      case JWT_BEARER:
        return this.jwtGrant(form['assertion'] ?? '', tokenUrl);
      case 'refresh_token': {
        if (!this.clientOk(form)) return oauthError('invalid_client', 'The OAuth client was not found.', 401);
        const r = this.refresh.get(form['refresh_token'] ?? '');
        if (!r) return oauthError('invalid_grant', 'Token has been expired or revoked.');
        return this.answer(r.principal, form['refresh_token']!, r.scope, false);
      }
      case 'authorization_code': {
        if (!this.clientOk(form)) return oauthError('invalid_client', 'The OAuth client was not found.', 401);
        const c = this.codes.get(form['code'] ?? '');
        this.codes.delete(form['code'] ?? '');
        if (!c || c.redirectUri !== form['redirect_uri']) return oauthError('invalid_grant', 'Malformed auth code or redirect_uri mismatch.');
        return this.answer(c.principal, this.issueRefreshToken(c.principal, c.clientId, c.scope), c.scope, true);
      }
      default:
        return oauthError('unsupported_grant_type', `Invalid grant_type: ${form['grant_type'] ?? '(none)'}`);
    }
  }

  /** Revokes a refresh token with its access tokens, or one access token. */
  revoke(t: string): boolean {
    if (this.refresh.delete(t)) {
      for (const [k, a] of this.access) if (a.refresh === t) this.access.delete(k);
      return true;
    }
    return this.access.delete(t);
  }

  private clientOk(form: Record<string, string | undefined>): boolean {
    return form['client_id'] === EMULATOR_CLIENT_ID && form['client_secret'] === EMULATOR_CLIENT_SECRET;
  }

  private answer(principal: string, refresh: string, scope: string, withRefresh: boolean): TokenAnswer {
    const t = token('ya29.emu-');
    this.access.set(t, { principal, expiresAt: this.now() + TOKEN_SECONDS * 1000, refresh });
    return {
      status: 200,
      body: { access_token: t, expires_in: TOKEN_SECONDS, scope, token_type: 'Bearer', ...(withRefresh ? { refresh_token: refresh } : {}) },
    };
  }

  private jwtGrant(assertion: string, tokenUrl: string): TokenAnswer {
    const [h, c, s] = assertion.split('.');
    if (!h || !c || !s) return oauthError('invalid_grant', 'Invalid JWT: not three dot-separated parts.');
    let header: { alg?: string; kid?: string }, claims: { iss?: string; aud?: string; scope?: string; iat?: number; exp?: number; sub?: string };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    } catch {
      return oauthError('invalid_grant', 'Invalid JWT: header or claims are not JSON.');
    }
    if (header.alg !== 'RS256') return oauthError('invalid_grant', 'Invalid JWT: alg must be RS256.');
    if (claims.iss !== SERVICE_ACCOUNT_EMAIL) return oauthError('invalid_grant', `Invalid JWT: unknown issuer ${claims.iss ?? '(none)'}.`);
    const ok = createVerify('RSA-SHA256').update(`${h}.${c}`).verify(this.saPublic, Buffer.from(s, 'base64url'));
    if (!ok) return oauthError('invalid_grant', 'Invalid JWT Signature.');
    const nowS = Math.floor(this.now() / 1000);
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp - claims.iat > 3600 || claims.exp < nowS || claims.iat > nowS + 300) {
      return oauthError(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values.',
      );
    }
    if (claims.aud !== tokenUrl) return oauthError('invalid_grant', `Invalid JWT: aud must be ${tokenUrl}.`);
    if (!claims.scope) return oauthError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    if (claims.sub && !this.delegation)
      return oauthError(
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        401,
      );
    return this.answer(claims.sub ?? SERVICE_ACCOUNT_EMAIL, '', claims.scope, false);
  }
}
