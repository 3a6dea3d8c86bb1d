/**
 * Prometheus metrics (prom-client), one registry per service instance: runs by link and
 * status, plan actions by kind, errors by code, connector calls, HTTP requests that
 * waited for the account's bucket and HTTP retries per connection, queue depth by state,
 * webhook latency (receipt → 202, and receipt → the run's writes done), whether this
 * process leads, and the schedule ticks it fired.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { describeError } from '../core/errors.js';
import type { RunRecord } from '../store/types.js';
import type { JobQueue, JobState } from './jobs/types.js';

export interface Metrics {
  registry: Registry;
  recordRun(run: RunRecord): void;
  /** A run that ended by throwing (its record is saved as failed). */
  runFailed(linkId: string, err: unknown): void;
  apiCall(connection: string): void;
  /** An HTTP request waited for its account's bucket. */
  rateLimitWait(connection: string, ms: number): void;
  /** An HTTP request is retried within its run. */
  httpRetry(connection: string, kind: string): void;
  webhook(type: string, outcome: 'accepted' | 'rejected', seconds: number): void;
  webhookToDone(seconds: number): void;
  /** Whether this process leads (fires schedules, keeps push channels). */
  leading(leader: boolean): void;
  /** A schedule fired here: its run was queued, or folded into one still waiting. */
  scheduleTick(link: string, folded: boolean): void;
  /** A refused delivery; `logged` false when the log line was left out by the sampler. */
  webhookRefused(type: string, code: string, logged: boolean): void;
}

export function createMetrics(queue: () => JobQueue | null): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'timebridge_process_' });
  const runs = new Counter({ name: 'timebridge_runs_total', help: 'Finished runs by link and status', labelNames: ['link', 'status'], registers: [registry] });
  const actions = new Counter({ name: 'timebridge_actions_total', help: 'Applied plan actions by kind', labelNames: ['kind'], registers: [registry] });
  const errors = new Counter({ name: 'timebridge_errors_total', help: 'Run and item errors by code', labelNames: ['code'], registers: [registry] });
  const calls = new Counter({ name: 'timebridge_api_calls_total', help: 'Connector calls by connection', labelNames: ['connection'], registers: [registry] });
  const waits = new Counter({
    name: 'timebridge_rate_limit_waits_total',
    help: 'HTTP requests that waited for the rate limiter',
    labelNames: ['connection'],
    registers: [registry],
  });
  const waitSeconds = new Counter({
    name: 'timebridge_rate_limit_wait_seconds_total',
    help: 'Time spent waiting for the rate limiter',
    labelNames: ['connection'],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'timebridge_http_retries_total',
    help: 'HTTP requests retried within a run, by the error kind that caused it',
    labelNames: ['connection', 'kind'],
    registers: [registry],
  });
  const hooks = new Histogram({
    name: 'timebridge_webhook_response_seconds',
    help: 'Webhook receipt to answer',
    labelNames: ['type', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'timebridge_webhook_refused_total',
    help: 'Refused webhook deliveries by connector type and code',
    labelNames: ['type', 'code'],
    registers: [registry],
  });
  const unlogged = new Counter({
    name: 'timebridge_webhook_refusals_unlogged_total',
    help: 'Refused webhook deliveries left out of the log (sampled)',
    registers: [registry],
  });
  const hookToDone = new Histogram({
    name: 'timebridge_webhook_to_done_seconds',
    help: 'Webhook receipt to the end of the run it triggered',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'timebridge_leader',
    help: '1 while this process leads: it fires the schedules and keeps the push channels',
    registers: [registry],
  });
  const ticks = new Counter({
    name: 'timebridge_schedule_ticks_total',
    help: 'Schedule ticks fired by this process, by link and whether the run was queued or folded into a waiting one',
    labelNames: ['link', 'outcome'],
    registers: [registry],
  });
  new Gauge({
    name: 'timebridge_queue_jobs',
    help: 'Jobs in the queue by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const q = queue();
      if (!q) return;
      const counts = await q.counts();
      for (const [state, n] of Object.entries(counts) as [JobState, number][]) this.set({ state }, n);
    },
  });
  return {
    registry,
    recordRun(run) {
      runs.inc({ link: run.linkId, status: run.status });
      for (const [kind, n] of Object.entries(run.counts)) if (n) actions.inc({ kind }, n);
      for (const e of run.errors) errors.inc({ code: e.error.code });
    },
    runFailed(linkId, err) {
      runs.inc({ link: linkId, status: 'failed' });
      errors.inc({ code: describeError(err).code });
    },
    apiCall(connection) {
      calls.inc({ connection });
    },
    rateLimitWait(connection, ms) {
      waits.inc({ connection });
      waitSeconds.inc({ connection }, ms / 1000);
    },
    httpRetry(connection, kind) {
      retries.inc({ connection, kind });
    },
    webhook(type, outcome, seconds) {
      hooks.observe({ type, outcome }, seconds);
    },
    webhookToDone(seconds) {
      hookToDone.observe(seconds);
    },
    leading(isLeader) {
      leader.set(isLeader ? 1 : 0);
    },
    scheduleTick(link, folded) {
      ticks.inc({ link, outcome: folded ? 'folded' : 'queued' });
    },
    webhookRefused(type, code, logged) {
      refused.inc({ type, code });
      if (!logged) unlogged.inc();
    },
  };
}
