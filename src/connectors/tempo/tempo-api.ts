/**
 * A thin Tempo v4 client on the kit HTTP client: Bearer token, offset paging proven
 * whole with a one-worklog overlap, and the server's clock from the `Date` header.
 * Requests are paced per account (Tempo allows about 5 a second), and a 429 is retried
 * after its Retry-After, in the kit client; nothing here waits.
 */
import { createHttpClient, type HttpClient } from '../kit/http-client.js';
import { readPages, type Paged } from '../kit/paging.js';
import { accountKey, clientOptions, type HttpSetup } from '../kit/http-setup.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import type { RawTempoWorklog, TempoPage } from './tempo-types.js';

export interface TempoApiOptions {
  url: string;
  token: string;
  pageSize: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Where requests may go (users' connections: serve.outbound); none: anywhere. */
  outbound?: OutboundGuard;
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
      baseUrl: opts.url.replace(/\/+$/, ''),
      auth: { type: 'bearer', token: opts.token },
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.outbound ? { outbound: opts.outbound } : {}),
      // Tempo counts requests: every request of this account waits its turn in one bucket.
      ...clientOptions(opts.http, {
        key: accountKey(opts.url, opts.token),
        published: opts.requestsPerSecond === 0 ? null : { requests: opts.requestsPerSecond ?? 4, perSeconds: 1 },
      }),
    });
  }

  async json<T>(method: string, path: string, opts: JsonOptions = {}): Promise<T> {
    const res = await this.http.request({
      method,
      path,
      ...(opts.query ? { query: opts.query } : {}),
      ...(opts.body ? { body: opts.body } : {}),
      ...(opts.idempotent !== undefined ? { idempotent: opts.idempotent } : {}),
    });
    const date = Date.parse(res.headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.serverTime = date;
    return res.status === 204 || !res.text ? (undefined as T) : res.json<T>();
  }

  /**
   * Every page of a worklog list, proven whole (kit/paging.ts). Tempo pages by offset and
   * declares no total (and may cap the limit, so pages can be short), so each page starts
   * one item early: it must begin with the
   * previous page's last worklog, or the list moved under the offsets (a worklog deleted
   * meanwhile would otherwise push a live one past the page boundary, unseen).
   */
  async all(path: string, query: Query): Promise<Paged<RawTempoWorklog>> {
    return readPages<RawTempoWorklog>({
      what: `Tempo worklogs (${path})`,
      style: 'offset',
      size: this.opts.pageSize,
      overlap: true,
      shortPages: true,
      id: (w) => String(w.tempoWorklogId),
      fetch: async ({ offset }) => {
        const page = await this.json<TempoPage>('GET', path, { query: { ...query, offset, limit: this.opts.pageSize } });
        return { items: page.results, last: !page.metadata.next, count: page.metadata.count };
      },
    });
  }
}
