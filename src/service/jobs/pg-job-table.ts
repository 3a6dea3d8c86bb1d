/**
 * The logical job table of the pg-boss queue (see pgboss-queue.ts for why it exists):
 * its migrations, the row ⇄ Job mapping and the SQL shared by several operations.
 * It lives in the pg-boss schema, so one schema holds the whole queue.
 */
import { withTransaction } from '../../store/postgres/pg-pool.js';
import type pg from 'pg';
import type { Job, JobState } from './types.js';

export const JOB_TABLE = 'timebridge_job';

/** Applied in order; the version lives in `<schema>.timebridge_version`. */
export const PG_MIGRATIONS: readonly ((schema: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.${JOB_TABLE} (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      link_id text NOT NULL,
      data jsonb NOT NULL,
      state text NOT NULL CHECK (state IN ('queued', 'active', 'done', 'dead')),
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL,
      run_after timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      last_error jsonb,
      result jsonb,
      dedupe_key text,
      -- the pg-boss job that delivers the next try (queued jobs only)
      boss_id uuid,
      -- the delivery that started the running try (active jobs only): settlements must match it
      claim uuid,
      -- deliveries put back because the link was busy, since the last start: spaces the next one out
      link_waits integer NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX ${JOB_TABLE}_dedupe_queued ON ${s}.${JOB_TABLE} (dedupe_key) WHERE state = 'queued';
    CREATE UNIQUE INDEX ${JOB_TABLE}_link_active ON ${s}.${JOB_TABLE} (link_id) WHERE state = 'active';
    CREATE INDEX ${JOB_TABLE}_queued_due ON ${s}.${JOB_TABLE} (run_after) WHERE state = 'queued';
    CREATE INDEX ${JOB_TABLE}_state_seq ON ${s}.${JOB_TABLE} (state, seq);
    CREATE INDEX ${JOB_TABLE}_link_seq ON ${s}.${JOB_TABLE} (link_id, seq);
    CREATE INDEX ${JOB_TABLE}_done_finished ON ${s}.${JOB_TABLE} (finished_at) WHERE state = 'done';`,
];

export const JOB_COLUMNS = `id, data, state, attempts, max_attempts, run_after, created_at, started_at, finished_at,
  last_error, result, dedupe_key, claim`;

const iso = (v: unknown): string | null => (v === null ? null : (v as Date).toISOString());

export function toJob(r: Record<string, unknown>): Job {
  return {
    id: r.id as string,
    data: r.data as Job['data'],
    state: r.state as JobState,
    attempts: r.attempts as number,
    maxAttempts: r.max_attempts as number,
    runAfter: iso(r.run_after) as string,
    createdAt: iso(r.created_at) as string,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    lastError: r.last_error as Job['lastError'],
    result: r.result as Job['result'],
    dedupeKey: r.dedupe_key as string | null,
  };
}

/** Queued again: the job gives its dedupe key up when another queued job holds it. */
export const requeueKey = (s: string): string => `dedupe_key = CASE WHEN EXISTS (SELECT 1 FROM ${s}.${JOB_TABLE} o
  WHERE o.dedupe_key = t.dedupe_key AND o.state = 'queued' AND o.id <> t.id) THEN NULL ELSE t.dedupe_key END`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are uuids; anything else names no job (and must not reach a uuid cast). */
export const isJobId = (id: string): boolean => UUID.test(id);

/** Runs `fn` in one transaction; a unique violation (a concurrent enqueue took a dedupe key) retries it. */
export async function transaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(pool, fn);
    } catch (err) {
      if ((err as { code?: string }).code !== '23505' || attempt >= tries) throw err;
    }
  }
}
