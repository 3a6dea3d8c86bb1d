/**
 * What becomes of a job after one try, as data: both queues compute it here and only
 * apply it (one conditional UPDATE, plus pg-boss calls on PostgreSQL).
 */
import { decideRetry, jobError, type JobError, type RetryPolicy } from './retry.js';
import type { Job } from './types.js';

export type TryOutcome =
  | { kind: 'returned'; result: unknown }
  | { kind: 'threw'; error: unknown }
  /** The worker stopped the try (its signal was aborted, or it outlived the stop). */
  | { kind: 'interrupted' };

export type Settlement =
  | { kind: 'done'; result: Record<string, unknown> | null }
  /** Queued again after `delayMs`; the try counts. */
  | { kind: 'retry'; delayMs: number; error: JobError }
  | { kind: 'dead'; error: JobError }
  /** Queued again at once; the try does not count (attempts − 1). */
  | { kind: 'release' };

export type BackoffOptions = Omit<RetryPolicy, 'maxAttempts'>;

const asResult = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

export function settle(job: Job, outcome: TryOutcome, backoff: BackoffOptions, random: () => number): Settlement {
  if (outcome.kind === 'interrupted') return { kind: 'release' };
  if (outcome.kind === 'returned') return { kind: 'done', result: asResult(outcome.result) };
  const decision = decideRetry(job.attempts, outcome.error, { ...backoff, maxAttempts: job.maxAttempts }, random);
  const error = jobError(outcome.error);
  return decision.retry ? { kind: 'retry', delayMs: decision.delayMs, error } : { kind: 'dead', error };
}
