/**
 * The job queue the service runs links through. Two implementations share this
 * interface and one contract suite (service/jobs/contract.ts): a durable queue in a
 * SQLite file for the one-process default, and pg-boss on PostgreSQL for any number of
 * `timebridge worker` processes.
 *
 * A job is "run this link once". The queue, not the handler, owns the retry policy
 * (service/jobs/retry.ts): a handler that throws a retryable error (kind `transient` or
 * `rate_limited`, see core/errors.ts) is tried again after an exponential backoff with
 * jitter, or after the error's `retryAfter` seconds when the remote sent one; after
 * `maxAttempts` tries, or at once for an error that retrying cannot fix, the job is
 * `dead` (dead-lettered) and stays visible until someone retries or it is pruned.
 */
import type { ErrorInfo } from '../../core/errors.js';

export interface RunJobData {
  /** `link:<name>` */
  linkId: string;
  /** Why the run happens: `webhook`, `schedule`, `api`, `cli`… */
  trigger: string;
  /** Read the whole hub scope instead of the change log (a reconcile). */
  full?: boolean;
  allowDeletes?: boolean;
  /** Unpark the link's refused items and try them again (RunOptions.retryParked). */
  retryParked?: boolean;
  /** When the webhook that caused this run (or the run that led to it) arrived, for latency metrics. */
  receivedAt?: string;
  /** Read the external side for this window instead of the link's own (RunOptions.window). */
  window?: { start: string; end: string };
  /** Read only these external items (RunOptions.only). */
  only?: string[];
  /** Apply only if the fresh plan has exactly these actions (RunOptions.expect): a plan reviewed in the dashboard. */
  expect?: import('../../core/plan-types.js').Plan;
  /** Not a link run: an approval's form and e-mail (app/approval-outbox.ts); `linkId` is then `outbox:approval:<reservation id>`. */
  approval?: import('../../app/approval-outbox.js').ApprovalJobData;
  /** Not a link run: a chat notice or daily summary (app/chat-outbox.ts); `linkId` is then `outbox:chat:<connection>`. */
  chat?: import('../../app/chat-outbox.js').ChatJobData;
  /** Not a link run: start a timer a webhook cued (service/timer-cues.ts); `linkId` is then `cue:timer:<connection>:<delivery>`. */
  timerCue?: import('../timer-cues.js').TimerCueJob;
  /** Not a link run: expand a link template, then queue a run of each of its enabled links (or of one collection's, `key`); `linkId` is then `template:<name>`. */
  template?: { name: string; key?: string };
}

export type JobState =
  /** Waiting for its `runAfter` time or a free worker. */
  | 'queued'
  | 'active'
  | 'done'
  /** Gave up: attempts used up, or an error retrying cannot fix. */
  | 'dead';

export const JOB_STATES: readonly JobState[] = ['queued', 'active', 'done', 'dead'];

export interface Job {
  id: string;
  data: RunJobData;
  state: JobState;
  /** Tries started so far (1 while the first try runs). */
  attempts: number;
  maxAttempts: number;
  /** Not before this time (ISO). */
  runAfter: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The error of the last failed try. */
  lastError: (ErrorInfo & { retryAfter?: number }) | null;
  /** What the handler returned on success (e.g. `{ runId }`). */
  result: Record<string, unknown> | null;
  dedupeKey: string | null;
}

export interface EnqueueOptions {
  /** Run no sooner than this many ms from now (a webhook's grace period). */
  delayMs?: number;
  /**
   * While a job with this key is still `queued` (not started), enqueueing folds into it:
   * no new job is made and the existing id is returned with `folded: true`.
   */
  dedupeKey?: string;
  /** Defaults to the queue's `maxAttempts`. */
  maxAttempts?: number;
}

export interface JobContext {
  /** Aborted when the worker is stopping: finish the current item and return or throw. */
  signal: AbortSignal;
}

export type JobHandler = (job: Job, ctx: JobContext) => Promise<Record<string, unknown>>;

export interface WorkOptions {
  /** Jobs run at the same time by this process (never two of one link, across all processes). */
  concurrency: number;
  /** How often an idle worker looks for due jobs, in ms (also woken at once by enqueues in this process). */
  pollMs?: number;
}

export interface QueueOptions {
  /** Tries before a job is dead (default 5). */
  maxAttempts?: number;
  /** First retry delay in ms (default 1000); doubles per try, with full jitter, capped by maxDelayMs. */
  baseDelayMs?: number;
  /** Cap of the backoff delay in ms (default 5 minutes). */
  maxDelayMs?: number;
  /** Test hook for the jitter (default Math.random). */
  random?: () => number;
  clock?: () => Date;
}

export interface JobQueue {
  /** Prepare storage (tables, pg-boss schema). Jobs left `active` by a process that died are queued again. */
  start(): Promise<void>;
  enqueue(data: RunJobData, opts?: EnqueueOptions): Promise<{ id: string; folded: boolean }>;
  /** Start taking jobs with this handler. */
  work(handler: JobHandler, opts: WorkOptions): Promise<void>;
  /**
   * Stop taking jobs; abort the running handlers' signals after `graceMs` and wait for
   * them to return. A job whose handler did not finish is queued again (not counted as a try).
   */
  stop(opts?: { graceMs?: number }): Promise<void>;
  get(id: string): Promise<Job | null>;
  /** Newest first. */
  list(opts: { state?: JobState; linkId?: string; limit: number }): Promise<Job[]>;
  /** Jobs per state (for /metrics and /readyz). */
  counts(): Promise<Record<JobState, number>>;
  /** Queue a dead job again with fresh attempts; false when the id is not a dead job. */
  retry(id: string): Promise<boolean>;
  close(): Promise<void>;
}
