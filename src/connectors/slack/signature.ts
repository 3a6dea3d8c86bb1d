/**
 * Slack's request signing (api-contracts §7.1), pure: `X-Slack-Signature` is `v0=` + the
 * lowercase hex HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}` with the app's
 * signing secret, compared in constant time; a timestamp more than 5 minutes from now is
 * refused (replay window). The raw body is checked as received: a body re-encoded by a
 * parser would not match.
 */
import { createHmac } from 'node:crypto';
import { header, REPLAY_WINDOW_MS, safeEqual, type WebhookRequest } from '../kit/webhooks.js';

export const SLACK_SIGNATURE = 'x-slack-signature';
export const SLACK_TIMESTAMP = 'x-slack-request-timestamp';

export type SlackVerdict = { ok: true; sentAt: Date } | { ok: false; code: 'WEBHOOK_SIGNATURE_INVALID' | 'WEBHOOK_REPLAYED'; reason: string };

export function signSlack(secret: string, timestamp: number | string, body: string | Buffer): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

export function verifySlackRequest(req: WebhookRequest, secret: string): SlackVerdict {
  const signature = header(req.headers, SLACK_SIGNATURE);
  const stamp = header(req.headers, SLACK_TIMESTAMP);
  if (!signature || !stamp) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: `no ${!signature ? SLACK_SIGNATURE : SLACK_TIMESTAMP} header` };
  if (!/^\d{1,12}$/.test(stamp)) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: `${SLACK_TIMESTAMP} is not unix seconds` };
  if (!safeEqual(signature, signSlack(secret, stamp, req.body))) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'signature does not match' };
  const sentAt = new Date(Number(stamp) * 1000);
  const ageMs = req.receivedAt.getTime() - sentAt.getTime();
  if (Math.abs(ageMs) > REPLAY_WINDOW_MS)
    return { ok: false, code: 'WEBHOOK_REPLAYED', reason: `timestamp is ${Math.round(ageMs / 1000)} s away from now (window ${REPLAY_WINDOW_MS / 1000} s)` };
  return { ok: true, sentAt };
}
