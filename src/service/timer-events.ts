/**
 * Timer starts and stops as events, wherever they happen (the timers API, `/tt` in Slack,
 * an issue assigned in GitHub), for whoever announces them. Emitting never waits for a
 * listener and never fails the timer: a listener's error is handed to `onError`.
 */
import type { HubRecord } from '../core/model.js';

export interface TimerEvent {
  kind: 'started' | 'stopped';
  scope: string;
  personId: string;
  /** The timer as started, or the time entry a stop made. */
  record: HubRecord;
  /** Who did it: `api:<user>`, `slack:<connection>`, `github:<connection>`… */
  origin: string;
}

export type TimerListener = (e: TimerEvent) => void | Promise<void>;

export class TimerEvents {
  private readonly listeners = new Set<TimerListener>();

  constructor(private readonly onError: (err: unknown, e: TimerEvent) => void = () => undefined) {}

  /** Listen; the function returned stops it. */
  on(listener: TimerListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  emit(e: TimerEvent): void {
    for (const l of this.listeners) {
      try {
        void Promise.resolve(l(e)).catch((err: unknown) => this.onError(err, e));
      } catch (err) {
        this.onError(err, e);
      }
    }
  }
}
