/**
 * The Advoware API client on the kit HTTP client. A bearer token comes from the security
 * gateway (api-contracts-more §1.2): the request is signed with HMAC-SHA512 over
 * `{Product}:{AppID}:{Nonce}:{RequestTimeStamp}`, keyed with the base64-decoded API key
 * (node:crypto), with a fresh nonce and timestamp on every try. The token is kept until
 * `refreshMarginMs` before it expires, then fetched again; an API call answered 401 gets
 * a new token and is sent once more. Base URLs come from the settings or from the vendor's
 * discovery endpoint (connectorUrl first, else relayUrl; securityGateway).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { TimebridgeError, isTimebridgeError } from '../../core/errors.js';
import { createHttpClient, type HttpClient, type HttpResponse } from '../kit/http-client.js';
import { accountKey, clientOptions, type HttpSetup } from '../kit/http-setup.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { advowareManifest } from './manifest.js';
import type { RawEmployee, RawTermin, TokenAnswer } from './advoware-types.js';

export interface AdvowareLogin {
  appId: string;
  /** base64, as the vendor hands it out. */
  apiKey: string;
  kanzlei: string;
  database: string;
  user: string;
  password: string;
  role: number;
  product: number;
}

export interface AdvowareApiOptions {
  /** API base (ends in `/`), or the discovery host when `discover` is set. */
  url: string;
  /** Security gateway base; default: `url`. */
  gatewayUrl?: string;
  discover?: boolean;
  login: AdvowareLogin;
  termine: string;
  mitarbeiter: string;
  refreshMarginMs: number;
  timeoutMs?: number;
  http?: HttpSetup;
  outbound?: OutboundGuard;
  now?: () => number;
}

/** The gateway's signature over the four signed values (api-contracts-more §1.2). */
export function tokenSignature(apiKeyBase64: string, product: number, appId: string, nonce: string, timestamp: string): string {
  return createHmac('sha512', Buffer.from(apiKeyBase64, 'base64')).update(`${product}:${appId}:${nonce}:${timestamp}`, 'utf8').digest('base64');
}

const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

type Req = { query?: Record<string, string | number | undefined>; body?: object; idempotent?: boolean };

export class AdvowareApi {
  private bases: Promise<{ api: HttpClient; gateway: HttpClient }> | null = null;
  private token: { value: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;
  private readonly now: () => number;
  /** Tokens fetched (for tests and run records). */
  tokensFetched = 0;

  constructor(private readonly o: AdvowareApiOptions) {
    this.now = o.now ?? o.http?.clock?.now ?? Date.now;
  }

  private client(baseUrl: string): HttpClient {
    const o = this.o;
    return createHttpClient({
      baseUrl,
      timeoutMs: o.timeoutMs ?? 30_000,
      ...(o.outbound ? { outbound: o.outbound } : {}),
      ...clientOptions(o.http, { key: accountKey(baseUrl, o.login.kanzlei, o.login.user, o.login.password), published: advowareManifest.rateLimit ?? null }),
    });
  }

  private clients(): Promise<{ api: HttpClient; gateway: HttpClient }> {
    this.bases ??= this.resolveBases().catch((err: unknown) => {
      this.bases = null;
      throw err;
    });
    return this.bases;
  }

  private async resolveBases(): Promise<{ api: HttpClient; gateway: HttpClient }> {
    const o = this.o;
    if (!o.discover) return { api: this.client(slash(o.url)), gateway: this.client(slash(o.gatewayUrl ?? o.url)) };
    const found = await this.client(slash(o.url))
      .request({ method: 'GET', path: 'AdvonetConfigurator/api/Url', query: { Kanzlei: o.login.kanzlei } })
      .then((r) => r.json<{ relayUrl?: string | null; connectorUrl?: string | null; securityGateway?: string | null }>());
    const api = found.connectorUrl || found.relayUrl;
    const gateway = found.securityGateway;
    if (!api || !gateway) {
      throw new TimebridgeError('CONFIG_INVALID', `Advoware's discovery for Kanzlei ${o.login.kanzlei} named no API or gateway address.`, {
        hint: 'Check kanzlei, or set url (the API base) and gatewayUrl yourself with discover: false.',
      });
    }
    return { api: this.client(slash(api)), gateway: this.client(slash(gateway)) };
  }

  /** A live token: the cached one until `refreshMarginMs` before it expires, else a new one (one request at a time). */
  private async bearer(force = false): Promise<string> {
    if (!force && this.token && this.token.expiresAt - this.o.refreshMarginMs > this.now()) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const { gateway } = await this.clients();
    const l = this.o.login;
    const answer = await gateway.repeatable('Advoware token', async () => {
      // A fresh nonce and timestamp on every try: the gateway refuses a nonce it has seen.
      const nonce = randomUUID();
      const stamp = new Date(this.now()).toISOString();
      const res = await gateway.request({
        method: 'POST',
        path: 'api/v1/Token',
        idempotent: false,
        body: {
          AppID: l.appId,
          Kanzlei: l.kanzlei,
          Database: l.database,
          User: l.user,
          Role: l.role,
          Product: l.product,
          Password: l.password,
          Nonce: nonce,
          HMAC512Signature: tokenSignature(l.apiKey, l.product, l.appId, nonce, stamp),
          RequestTimeStamp: stamp,
        },
      });
      return res.json<TokenAnswer>();
    });
    if (!answer?.access_token || typeof answer.expires_in !== 'number') {
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', 'The Advoware gateway answered without access_token or expires_in.', {
        hint: 'Check that gatewayUrl points at the security gateway (…/api/v1/Token).',
      });
    }
    this.tokensFetched++;
    this.token = { value: answer.access_token, expiresAt: this.now() + answer.expires_in * 1000 };
    return answer.access_token;
  }

  /** An API call with the bearer token; a 401 fetches a new token and sends it once more. */
  async request(method: string, path: string, r: Req = {}): Promise<HttpResponse> {
    const { api } = await this.clients();
    const send = async (token: string) => api.request({ method, path, ...r, headers: { authorization: `Bearer ${token}` } });
    const token = await this.bearer();
    try {
      return await send(token);
    } catch (err) {
      if (!(isTimebridgeError(err) && err.details?.['status'] === 401)) throw err;
      if (this.token?.value === token) this.token = null;
      return send(await this.bearer(true));
    }
  }

  /** An operation safe to repeat as a whole (a create that first looks for an earlier try). */
  async repeatable<T>(what: string, op: () => Promise<T>): Promise<T> {
    const { api } = await this.clients();
    return api.repeatable(what, op);
  }

  employees(): Promise<RawEmployee[]> {
    return this.request('GET', this.o.mitarbeiter).then((r) => r.json<RawEmployee[]>());
  }

  /** The employee's appointments overlapping [from, to] (dates, inclusive): one bare array, no paging. */
  async termine(kuerzel: string, from: string, to: string): Promise<RawTermin[]> {
    const list = (await this.request('GET', this.o.termine, { query: { kuerzel, from, to } })).json<unknown>();
    if (!Array.isArray(list)) {
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `Advoware answered the appointments of ${kuerzel} with something other than a list.`, {
        hint: 'Check the termine path setting (the camelCase dialect answers a bare JSON array).',
      });
    }
    return list as RawTermin[];
  }

  /** One appointment, or null when the API says it does not exist (404). */
  async termin(frNr: number): Promise<RawTermin | null> {
    try {
      return (await this.request('GET', this.o.termine, { query: { frnr: frNr } })).json<RawTermin>();
    } catch (err) {
      if (isTimebridgeError(err) && err.details?.['status'] === 404) return null;
      throw err;
    }
  }

  /** Create: the API answers the new number. */
  async create(t: Omit<RawTermin, 'frNr'>): Promise<number> {
    const res = await this.request('POST', this.o.termine, { body: t, idempotent: false });
    const n = Number(res.text.trim().replace(/^"|"$/g, ''));
    if (!Number.isInteger(n) || n === 0) {
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `Advoware answered a create with "${res.text.slice(0, 80)}", not an appointment number.`, {
        hint: 'Check the termine path setting.',
      });
    }
    return n;
  }

  async replace(frNr: number, t: RawTermin): Promise<void> {
    await this.request('PUT', this.o.termine, { query: { frnr: frNr }, body: t, idempotent: true });
  }

  async remove(frNr: number): Promise<void> {
    await this.request('DELETE', this.o.termine, { query: { frnr: frNr }, idempotent: true });
  }
}
