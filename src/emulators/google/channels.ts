/**
 * events.watch channels: a `sync` ping when a channel opens, an `exists` ping for every
 * later change of its calendar, with the X-Goog-* headers of api-contracts §3.7, until
 * the channel expires or is stopped. Deliveries are kept for the control route.
 */
import { randomBytes } from 'node:crypto';
import type { Channel } from './types.js';
import { bad } from './errors.js';

interface OpenChannel extends Channel {
  calendarId: string;
  address: string;
  messages: number;
  stopped: boolean;
}

export interface Delivery {
  channelId: string;
  state: 'sync' | 'exists';
  number: number;
  status: number | string;
}

const DEFAULT_TTL_S = 604_800;

export class Channels {
  private readonly channels = new Map<string, OpenChannel>();
  readonly deliveries: Delivery[] = [];

  constructor(private readonly now: () => number) {}

  reset(): void {
    this.channels.clear();
    this.deliveries.length = 0;
  }

  open(calendarId: string, resourceUri: string, body: { id?: string; type?: string; address?: string; token?: string; params?: { ttl?: string } }): Channel {
    if (!body.id || !/^[A-Za-z0-9\-_+/=]{1,64}$/.test(body.id)) throw bad('Channel id is required: 1-64 characters of A-Z a-z 0-9 - _ + / =.', 'required');
    if (body.type !== 'web_hook' && body.type !== 'webhook') throw bad('Channel type must be web_hook.');
    if (!body.address || !/^https?:\/\//.test(body.address))
      throw bad('Channel address must be an http(s) URL (Google itself requires https).', 'push.webhookUrlNotHttps');
    if (this.channels.has(body.id)) throw bad(`Channel id ${body.id} not unique`, 'channelIdNotUnique');
    const ttl = body.params?.ttl !== undefined ? Number(body.params.ttl) : DEFAULT_TTL_S;
    if (!Number.isFinite(ttl) || ttl <= 0) throw bad('params.ttl must be a positive number of seconds.');
    const channel: OpenChannel = {
      kind: 'api#channel',
      id: body.id,
      resourceId: randomBytes(12).toString('base64url'),
      resourceUri,
      ...(body.token ? { token: body.token } : {}),
      expiration: String(this.now() + Math.min(ttl, 2_592_000) * 1000),
      calendarId,
      address: body.address,
      messages: 0,
      stopped: false,
    };
    this.channels.set(channel.id, channel);
    this.deliver(channel, 'sync');
    const { calendarId: _c, address: _a, messages: _m, stopped: _s, ...out } = channel;
    return out;
  }

  stop(id: string | undefined, resourceId: string | undefined): boolean {
    const c = id ? this.channels.get(id) : undefined;
    if (!c || c.resourceId !== resourceId) return false;
    c.stopped = true;
    return true;
  }

  /** A calendar changed: ping every live channel on it. */
  changed(calendarId: string): void {
    for (const c of this.channels.values()) {
      if (c.calendarId === calendarId && !c.stopped && Number(c.expiration) > this.now()) this.deliver(c, 'exists');
    }
  }

  list(): (Channel & { calendarId: string; address: string; stopped: boolean; expired: boolean })[] {
    return [...this.channels.values()].map((c) => ({
      kind: c.kind,
      id: c.id,
      resourceId: c.resourceId,
      resourceUri: c.resourceUri,
      expiration: c.expiration,
      calendarId: c.calendarId,
      address: c.address,
      stopped: c.stopped,
      expired: Number(c.expiration) <= this.now(),
    }));
  }

  private deliver(c: OpenChannel, state: 'sync' | 'exists'): void {
    const number = ++c.messages;
    const headers: Record<string, string> = {
      'x-goog-channel-id': c.id,
      'x-goog-channel-expiration': new Date(Number(c.expiration)).toUTCString(),
      'x-goog-resource-id': c.resourceId,
      'x-goog-resource-uri': c.resourceUri,
      'x-goog-resource-state': state,
      'x-goog-message-number': String(number),
      ...(c.token ? { 'x-goog-channel-token': c.token } : {}),
    };
    const record: Delivery = { channelId: c.id, state, number, status: 'pending' };
    this.deliveries.push(record);
    // Google does not wait for the receiver before answering the write; neither does the emulator.
    setImmediate(() => {
      fetch(c.address, { method: 'POST', headers, signal: AbortSignal.timeout(10_000) })
        .then(async (res) => {
          record.status = res.status;
          await res.arrayBuffer();
        })
        .catch((err: unknown) => {
          record.status = err instanceof Error ? err.message : String(err);
        });
    });
  }
}
