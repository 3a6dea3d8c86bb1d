/**
 * Chat apps (Slack) wired into the service: the `/tt` desk, the outbox of notices and
 * summaries, and the listener that turns every timer event into notices. Connections
 * are found through the registry's `chat` entries (connectors/kit/chat.ts).
 */
import type { Logger } from 'pino';
import type { ChatSupport } from '../connectors/kit/chat.js';
import { CONNECTORS } from '../connectors/registry.js';
import { TimebridgeError } from '../core/errors.js';
import type { TimekeepingDeps } from '../runtime/timers.js';
import type { TimerEvents } from '../service/timer-events.js';
import type { HubStore } from '../store/types.js';
import type { Catalog } from './catalog.js';
import { ChatDesk, type ChatConnection } from './chat-desk.js';
import { ChatOutbox, type ChatOutboxQueue } from './chat-outbox.js';

/** A chat connection with what the HTTP receiver needs besides: its entry's chat support and raw settings. */
export interface ChatEndpoint extends ChatConnection {
  support: ChatSupport<unknown>;
  config: unknown;
}

export interface ChatSide {
  desk: ChatDesk;
  outbox: ChatOutbox;
  /** A chat connection of this connector type; RESOURCE_NOT_FOUND when there is none by that name and type. */
  connection(type: string, name: string): Promise<ChatEndpoint>;
}

export function openChat(o: {
  store: HubStore;
  timekeeping: TimekeepingDeps;
  catalog: Pick<Catalog, 'listConnections' | 'connectionSettings' | 'scopes'>;
  queue: ChatOutboxQueue;
  events: TimerEvents;
  clock: () => Date;
  log: Logger;
  hubChanged(scope: string, trigger: string): Promise<unknown>;
}): ChatSide {
  const connection = async (type: string, name: string): Promise<ChatEndpoint> => {
    const support = CONNECTORS[type]?.chat as ChatSupport<unknown> | undefined;
    const c = support ? await o.catalog.connectionSettings(name).catch(() => null) : null;
    if (!support || !c || c.type !== type)
      throw new TimebridgeError('RESOURCE_NOT_FOUND', `no ${type} chat connection ${name}`, { hint: 'use the name of a connection of a chat type (slack)' });
    const settings = support.settings(c.settings);
    // Whoever holds the signing secret can speak as any chat user: a user's own connection may only act in a scope that user owns.
    if (!c.trusted && (await o.catalog.scopes.access(c.owner!, settings.scope)) !== 'own')
      throw new TimebridgeError('AUTH_FORBIDDEN', `chat connection ${name} names scope ${settings.scope}, which its owner ${c.owner} does not own`, {
        hint: "set the connection's scope to one of your own scopes, or ask an admin to make the connection",
      });
    return {
      name,
      support,
      config: c.settings,
      settings,
      client: support.client(c.settings, c.outbound ? { outbound: c.outbound } : {}),
    };
  };
  const connections = async () => {
    const out: ChatConnection[] = [];
    for (const c of await o.catalog.listConnections()) {
      if (!CONNECTORS[c.type]?.chat) continue;
      try {
        out.push(await connection(c.type, c.name));
      } catch (err) {
        o.log.warn({ connection: c.name, err: String(err) }, 'a chat connection cannot be read; it gets no notices or summaries');
      }
    }
    return out;
  };
  const outbox = new ChatOutbox({ store: o.store, timekeeping: o.timekeeping, queue: o.queue, connections, clock: o.clock });
  const desk = new ChatDesk({ timekeeping: o.timekeeping, store: o.store, events: o.events, clock: o.clock, hubChanged: o.hubChanged });
  // The emitter does not wait for listeners nor see their errors: a failed notice is logged here.
  o.events.on(async (e) => {
    try {
      await outbox.notice(e);
    } catch (err) {
      o.log.error({ err: String(err), timer: e.kind, person: e.personId }, 'a timer notice could not be queued');
    }
  });
  return { desk, outbox, connection };
}
