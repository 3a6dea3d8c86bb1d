/**
 * A thin Tempo v4 client on the kit HTTP client: Bearer token, `metadata.next` paging
 * (a full URL on the same server), and the server's clock from the `Date` header.
 * Requests are paced per account (Tempo allows about 5 a second), and a 429 is retried
 * after its Retry-After, in the kit client.
 */
import { createHttpClient, type HttpClient } from '../kit/http-client.js';
import { accountKey, clientOptions, type HttpSetup } from '../kit/http-setup.js';
import type { RawTempoWorklog, TempoPage } from './tempo-types.js';

export interface TempoApiOptions {
  url: string;
  token: string;
  pageSize: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Requests a second to this Tempo account (Tempo allows about 5; default 4); 0 turns pacing off. The connection's `rateLimit` wins. */
  requestsPerSecond?: number;
  /** Pacing, retries and clock (the catalog's); absent: the defaults. */
  http?: HttpSetup;
}

type Query = Record<string, string | number | undefined>;
/** `idempotent`: the request is safe to repeat (see HttpRequest); absent: the kit's rule by method and headers. */
type JsonOptions = { query?: Query; body?: object; idempotent?: boolean };

export class TempoApi {
  readonly http: HttpClient;
  serverTime: number | null = null;

  constructor(private readonly opts: TempoApiOptions) {
    this.http = createHttpClient({
      baseUrl: opts.url.replace(/\/+$/, ''), auth: { type: 'bearer', token: opts.token },
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}),
      // Tempo counts requests: every request of this account waits its turn in one bucket.
      ...clientOptions(opts.http, { key: accountKey(opts.url, opts.token), published: opts.requestsPerSecond === 0 ? null : { requests: opts.requestsPerSecond ?? 4, perSeconds: 1 } }),
    });
  }

  async json<T>(method: string, path: string, opts: JsonOptions = {}): Promise<T> {
    const res = await this.http.request({
      method, path, ...(opts.query ? { query: opts.query } : {}), ...(opts.body ? { body: opts.body } : {}), ...(opts.idempotent !== undefined ? { idempotent: opts.idempotent } : {}),
    });
    const date = Date.parse(res.headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.serverTime = date;
    return res.status === 204 || !res.text ? (undefined as T) : res.json<T>();
  }

  /** Every page of a worklog list, following `metadata.next`. */
  async all(path: string, query: Query): Promise<RawTempoWorklog[]> {
    const out: RawTempoWorklog[] = [];
    let page = await this.json<TempoPage>('GET', path, { query: { ...query, offset: 0, limit: this.opts.pageSize } });
    out.push(...page.results);
    while (page.metadata.next) {
      page = await this.json<TempoPage>('GET', page.metadata.next);
      out.push(...page.results);
    }
    return out;
  }
}
