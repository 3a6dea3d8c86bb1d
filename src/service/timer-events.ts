/**
 * Timer starts and stops, told to whoever listens in this process (channel notices): the
 * timer routes and the timer cues of webhooks emit them after the change is committed. A
 * listener that throws is logged by its owner's wrapper, never by the emitter: a notice
 * must not fail or slow a timer, so listeners are called without being awaited.
 */
import type { HubRecord } from '../core/model.js';

export interface TimerEvent {
  kind: 'started' | 'stopped';
  scope: string;
  personId: string;
  /** The timer as started, or the time entry a stop made. */
  record: HubRecord;
  /** Who or what changed it: `api:<user>`, `webhook:github:<connection>`… */
  origin: string;
}

export type TimerListener = (e: TimerEvent) => void | Promise<void>;

export class TimerEvents {
  private readonly listeners = new Set<TimerListener>();

  /** Returns the way to stop listening. */
  on(listener: TimerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: TimerEvent): void {
    for (const l of this.listeners) {
      try {
        void Promise.resolve(l(e)).catch(() => undefined);
      } catch {
        // A listener's own failure is its business.
      }
    }
  }
}
