/**
 * The service's side of webhooks. Each connector type has one receiver (its registry entry's
 * `webhook`, or the generic signed scheme of `connectors/kit/webhooks.ts`); the receiver says
 * whether a delivery is genuine and names it. The `ReplayGuard` then refuses a delivery seen
 * before: accepted ones are remembered in the hub store, so behind a load balancer a delivery
 * is accepted by one service process once. An accepted delivery is answered 202 at once and
 * becomes a run of the connection's enabled links after a grace period that folds a burst of
 * deliveries into one run.
 */
import { REPLAY_WINDOW_MS, type Delivery } from '../connectors/kit/webhooks.js';
import type { HubStore } from '../store/types.js';

/**
 * Remembers accepted deliveries in the hub store (atomically, shared by every process of
 * the store), so one delivery is accepted once. A delivery is remembered until its
 * timestamp — or its receipt, when later — leaves the window: by then the timestamp check
 * refuses it anyway.
 */
export class ReplayGuard {
  constructor(
    private readonly store: Pick<HubStore, 'rememberDelivery'>,
    readonly windowMs = REPLAY_WINDOW_MS,
  ) {}

  /** True the first time; false for a repeat within the window. `key` must name the receiver too (type and connection). */
  firstTime(key: string, delivery: Delivery, receivedAt: Date): Promise<boolean> {
    const until = Math.max(receivedAt.getTime(), delivery.sentAt?.getTime() ?? 0) + Math.max(this.windowMs, delivery.keepMs ?? 0);
    return this.store.rememberDelivery(key, new Date(until).toISOString(), receivedAt.toISOString());
  }
}
