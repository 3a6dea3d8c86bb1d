/**
 * The HTTP client every HTTP connector uses. HTTP statuses become typed
 * `TimebridgeError`s here and nowhere else. It never retries or sleeps: the runtime
 * reads the error kind and `retryAfter` and decides.
 */
import type { RateLimiter } from './rate-limiter.js';
import { TimebridgeError, type ErrorCode } from '../../core/errors.js';
import { fetchTransport, nodeTransport } from './node-transport.js';
import type { OutboundGuard } from './outbound-policy.js';

export type HttpAuth =
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string };

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
  /** Paces every request (a remote limit on requests, such as Tempo's 5 a second); a 429's Retry-After pauses it. */
  limiter?: RateLimiter;
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
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  json<T>(): T;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Requests sent so far, failed ones included (for run records). */
  readonly calls: number;
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
  const now = opts.now ?? Date.now;
  const authHeader = opts.auth ? authorization(opts.auth) : undefined;
  const secrets = opts.auth ? secretsOf(opts.auth, authHeader) : [];
  let calls = 0;

  async function request(req: HttpRequest): Promise<HttpResponse> {
    let url = buildUrl(base, req);
    const where = { method: req.method.toUpperCase(), path: url.pathname };
    const { headers: reqHeaders, body } = buildInit(req, authHeader, opts.userAgent ?? DEFAULT_USER_AGENT);
    let status = 0;
    let headers = new Headers();
    let text = '';
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      calls++;
      if (opts.limiter) await opts.limiter.take();
      opts.outbound?.check(url);
      try {
        ({ status, headers, text } = await send(url, { method: where.method, headers: reqHeaders, body, timeoutMs }));
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
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `${where.method} ${where.path} was redirected more than ${MAX_REDIRECTS} times or without a Location.`, {
        hint: 'Point the connector at the final address (open it in a browser to see where it leads).', details: { ...where, status },
      });
    }
    if (status >= 400) {
      const err = statusError(status, headers, scrub(text, secrets), where, now());
      if (status === 429 && opts.limiter) opts.limiter.pause((err.retryAfter ?? 1) * 1000);
      throw err;
    }
    return { status, headers, text, json: <T>() => parseJson<T>(text, status, where, secrets) };
  }

  return {
    request,
    get calls() {
      return calls;
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
        hint: 'The server pointed at another host; check the connector\'s baseUrl.',
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
  const raw = auth.type === 'bearer'
    ? [auth.token]
    : [auth.password, Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')];
  return [header ?? '', ...raw].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** Servers sometimes echo request headers in error pages; cut any credential out. */
function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(redact(secret));
  return out;
}

function statusError(status: number, headers: Headers, body: string, where: Where, nowMs: number): TimebridgeError {
  const [code, hint] = classify(status);
  const excerpt = excerptOf(body);
  const retryAfter = code === 'CONNECTOR_RATE_LIMITED' || code === 'CONNECTOR_TRANSIENT'
    ? parseRetryAfter(headers.get('retry-after'), nowMs)
    : undefined;
  const message = `${where.method} ${where.path} failed with HTTP ${status}${excerpt ? `: ${excerpt}` : '.'}`;
  return new TimebridgeError(code, message, {
    hint,
    ...(retryAfter === undefined ? {} : { retryAfter }),
    details: { ...where, status, ...(excerpt ? { body: excerpt } : {}) },
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
  if (status === 429) return ['CONNECTOR_RATE_LIMITED', 'The server asked to slow down; the run waits and retries.'];
  if (status >= 500) return ['CONNECTOR_TRANSIENT', 'The server had a problem; the run retries later.'];
  return ['CONNECTOR_INVALID_INPUT', 'The server rejected the request; the message above says why.'];
}

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
      hint: 'The server is slow or unreachable; the run retries later. Raise timeoutMs if it is just slow.',
      cause: err, details: { ...where },
    });
  }
  // node:http puts the errno code on the error itself; fetch puts it on the cause.
  const own = (err as { code?: unknown } | null)?.code;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  const reason = (typeof own === 'string' ? own : undefined) ?? cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new TimebridgeError('CONNECTOR_TRANSIENT', `${where.method} ${where.path} could not reach the server (${reason}).`, {
    hint: 'Check that the server is running and baseUrl is right; the run retries later.',
    cause: err, details: { ...where, reason },
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
