/**
 * The queue's retry policy, pure: after a failed try, either when to try again or that
 * the job is dead. Retryability is a property of the error's kind (core/errors.ts); the
 * delay is full-jitter exponential backoff, except that a remote's Retry-After always
 * wins over a shorter backoff.
 */
import { RETRYABLE_KINDS, describeError, isTimebridgeError } from '../../core/errors.js';
import type { Job } from './types.js';

export interface RetryPolicy {
  /** Tries before a job is dead. */
  maxAttempts: number;
  /** Backoff cap of the first retry, in ms; doubles per try. */
  baseDelayMs: number;
  /** The backoff never exceeds this (a Retry-After may). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 };

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/** What a job records of a failed try: the error's catalog description and the remote's Retry-After. */
export type JobError = NonNullable<Job['lastError']>;

export function jobError(err: unknown): JobError {
  const info = describeError(err);
  const retryAfter = isTimebridgeError(err) ? err.retryAfter : undefined;
  return retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter > 0 ? { ...info, retryAfter } : info;
}

/** The upper bound of the jittered backoff after try `attempt` (1-based). */
export function backoffCapMs(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  const exponent = Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
}

/**
 * `attempt` is the try that just failed (1 for the first). `random` returns a number in
 * [0, 1) (1 is tolerated, for tests) and picks the delay uniformly in [0, cap].
 */
export function decideRetry(attempt: number, err: unknown, policy: RetryPolicy, random: () => number): RetryDecision {
  const error = jobError(err);
  if (!RETRYABLE_KINDS.has(error.kind) || attempt >= policy.maxAttempts) return { retry: false };
  const cap = backoffCapMs(attempt, policy);
  const jittered = Math.min(cap, Math.floor(random() * (cap + 1)));
  const floor = error.retryAfter === undefined ? 0 : Math.ceil(error.retryAfter * 1000);
  return { retry: true, delayMs: Math.max(jittered, floor) };
}
