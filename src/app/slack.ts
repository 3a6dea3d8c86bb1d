/**
 * Slack wired into the service: the `/tt` desk, the outbox of notices and summaries, and
 * the listener that turns every timer event into notices. One place, so the service only
 * holds the result.
 */
import type { Logger } from 'pino';
import { TimebridgeError } from '../core/errors.js';
import { slackApiOf, type SlackConfig } from '../connectors/slack/index.js';
import type { TimekeepingDeps } from '../runtime/timers.js';
import type { TimerEvents } from '../service/timer-events.js';
import type { HubStore } from '../store/types.js';
import type { Catalog } from './catalog.js';
import { SlackDesk } from './slack-desk.js';
import { SlackOutbox, type SlackOutboxQueue } from './slack-outbox.js';

export interface SlackSide {
  desk: SlackDesk;
  outbox: SlackOutbox;
  /** A Slack connection's settings (secrets in); not found for another type. */
  config(name: string): Promise<SlackConfig>;
}

export function openSlack(o: {
  store: HubStore;
  timekeeping: TimekeepingDeps;
  catalog: Pick<Catalog, 'listConnections' | 'connectionSettings'>;
  queue: SlackOutboxQueue;
  events: TimerEvents;
  clock: () => Date;
  log: Logger;
  hubChanged(scope: string, trigger: string): Promise<unknown>;
}): SlackSide {
  const config = async (name: string): Promise<SlackConfig> => {
    const c = await o.catalog.connectionSettings(name);
    if (c.type !== 'slack')
      throw new TimebridgeError('RESOURCE_NOT_FOUND', `connection ${name} is not a Slack connection`, { hint: 'use the name of a connection of type slack' });
    return c.settings as SlackConfig;
  };
  const connections = async () => {
    const out: { name: string; config: SlackConfig }[] = [];
    for (const c of await o.catalog.listConnections()) {
      if (c.type !== 'slack') continue;
      try {
        out.push({ name: c.name, config: await config(c.name) });
      } catch (err) {
        o.log.warn({ connection: c.name, err: String(err) }, 'a Slack connection cannot be read; it gets no notices or summaries');
      }
    }
    return out;
  };
  const api = (_name: string, c: SlackConfig) => slackApiOf(c);
  const outbox = new SlackOutbox({ store: o.store, timekeeping: o.timekeeping, queue: o.queue, connections, clock: o.clock, api });
  const desk = new SlackDesk({ timekeeping: o.timekeeping, store: o.store, events: o.events, clock: o.clock, hubChanged: o.hubChanged, api });
  o.events.on(async (e) => {
    await outbox.notice(e);
  });
  return { desk, outbox, config };
}
