/**
 * The notes system's webhooks: `X-Notes-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`,
 * `X-Notes-Delivery: <id>` naming the delivery. When a hook is set up the system sends a
 * signed `{"type":"challenge","challenge":"…"}` and waits for the challenge back: the
 * receiver answers it itself, and nothing runs.
 */
import { createHmac } from 'node:crypto';
import { header, safeEqual, type WebhookReceiver } from '../../../../src/connectors/kit/webhooks.js';

export const NOTES_SIGNATURE = 'x-notes-signature';
export const NOTES_DELIVERY = 'x-notes-delivery';

/** What the notes system puts in X-Notes-Signature. */
export const signNotes = (secret: string, body: string | Buffer): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export const notesReceiver: WebhookReceiver = {
  describe: `header ${NOTES_SIGNATURE}: sha256=<hex HMAC-SHA256(secret, raw body)>, ${NOTES_DELIVERY}: <delivery id>; {"type":"challenge"} is answered with its challenge`,
  verify(req, secret) {
    const signature = header(req.headers, NOTES_SIGNATURE);
    if (!signature) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: `no ${NOTES_SIGNATURE} header` };
    if (!safeEqual(signature, signNotes(secret, req.body))) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'signature does not match' };
    const delivery = { key: header(req.headers, NOTES_DELIVERY) ?? signature };
    let message: { type?: unknown; challenge?: unknown };
    try {
      message = JSON.parse(req.body.toString('utf8')) as typeof message;
    } catch {
      message = {};
    }
    if (message.type === 'challenge' && typeof message.challenge === 'string') {
      return { ok: true, links: [], delivery, reply: { contentType: 'application/json', body: JSON.stringify({ challenge: message.challenge }) } };
    }
    return { ok: true, delivery };
  },
};
