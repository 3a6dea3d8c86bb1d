/**
 * The Slack emulator's workspace (users, channels, posted messages, the app's bot token and
 * signing secret) and how it signs what it sends, as Slack does (api-contracts §7.1–7.2).
 */
import { createHmac } from 'node:crypto';

export interface SlackUser {
  id: string;
  name: string;
  realName: string;
  email: string | null;
  tz: string;
}

export interface SlackChannel {
  id: string;
  name: string;
  members: Set<string>;
}

export interface SlackMessage {
  channel: string;
  text: string;
  ts: string;
  /** Set for chat.postEphemeral: who saw it. */
  user?: string;
  ephemeral: boolean;
  blocks?: unknown;
}

/** The app's OAuth sign-ins (`oauth/v2/authorize` → `oauth.v2.access`): who the consent page signs in as, open codes, issued user tokens. */
export interface SlackOAuth {
  clientId: string;
  clientSecret: string;
  /** The Slack user id the consent page signs in as; undefined: the workspace's first user; null: the person cancels. */
  signedIn?: string | null;
  codes: Map<string, { redirectUri: string | null; userId: string; userScope: string; scope: string; expiresAt: number }>;
  /** User tokens (xoxp-) → the Slack user they act as. */
  userTokens: Map<string, string>;
}

export interface SlackWorkspace {
  teamId: string;
  teamDomain: string;
  botToken: string;
  signingSecret: string;
  oauth: SlackOAuth;
  users: Map<string, SlackUser>;
  channels: Map<string, SlackChannel>;
  messages: SlackMessage[];
}

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` (api-contracts §7.1). */
export function slackSignature(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export const SLACK_CLIENT_ID = '1111111111.2222222222';
export const SLACK_CLIENT_SECRET = 'emulator-slack-client-secret-0123456789';

export function emptyWorkspace(): SlackWorkspace {
  return {
    teamId: 'T0TIMEBRDG',
    teamDomain: 'timebridge-demo',
    botToken: 'xoxb-emulator-bot-token',
    signingSecret: 'emulator-signing-secret-0123456789abcdef',
    oauth: { clientId: SLACK_CLIENT_ID, clientSecret: SLACK_CLIENT_SECRET, codes: new Map(), userTokens: new Map() },
    users: new Map(),
    channels: new Map(),
    messages: [],
  };
}

/** Slack gives a command or event this long to be answered; later, the user sees `operation_timeout` (api-contracts §7.2). */
export const ANSWER_DEADLINE_MS = 3000;

export interface SentAnswer {
  /** 0 when no answer came within Slack's 3 seconds. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Set when the hub did not answer in time: what Slack shows the user. */
  error?: 'operation_timeout';
}

export async function signedPost(
  ws: SlackWorkspace,
  o: { url: string; body: string; contentType: string; timestamp?: number; secret?: string },
): Promise<SentAnswer> {
  const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
  try {
    const res = await fetch(o.url, {
      method: 'POST',
      headers: {
        'content-type': o.contentType,
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': slackSignature(o.secret ?? ws.signingSecret, ts, o.body),
      },
      body: o.body,
      signal: AbortSignal.timeout(ANSWER_DEADLINE_MS),
    });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') return { status: 0, headers: {}, body: '', error: 'operation_timeout' };
    throw err;
  }
}
