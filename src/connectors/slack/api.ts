/**
 * A thin typed client of the few Slack Web API methods the hub calls (api-contracts §7.4):
 * JSON POSTs with the bot token. Slack answers errors with HTTP 200 `{ok:false, error}`;
 * they become TimebridgeErrors here, with the error's meaning (auth, not found, invalid
 * input), and a 429 becomes `CONNECTOR_RATE_LIMITED` carrying its `Retry-After`. It never
 * retries by itself: the durable job queue does (service/jobs/retry.ts honours
 * Retry-After), so a slow or limited Slack never holds a request or a timer.
 */
import { TimebridgeError, type ErrorCode } from '../../core/errors.js';
import type { ChatClient } from '../kit/chat.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';

export interface SlackApiOptions {
  /** The Web API base, ending in `/api/` (https://slack.com/api/). */
  apiUrl: string;
  botToken: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Where a user's connection may send requests. */
  outbound?: OutboundGuard;
}

export interface SlackUserInfo {
  id: string;
  email: string | null;
  tz: string | null;
  name: string;
}

const AUTH_ERRORS = new Set(['not_authed', 'invalid_auth', 'token_revoked', 'token_expired', 'account_inactive', 'missing_scope', 'not_allowed_token_type']);
const NOT_FOUND = new Set(['channel_not_found', 'user_not_found', 'users_not_found', 'not_in_channel', 'user_not_in_channel', 'is_archived']);

function codeOf(error: string): ErrorCode {
  if (AUTH_ERRORS.has(error)) return 'CONNECTOR_AUTH';
  if (NOT_FOUND.has(error)) return 'CONNECTOR_NOT_FOUND';
  if (error === 'ratelimited') return 'CONNECTOR_RATE_LIMITED';
  if (['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'].includes(error)) return 'CONNECTOR_TRANSIENT';
  return 'CONNECTOR_INVALID_INPUT';
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  CONNECTOR_AUTH: "check the Slack connection's botToken (xoxb-…) and the app's scopes (chat:write, users:read, users:read.email)",
  CONNECTOR_NOT_FOUND: "check the channel id in the Slack connection's noticeChannel and invite the app to it (/invite @app)",
  CONNECTOR_INVALID_INPUT: 'this is a message Slack refused; report it with the error code',
};

export class SlackApi implements ChatClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly o: SlackApiOptions) {
    this.base = o.apiUrl.endsWith('/') ? o.apiUrl : `${o.apiUrl}/`;
    this.fetchImpl = o.fetch ?? fetch;
  }

  async call<T extends Record<string, unknown>>(method: string, args: Record<string, unknown>): Promise<T> {
    // Slack takes JSON bodies for its write methods only; the read methods (users.info) want a form.
    const json = method.startsWith('chat.');
    this.o.outbound?.check(new URL(`${this.base}${method}`));
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.o.botToken}`, 'content-type': json ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded' },
        body: json ? JSON.stringify(args) : new URLSearchParams(Object.entries(args).map(([k, v]) => [k, String(v)])).toString(),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new TimebridgeError('CONNECTOR_TRANSIENT', `Slack ${method} did not answer: ${err instanceof Error ? err.message : String(err)}`, {
        hint: "check the Slack connection's apiUrl; the hub tries again",
      });
    }
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after'));
      await res.body?.cancel();
      throw new TimebridgeError('CONNECTOR_RATE_LIMITED', `Slack ${method} is rate limited`, {
        hint: 'the hub tries again after the Retry-After Slack sent',
        ...(Number.isFinite(after) && after > 0 ? { retryAfter: after } : { retryAfter: 1 }),
      });
    }
    const text = await res.text();
    if (res.status >= 500) throw new TimebridgeError('CONNECTOR_TRANSIENT', `Slack ${method} answered ${res.status}`, { hint: 'the hub tries again' });
    let body: { ok?: unknown; error?: unknown } & Record<string, unknown>;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new TimebridgeError('CONNECTOR_TRANSIENT', `Slack ${method} answered ${res.status} with no JSON`, { hint: "check the Slack connection's apiUrl" });
    }
    if (body.ok !== true) {
      const error = typeof body.error === 'string' ? body.error : 'unknown_error';
      const code = codeOf(error);
      throw new TimebridgeError(code, `Slack ${method} refused: ${error}`, { hint: HINTS[code] ?? 'the hub tries again', details: { slackError: error } });
    }
    return body as T;
  }

  async postMessage(channel: string, text: string): Promise<{ ts: string }> {
    const r = await this.call<{ ts: string }>('chat.postMessage', { channel, text, unfurl_links: false });
    return { ts: r.ts };
  }

  async userInfo(user: string): Promise<SlackUserInfo> {
    const r = await this.call<{ user: { id: string; name: string; tz?: string; profile?: { email?: string } } }>('users.info', { user });
    return { id: r.user.id, name: r.user.name, email: r.user.profile?.email ?? null, tz: r.user.tz ?? null };
  }

  /** The Slack user with this e-mail, or null (`users_not_found`). */
  async lookupByEmail(email: string): Promise<SlackUserInfo | null> {
    try {
      const r = await this.call<{ user: { id: string; name: string; tz?: string; profile?: { email?: string } } }>('users.lookupByEmail', { email });
      return { id: r.user.id, name: r.user.name, email: r.user.profile?.email ?? email, tz: r.user.tz ?? null };
    } catch (err) {
      if (err instanceof TimebridgeError && err.details?.slackError === 'users_not_found') return null;
      throw err;
    }
  }

  async authTest(): Promise<{ team: string; teamId: string }> {
    const r = await this.call<{ team: string; team_id: string }>('auth.test', {});
    return { team: r.team, teamId: r.team_id };
  }
}
