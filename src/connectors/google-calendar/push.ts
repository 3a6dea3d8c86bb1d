/**
 * Push channels (events.watch): a channel per link, POSTing to the service's
 * `/webhooks/google-calendar/<connection>`, renewed before it expires, and the receiver
 * that checks a notification. The channel id names the link; the channel token is an
 * HMAC of the id with the connection's webhook secret, so the receiver can check any
 * channel without storing it, and a notification runs only the link it is about.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { header, safeEqual, type WebhookReceiver } from '../kit/webhooks.js';
import type { GoogleCalendarClient } from './google-client.js';

export interface Channel {
  id: string;
  resourceId: string;
  calendarId: string;
  link: string;
  /** Epoch milliseconds. */
  expiration: number;
}

/** Renew a channel this long before it expires. */
export const RENEW_MARGIN_MS = 24 * 3600_000;

export function channelToken(secret: string, channelId: string): string {
  return createHmac('sha256', secret).update(channelId).digest('hex');
}

export function channelIdFor(link: string): string {
  return `tb--${link}--${randomBytes(8).toString('hex')}`;
}

export function linkOfChannel(channelId: string): string | null {
  return /^tb--(.+)--[0-9a-f]{16}$/.exec(channelId)?.[1] ?? null;
}

export async function watchCalendar(
  client: GoogleCalendarClient,
  o: { calendarId: string; link: string; address: string; secret: string; ttlSeconds?: number },
): Promise<Channel> {
  const id = channelIdFor(o.link);
  const ch = await client.watch(o.calendarId, {
    id,
    type: 'web_hook',
    address: o.address,
    token: channelToken(o.secret, id),
    ...(o.ttlSeconds ? { params: { ttl: String(o.ttlSeconds) } } : {}),
  });
  return { id, resourceId: ch.resourceId, calendarId: o.calendarId, link: o.link, expiration: Number(ch.expiration) };
}

export function needsRenewal(ch: Channel, nowMs: number, marginMs = RENEW_MARGIN_MS): boolean {
  return ch.expiration - nowMs <= marginMs;
}

/** A new channel first, then the old one stopped, so no change falls between them. */
export async function renewChannel(client: GoogleCalendarClient, ch: Channel, o: { address: string; secret: string; ttlSeconds?: number }): Promise<Channel> {
  const next = await watchCalendar(client, { calendarId: ch.calendarId, link: ch.link, ...o });
  await client.stopChannel(ch.id, ch.resourceId).catch(() => undefined);
  return next;
}

/** Google's notifications carry no signature: the channel token is the proof; channel and message number name the delivery (the service refuses repeats). */
export const googleCalendarReceiver: WebhookReceiver = {
  describe:
    'Google Calendar push channels: X-Goog-Channel-ID, X-Goog-Channel-Token = hex HMAC-SHA256(webhook secret, channel id), X-Goog-Resource-State sync|exists|not_exists, X-Goog-Message-Number; the sync ping runs nothing',
  verify(req, secret) {
    const id = header(req.headers, 'x-goog-channel-id');
    const token = header(req.headers, 'x-goog-channel-token');
    if (!id || !token) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'no X-Goog-Channel-ID or X-Goog-Channel-Token header' };
    if (!safeEqual(channelToken(secret, id), token))
      return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: "the channel token does not match this connection's webhook secret" };
    const delivery = { key: `${id}:${header(req.headers, 'x-goog-message-number') ?? ''}` };
    const state = header(req.headers, 'x-goog-resource-state');
    // `sync` only says the channel is open: there is nothing to read yet.
    if (state === 'sync') return { ok: true, links: [], delivery };
    const link = linkOfChannel(id);
    return link ? { ok: true, links: [link], delivery } : { ok: true, delivery };
  },
};
