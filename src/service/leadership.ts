/**
 * Leadership: of the service processes sharing one store, exactly one at a time fires
 * the schedules and keeps the push channels. On SQLite the service is one process, which
 * leads from the start (`soleLeader`). On PostgreSQL the processes campaign for a lock
 * (`Campaign` over a `LockSession`, see pg-leadership.ts): the holder leads until it
 * releases the lock or its session dies; the others try again every `retryMs`, so one of
 * them takes over within that interval of the leader's death.
 */

export interface Leadership {
  readonly isLeader: boolean;
  /** `fn` is called with the new state on every change; returns the function that stops it. */
  onChange(fn: (leader: boolean) => void): () => void;
  /** Stop campaigning and release the lead at once, so another process takes it now (listeners are not called). */
  close(): Promise<void>;
}

/** The only process of a store: it leads from the start until it stops. */
export function soleLeader(): Leadership {
  return { isLeader: true, onChange: () => () => undefined, close: async () => undefined };
}

/** A lock taken without waiting, on a session (connection) of its own; the lock dies with the session. */
export interface LockSession {
  tryLock(): Promise<boolean>;
  /** Throws when the session (and with it a held lock) is gone. */
  ping(): Promise<void>;
  unlock(): Promise<void>;
  end(): Promise<void>;
}

export interface CampaignOptions {
  /** Opens a session; `onLost` is called when it dies by itself. */
  open(onLost: (err: Error) => void): Promise<LockSession>;
  /** Between attempts while following, and between checks of the session while leading. */
  retryMs: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Runs `fn` after `ms`; returns a cancel. Injected by tests to step time. */
  after?: (ms: number, fn: () => void) => () => void;
}

const timer = (ms: number, fn: () => void): (() => void) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

export class Campaign implements Leadership {
  readonly #o: CampaignOptions;
  readonly #after: NonNullable<CampaignOptions['after']>;
  readonly #listeners = new Set<(leader: boolean) => void>();
  #leader = false;
  #session: LockSession | null = null;
  #failing = false;
  #closed = false;
  #cancel: (() => void) | null = null;
  #attempt: Promise<void> = Promise.resolve();

  constructor(o: CampaignOptions) {
    this.#o = o;
    this.#after = o.after ?? timer;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  onChange(fn: (leader: boolean) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The first attempt (so a process started alone leads once this resolves), then one every retryMs. */
  start(): Promise<void> {
    this.#attempt = this.#try().finally(() => this.#next());
    return this.#attempt;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#cancel?.();
    await this.#attempt;
    const session = this.#session;
    this.#session = null;
    if (!session) return;
    if (this.#leader) {
      this.#leader = false;
      await session.unlock().catch(() => undefined);
      this.#o.log.info({}, 'leadership released');
    }
    await session.end().catch(() => undefined);
  }

  #next(): void {
    if (this.#closed) return;
    this.#cancel = this.#after(this.#o.retryMs, () => {
      this.#attempt = this.#try().finally(() => this.#next());
    });
  }

  async #try(): Promise<void> {
    try {
      if (!this.#session) {
        let session: LockSession | null = null;
        session = await this.#o.open((err) => {
          if (session && this.#session === session) this.#drop(err);
        });
        this.#session = session;
      }
      if (this.#leader) await this.#session.ping();
      else if (await this.#session.tryLock()) this.#set(true);
      this.#failing = false;
    } catch (err) {
      this.#drop(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The session failed: whatever it held is gone; a new one is opened on the next attempt. */
  #drop(err: Error): void {
    const session = this.#session;
    this.#session = null;
    void session?.end().catch(() => undefined);
    if (this.#leader) {
      this.#o.log.warn({ err: err.message }, "leadership lost: the lock's connection failed; another process takes over");
      this.#set(false);
    } else if (!this.#failing) {
      this.#o.log.warn({ err: err.message }, `could not campaign for leadership; retrying every ${this.#o.retryMs} ms`);
    }
    this.#failing = true;
  }

  #set(leader: boolean): void {
    if (this.#leader === leader) return;
    this.#leader = leader;
    if (leader) this.#o.log.info({}, 'this process now leads: it fires the schedules and keeps the push channels');
    for (const fn of [...this.#listeners]) fn(leader);
  }
}
