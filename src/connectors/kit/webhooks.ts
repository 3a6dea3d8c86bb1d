/**
 * Webhooks as a connector declares them (its registry entry's `webhook`): a receiver checks
 * a delivery's signature on the raw body with a constant-time compare, refuses deliveries
 * whose timestamp is outside the replay window, names the delivery, and says which links it
 * is about — or, for a handshake the sender makes when the hook is set up, what to answer.
 * Connectors without a scheme of their own use the generic signed one below. Pure: whether a
 * delivery was seen before is the service's question (`service/webhooks.ts`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Deliveries further than this from their timestamp are refused; accepted ones are remembered this long. */
export const REPLAY_WINDOW_MS = 5 * 60_000;

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  receivedAt: Date;
}

/** What makes a delivery itself (a signature, a message number), and when the sender says it sent it. */
export interface Delivery {
  key: string;
  sentAt?: Date;
  /**
   * Remember the delivery this long instead of the replay window: senders without a
   * timestamp that redeliver by the same id days later (GitHub keeps deliveries 3 days).
   */
  keepMs?: number;
  /**
   * A repeat is the sender's own redelivery (GitHub's "Redeliver"), not an attack: answer it
   * 200 as already done instead of 401, so the sender does not show it as failed. Nothing runs again.
   */
  repeatIsRedelivery?: boolean;
}

/**
 * What a delivery asks of the hub besides runs: start the timer of the person the remote
 * names, on the task that an item of the connection is linked to (an issue assigned on
 * GitHub). The service carries it out only for connections whose entry's `startsTimers` says so.
 */
export interface TimerCue {
  kind: 'start-timer';
  /** The item whose linked hub record is the task: its external kind and id. */
  externalKind: string;
  extId: string;
  /** How the remote names the person: the hub person field that holds it, and its value. */
  person: { field: 'githubLogin'; value: string };
  /** For reports and logs: "acme/webshop#12". */
  label: string;
  /** The key the task must have (any case), so a delivery about another repository's issue 12 never starts a timer on this one's. */
  taskKey: string;
}

/**
 * A handshake's answer, which the sender waits for (Slack's `url_verification` echoes its
 * `challenge` within 3 seconds; GitHub's `ping` wants any 2xx): sent with 200 at once.
 */
export interface HandshakeReply {
  contentType: string;
  body: string;
}

export type Verdict =
  /**
   * `links`: only these links of the connection run (none for a mere handshake); absent: all of them.
   * `reply`: the delivery is a handshake; it is answered 200 with this body, and nothing runs.
   */
  | { ok: true; links?: string[]; delivery: Delivery; reply?: HandshakeReply; cues?: TimerCue[] }
  | { ok: false; code: 'WEBHOOK_SIGNATURE_INVALID' | 'WEBHOOK_REPLAYED'; reason: string };

export interface WebhookReceiver {
  /** How senders sign, for the API reference. */
  describe: string;
  /** Pure: checks the request; whether the delivery was seen before is the ReplayGuard's question. */
  verify(req: WebhookRequest, secret: string): Verdict | Promise<Verdict>;
}

export const header = (h: WebhookRequest['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Constant-time comparison of two hex or text digests of any length. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a),
    y = Buffer.from(b);
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
  verify(req, secret) {
    const value = header(req.headers, SIGNATURE_HEADER);
    if (!value) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: `no ${SIGNATURE_HEADER} header` };
    const parts = Object.fromEntries(value.split(',').map((p) => p.trim().split('=') as [string, string]));
    const t = Number(parts.t);
    if (!Number.isInteger(t) || !parts.v1) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'malformed signature header (want t=…,v1=…)' };
    if (!safeEqual(parts.v1, macOf(secret, t, req.body))) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'signature does not match' };
    const ageMs = req.receivedAt.getTime() - t * 1000;
    if (Math.abs(ageMs) > REPLAY_WINDOW_MS)
      return { ok: false, code: 'WEBHOOK_REPLAYED', reason: `timestamp is ${Math.round(ageMs / 1000)} s away from now (window ${REPLAY_WINDOW_MS / 1000} s)` };
    return { ok: true, delivery: { key: parts.v1, sentAt: new Date(t * 1000) } };
  },
};
