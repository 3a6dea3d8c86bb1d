/**
 * The part of `work()` both queues share: up to `concurrency` handlers at a time, woken
 * at once by an enqueue in this process, a finished job or the timer to the next due
 * job, and polling every `pollMs` for what other processes enqueue. Storage is behind
 * `LoopBackend`; what happens to a job after a try is computed by settlement.ts.
 *
 * Stopping: no new claims; after `graceMs` the handlers' signals are aborted; a handler
 * that still has not returned `abandonAfterMs` later is given up on — its job is
 * released (queued again, the try not counted) and whatever it returns later is ignored.
 */
import { describeError } from '../../core/errors.js';
import { settle, type BackoffOptions, type Settlement, type TryOutcome } from './settlement.js';
import { JOB_STATES, type Job, type JobHandler, type JobState, type WorkOptions } from './types.js';

export interface Claim {
  job: Job;
  /** Names this try; a settlement applies only while the job still carries it. */
  token: string;
}

export interface LoopBackend {
  /** Takes the next due job whose link is free, or null when there is none right now. */
  claim(): Promise<Claim | null>;
  /** `stillRunning`: the handler was given up on and may go on running for a while. */
  settle(claim: Claim, settlement: Settlement, stillRunning: boolean): Promise<void>;
  /** Called once the claim's handler has really returned (after settle, or later for one given up on). */
  released(claim: Claim): Promise<void>;
  /** ms until the next queued job whose time has not come yet becomes due; null when there is none. */
  nextDueInMs(): Promise<number | null>;
  /** Periodic housekeeping while working. */
  sweep?(): Promise<void>;
}

/** Options of the queue factories beyond the shared QueueOptions. */
export interface QueueHooks {
  /** Storage errors met while working (the loop goes on, polling); default: one line on stderr. */
  onError?: (err: unknown) => void;
  /** How long after aborting a handler stop() waits before giving up on it (default 5 s). */
  abandonAfterMs?: number;
}

export interface LoopOptions {
  concurrency: number;
  pollMs: number;
  backoff: BackoffOptions;
  random: () => number;
  onError: (err: unknown) => void;
  abandonAfterMs: number;
  sweepMs?: number;
}

export const DEFAULT_POLL_MS = 250;
export const DEFAULT_ABANDON_AFTER_MS = 5000;
const DUE_MARGIN_MS = 20;

export function reportToStderr(err: unknown): void {
  const info = describeError(err);
  process.stderr.write(`timebridge job queue: ${info.code}: ${info.message}\n`);
}

interface Running {
  claim: Claim;
  controller: AbortController;
  /** The handler returned and its settlement is under way. */
  settling: boolean;
  abandoned: boolean;
  done: Promise<void>;
}

/** Resolves true when `p` settles within `ms`, false otherwise. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class WorkerLoop {
  readonly #backend: LoopBackend;
  readonly #handler: JobHandler;
  readonly #opts: LoopOptions;
  readonly #running = new Map<string, Running>();
  #stopping = false;
  #timer: NodeJS.Timeout | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #pumping: Promise<void> | null = null;
  #again = false;

  constructor(backend: LoopBackend, handler: JobHandler, opts: LoopOptions) {
    this.#backend = backend;
    this.#handler = handler;
    this.#opts = opts;
  }

  start(): void {
    const { sweepMs } = this.#opts;
    if (sweepMs && this.#backend.sweep) {
      this.#sweeper = setInterval(() => {
        this.#backend.sweep?.().then(() => this.wake(), this.#opts.onError);
      }, sweepMs);
    }
    this.wake();
  }

  /** Look for work now (coalesced: a wake during a pass makes one more pass). */
  wake(): void {
    if (this.#stopping) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = null;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  async #pump(): Promise<void> {
    try {
      while (!this.#stopping && this.#running.size < this.#opts.concurrency) {
        this.#again = false;
        const claim = await this.#backend.claim();
        if (!claim) break;
        if (this.#stopping) {
          await this.#backend.settle(claim, { kind: 'release' }, false);
          await this.#backend.released(claim);
          return;
        }
        this.#launch(claim);
      }
      if (!this.#stopping && this.#running.size < this.#opts.concurrency) await this.#arm();
    } catch (err) {
      this.#opts.onError(err);
      if (!this.#stopping) void this.#arm(this.#opts.pollMs);
    }
  }

  /** The timer to the next due job, or to the next poll, whichever comes first. */
  async #arm(delayMs?: number): Promise<void> {
    let delay = delayMs;
    if (delay === undefined) {
      const next = await this.#backend.nextDueInMs();
      // A little past the due time: a timer may fire a millisecond early, and a job found not
      // yet due would otherwise wait for the next poll.
      delay = next === null ? this.#opts.pollMs : Math.min(this.#opts.pollMs, Math.max(1, next + DUE_MARGIN_MS));
    }
    if (this.#stopping) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.wake(), delay);
  }

  #launch(claim: Claim): void {
    const controller = new AbortController();
    const run: Running = { claim, controller, settling: false, abandoned: false, done: Promise.resolve() };
    this.#running.set(claim.job.id, run);
    run.done = this.#execute(run).finally(() => {
      this.#running.delete(claim.job.id);
      this.wake();
    });
  }

  async #execute(run: Running): Promise<void> {
    const { claim, controller } = run;
    let outcome: TryOutcome;
    try {
      outcome = { kind: 'returned', result: await this.#handler(claim.job, { signal: controller.signal }) };
    } catch (error) {
      outcome = { kind: 'threw', error };
    }
    try {
      if (!run.abandoned) {
        run.settling = true;
        // A try cut short by stop() is not a failure of the job, whatever the handler made of the abort.
        if (controller.signal.aborted) outcome = { kind: 'interrupted' };
        await this.#backend.settle(claim, settle(claim.job, outcome, this.#opts.backoff, this.#opts.random), false);
      }
    } catch (err) {
      this.#opts.onError(err);
    }
    try {
      await this.#backend.released(claim);
    } catch (err) {
      this.#opts.onError(err);
    }
  }

  /** Ask every running handler to stop now (e.g. the link locks were lost); their jobs are released. */
  abortAll(): void {
    for (const run of this.#running.values()) run.controller.abort();
  }

  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    clearInterval(this.#sweeper);
    await this.#pumping;
    const all = (): Promise<unknown> => Promise.all([...this.#running.values()].map((r) => r.done));
    if (this.#running.size === 0 || (await within(all(), graceMs))) return;
    for (const run of this.#running.values()) run.controller.abort();
    if (await within(all(), this.#opts.abandonAfterMs)) return;
    for (const run of [...this.#running.values()]) {
      if (run.settling) continue;
      run.abandoned = true;
      try {
        await this.#backend.settle(run.claim, { kind: 'release' }, true);
      } catch (err) {
        this.#opts.onError(err);
      }
    }
    // Those still settling finish on their own; wait for them so stop() means "no writes from here on".
    await Promise.all([...this.#running.values()].filter((r) => !r.abandoned).map((r) => r.done));
  }
}

/**
 * The one worker loop a queue runs at a time: `work()` and `stop()` of JobQueue, the same
 * for both queues. The loop options other than concurrency and polling are the queue's.
 */
export class LoopSlot {
  #loop: WorkerLoop | null = null;

  constructor(
    private readonly backend: LoopBackend,
    private readonly opts: Omit<LoopOptions, 'concurrency' | 'pollMs'>,
  ) {}

  start(handler: JobHandler, wo: WorkOptions): void {
    if (this.#loop) throw new Error('work() is already running on this queue; stop() it first');
    this.#loop = new WorkerLoop(this.backend, handler, { ...this.opts, concurrency: wo.concurrency, pollMs: wo.pollMs ?? DEFAULT_POLL_MS });
    this.#loop.start();
  }

  async stop(graceMs = 10_000): Promise<void> {
    const current = this.#loop;
    this.#loop = null;
    await current?.stop(graceMs);
  }

  wake(): void {
    this.#loop?.wake();
  }

  abortAll(): void {
    this.#loop?.abortAll();
  }
}

/** Jobs per state from `(state, n)` rows, with 0 for states that have none. */
export function countsByState(rows: Iterable<Record<string, unknown>>): Record<JobState, number> {
  const out = Object.fromEntries(JOB_STATES.map((st) => [st, 0])) as Record<JobState, number>;
  for (const r of rows) out[r.state as JobState] = Number(r.n);
  return out;
}
