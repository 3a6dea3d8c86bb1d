/**
 * The durable job queue in its own SQLite file (better-sqlite3), for the one-process
 * default. Every state change is one statement or one IMMEDIATE transaction, so a claim
 * is atomic even if a second process opened the file; but jobs left `active` are taken
 * for a dead process's by `start()`, so one file serves one worker process at a time.
 *
 * Per-link exclusion: a claim takes only a job whose link has no active job, and a
 * unique partial index (one active job per link) makes the database refuse anything else.
 * Dedupe: a unique partial index on dedupe_key over queued jobs; a job queued again (a
 * retry, a release, `retry()`) while another queued job holds its key gives the key up.
 * Each claim carries a fresh token; a settlement applies only while the job still has it.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TimebridgeError } from '../../core/errors.js';
import { keepAlive } from '../../store/sqlite/keep-alive.js';
import { DEFAULT_RETRY_POLICY } from './retry.js';
import type { Settlement } from './settlement.js';
import type { Job, JobQueue, JobState, QueueOptions } from './types.js';
import { DEFAULT_ABANDON_AFTER_MS, LoopSlot, countsByState, reportToStderr, type Claim, type LoopBackend, type QueueHooks } from './worker-loop.js';

type Db = Database.Database;
type Row = Record<string, unknown>;

const PRUNE_DONE_AFTER_MS = 7 * 24 * 3600_000;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     link_id TEXT NOT NULL,
     data TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('queued', 'active', 'done', 'dead')),
     attempts INTEGER NOT NULL DEFAULT 0,
     max_attempts INTEGER NOT NULL,
     run_after TEXT NOT NULL,
     created_at TEXT NOT NULL,
     started_at TEXT,
     finished_at TEXT,
     last_error TEXT,
     result TEXT,
     dedupe_key TEXT,
     claim TEXT
   );
   CREATE UNIQUE INDEX jobs_dedupe_queued ON jobs (dedupe_key) WHERE state = 'queued';
   CREATE UNIQUE INDEX jobs_link_active ON jobs (link_id) WHERE state = 'active';
   CREATE INDEX jobs_queued_due ON jobs (run_after) WHERE state = 'queued';
   CREATE INDEX jobs_state_seq ON jobs (state, seq);
   CREATE INDEX jobs_link_seq ON jobs (link_id, seq);
   CREATE INDEX jobs_done_finished ON jobs (finished_at) WHERE state = 'done';`,
];

function openDatabase(path: string): Db {
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
  const db = keepAlive(new Database(path));
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    const version = keepAlive(db.prepare<[], number>('PRAGMA user_version').pluck());
    db.transaction(() => {
      const current = version.get() ?? 0;
      if (current > MIGRATIONS.length) {
        throw new TimebridgeError(
          'STORE_CORRUPT',
          `The job queue ${path} has schema version ${current}, but this Timebridge only knows versions up to ${MIGRATIONS.length}.`,
          {
            hint: 'upgrade Timebridge, or point the queue at a new file (queued jobs in the old one are not run)',
          },
        );
      }
      MIGRATIONS.slice(current).forEach((sql, i) => db.exec(`${sql}\nPRAGMA user_version = ${current + i + 1};`));
    }).immediate();
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const parsed = <T>(v: unknown): T | null => (v === null ? null : (JSON.parse(v as string) as T));

function toJob(r: Row): Job {
  return {
    id: r.id as string,
    data: JSON.parse(r.data as string) as Job['data'],
    state: r.state as JobState,
    attempts: r.attempts as number,
    maxAttempts: r.max_attempts as number,
    runAfter: r.run_after as string,
    createdAt: r.created_at as string,
    startedAt: r.started_at as string | null,
    finishedAt: r.finished_at as string | null,
    lastError: parsed<Job['lastError']>(r.last_error),
    result: parsed<Job['result']>(r.result),
    dedupeKey: r.dedupe_key as string | null,
  };
}

/** Queued again: the job gives its dedupe key up when another queued job holds it. */
const REQUEUE_KEY = `dedupe_key = CASE WHEN EXISTS (SELECT 1 FROM jobs o WHERE o.dedupe_key = jobs.dedupe_key
  AND o.state = 'queued' AND o.id <> jobs.id) THEN NULL ELSE dedupe_key END`;

function prepare(db: Db) {
  const p = (sql: string) => keepAlive(db.prepare<unknown[], Row>(sql));
  return {
    insert: p(`INSERT INTO jobs (id, link_id, data, state, max_attempts, run_after, created_at, dedupe_key)
      VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)`),
    queuedByKey: p("SELECT id FROM jobs WHERE dedupe_key = ? AND state = 'queued'"),
    get: p('SELECT * FROM jobs WHERE id = ?'),
    list: p(`SELECT * FROM jobs WHERE (@state IS NULL OR state = @state) AND (@link IS NULL OR link_id = @link)
      ORDER BY seq DESC LIMIT @limit`),
    counts: p('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state'),
    // The oldest due job whose link has no active job and no handler still running here.
    claim: p(`UPDATE jobs SET state = 'active', attempts = attempts + 1, started_at = @now, claim = @claim
      WHERE seq = (SELECT j.seq FROM jobs j WHERE j.state = 'queued' AND j.run_after <= @now
        AND NOT EXISTS (SELECT 1 FROM jobs a WHERE a.link_id = j.link_id AND a.state = 'active')
        AND j.link_id NOT IN (SELECT value FROM json_each(@skip))
        ORDER BY j.seq LIMIT 1)
      RETURNING *`),
    nextDue: keepAlive(db.prepare<[string], string | null>("SELECT MIN(run_after) FROM jobs WHERE state = 'queued' AND run_after > ?").pluck()),
    done: p("UPDATE jobs SET state = 'done', result = ?, finished_at = ?, claim = NULL WHERE id = ? AND claim = ?"),
    retry: p(`UPDATE jobs SET state = 'queued', run_after = ?, last_error = ?, claim = NULL, ${REQUEUE_KEY}
      WHERE id = ? AND claim = ?`),
    dead: p("UPDATE jobs SET state = 'dead', last_error = ?, finished_at = ?, claim = NULL WHERE id = ? AND claim = ?"),
    release: p(`UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), run_after = ?, claim = NULL, ${REQUEUE_KEY}
      WHERE id = ? AND claim = ?`),
    activeClaims: keepAlive(db.prepare<[], unknown[]>("SELECT id, claim FROM jobs WHERE state = 'active'").raw()),
    revive: p(`UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, finished_at = NULL, ${REQUEUE_KEY}
      WHERE id = ? AND state = 'dead'`),
    prune: p("DELETE FROM jobs WHERE state = 'done' AND finished_at < ?"),
  };
}

export function openSqliteQueue(path: string, opts: QueueOptions & QueueHooks = {}): JobQueue {
  const db = openDatabase(path);
  const s = prepare(db);
  const clock = opts.clock ?? (() => new Date());
  const random = opts.random ?? Math.random;
  const policy = {
    maxAttempts: opts.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    baseDelayMs: opts.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
    maxDelayMs: opts.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
  };
  const onError = opts.onError ?? reportToStderr;
  const nowIso = (plusMs = 0): string => new Date(clock().getTime() + plusMs).toISOString();
  /** Links whose handler was given up on by stop() but has not returned yet: not claimed meanwhile. */
  const lingering = new Map<string, number>();

  const apply = (claim: Claim, st: Settlement): void => {
    const { id } = claim.job;
    if (st.kind === 'done') s.done.run(json(st.result), nowIso(), id, claim.token);
    else if (st.kind === 'retry') s.retry.run(nowIso(st.delayMs), json(st.error), id, claim.token);
    else if (st.kind === 'dead') s.dead.run(json(st.error), nowIso(), id, claim.token);
    else s.release.run(nowIso(), id, claim.token);
  };

  const backend: LoopBackend = {
    async claim() {
      const row = db.transaction(() => s.claim.get({ now: nowIso(), claim: randomUUID(), skip: JSON.stringify([...lingering.keys()]) })).immediate();
      return row ? { job: toJob(row), token: row.claim as string } : null;
    },
    async settle(claim, st, stillRunning) {
      db.transaction(apply).immediate(claim, st);
      const link = claim.job.data.linkId;
      if (stillRunning) lingering.set(link, (lingering.get(link) ?? 0) + 1);
    },
    async released(claim) {
      const link = claim.job.data.linkId;
      const n = lingering.get(link);
      if (n === undefined) return;
      if (n > 1) lingering.set(link, n - 1);
      else lingering.delete(link);
    },
    async nextDueInMs() {
      const next = s.nextDue.get(nowIso());
      return next ? Date.parse(next) - clock().getTime() : null;
    },
  };
  const slot = new LoopSlot(backend, {
    backoff: policy,
    random,
    onError,
    abandonAfterMs: opts.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS,
  });

  const recoverActive = db.transaction(() => {
    for (const [id, claim] of s.activeClaims.all()) s.release.run(nowIso(), id, claim);
  });

  const queue: JobQueue = {
    async start() {
      recoverActive.immediate();
      s.prune.run(nowIso(-PRUNE_DONE_AFTER_MS));
    },
    async enqueue(data, eo = {}) {
      const key = eo.dedupeKey ?? null;
      const result = db
        .transaction(() => {
          const existing = key === null ? undefined : s.queuedByKey.get(key);
          if (existing) return { id: existing.id as string, folded: true };
          const id = randomUUID();
          const now = clock().getTime();
          const at = (plusMs: number): string => new Date(now + plusMs).toISOString();
          s.insert.run(id, data.linkId, JSON.stringify(data), eo.maxAttempts ?? policy.maxAttempts, at(eo.delayMs ?? 0), at(0), key);
          return { id, folded: false };
        })
        .immediate();
      slot.wake();
      return result;
    },
    async work(handler, wo) {
      slot.start(handler, wo);
    },
    async stop(so = {}) {
      await slot.stop(so.graceMs);
    },
    async get(id) {
      const row = s.get.get(id);
      return row ? toJob(row) : null;
    },
    async list(lo) {
      return s.list.all({ state: lo.state ?? null, link: lo.linkId ?? null, limit: lo.limit }).map(toJob);
    },
    async counts() {
      return countsByState(s.counts.all());
    },
    async retry(id) {
      const changed = db.transaction(() => s.revive.run(nowIso(), id).changes).immediate();
      if (changed === 1) slot.wake();
      return changed === 1;
    },
    async close() {
      await queue.stop({ graceMs: 0 });
      db.close();
    },
  };
  return queue;
}
