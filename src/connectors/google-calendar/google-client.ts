/**
 * A thin typed client of Calendar API v3 on the kit HTTP client: bearer tokens from a
 * TokenSource (one retry with a fresh token after a 401), and Google's error reasons
 * turned into error kinds — 403 rateLimitExceeded/userRateLimitExceeded/quotaExceeded
 * and 429 are `rate_limited` (told to the kit client through `classify`, so it retries
 * them like any rate-limited answer), 410 fullSyncRequired is a stale cursor, 410
 * deleted is `not_found`.
 */
import { TimebridgeError, isTimebridgeError } from '../../core/errors.js';
import { createHttpClient, type Classify, type HttpClient, type HttpRequest } from '../kit/http-client.js';
import { accountKey, clientOptions, withBudget, type HttpSetup } from '../kit/http-setup.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { createTokenSource, type GoogleCredentials, type TokenSource } from './auth.js';
import { googleCalendarManifest } from './manifest.js';
import type { GAclRule, GCalendar, GCalendarListEntry, GChannel, GEvent, GEventList } from './google-types.js';

export const GOOGLE_API_URL = 'https://www.googleapis.com/calendar/v3';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);
/** Google sends no Retry-After; its guide asks for exponential backoff from about a second. */
const DEFAULT_RETRY_AFTER_S = 2;
const PUBLISHED_LIMIT = googleCalendarManifest.rateLimit ?? null;

export interface GoogleClientOptions {
  baseUrl: string;
  tokenUrl: string;
  credentials: GoogleCredentials;
  timeoutMs: number;
  /** Connection name, for messages that say which connection to fix. */
  connection?: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** Pacing, retries and clock (the catalog's); absent: the defaults. */
  http?: HttpSetup;
  /** Where requests may go (users' connections: serve.outbound); none: anywhere. */
  outbound?: OutboundGuard;
}

export type ListQuery = Record<string, string | number | undefined>;

export class GoogleCalendarClient {
  readonly tokens: TokenSource;
  private readonly http: HttpClient;

  constructor(opts: GoogleClientOptions) {
    const setup = withBudget(opts.http);
    const who = identityOf(opts.credentials);
    const common = { timeoutMs: opts.timeoutMs, ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.outbound ? { outbound: opts.outbound } : {}) };
    const at = opts.now ? { now: opts.now } : {};
    this.http = createHttpClient({
      baseUrl: opts.baseUrl,
      ...common,
      classify: classifyGoogle,
      ...clientOptions(setup, { key: accountKey(opts.baseUrl, ...who), published: PUBLISHED_LIMIT }),
      ...at,
    });
    // The token endpoint is another server with no published limit; it shares the run's retry budget.
    const tokenHttp = createHttpClient({
      baseUrl: new URL(opts.tokenUrl).origin,
      ...common,
      ...clientOptions(setup, { key: accountKey(new URL(opts.tokenUrl).origin, ...who), published: null, primary: false }),
      ...at,
    });
    this.tokens = createTokenSource(opts.credentials, tokenHttp, opts.tokenUrl, opts.now ?? Date.now, opts.connection);
  }

  get calls(): number {
    return this.http.calls;
  }

  get retries(): number {
    return this.http.retries;
  }

  /** One API call with a bearer token; a 401 gets one more try with a fresh token. */
  async call<T>(req: HttpRequest): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.token();
      try {
        const res = await this.http.request({ ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } });
        return res.status === 204 || res.text === '' ? null : res.json<T>();
      } catch (err) {
        if (attempt === 0 && isTimebridgeError(err) && err.details?.['status'] === 401) {
          this.tokens.invalidate();
          continue;
        }
        throw googleError(err);
      }
    }
  }

  listEvents(calendarId: string, query: ListQuery): Promise<GEventList> {
    return this.must(this.call<GEventList>({ method: 'GET', path: `calendars/${enc(calendarId)}/events`, query }));
  }

  getEvent(calendarId: string, eventId: string): Promise<GEvent> {
    return this.must(this.call<GEvent>({ method: 'GET', path: `calendars/${enc(calendarId)}/events/${enc(eventId)}` }));
  }

  /** Safe to repeat when the event carries its own id (ours derive it from the hub id): a repeat that lands twice meets 409. */
  insertEvent(calendarId: string, event: GEvent): Promise<GEvent> {
    return this.must(
      this.call<GEvent>({
        method: 'POST',
        path: `calendars/${enc(calendarId)}/events`,
        query: { sendUpdates: 'none' },
        body: event,
        idempotent: event.id !== undefined,
      }),
    );
  }

  /** Full replace (PUT), only while the event still has `ifMatch`. */
  updateEvent(calendarId: string, eventId: string, event: GEvent, ifMatch: string | null): Promise<GEvent> {
    return this.must(
      this.call<GEvent>({
        method: 'PUT',
        path: `calendars/${enc(calendarId)}/events/${enc(eventId)}`,
        query: { sendUpdates: 'none' },
        body: event,
        ...(ifMatch ? { headers: { 'if-match': ifMatch } } : {}),
      }),
    );
  }

  async deleteEvent(calendarId: string, eventId: string, ifMatch: string): Promise<void> {
    await this.call({
      method: 'DELETE',
      path: `calendars/${enc(calendarId)}/events/${enc(eventId)}`,
      query: { sendUpdates: 'none' },
      headers: { 'if-match': ifMatch },
    });
  }

  calendarList(pageToken?: string): Promise<{ items?: GCalendarListEntry[]; nextPageToken?: string }> {
    return this.must(this.call({ method: 'GET', path: 'users/me/calendarList', query: { pageToken } }));
  }

  insertCalendar(body: { summary: string; timeZone?: string; description?: string }): Promise<GCalendar> {
    return this.must(this.call<GCalendar>({ method: 'POST', path: 'calendars', body }));
  }

  insertAcl(calendarId: string, rule: Pick<GAclRule, 'role' | 'scope'>): Promise<GAclRule> {
    return this.must(this.call<GAclRule>({ method: 'POST', path: `calendars/${enc(calendarId)}/acl`, query: { sendNotifications: 'false' }, body: rule }));
  }

  watch(calendarId: string, body: { id: string; type: 'web_hook'; address: string; token: string; params?: { ttl: string } }): Promise<GChannel> {
    return this.must(this.call<GChannel>({ method: 'POST', path: `calendars/${enc(calendarId)}/events/watch`, body }));
  }

  async stopChannel(id: string, resourceId: string): Promise<void> {
    await this.call({ method: 'POST', path: 'channels/stop', body: { id, resourceId } });
  }

  private async must<T>(p: Promise<T | null>): Promise<T> {
    const v = await p;
    if (v === null)
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', 'Google answered with an empty body where a resource was expected.', {
        hint: 'Check baseUrl: it must be the Calendar API v3 root.',
      });
    return v;
  }
}

const enc = encodeURIComponent;

/** The `reason` of Google's error body, if the excerpt holds one. */
export function reasonOf(err: TimebridgeError): string | null {
  return reasonIn(String(err.details?.['body'] ?? ''));
}

/** The reason of a Google error body (`error.errors[0].reason`). */
function reasonIn(body: string): string | null {
  return /"reason"\s*:\s*"([A-Za-z.]+)"/.exec(body)?.[1] ?? null;
}

/** A 403 with a rate reason is a rate-limited answer (api-contracts §3.6); other 403s are refusals. */
export const classifyGoogle: Classify = ({ status, body }) => (status === 403 && RATE_REASONS.has(reasonIn(body) ?? '') ? 'CONNECTOR_RATE_LIMITED' : null);

/** Who the requests are made as, for the account's bucket (the token changes; the identity does not). */
function identityOf(c: GoogleCredentials): string[] {
  return c.type === 'serviceAccount' ? [c.clientEmail, c.subject ?? ''] : [c.clientId, c.refreshToken ?? ''];
}

/** Messages by Google's reasons (api-contracts §3.6); the kit client knew the status and, through classifyGoogle, the rate reasons. */
export function googleError(err: unknown): unknown {
  if (!isTimebridgeError(err) || typeof err.details?.['status'] !== 'number') return err;
  const status = err.details['status'];
  const reason = reasonOf(err);
  const details = { ...err.details, reason };
  if (status === 429 || (status === 403 && reason !== null && RATE_REASONS.has(reason))) {
    return new TimebridgeError('CONNECTOR_RATE_LIMITED', `Google Calendar limited the request rate (${reason ?? 'HTTP 429'}).`, {
      hint: `${err.hint ?? ''} If it keeps happening, lower the connection's rateLimit or ask Google for more quota.`.trim(),
      retryAfter: err.retryAfter ?? DEFAULT_RETRY_AFTER_S,
      cause: err,
      details,
    });
  }
  if (status === 401) {
    return new TimebridgeError('CONNECTOR_AUTH', 'Google refused the access token twice in a row (401).', {
      hint: "The credentials lost access: reconnect the account or check the service account's key and delegation.",
      cause: err,
      details,
    });
  }
  if (status === 403) {
    return new TimebridgeError('CONNECTOR_AUTH', `Google refused the request (${reason ?? 'forbidden'}): ${err.message}`, {
      hint: 'The account lacks access to this calendar: share it with the account (writer or owner) or use another calendar id.',
      cause: err,
      details,
    });
  }
  if (status === 410 && reason === 'deleted') {
    return new TimebridgeError('CONNECTOR_NOT_FOUND', `${err.message}`, { hint: 'The event was already deleted in Google Calendar.', cause: err, details });
  }
  if (status === 400 || status === 404 || status === 409 || status === 410 || status === 412) {
    return new TimebridgeError(err.code, err.message, { ...(err.hint ? { hint: err.hint } : {}), cause: err, details });
  }
  return err;
}
