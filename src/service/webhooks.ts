/**
 * The webhook framework. Each connector type has one receiver (its registry entry's
 * `webhook`, or the generic signed scheme below); a receiver checks the signature on the
 * raw body with a constant-time compare and, where the sender provides a timestamp,
 * refuses deliveries outside the replay window or seen before. An accepted delivery is
 * answered 202 at once and becomes a run of the connection's enabled links after a
 * grace period that folds a burst of deliveries into one run (`WebhookIntake`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  receivedAt: Date;
}

export type Verdict =
  /** `links`: only these links of the connection run (none for a mere handshake); absent: all of them. */
  | { ok: true; links?: string[] }
  | { ok: false; code: 'WEBHOOK_SIGNATURE_INVALID' | 'WEBHOOK_REPLAYED'; reason: string };

export interface WebhookReceiver {
  /** How senders sign, for the API reference. */
  describe: string;
  verify(req: WebhookRequest, secret: string, seen: ReplayGuard): Verdict;
}

/** Remembers signatures inside the replay window, so one delivery is accepted once. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(readonly windowMs = 5 * 60_000, private readonly max = 100_000) {}

  /** True the first time; false for a repeat within the window. */
  firstTime(signature: string, nowMs: number): boolean {
    if (this.seen.has(signature)) return false;
    if (this.seen.size >= this.max) this.prune(nowMs);
    this.seen.set(signature, nowMs);
    return true;
  }

  private prune(nowMs: number): void {
    for (const [k, at] of this.seen) if (nowMs - at > this.windowMs) this.seen.delete(k);
    // Still full of fresh entries: drop the oldest half rather than grow without bound.
    if (this.seen.size >= this.max) [...this.seen.keys()].slice(0, this.max / 2).forEach((k) => this.seen.delete(k));
  }
}

const header = (h: WebhookRequest['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Constant-time comparison of two hex or text digests of any length. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const SIGNATURE_HEADER = 'x-timebridge-signature';

/** The signature header value a sender computes: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signWebhook(secret: string, body: string | Buffer, at: Date = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${macOf(secret, t, body)}`;
}

const macOf = (secret: string, t: number, body: string | Buffer): string => createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

/**
 * Timebridge's own signed notification, for connectors whose servers have no webhooks of
 * their own (a `.ics` folder watched by a script, a CalDAV server behind a hook): the
 * sender signs `<unix time>.<body>` with the connection's webhook secret.
 */
export const signedReceiver: WebhookReceiver = {
  describe: `header ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>; deliveries older than 5 minutes or seen before are refused`,
  verify(req, secret, seen) {
    const value = header(req.headers, SIGNATURE_HEADER);
    if (!value) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: `no ${SIGNATURE_HEADER} header` };
    const parts = Object.fromEntries(value.split(',').map((p) => p.trim().split('=') as [string, string]));
    const t = Number(parts.t);
    if (!Number.isInteger(t) || !parts.v1) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'malformed signature header (want t=…,v1=…)' };
    if (!safeEqual(parts.v1, macOf(secret, t, req.body))) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'signature does not match' };
    const ageMs = req.receivedAt.getTime() - t * 1000;
    if (Math.abs(ageMs) > seen.windowMs) return { ok: false, code: 'WEBHOOK_REPLAYED', reason: `timestamp is ${Math.round(ageMs / 1000)} s away from now (window ${seen.windowMs / 1000} s)` };
    if (!seen.firstTime(parts.v1, req.receivedAt.getTime())) return { ok: false, code: 'WEBHOOK_REPLAYED', reason: 'this delivery was already accepted' };
    return { ok: true };
  },
};
