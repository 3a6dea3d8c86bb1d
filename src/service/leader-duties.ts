/**
 * What only the leading process does — fire the links' schedules and keep their push
 * channels — started when this process gains the lead and stopped when it loses it.
 * Changes run one after another, so a lead lost while the schedules load cannot leave
 * them running. While leading, the schedules and channels are re-read every
 * `refreshMs`, so a link changed through another process reaches the leader too.
 */
import type { Logger } from 'pino';
import type { Leadership } from './leadership.js';
import type { PushChannels } from './push-channels.js';
import type { ScheduledLink, Scheduler } from './scheduler.js';

export interface LeaderDutiesOptions {
  leadership: Leadership;
  scheduler: Scheduler;
  channels: PushChannels | null;
  /** The enabled links' schedules as the store has them now. */
  schedules: () => Promise<ScheduledLink[]>;
  log: Logger;
  onChange: (leader: boolean) => void;
  refreshMs: number;
}

export class LeaderDuties {
  readonly #o: LeaderDutiesOptions;
  readonly #unsubscribe: () => void;
  #chain: Promise<void> = Promise.resolve();
  #channelsWanted = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(o: LeaderDutiesOptions) {
    this.#o = o;
    this.#unsubscribe = o.leadership.onChange((leader) => {
      o.onChange(leader);
      void this.#serial(leader ? () => this.#lead() : () => this.#follow());
    });
    o.onChange(o.leadership.isLeader);
  }

  get isLeader(): boolean {
    return this.#o.leadership.isLeader;
  }

  /** Start the duties if this process already leads. */
  start(): Promise<void> {
    return this.#serial(() => (this.isLeader ? this.#lead() : Promise.resolve()));
  }

  /** Re-read the schedules and channels now (after this process changed a link). */
  refresh(): Promise<void> {
    return this.#serial(() => (this.isLeader ? this.#reload() : Promise.resolve()));
  }

  /** Open push channels from now on (once the server listens, so their first notification is answered). */
  startChannels(): Promise<void> {
    this.#channelsWanted = true;
    return this.refresh();
  }

  async stop(): Promise<void> {
    this.#unsubscribe();
    await this.#serial(() => this.#follow());
    await this.#o.leadership.close();
    this.#o.onChange(false);
  }

  #serial(step: () => Promise<void>): Promise<void> {
    this.#chain = this.#chain.then(step).catch((err: unknown) => {
      this.#o.log.error({ err: String(err) }, 'leader duties: could not load the schedules; trying again on the next refresh');
    });
    return this.#chain;
  }

  async #lead(): Promise<void> {
    await this.#reload();
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.refresh(), this.#o.refreshMs);
    this.#timer.unref();
  }

  async #follow(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#o.scheduler.stop();
    await this.#o.channels?.stop();
  }

  async #reload(): Promise<void> {
    this.#o.scheduler.reload(await this.#o.schedules());
    if (this.#channelsWanted) await this.#o.channels?.reload();
  }
}
