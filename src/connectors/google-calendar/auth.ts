/**
 * Access tokens for the Calendar API: a service account's signed JWT (RS256 on
 * node:crypto, optional `sub` for domain-wide delegation) or an OAuth refresh token.
 * Tokens are reused until a minute before they expire, and dropped on a 401 so the
 * next request gets a fresh one.
 */
import { createSign } from 'node:crypto';
import { TimebridgeError, isTimebridgeError } from '../../core/errors.js';
import type { HttpClient } from '../kit/http-client.js';

export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const EARLY_MS = 60_000;

export type GoogleCredentials =
  | { type: 'serviceAccount'; clientEmail: string; privateKey: string; privateKeyId?: string; subject?: string; scopes: string[] }
  | { type: 'oauth'; clientId: string; clientSecret: string; refreshToken: string | null; scopes: string[] };

export interface TokenSource {
  /** A valid access token, fetched when none is cached or it is about to expire. */
  token(): Promise<string>;
  /** Forget the cached token (the API answered 401). */
  invalidate(): void;
  /** Tokens fetched so far (for tests and run records). */
  readonly fetched: number;
}

interface TokenReply {
  access_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

/** `http` must point at the token endpoint's server; `tokenUrl` is the full endpoint. */
export function createTokenSource(
  creds: GoogleCredentials,
  http: HttpClient,
  tokenUrl: string,
  now: () => number,
  connection = 'this connection',
): TokenSource {
  let cached: { token: string; until: number } | null = null;
  let pending: Promise<string> | null = null;
  let fetched = 0;

  async function fetchToken(): Promise<string> {
    const form: Record<string, string> =
      creds.type === 'serviceAccount'
        ? { grant_type: JWT_BEARER, assertion: signJwt(creds, tokenUrl, now()) }
        : { grant_type: 'refresh_token', client_id: creds.clientId, client_secret: creds.clientSecret, refresh_token: refreshTokenOf(creds, connection) };
    let reply: TokenReply;
    try {
      // A token grant changes nothing on the server: a repeat just gets another access token.
      const res = await http.request({
        method: 'POST',
        path: tokenUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
        idempotent: true,
      });
      reply = res.json<TokenReply>();
    } catch (err) {
      throw tokenError(err, creds, connection);
    }
    if (!reply.access_token) {
      throw new TimebridgeError('CONNECTOR_AUTH', `The Google token endpoint answered without an access token (${reply.error ?? 'no error given'}).`, {
        hint: "Check tokenUrl: it must be Google's token endpoint, https://oauth2.googleapis.com/token.",
      });
    }
    fetched++;
    cached = { token: reply.access_token, until: now() + (reply.expires_in ?? 3600) * 1000 - EARLY_MS };
    return reply.access_token;
  }

  return {
    async token() {
      if (cached && cached.until > now()) return cached.token;
      // Concurrent callers share one token request.
      pending ??= fetchToken().finally(() => {
        pending = null;
      });
      return pending;
    },
    invalidate() {
      cached = null;
    },
    get fetched() {
      return fetched;
    },
  };
}

function refreshTokenOf(creds: Extract<GoogleCredentials, { type: 'oauth' }>, connection: string): string {
  if (creds.refreshToken) return creds.refreshToken;
  throw new TimebridgeError('OAUTH_REQUIRED', `The Google connection ${connection} is not connected to an account yet (it has no refresh token).`, {
    hint: `Connect it: open GET /api/v1/connections/${connection}/oauth/start with an API token and follow the link, or set auth.refreshToken.`,
  });
}

function tokenError(err: unknown, creds: GoogleCredentials, connection: string): TimebridgeError {
  if (!isTimebridgeError(err)) return new TimebridgeError('CONNECTOR_BUG', `Token request failed: ${String(err)}`);
  if (err.kind === 'transient' || err.kind === 'rate_limited') return err;
  const body = String(err.details?.['body'] ?? '');
  const code = /"error"\s*:\s*"([a-z_]+)"/.exec(body)?.[1] ?? 'unknown';
  if (creds.type === 'oauth' && code === 'invalid_grant') {
    return new TimebridgeError(
      'OAUTH_REQUIRED',
      `Google refused the refresh token of ${connection} (invalid_grant): it was revoked, expired or belongs to another client.`,
      {
        hint: `Connect the account again: GET /api/v1/connections/${connection}/oauth/start.`,
        cause: err,
      },
    );
  }
  const hint =
    creds.type === 'serviceAccount'
      ? code === 'unauthorized_client'
        ? `The service account may not impersonate ${creds.subject ?? 'that user'}: grant domain-wide delegation for its client id and the calendar scope in the Workspace admin console, or remove subject.`
        : 'Check the service account key (client email, private key) and that the server clock is right (iat/exp).'
      : 'Check clientId and clientSecret of the OAuth client.';
  return new TimebridgeError('CONNECTOR_AUTH', `Google's token endpoint refused the credentials of ${connection} (${code}).`, { hint, cause: err });
}

/** A service-account assertion (RFC 7523), valid for an hour. */
export function signJwt(creds: Extract<GoogleCredentials, { type: 'serviceAccount' }>, audience: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(creds.privateKeyId ? { kid: creds.privateKeyId } : {}) };
  const claims = {
    iss: creds.clientEmail,
    scope: creds.scopes.join(' '),
    aud: audience,
    iat,
    exp: iat + 3600,
    ...(creds.subject ? { sub: creds.subject } : {}),
  };
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(input).sign(creds.privateKey, 'base64url');
  } catch (err) {
    throw new TimebridgeError('CONFIG_INVALID', `The service account's private key cannot sign (${err instanceof Error ? err.message : String(err)}).`, {
      hint: 'Use the private_key of the JSON key file as it is (a PEM block starting with -----BEGIN PRIVATE KEY-----); in YAML keep its line breaks or use keyFile.',
    });
  }
  return `${input}.${signature}`;
}
