/**
 * Chat apps (Slack) as a connector declares them (its registry entry's `chat`): commands
 * people type reach the hub signed by the chat service, and the hub posts messages —
 * timer notices in a channel, a daily summary to each person. The entry says how requests
 * are checked and read and how messages are sent; what a command does is the hub's
 * (app/chat-desk.ts), so a second chat service needs only its entry.
 */
import type { OutboundGuard } from './outbound-policy.js';
import type { HandshakeReply, WebhookRequest } from './webhooks.js';

/** What the hub needs of a chat connection's settings. */
export interface ChatSettings {
  /** The hub scope whose persons, projects, tasks and timers the commands work on. */
  scope: string;
  /** Where timer starts and stops are announced; null: no notices. */
  noticeChannel: string | null;
  /** Each person's daily summary: on or off, and the default local time (`HH:MM`). */
  dailySummary: { enabled: boolean; at: string };
  /** The zone of persons who have none. */
  timeZone: string;
}

export interface ChatUser {
  id: string;
  email: string | null;
}

/** The chat service's API, as the hub calls it. Errors are TimebridgeErrors (a rate limit carries its Retry-After); it never retries by itself. */
export interface ChatClient {
  /** Post to a channel, or to a user id (a direct message). */
  postMessage(channel: string, text: string): Promise<{ ts: string }>;
  userInfo(userId: string): Promise<ChatUser>;
  /** null: no user has this e-mail. */
  lookupByEmail(email: string): Promise<ChatUser | null>;
}

/** What a verified request asks. */
export type ChatRequest =
  | { kind: 'command'; userId: string; text: string }
  /** A handshake the service makes when the URL is set up (Slack's url_verification): answered 200 with `reply`. */
  | { kind: 'handshake'; reply: HandshakeReply }
  /** Something the hub does not use: acknowledged with 200, so the sender does not retry. */
  | { kind: 'ignored' }
  | { kind: 'invalid'; reason: string };

export type ChatVerdict = { ok: true; key: string; sentAt: Date } | { ok: false; code: 'WEBHOOK_SIGNATURE_INVALID' | 'WEBHOOK_REPLAYED'; reason: string };

export interface ChatSupport<C> {
  settings(config: C): ChatSettings;
  client(config: C, env: { outbound?: OutboundGuard }): ChatClient;
  /** Pure: the request's signature on its raw body (constant-time) and its timestamp (the replay window); `key` names the request. */
  verify(req: WebhookRequest, config: C): ChatVerdict;
  /** Pure: what a verified request asks. */
  parse(req: WebhookRequest): ChatRequest;
  /** The HTTP answer to a command, carrying the hub's reply (seen only by the person who typed it). */
  answer(text: string): { contentType: string; body: unknown };
  /** For the API reference: how requests are signed. */
  describe: string;
}
