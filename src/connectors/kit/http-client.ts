/**
 * The HTTP client every HTTP connector uses. HTTP statuses become typed
 * `TimebridgeError`s here and nowhere else, with the connector's own reading of an
 * answer (`classify`) where the status alone does not say it. Transient and
 * rate-limited answers of requests that are safe to repeat are retried here
 * (`retry.ts`: backoff with full jitter, Retry-After, the run's budget); every request
 * takes a token from the account's bucket (`rate-limiter.ts`).
 */
import type { RateLimiter } from './rate-limiter.js';
import { TimebridgeError, type ErrorCode } from '../../core/errors.js';
import { answerExcerpt } from '../../core/parking.js';
import { fetchTransport, nodeTransport } from './node-transport.js';
import {
  DEFAULT_RETRY_POLICY,
  clockOf,
  isRepeatable,
  retryBudget,
  withRetries,
  type Clock,
  type RetryBudget,
  type RetryEvent,
  type RetryPolicy,
  type Retrier,
} from './retry.js';
import type { OutboundGuard } from './outbound-policy.js';

export type HttpAuth = { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string };

/** What a connector reads from an error answer: a code where the status alone misleads (Google's 403 rateLimitExceeded), or null. */
export type Classify = (answer: { status: number; headers: Headers; body: string }) => ErrorCode | null;

export interface HttpEvents {
  /** A request waited for the account's bucket. */
  onWait?(ms: number): void;
  /** A request is about to be retried after `delayMs`. */
  onRetry?(e: RetryEvent): void;
}

export interface HttpClientOptions {
  /** Paths are appended to this URL's path. */
  baseUrl: string;
  auth?: HttpAuth;
  /** Per request, body download included. Default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** Send through this fetch instead of node:http (tests inject faults this way). */
  fetch?: typeof fetch;
  /** Clock (ms since epoch) for Retry-After dates. Default Date.now. */
  now?: () => number;
  /** Waits between retries. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** The jitter of the backoff, in [0, 1). Default Math.random. */
  random?: () => number;
  /** Paces every request (the account's bucket); a rate-limited answer pauses it. */
  limiter?: RateLimiter;
  /** Retries of repeatable requests (defaults: DEFAULT_RETRY_POLICY); false: never retry. */
  retry?: Partial<RetryPolicy> | false;
  /** The run's retry budget, shared with the connector's other clients. Default: this client's own. */
  budget?: RetryBudget;
  classify?: Classify;
  /**
   * Seconds to wait after a rate-limited or transient answer that has no `Retry-After`, read
   * from the remote's own headers (GitHub's `x-ratelimit-reset`); undefined: the backoff alone.
   */
  waitOf?: (answer: { status: number; headers: Headers; nowMs: number }) => number | undefined;
  events?: HttpEvents;
  /** Where requests may go (checked before every request and redirect hop, and at connect time); none: anywhere. */
  outbound?: OutboundGuard;
}

export interface HttpRequest {
  method: string;
  /** Relative to baseUrl, or an absolute URL on the same origin (e.g. a CalDAV href resolved by the caller). */
  path: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** A string is sent as is; an object is sent as JSON with content-type application/json. */
  body?: string | object;
  /**
   * Whether a repeat is safe. Default: reads (GET, HEAD, OPTIONS, PROPFIND, REPORT) and
   * PUT/PATCH/DELETE with If-Match or If-None-Match. A connector sets true where its own
   * idempotency makes a repeat harmless (a create with a client-chosen id), false to forbid.
   */
  idempotent?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The body decoded as UTF-8 (bytes that are not UTF-8 become U+FFFD: read `bytes` where that matters). */
  text: string;
  /** The body exactly as received, e.g. for CalDAV calendar data, which may hold bytes that are not UTF-8. */
  bytes: Uint8Array;
  json<T>(): T;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  /**
   * Runs an operation that is safe to repeat as a whole — a create that first looks for
   * what an earlier try made — and repeats it like an idempotent request when a request
   * inside it failed transiently.
   */
  repeatable<T>(what: string, op: () => Promise<T>): Promise<T>;
  /** Requests sent so far, failed ones and retries included (for run records). */
  readonly calls: number;
  /** Retries made so far (requests and repeatable operations). */
  readonly retries: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_USER_AGENT = 'timebridge/0.1';
const EXCERPT_CHARS = 200;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 307, 308]);

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  const base = parseBase(opts.baseUrl);
  const send = opts.fetch ? fetchTransport(opts.fetch) : nodeTransport(opts.outbound?.lookup);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const clock: Clock = clockOf(opts);
  const authHeader = opts.auth ? authorization(opts.auth) : undefined;
  const secrets = opts.auth ? secretsOf(opts.auth, authHeader) : [];
  const policy: RetryPolicy = opts.retry === false ? { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 } : { ...DEFAULT_RETRY_POLICY, ...opts.retry };
  let calls = 0;
  let retries = 0;
  const retrier: Retrier = {
    policy,
    clock,
    budget: opts.budget ?? retryBudget(policy.budgetMs),
    onRetry: (e) => {
      retries++;
      opts.events?.onRetry?.(e);
    },
    pause: (ms) => opts.limiter?.pause(ms),
  };

  async function once(req: HttpRequest, url: URL, where: Where, reqHeaders: Headers, body: string | undefined): Promise<HttpResponse> {
    let status = 0;
    let headers = new Headers();
    let bytes: Uint8Array = new Uint8Array();
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (opts.limiter) {
        const { waited, waitMs } = await opts.limiter.take();
        if (waited) opts.events?.onWait?.(waitMs);
      }
      calls++;
      opts.outbound?.check(url);
      try {
        ({ status, headers, body: bytes } = await send(url, { method: where.method, headers: reqHeaders, body, timeoutMs }));
      } catch (err) {
        if (err instanceof TimebridgeError) throw err; // the outbound policy refused the address
        throw networkError(err, where, timeoutMs);
      }
      // Same-method redirects (RFC 6764 /.well-known, moved collections), on this server only.
      const location = REDIRECTS.has(status) ? headers.get('location') : null;
      if (!location) break;
      url = buildUrl(base, { method: req.method, path: new URL(location, url).href });
    }
    if (REDIRECTS.has(status)) {
      throw new TimebridgeError(
        'CONNECTOR_INVALID_INPUT',
        `${where.method} ${where.path} was redirected more than ${MAX_REDIRECTS} times or without a Location.`,
        {
          hint: 'Point the connector at the final address (open it in a browser to see where it leads).',
          details: { ...where, status },
        },
      );
    }
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    if (status >= 400) {
      const code = opts.classify?.({ status, headers, body: text }) ?? null;
      throw statusError(status, headers, scrub(text, secrets), where, clock.now(), code, opts.waitOf);
    }
    return { status, headers, text, bytes, json: <T>() => parseJson<T>(text, status, where, secrets) };
  }

  async function request(req: HttpRequest): Promise<HttpResponse> {
    const url = buildUrl(base, req);
    const where = { method: req.method.toUpperCase(), path: url.pathname };
    const { headers, body } = buildInit(req, authHeader, opts.userAgent ?? DEFAULT_USER_AGENT);
    return withRetries(retrier, where, isRepeatable(where.method, headers, req.idempotent), () => once(req, url, where, headers, body));
  }

  return {
    request,
    repeatable: (what, op) => withRetries(retrier, { method: 'OPERATION', path: what }, true, op),
    get calls() {
      return calls;
    },
    get retries() {
      return retries;
    },
  };
}

/** Shows only enough of a secret to tell two apart in logs: its first 4 characters. */
export function redact(secret: string): string {
  return `${secret.slice(0, 4)}…`;
}

type Where = { method: string; path: string };

function parseBase(baseUrl: string): URL {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new TimebridgeError('CONFIG_INVALID', `baseUrl "${baseUrl}" is not a URL.`, {
      hint: 'Write it in full, such as https://calendar.example.com/dav/.',
    });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TimebridgeError('CONFIG_INVALID', `baseUrl must start with http:// or https://, not ${base.protocol}.`, {
      hint: 'Write it in full, such as https://calendar.example.com/dav/.',
    });
  }
  if (base.username || base.password) {
    // Not echoed: the URL itself holds the secret.
    throw new TimebridgeError('CONFIG_INVALID', 'baseUrl contains a user name or password.', {
      hint: 'Remove them from the URL and put them under auth (type basic) instead.',
    });
  }
  return base;
}

function buildUrl(base: URL, req: HttpRequest): URL {
  let url: URL;
  if (/^https?:\/\//i.test(req.path)) {
    url = new URL(req.path);
    if (url.origin !== base.origin) {
      // The credentials belong to baseUrl's server only.
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `Refused to send a request to ${url.origin}: it is not the configured server ${base.origin}.`, {
        hint: "The server pointed at another host; check the connector's baseUrl.",
      });
    }
  } else {
    url = new URL(base.href);
    url.pathname = `${base.pathname.replace(/\/+$/, '')}/${req.path.replace(/^\/+/, '')}`;
    url.search = '';
  }
  for (const [key, value] of Object.entries(req.query ?? {})) {
    if (value !== undefined) url.searchParams.append(key, String(value));
  }
  url.hash = '';
  return url;
}

function buildInit(req: HttpRequest, authHeader: string | undefined, userAgent: string): { headers: Headers; body: string | undefined } {
  const headers = new Headers(req.headers);
  if (!headers.has('user-agent')) headers.set('user-agent', userAgent);
  if (authHeader) headers.set('authorization', authHeader);
  let body: string | undefined;
  if (typeof req.body === 'string') {
    body = req.body;
  } else if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  return { headers, body };
}

function authorization(auth: HttpAuth): string {
  if (auth.type === 'bearer') return `Bearer ${auth.token}`;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}

/** Everything that must never be echoed back into an error, longest first. */
function secretsOf(auth: HttpAuth, header: string | undefined): string[] {
  const raw = auth.type === 'bearer' ? [auth.token] : [auth.password, Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')];
  return [header ?? '', ...raw].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** Servers sometimes echo request headers in error pages; cut any credential out. */
function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(redact(secret));
  return out;
}

function statusError(
  status: number,
  headers: Headers,
  body: string,
  where: Where,
  nowMs: number,
  override: ErrorCode | null,
  waitOf?: HttpClientOptions['waitOf'],
): TimebridgeError {
  const [byStatus, statusHint] = classify(status);
  const code = override ?? byStatus;
  const hint = override && override !== byStatus ? (HINTS[override] ?? statusHint) : statusHint;
  const excerpt = excerptOf(body);
  const retryable = code === 'CONNECTOR_RATE_LIMITED' || code === 'CONNECTOR_TRANSIENT';
  const retryAfter = retryable ? (parseRetryAfter(headers.get('retry-after'), nowMs) ?? waitOf?.({ status, headers, nowMs })) : undefined;
  const message = `${where.method} ${where.path} failed with HTTP ${status}${excerpt ? `: ${excerpt}` : '.'}`;
  return new TimebridgeError(code, message, {
    hint,
    ...(retryAfter === undefined ? {} : { retryAfter }),
    // The message shows the start of the answer; details keep up to 1 KB of it (what a parked item records).
    details: { ...where, status, ...(excerpt ? { body: answerExcerpt(body) } : {}) },
  });
}

function classify(status: number): [ErrorCode, string] {
  if (status === 401 || status === 403) {
    return ['CONNECTOR_AUTH', 'Check the credentials in the connector config; a token may have expired or lack permission.'];
  }
  if (status === 404) return ['CONNECTOR_NOT_FOUND', 'The item or endpoint is gone; check baseUrl if every request fails like this.'];
  if (status === 409) return ['CONNECTOR_CONFLICT', 'The server refused the write as conflicting; the next sync reads its current state.'];
  if (status === 410 || status === 412) {
    return ['CONNECTOR_PRECONDITION', 'The item or sync state changed on the server; the next sync reads it again.'];
  }
  if (status === 429) return ['CONNECTOR_RATE_LIMITED', HINTS.CONNECTOR_RATE_LIMITED!];
  if (status >= 500) return ['CONNECTOR_TRANSIENT', HINTS.CONNECTOR_TRANSIENT!];
  return ['CONNECTOR_INVALID_INPUT', 'The server rejected the request; the message above says why.'];
}

/** Hints of the retryable kinds; the retry code replaces them with what it did before the error leaves the client. */
const HINTS: Partial<Record<ErrorCode, string>> = {
  CONNECTOR_RATE_LIMITED: 'The server asked to slow down.',
  CONNECTOR_TRANSIENT: 'The server had a problem.',
};

function excerptOf(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, EXCERPT_CHARS);
}

/** Retry-After as seconds from now: either delay-seconds or an HTTP date. */
function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function networkError(err: unknown, where: Where, timeoutMs: number): TimebridgeError {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new TimebridgeError('CONNECTOR_TRANSIENT', `${where.method} ${where.path} got no answer within ${timeoutMs} ms.`, {
      hint: 'The server is slow or unreachable. Raise timeoutMs if it is just slow.',
      cause: err,
      details: { ...where },
    });
  }
  // node:http puts the errno code on the error itself; fetch puts it on the cause.
  const own = (err as { code?: unknown } | null)?.code;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  const reason = (typeof own === 'string' ? own : undefined) ?? cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new TimebridgeError('CONNECTOR_TRANSIENT', `${where.method} ${where.path} could not reach the server (${reason}).`, {
    hint: 'Check that the server is running and baseUrl is right.',
    cause: err,
    details: { ...where, reason },
  });
}

function parseJson<T>(text: string, status: number, where: Where, secrets: string[]): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    const excerpt = excerptOf(scrub(text, secrets));
    throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `${where.method} ${where.path} answered HTTP ${status} with something that is not JSON: ${excerpt}`, {
      hint: 'Check that baseUrl points at the API itself; a proxy or login page may be answering.',
      details: { ...where, status },
    });
  }
}
