/**
 * Push channels: for every enabled link whose connector can be told where to send change
 * notifications (Google's events.watch) and whose connection has a webhook secret, keep a
 * channel open to `<publicUrl>/webhooks/<type>/<connection>`, renew it before it expires
 * (the new one first, then the old one stopped) and stop them all on shutdown. Runs in
 * the process that fires schedules, so one set of channels exists per database.
 */
import type { Logger } from 'pino';
import type { Catalog } from '../app/catalog.js';
import { linkMapping } from '../app/link-mapping.js';
import type { PushChannel } from '../connectors/kit/entry.js';
import { CONNECTORS } from '../connectors/registry.js';

interface Open {
  key: string;
  channel: PushChannel;
  renewAt: number;
}

export class PushChannels {
  private readonly open = new Map<string, Open>();
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly catalog: Catalog,
    private readonly publicUrl: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Open channels for links that need one, stop those of links that went away; then check again when the next one is due. */
  reload(): Promise<void> {
    this.busy = this.busy
      .then(() => this.sync())
      .catch((err: unknown) => {
        this.log.error({ err: String(err) }, 'push channels: reload failed');
      });
    return this.busy;
  }

  /** The links with an open channel and when each expires, for status and tests. */
  list(): { link: string; expiresAt: string }[] {
    return [...this.open].map(([link, o]) => ({ link, expiresAt: new Date(o.channel.expiresAt).toISOString() }));
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.busy;
    for (const [link, o] of this.open) {
      await o.channel
        .stop()
        .catch((err: unknown) => this.log.warn({ link, err: String(err) }, 'push channels: could not stop a channel (it expires by itself)'));
    }
    this.open.clear();
  }

  private async sync(): Promise<void> {
    const wanted = new Map<string, { key: string; marginMs: number; open: () => Promise<PushChannel> }>();
    for (const link of await this.catalog.listLinks()) {
      if (!link.enabled) continue;
      const conn = await this.catalog.connectionSettings(link.config.connection).catch(() => null);
      const entry = conn ? CONNECTORS[conn.type] : undefined;
      if (!conn || !entry?.push) continue;
      const hook = conn.common.webhook;
      const secret = hook?.secret;
      if (!secret) continue;
      const m = linkMapping(entry, conn.type, link.config);
      if (typeof m === 'string') continue;
      const target = { collection: link.config.collection ?? null, externalKind: m.externalKind };
      const address = `${this.publicUrl}/webhooks/${conn.type}/${encodeURIComponent(link.config.connection)}`;
      // A changed definition (another calendar, secret or address) needs a new channel.
      const key = JSON.stringify([conn.stamp, target, address]);
      const push = entry.push;
      wanted.set(link.name, {
        key,
        marginMs: push.renewMarginMs,
        open: () => push.watch(conn.settings, this.catalog.buildEnv(link.config.connection, conn, target), { link: link.name, address, secret }),
      });
    }
    for (const [link, o] of [...this.open]) {
      if (wanted.get(link)?.key === o.key) continue;
      this.open.delete(link);
      await o.channel.stop().catch(() => undefined);
      this.log.info({ link }, 'push channel stopped');
    }
    for (const [link, w] of wanted) {
      const current = this.open.get(link);
      if (current && current.renewAt > this.now()) continue;
      try {
        const channel = await w.open();
        // Renew at the connector's margin, but never later than halfway through a short channel.
        const margin = Math.min(w.marginMs, Math.max(0, (channel.expiresAt - this.now()) / 2));
        this.open.set(link, { key: w.key, channel, renewAt: channel.expiresAt - margin });
        if (current) await current.channel.stop().catch(() => undefined);
        this.log.info({ link, expiresAt: new Date(channel.expiresAt).toISOString() }, current ? 'push channel renewed' : 'push channel opened');
      } catch (err) {
        // The schedule remains the safety net; try again in a minute.
        this.log.warn({ link, err: String(err) }, 'push channels: could not open a channel; retrying in a minute');
        if (current) this.open.set(link, { ...current, renewAt: this.now() + 60_000 });
      }
    }
    this.arm(wanted.size > this.open.size ? this.now() + 60_000 : Infinity);
  }

  private arm(retryAt: number): void {
    if (this.timer) clearTimeout(this.timer);
    const next = Math.min(retryAt, ...[...this.open.values()].map((o) => o.renewAt));
    if (!Number.isFinite(next)) return;
    // setTimeout holds at most ~24.8 days; a later renewal is re-checked then.
    this.timer = setTimeout(() => void this.reload(), Math.min(Math.max(1000, next - this.now()), 2 ** 31 - 1));
    this.timer.unref();
  }
}
