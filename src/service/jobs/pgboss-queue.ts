/**
 * The job queue on PostgreSQL with pg-boss 10, for any number of worker processes.
 *
 * Two tables in one schema. `timebridge_job` (pg-job-table.ts) is the job as the
 * JobQueue contract sees it: one row and one id for its whole life (state, attempts,
 * runAfter, lastError, result, dedupe key); get/list/counts/retry read and write only it.
 * pg-boss delivers tries: each try of a job is one pg-boss job (standard policy, no
 * pg-boss retries) carrying the logical id, sent with `startAfter` = our backoff, in the
 * same transaction that queues the logical job — so the Retry-After/backoff policy is
 * ours (retry.ts), not pg-boss's fixed retryDelay.
 *
 * Exactly once: pg-boss `fetch` hands a delivery to one process (FOR UPDATE SKIP
 * LOCKED); a claim then moves the logical job from `queued` to `active` only while it
 * still names that delivery (`boss_id`) and completes the delivery in the same
 * transaction. Every re-queue (retry, release, `retry()`, recovery) sends a fresh
 * delivery and renames it, so a stale delivery can never start a second run.
 *
 * Per-link exclusion: a session advisory lock per link (pg-link-locks.ts), taken before
 * the claim and held until the handler returns; a unique index (one active job per link)
 * backs it up. pg-boss's `singleton` policy was tried first
 * (test/service/jobs/fixtures/singleton-experiment.ts): its unique index does keep two
 * jobs of a key from being active, but `fetch` then returns nothing at all while the
 * oldest queued job's link is busy — every other link waits behind it. A delivery whose
 * link is busy is put back instead (completed and re-sent a little later, 50 ms doubling
 * to 2 s per consecutive wait) without counting a try.
 *
 * Dead processes: an `active` job whose link lock nobody holds was left by a process
 * that died; a claim of that link, `start()` and a sweep every 30 s queue it again,
 * uncounted. The sweep also re-sends deliveries that were lost (archived, expired, or
 * fetched by a process that died before claiming). Times are the database's clock
 * (`clock` is not used), so processes on several hosts agree on what is due.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { DEFAULT_RETRY_POLICY } from './retry.js';
import type { Settlement } from './settlement.js';
import { JOB_COLUMNS, JOB_TABLE, PG_MIGRATIONS, isJobId, requeueKey, toJob, transaction } from './pg-job-table.js';
import { PgLinkLocks } from './pg-link-locks.js';
import type { JobQueue, QueueOptions, RunJobData } from './types.js';
import { DEFAULT_ABANDON_AFTER_MS, LoopSlot, countsByState, reportToStderr, type Claim, type LoopBackend, type QueueHooks } from './worker-loop.js';

export const DEFAULT_PG_SCHEMA = 'timebridge_jobs';
const QUEUE = 'timebridge-run-link';
const SWEEP_MS = 30_000;
/** A delivery fetched this long ago whose job was never claimed belongs to a process that died. */
const LOST_DELIVERY_S = 60;
const PRUNE_DONE_AFTER = '7 days';
const busyDelayMs = (waits: number): number => Math.min(2000, 50 * 2 ** Math.min(waits, 6));

type Tx = pg.PoolClient;
interface Delivery {
  jobId: string;
  linkId: string;
}

export function openPgBossQueue(opts: { url: string; schema?: string } & QueueOptions & QueueHooks): JobQueue {
  const schema = opts.schema ?? DEFAULT_PG_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,49}$/.test(schema)) throw new Error(`The queue schema "${schema}" must be a lower-case SQL name.`);
  const T = `${schema}.${JOB_TABLE}`;
  const onError = opts.onError ?? reportToStderr;
  const random = opts.random ?? Math.random;
  const policy = {
    maxAttempts: opts.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    baseDelayMs: opts.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
    maxDelayMs: opts.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
  };
  const pool = new pg.Pool({ connectionString: opts.url, application_name: 'timebridge-queue' });
  pool.on('error', onError);
  const asDb = (c: pg.Pool | Tx): PgBoss.Db => ({ executeSql: (text, values) => c.query(text, values) });
  const boss = new PgBoss({ db: asDb(pool), schema, schedule: false });
  boss.on('error', onError);
  const locks = new PgLinkLocks(opts.url, schema, (err) => {
    onError(err);
    slot.abortAll();
  });

  /** A new delivery for a job about to be queued; the caller stores its id as boss_id in the same transaction. */
  const deliver = async (c: Tx, bossId: string, data: Delivery, delayMs: number): Promise<void> => {
    await boss.send(QUEUE, data, { id: bossId, db: asDb(c), ...(delayMs > 0 ? { startAfter: delayMs / 1000 } : {}) });
  };
  const delivery = (data: RunJobData & { id: string }): Delivery => ({ jobId: data.id, linkId: data.linkId });

  /** Queue active jobs of a link again, uncounted; only for links whose lock this process holds. */
  const releaseOrphans = async (c: Tx, linkId: string): Promise<void> => {
    const { rows } = await c.query(`SELECT id, claim FROM ${T} WHERE link_id = $1 AND state = 'active' FOR UPDATE`, [linkId]);
    for (const r of rows) await requeue(c, r.id as string, r.claim as string, { kind: 'release' }, linkId);
  };

  /** Retry or release a claimed job: queued again with a fresh delivery. */
  const requeue = async (c: Tx, id: string, claim: string, st: Settlement & { kind: 'retry' | 'release' }, linkId: string): Promise<void> => {
    const bossId = randomUUID();
    const delayMs = st.kind === 'retry' ? st.delayMs : 0;
    const { rowCount } = await c.query(
      `UPDATE ${T} t SET state = 'queued', boss_id = $3, claim = NULL, link_waits = 0,
        run_after = now() + $4 * interval '1 millisecond', ${requeueKey(schema)},
        ${st.kind === 'retry' ? 'last_error = $5' : 'attempts = GREATEST(t.attempts - 1, 0)'}
      WHERE id = $1 AND claim = $2 AND state = 'active'`,
      st.kind === 'retry' ? [id, claim, bossId, delayMs, st.error] : [id, claim, bossId, delayMs],
    );
    if (rowCount === 1) await deliver(c, bossId, { jobId: id, linkId }, delayMs);
  };

  const applySettlement = (claim: Claim, st: Settlement) =>
    transaction(pool, async (c) => {
      const { id } = claim.job;
      if (st.kind === 'done') {
        await c.query(
          `UPDATE ${T} SET state = 'done', result = $3, finished_at = now(), claim = NULL
        WHERE id = $1 AND claim = $2 AND state = 'active'`,
          [id, claim.token, st.result],
        );
      } else if (st.kind === 'dead') {
        await c.query(
          `UPDATE ${T} SET state = 'dead', last_error = $3, finished_at = now(), claim = NULL
        WHERE id = $1 AND claim = $2 AND state = 'active'`,
          [id, claim.token, st.error],
        );
      } else {
        await requeue(c, id, claim.token, st, claim.job.data.linkId);
      }
    });

  /** The delivery's link is busy: send it again a little later, without counting a try. */
  const putBack = (bossId: string, d: Delivery) =>
    transaction(pool, async (c) => {
      const next = randomUUID();
      const { rows } = await c.query(
        `UPDATE ${T} SET boss_id = $3, link_waits = link_waits + 1,
        run_after = now() + (LEAST(2000, 50 * power(2, LEAST(link_waits, 6)))) * interval '1 millisecond'
      WHERE id = $1 AND boss_id = $2 AND state = 'queued' RETURNING link_waits`,
        [d.jobId, bossId, next],
      );
      if (rows[0]) await deliver(c, next, d, busyDelayMs((rows[0].link_waits as number) - 1));
      await boss.complete(QUEUE, bossId, { putBack: 'link busy' }, { db: asDb(c) });
    });

  const claimDelivery = (bossId: string, d: Delivery) =>
    transaction(pool, async (c) => {
      await releaseOrphans(c, d.linkId);
      const token = randomUUID();
      const { rows } = await c.query(
        `UPDATE ${T} SET state = 'active', attempts = attempts + 1, started_at = now(),
        boss_id = NULL, claim = $3, link_waits = 0
      WHERE id = $1 AND boss_id = $2 AND state = 'queued' RETURNING ${JOB_COLUMNS}`,
        [d.jobId, bossId, token],
      );
      await boss.complete(QUEUE, bossId, rows[0] ? { claimed: true } : { stale: true }, { db: asDb(c) });
      return rows[0] ? { job: toJob(rows[0]), token } : null;
    });

  /** Fetches deliveries until one is claimed, one comes back empty, or none is due. */
  const claimNext = async (): Promise<Claim | null> => {
    for (;;) {
      const [b] = await boss.fetch<Delivery>(QUEUE);
      if (!b) return null;
      if (!(await locks.tryLock(b.data.linkId))) {
        await putBack(b.id, b.data);
        continue;
      }
      let claim: Claim | null = null;
      try {
        claim = await claimDelivery(b.id, b.data);
      } finally {
        if (!claim) await locks.unlock(b.data.linkId);
      }
      if (claim) return claim;
    }
  };

  /** Orphaned active jobs (their link lock is free) and lost deliveries of queued jobs. */
  const sweep = async (): Promise<void> => {
    const { rows: links } = await pool.query(`SELECT DISTINCT link_id FROM ${T} WHERE state = 'active'`);
    for (const { link_id: linkId } of links as { link_id: string }[]) {
      if (locks.holds(linkId) || !(await locks.tryLock(linkId))) continue;
      try {
        await transaction(pool, (c) => releaseOrphans(c, linkId));
      } finally {
        await locks.unlock(linkId);
      }
    }
    const { rows: lost } = await pool.query(
      `SELECT t.id, t.link_id, t.boss_id FROM ${T} t
      LEFT JOIN ${schema}.job b ON b.name = $1 AND b.id = t.boss_id
      WHERE t.state = 'queued' AND (b.id IS NULL OR b.state IN ('completed', 'cancelled', 'failed')
        OR (b.state = 'active' AND b.started_on < now() - $2 * interval '1 second'))`,
      [QUEUE, LOST_DELIVERY_S],
    );
    for (const r of lost) {
      await transaction(pool, async (c) => {
        const next = randomUUID();
        const { rowCount } = await c.query(
          `UPDATE ${T} SET boss_id = $3, run_after = GREATEST(run_after, now())
          WHERE id = $1 AND boss_id IS NOT DISTINCT FROM $2 AND state = 'queued'`,
          [r.id, r.boss_id, next],
        );
        if (rowCount === 1) await deliver(c, next, { jobId: r.id as string, linkId: r.link_id as string }, 0);
      });
    }
  };

  const migrate = () =>
    transaction(pool, async (c) => {
      await c.query(`CREATE TABLE IF NOT EXISTS ${schema}.timebridge_version (version integer NOT NULL)`);
      const { rows } = await c.query(`SELECT version FROM ${schema}.timebridge_version`);
      const current = (rows[0]?.version as number | undefined) ?? 0;
      if (current > PG_MIGRATIONS.length) {
        throw new Error(`The job queue schema ${schema} has version ${current}; this Timebridge knows up to ${PG_MIGRATIONS.length}. Upgrade Timebridge.`);
      }
      for (const m of PG_MIGRATIONS.slice(current)) await c.query(m(schema));
      await c.query(`DELETE FROM ${schema}.timebridge_version`);
      await c.query(`INSERT INTO ${schema}.timebridge_version (version) VALUES ($1)`, [PG_MIGRATIONS.length]);
    });

  /**
   * Installing pg-boss, its queue (a partition table: two processes creating it together
   * deadlock) and our table, one process at a time.
   */
  const install = async (): Promise<void> => {
    const c = await pool.connect();
    const key = [`timebridge:${schema}:install`];
    try {
      await c.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', key);
      await boss.start();
      if (!(await boss.getQueue(QUEUE))) await boss.createQueue(QUEUE, { name: QUEUE, policy: 'standard', retryLimit: 0 });
      await migrate();
    } finally {
      await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', key).finally(() => c.release());
    }
  };

  const backend: LoopBackend = {
    claim: claimNext,
    async settle(claim, st) {
      await applySettlement(claim, st);
    },
    async released(claim) {
      await locks.unlock(claim.job.data.linkId);
    },
    async nextDueInMs() {
      const { rows } = await pool.query(`SELECT EXTRACT(EPOCH FROM MIN(run_after) - now()) * 1000 AS ms
        FROM ${T} WHERE state = 'queued' AND run_after > now()`);
      return rows[0]?.ms === null || rows[0]?.ms === undefined ? null : Number(rows[0].ms);
    },
    sweep,
  };
  const slot = new LoopSlot(backend, {
    backoff: policy,
    random,
    onError,
    abandonAfterMs: opts.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS,
    sweepMs: SWEEP_MS,
  });

  const queue: JobQueue = {
    async start() {
      await install();
      await sweep();
      await pool.query(`DELETE FROM ${T} WHERE state = 'done' AND finished_at < now() - interval '${PRUNE_DONE_AFTER}'`);
    },
    async enqueue(data, eo = {}) {
      const id = randomUUID(),
        bossId = randomUUID(),
        delayMs = eo.delayMs ?? 0;
      const out = await transaction(pool, async (c) => {
        const { rows } = await c.query(
          `INSERT INTO ${T} (id, link_id, data, state, max_attempts, run_after, dedupe_key, boss_id)
          VALUES ($1, $2, $3, 'queued', $4, now() + $5 * interval '1 millisecond', $6, $7)
          ON CONFLICT (dedupe_key) WHERE state = 'queued' DO UPDATE SET dedupe_key = EXCLUDED.dedupe_key
          RETURNING id`,
          [id, data.linkId, data, eo.maxAttempts ?? policy.maxAttempts, delayMs, eo.dedupeKey ?? null, bossId],
        );
        const folded = rows[0]?.id !== id;
        if (!folded) await deliver(c, bossId, delivery({ ...data, id }), delayMs);
        return { id: rows[0]?.id as string, folded };
      });
      slot.wake();
      return out;
    },
    async work(handler, wo) {
      slot.start(handler, wo);
    },
    async stop(so = {}) {
      await slot.stop(so.graceMs);
    },
    async get(id) {
      if (!isJobId(id)) return null;
      const { rows } = await pool.query(`SELECT ${JOB_COLUMNS} FROM ${T} WHERE id = $1`, [id]);
      return rows[0] ? toJob(rows[0]) : null;
    },
    async list(lo) {
      const { rows } = await pool.query(
        `SELECT ${JOB_COLUMNS} FROM ${T}
        WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR link_id = $2) ORDER BY seq DESC LIMIT $3`,
        [lo.state ?? null, lo.linkId ?? null, lo.limit],
      );
      return rows.map(toJob);
    },
    async counts() {
      return countsByState((await pool.query(`SELECT state, COUNT(*)::int AS n FROM ${T} GROUP BY state`)).rows);
    },
    async retry(id) {
      if (!isJobId(id)) return false;
      const revived = await transaction(pool, async (c) => {
        const bossId = randomUUID();
        const { rows } = await c.query(
          `UPDATE ${T} t SET state = 'queued', attempts = 0, run_after = now(), finished_at = NULL,
            boss_id = $2, ${requeueKey(schema)} WHERE id = $1 AND state = 'dead' RETURNING link_id`,
          [id, bossId],
        );
        if (rows[0]) await deliver(c, bossId, { jobId: id, linkId: rows[0].link_id as string }, 0);
        return rows.length === 1;
      });
      if (revived) slot.wake();
      return revived;
    },
    async close() {
      await queue.stop({ graceMs: 0 });
      await boss.stop({ graceful: false, close: false });
      await locks.close();
      await pool.end();
    },
  };
  return queue;
}
