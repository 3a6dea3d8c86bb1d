/**
 * A thin Tempo v4 client on the kit HTTP client: Bearer token, `metadata.next` paging
 * (a full URL on the same server), and the server's clock from the `Date` header.
 * A 429 becomes `rate_limited` with Retry-After in the kit client; nothing here waits.
 */
import { createHash } from 'node:crypto';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { createHttpClient, type HttpClient } from '../kit/http-client.js';
import { sharedBucket } from '../kit/rate-limiter.js';
import type { RawTempoWorklog, TempoPage } from './tempo-types.js';

export interface TempoApiOptions {
  url: string;
  token: string;
  pageSize: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Where requests may go (users' connections: serve.outbound); none: anywhere. */
  outbound?: OutboundGuard;
  /** Requests a second to this Tempo account (Tempo allows about 5; default 4); 0 turns pacing off. */
  requestsPerSecond?: number;
}

type Query = Record<string, string | number | undefined>;

export class TempoApi {
  readonly http: HttpClient;
  serverTime: number | null = null;

  constructor(private readonly opts: TempoApiOptions) {
    this.http = createHttpClient({
      baseUrl: opts.url.replace(/\/+$/, ''), auth: { type: 'bearer', token: opts.token },
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.outbound ? { outbound: opts.outbound } : {}),
      // Tempo counts requests, not connector calls: every request of this account waits its turn.
      ...(opts.requestsPerSecond !== 0 ? { limiter: sharedBucket(`tempo ${opts.url} ${createHash('sha256').update(opts.token).digest('hex')}`, { requests: opts.requestsPerSecond ?? 4, perSeconds: 1 }) } : {}),
    });
  }

  async json<T>(method: string, path: string, opts: { query?: Query; body?: object } = {}): Promise<T> {
    const res = await this.http.request({ method, path, ...(opts.query ? { query: opts.query } : {}), ...(opts.body ? { body: opts.body } : {}) });
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
