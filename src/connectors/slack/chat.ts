/**
 * The Slack side of the hub's chat support (connectors/kit/chat.ts): signed requests
 * (signature.ts), slash commands as Slack sends them (a form, api-contracts §7.2), the
 * Events API's `url_verification` handshake (JSON, §7.3), ephemeral answers, and the Web
 * API client (api.ts).
 */
import type { ChatRequest, ChatSupport } from '../kit/chat.js';
import { header } from '../kit/webhooks.js';
import { SLACK_SIGNATURE, SLACK_TIMESTAMP, verifySlackRequest } from './signature.js';
import { slackApiOf, slackSigningSecret, type SlackConfig } from './settings.js';

function parse(body: Buffer, contentType: string): ChatRequest {
  const text = body.toString('utf8');
  if (contentType.includes('application/json')) {
    let event: { type?: unknown; challenge?: unknown };
    try {
      event = JSON.parse(text) as typeof event;
    } catch {
      return { kind: 'invalid', reason: 'the body is not JSON' };
    }
    if (event.type === 'url_verification' && typeof event.challenge === 'string')
      return { kind: 'handshake', reply: { contentType: 'text/plain', body: event.challenge } };
    return { kind: 'ignored' };
  }
  const form = new URLSearchParams(text);
  const userId = form.get('user_id');
  if (!userId) return { kind: 'invalid', reason: 'the command carries no user_id' };
  return { kind: 'command', userId, text: form.get('text') ?? '' };
}

export const slackChat: ChatSupport<SlackConfig> = {
  describe: `headers ${SLACK_TIMESTAMP} (unix seconds) and ${SLACK_SIGNATURE}: v0=<hex HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>")>; requests more than 5 minutes old or seen before are refused`,
  settings: (c) => ({ scope: c.scope, noticeChannel: c.noticeChannel ?? null, dailySummary: c.dailySummary, timeZone: c.timeZone }),
  client: (c, env) => slackApiOf(c, env.outbound ? { outbound: env.outbound } : {}),
  verify(req, c) {
    const v = verifySlackRequest(req, slackSigningSecret(c));
    return v.ok ? { ok: true, key: String(header(req.headers, SLACK_SIGNATURE)), sentAt: v.sentAt } : v;
  },
  parse: (req) => parse(req.body, header(req.headers, 'content-type') ?? ''),
  // Ephemeral: only the person who typed the command sees the answer (Slack's default, said explicitly).
  answer: (text) => ({ contentType: 'application/json', body: { response_type: 'ephemeral', text } }),
};
