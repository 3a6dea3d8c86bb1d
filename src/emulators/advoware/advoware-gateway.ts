/**
 * The Advoware security gateway (api-contracts-more §1.2): `POST /api/v1/Token` checks the
 * HMAC-SHA512 signature over `{Product}:{AppID}:{Nonce}:{RequestTimeStamp}` keyed with the
 * app's base64-decoded API key, refuses a stale timestamp and a nonce seen before, checks
 * the firm's login, and hands out a bearer token of a set lifetime. Its refusals carry the
 * phrases clients classify by (`freigeschaltet`, `ist nicht registriert`, `Falscher Name
 * oder falsches Kennwort`) in a `{"Message": …}` body.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AdvowareData } from './advoware-data.js';

export interface GatewaySettings {
  /** Lifetime of a bearer token, seconds. */
  tokenLifetimeSec: number;
  /** How far RequestTimeStamp may be from the server clock, seconds (also how long a nonce is remembered). */
  maxSkewSec: number;
}

const REQUIRED = ['AppID', 'Kanzlei', 'Database', 'User', 'Role', 'Product', 'Password', 'Nonce', 'HMAC512Signature', 'RequestTimeStamp'] as const;

/** The signature the gateway expects (also what the emulator's tests compute independently). */
export function gatewaySignature(apiKeyBase64: string, product: number, appId: string, nonce: string, timestamp: string): string {
  return createHmac('sha512', Buffer.from(apiKeyBase64, 'base64')).update(`${product}:${appId}:${nonce}:${timestamp}`, 'utf8').digest('base64');
}

/** `2024-05-06T07:00:00.000Z`, `…7955547Z`, `…+0000`: an instant, or null. */
function parseStamp(text: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/.exec(text);
  if (!m) return null;
  const zone = m[3] === 'Z' ? 'Z' : `${m[3]!.slice(0, 3)}:${m[3]!.slice(-2)}`;
  const ms = Date.parse(`${m[1]}.${(m[2] ?? '0').slice(0, 3).padEnd(3, '0')}${zone}`);
  return Number.isNaN(ms) ? null : ms;
}

const refuse = (reply: FastifyReply, status: number, message: string) => reply.code(status).send({ Message: message });

export function gatewayRoutes(app: FastifyInstance, data: () => AdvowareData, settings: GatewaySettings, now: () => number): void {
  app.post('/api/v1/Token', async (req, reply) => {
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return refuse(reply, 400, 'Der Anfragetext muss ein JSON-Objekt sein.');
    const b = body as Record<string, unknown>;
    const missing = REQUIRED.filter((k) => b[k] === undefined || b[k] === null || b[k] === '');
    if (missing.length) return refuse(reply, 400, `Fehlende Angaben: ${missing.join(', ')}`);
    const d = data();
    const appId = String(b['AppID']);
    const key = d.apps.get(appId);
    if (!key) return refuse(reply, 401, `Die Anwendung ${appId} ist nicht freigeschaltet.`);
    const product = Number(b['Product']);
    if (product !== 64) return refuse(reply, 403, `Das Produkt ${String(b['Product'])} ist für Drittanbieter nicht freigeschaltet (Product 64).`);
    const stamp = String(b['RequestTimeStamp']);
    const at = parseStamp(stamp);
    const t = now();
    if (at === null) return refuse(reply, 400, `RequestTimeStamp ${stamp} ist kein UTC-Zeitstempel nach ISO 8601.`);
    if (Math.abs(at - t) > settings.maxSkewSec * 1000) {
      return refuse(reply, 401, `RequestTimeStamp ${stamp} liegt außerhalb des erlaubten Zeitfensters (±${settings.maxSkewSec} s).`);
    }
    const nonce = String(b['Nonce']);
    const want = Buffer.from(gatewaySignature(key, product, appId, nonce, stamp), 'base64');
    const got = Buffer.from(String(b['HMAC512Signature']), 'base64');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return refuse(reply, 401, 'Die HMAC512Signature ist ungültig.');
    for (const [n, seen] of d.nonces) if (t - seen > 2 * settings.maxSkewSec * 1000) d.nonces.delete(n);
    if (d.nonces.has(nonce)) return refuse(reply, 401, `Die Nonce ${nonce} wurde bereits verwendet.`);
    d.nonces.set(nonce, t);
    const l = d.login;
    if (String(b['Kanzlei']) !== l.kanzlei) return refuse(reply, 400, `Die Kanzlei ${String(b['Kanzlei'])} ist nicht registriert.`);
    if (String(b['Database']) !== l.database)
      return refuse(reply, 400, `Die Datenbank ${String(b['Database'])} der Kanzlei ${l.kanzlei} ist nicht registriert.`);
    if (String(b['User']).toUpperCase() !== l.user.toUpperCase() || String(b['Password']) !== l.password) {
      return refuse(reply, 401, 'Falscher Name oder falsches Kennwort.');
    }
    for (const [tok, exp] of d.tokens) if (exp <= t) d.tokens.delete(tok);
    const token = randomBytes(24).toString('base64url');
    const expires = t + settings.tokenLifetimeSec * 1000;
    d.tokens.set(token, expires);
    return {
      token_type: 'bearer',
      expires_in: settings.tokenLifetimeSec,
      expiration_utc: new Date(expires).toISOString(),
      access_token: token,
      refresh_token: randomBytes(24).toString('base64url'),
    };
  });
}

/** Whether a request carries a live bearer token. */
export function tokenValid(d: AdvowareData, header: string | undefined, now: number): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) return false;
  const exp = d.tokens.get(m[1]!);
  return exp !== undefined && exp > now;
}
