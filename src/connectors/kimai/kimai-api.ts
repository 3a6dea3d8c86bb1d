/**
 * A thin Kimai 2 API client on the kit HTTP client: auth (Bearer token, or the legacy
 * X-AUTH-USER/X-AUTH-TOKEN pair, whose password is scrubbed from every error), paged
 * timesheet lists that notice when the result set changed under them, and the few
 * calls the connectors and the month lock make. Statuses become error kinds in the kit.
 */
import { TimebridgeError, isTimebridgeError } from '../../core/errors.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { createHttpClient, redact, type HttpClient, type HttpResponse } from '../kit/http-client.js';
import { readPages } from '../kit/paging.js';
import { accountKey, clientOptions, type HttpSetup } from '../kit/http-setup.js';
import { kimaiManifest } from './manifest.js';
import { formatWall } from '../kit/zone-time.js';
import type { RawTimesheet, RawUser } from './kimai-types.js';

export type KimaiAuth = { type: 'token'; token: string } | { type: 'legacy'; user: string; password: string };

export interface KimaiApiOptions {
  /** Kimai's address, with or without the trailing `/api`. */
  url: string;
  auth: KimaiAuth;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Pacing, retries and clock (the catalog's); absent: the defaults. */
  http?: HttpSetup;
  /** Where requests may go (users' connections: serve.outbound); none: anywhere. */
  outbound?: OutboundGuard;
}

type RequestOptions = {
  query?: Record<string, string | number | undefined>;
  body?: object;
  /** The request is safe to repeat (see HttpRequest); absent: the kit's rule by method and headers. */
  idempotent?: boolean;
};

export interface TimesheetPages {
  rows: RawTimesheet[];
  /** Proven whole (see kit/paging.ts); false: a row may be missing, and `reason` says why. */
  complete: boolean;
  reason: string | null;
  /** The server's clock when the first page was answered (its Date header), ms; null if it sent none. */
  serverTime: number | null;
}

/** Kimai's address without `/api` and trailing slashes; the client appends `/api/...`. */
export function kimaiBase(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api$/, '');
}

export class KimaiApi {
  private readonly http: HttpClient;
  private readonly headers: Record<string, string>;
  private readonly secret: string | null;
  private meCache: Promise<RawUser> | null = null;

  constructor(opts: KimaiApiOptions) {
    this.http = createHttpClient({
      baseUrl: `${kimaiBase(opts.url)}/api`,
      timeoutMs: opts.timeoutMs ?? 30_000,
      ...(opts.auth.type === 'token' ? { auth: { type: 'bearer' as const, token: opts.auth.token } } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.outbound ? { outbound: opts.outbound } : {}),
      // Kimai publishes no limit; a 429 from a proxy in front of it still pauses the account's bucket.
      ...clientOptions(opts.http, {
        key: accountKey(kimaiBase(opts.url), ...(opts.auth.type === 'token' ? [opts.auth.token] : [opts.auth.user, opts.auth.password])),
        published: kimaiManifest.rateLimit ?? null,
      }),
    });
    this.headers = opts.auth.type === 'legacy' ? { 'x-auth-user': opts.auth.user, 'x-auth-token': opts.auth.password } : {};
    this.secret = opts.auth.type === 'legacy' ? opts.auth.password : null;
  }

  get calls(): number {
    return this.http.calls;
  }

  get retries(): number {
    return this.http.retries;
  }

  /** An operation safe to repeat as a whole (a create that looks for an earlier try first): see HttpClient.repeatable. */
  repeatable<T>(what: string, op: () => Promise<T>): Promise<T> {
    return this.http.repeatable(what, op);
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    try {
      return await this.http.request({ method, path, headers: this.headers, ...opts });
    } catch (err) {
      throw this.scrubbed(err);
    }
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return (await this.request(method, path, opts)).json<T>();
  }

  /** The token's own user (cached: its zone reads every local time the API takes). */
  me(): Promise<RawUser> {
    this.meCache ??= this.json<RawUser>('GET', '/users/me').catch((err: unknown) => {
      this.meCache = null;
      throw err;
    });
    return this.meCache;
  }

  /** Every user, or only the token's own when it may not list users (no view_user: HTTP 403). */
  async users(): Promise<RawUser[]> {
    try {
      return await this.json<RawUser[]>('GET', '/users', { query: { visible: 3 } });
    } catch (err) {
      if (isTimebridgeError(err) && err.details?.status === 403) return [await this.me()];
      throw err;
    }
  }

  /**
   * Every page of a timesheet list, newest id first, proven whole by `readPages`: the
   * X-Total-* headers must hold from page to page and match the distinct ids read. Newest
   * first because Kimai gives new records the highest id: a record added while the list is
   * read shifts the pages forward (an id twice, seen and read again) instead of hiding
   * a deletion behind an unchanged total.
   */
  async timesheetPages(query: Record<string, string | number | undefined>, pageSize: number): Promise<TimesheetPages> {
    let serverTime: number | null = null;
    const paged = await readPages<RawTimesheet>({
      what: 'Kimai timesheets',
      style: 'page',
      size: pageSize,
      id: (t) => String(t.id),
      fetch: async ({ index }) => {
        const res = await this.request('GET', '/timesheets', { query: { ...query, orderBy: 'id', order: 'DESC', size: pageSize, page: index + 1 } });
        if (index === 0) {
          const date = Date.parse(res.headers.get('date') ?? '');
          serverTime = Number.isNaN(date) ? null : date;
        }
        const items = res.json<RawTimesheet[]>();
        const total = headerNumber(res, 'x-total-count');
        const pages = headerNumber(res, 'x-total-pages');
        return { items, total, pages, last: pages !== null ? index + 1 >= pages : items.length < pageSize };
      },
      // Past the last page Kimai answers 404: the list shrank while it was read.
      softError: (err) => isTimebridgeError(err) && err.kind === 'not_found',
    });
    return { rows: paged.items, complete: paged.complete, reason: paged.reason, serverTime };
  }

  async timesheet(id: string): Promise<RawTimesheet> {
    return this.json<RawTimesheet>('GET', `/timesheets/${encodeURIComponent(id)}`);
  }

  /** Make sure each tag exists (Kimai silently drops unknown names from a timesheet). */
  async ensureTags(names: string[], known: Set<string>): Promise<void> {
    for (const name of names) {
      if (known.has(name)) continue;
      const found = await this.json<{ name: string }[]>('GET', '/tags/find', { query: { name } });
      if (!found.some((t) => t.name === name)) await this.json('POST', '/tags', { body: { name } });
      known.add(name);
    }
  }

  private scrubbed(err: unknown): unknown {
    if (!this.secret || !isTimebridgeError(err) || !err.message.includes(this.secret)) return err;
    const clean = (s: string) => s.split(this.secret!).join(redact(this.secret!));
    return new TimebridgeError(err.code, clean(err.message), {
      ...(err.hint ? { hint: err.hint } : {}),
      ...(err.retryAfter !== undefined ? { retryAfter: err.retryAfter } : {}),
    });
  }
}

function headerNumber(res: HttpResponse, name: string): number | null {
  const v = res.headers.get(name);
  return v !== null && /^\d+$/.test(v.trim()) ? Number(v) : null;
}

/** `modified_after` is a UTC wall time; one second earlier, since it compares whole seconds. */
export function modifiedAfter(serverTimeMs: number): string {
  return formatWall(Math.floor(serverTimeMs / 1000) * 1000 - 1000);
}
