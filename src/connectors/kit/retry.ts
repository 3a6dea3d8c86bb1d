/**
 * Retries inside a run: which requests may be repeated, full-jitter exponential backoff
 * that honours Retry-After, and the run's retry budget. Time comes from an injected
 * clock, so tests drive it without waiting. What gives up here leaves with a hint that
 * says what was tried; the next run or the service's job retry takes it from there.
 */
import { TimebridgeError, isTimebridgeError } from '../../core/errors.js';

/** Time as the client and the limiter see it; the defaults are the real ones. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1), for the jitter. */
  random(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

export function clockOf(c: Partial<Clock> = {}): Clock {
  return { now: c.now ?? realClock.now, sleep: c.sleep ?? realClock.sleep, random: c.random ?? realClock.random };
}

export interface RetryPolicy {
  /** Tries of one request, the first included (1: never retry). */
  maxAttempts: number;
  /** Backoff cap of the first retry; doubles per retry. */
  baseDelayMs: number;
  /** The backoff never exceeds this (a Retry-After may, within the budget). */
  maxDelayMs: number;
  /** Waiting a run may spend on retries, all requests of the connector together. */
  budgetMs: number;
}

/** Google asks for 2^n s with jitter up to 32–64 s, Tempo for pauses of 5–15 s; two minutes a run keeps a stuck run short. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 32_000, budgetMs: 120_000 };

/** The waiting a run may still spend on retries. Shared by the clients of one connector; reset when a run starts. */
export interface RetryBudget {
  readonly budgetMs: number;
  readonly spentMs: number;
  /** Spend `ms` if the budget holds that much; false (nothing spent) otherwise. */
  take(ms: number): boolean;
  /** A new run: nothing spent. */
  reset(): void;
}

export function retryBudget(budgetMs: number = DEFAULT_RETRY_POLICY.budgetMs): RetryBudget {
  let spent = 0;
  return {
    budgetMs,
    get spentMs() {
      return spent;
    },
    take(ms) {
      if (spent + ms > budgetMs) return false;
      spent += ms;
      return true;
    },
    reset() {
      spent = 0;
    },
  };
}

/** Methods that change nothing (RFC 9110 safe methods, and WebDAV's reads). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PROPFIND', 'REPORT']);
const CONDITIONAL_WRITES = new Set(['PUT', 'PATCH', 'DELETE']);

/**
 * Whether a request may be sent again after an answer that may or may not have been
 * applied: reads; writes made conditional on the version they saw (a repeat after
 * success meets 412, never a second write); or what the connector marked, because its
 * own idempotency makes a repeat harmless.
 */
export function isRepeatable(method: string, headers: Headers, marked: boolean | undefined): boolean {
  if (marked !== undefined) return marked;
  const m = method.toUpperCase();
  if (SAFE_METHODS.has(m)) return true;
  return CONDITIONAL_WRITES.has(m) && (headers.has('if-match') || headers.has('if-none-match'));
}

/** The wait before retry number `attempt` (1-based): uniform in [0, cap], never shorter than the remote's Retry-After. */
export function retryDelayMs(attempt: number, err: TimebridgeError, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.min(cap, Math.floor(random() * (cap + 1)));
  const floor = err.retryAfter === undefined ? 0 : Math.ceil(err.retryAfter * 1000);
  return Math.max(jittered, floor);
}

export interface RetryEvent {
  method: string;
  path: string;
  /** The try that just failed (1 for the first). */
  attempt: number;
  delayMs: number;
  error: TimebridgeError;
}

export interface Retrier {
  policy: RetryPolicy;
  budget: RetryBudget;
  clock: Clock;
  /** Called before each wait (count it, log it). */
  onRetry(e: RetryEvent): void;
  /** A rate-limited answer: hold back every request of the account this long. */
  pause(ms: number): void;
}

/** Why a retryable error left the client: written into its details and its hint. */
type GaveUp = 'unsafe' | 'attempts' | 'budget';

/**
 * Runs `op` and repeats it after transient and rate-limited errors while `repeatable`,
 * the attempts and the budget allow. An error that gave up for attempts or budget is not
 * retried again by an enclosing operation.
 */
export async function withRetries<T>(r: Retrier, where: { method: string; path: string }, repeatable: boolean, op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!isTimebridgeError(err) || !err.retryable || exhausted(err)) throw err;
      const delayMs = retryDelayMs(attempt, err, r.policy, r.clock.random);
      // The whole account waits, but no longer than this run may still wait: past that the requests fail fast and the next run goes on.
      if (err.kind === 'rate_limited') r.pause(Math.min(delayMs, r.budget.budgetMs - r.budget.spentMs));
      if (!repeatable) throw gaveUp(err, 'unsafe', attempt, delayMs, r);
      if (attempt >= r.policy.maxAttempts) throw gaveUp(err, 'attempts', attempt, delayMs, r);
      if (!r.budget.take(delayMs)) throw gaveUp(err, 'budget', attempt, delayMs, r);
      r.onRetry({ ...where, attempt, delayMs, error: err });
      await r.clock.sleep(delayMs);
    }
  }
}

function exhausted(err: TimebridgeError): boolean {
  const g = err.details?.['gaveUp'];
  return g === 'attempts' || g === 'budget';
}

/** The hint an error had before the retry code added what it did (an enclosing operation may give up again). */
const baseHints = new WeakMap<TimebridgeError, string>();

function gaveUp(err: TimebridgeError, why: GaveUp, attempts: number, delayMs: number, r: Retrier): TimebridgeError {
  const s = Math.ceil(delayMs / 1000);
  const base = baseHints.get(err) ?? err.hint ?? '';
  const paused = err.kind === 'rate_limited' ? ` Every request to this account now waits ${s} s.` : '';
  const outcome = {
    unsafe: 'This request was not repeated within the run, as repeating it could apply it twice.',
    attempts: `It was tried ${times(attempts)} within this run.`,
    budget: `It was tried ${times(attempts)}; the next wait (${s} s) is more than is left of this run's retry budget (${Math.round(r.budget.budgetMs / 1000)} s).`,
  }[why];
  const next = 'The next run tries again (the service retries the job with backoff, after Retry-After when the server sent one).';
  const out = new TimebridgeError(err.code, err.message, {
    hint: `${base}${paused} ${outcome} ${next}`.trim(),
    ...(err.retryAfter !== undefined ? { retryAfter: err.retryAfter } : why === 'budget' ? { retryAfter: s } : {}),
    ...(err.cause !== undefined ? { cause: err.cause } : {}),
    details: { ...err.details, attempts, gaveUp: why },
  });
  baseHints.set(out, base);
  return out;
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}
