/**
 * The pg-boss queue across processes: two worker processes (fixtures/pg-worker.ts) on one
 * schema run 200 jobs of 20 links — each exactly once, never two of one link at the same
 * time (by the database clock), both processes taking part — and a process that dies
 * mid-job leaves an active job that the next start() queues again, uncounted, while a
 * live process's job is left alone.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { openPgBossQueue } from '../../../src/service/jobs/pgboss-queue.js';
import type { JobQueue } from '../../../src/service/jobs/types.js';
import { dropSchema, pgSkipReason, randomSchema, testPgUrl } from './pg.js';

const url = testPgUrl();
const skip = await pgSkipReason(url);
const WORKER = fileURLToPath(new URL('./fixtures/pg-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const children: ChildProcess[] = [];
const schemas: string[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (!skip) for (const s of schemas) await dropSchema(url, s);
});

interface Worker {
  child: ChildProcess;
  messages: Record<string, unknown>[];
  next: (key: string) => Promise<Record<string, unknown>>;
}

/** Starts a worker and resolves once it is working. */
async function startWorker(schema: string, mode: 'record' | 'hang', concurrency = 3): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TB_PG_URL: url, TB_SCHEMA: schema, TB_MODE: mode, TB_CONCURRENCY: String(concurrency) },
  });
  children.push(child);
  const messages: Record<string, unknown>[] = [];
  const waiters: { key: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line) as Record<string, unknown>;
    messages.push(msg);
    for (const w of waiters.filter((x) => x.key in msg)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(msg);
    }
  });
  const next = (key: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = messages.find((m) => key in m && !(m as { taken?: boolean }).taken);
      if (seen) return resolve(seen);
      waiters.push({ key, resolve });
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before saying ${key}`)));
    });
  await next('ready');
  return { child, messages, next };
}

async function stopWorker(w: Worker): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = once(w.child, 'exit');
  w.child.kill('SIGTERM');
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function openQueue(schema: string): Promise<JobQueue> {
  if (!schemas.includes(schema)) schemas.push(schema);
  const q = openPgBossQueue({ url, schema });
  await q.start().catch(async (err: unknown) => {
    await q.close();
    throw err;
  });
  return q;
}

describe('pg-boss queue across processes', { skip }, () => {
  it('two processes run 200 jobs of 20 links: each once, one link at a time, both working', async () => {
    const schema = randomSchema();
    const q = await openQueue(schema);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const workers: Worker[] = [];
    try {
      await db.query(`CREATE TABLE ${schema}.runs (job_id uuid, link text, pid int, phase text, at timestamptz)`);
      workers.push(await startWorker(schema, 'record'), await startWorker(schema, 'record'));
      const ids = new Set<string>();
      for (let i = 0; i < 200; i++) {
        // Runs of four jobs of one link, so the oldest due jobs are often of a busy link.
        ids.add((await q.enqueue({ linkId: `link:${Math.floor(i / 4) % 20}`, trigger: 'api' })).id);
      }
      await waitFor('200 jobs done', async () => (await q.counts()).done === 200, 60_000);
      const { rows } = await db.query<{ job_id: string; link: string; pid: number; phase: string; at: Date; us: string }>(
        `SELECT job_id, link, pid, phase, (EXTRACT(EPOCH FROM at) * 1e6)::bigint AS us FROM ${schema}.runs`,
      );
      const starts = rows.filter((r) => r.phase === 'start'),
        ends = rows.filter((r) => r.phase === 'end');
      assert.equal(starts.length, 200, 'one start per job');
      assert.equal(ends.length, 200, 'one end per job');
      assert.deepEqual(new Set(starts.map((r) => r.job_id)), ids);
      const endOf = new Map(ends.map((r) => [r.job_id, BigInt(r.us)]));
      for (let l = 0; l < 20; l++) {
        const spans = starts
          .filter((r) => r.link === `link:${l}`)
          .map((r) => ({ id: r.job_id, start: BigInt(r.us), end: endOf.get(r.job_id)! }))
          .sort((a, b) => (a.start < b.start ? -1 : 1));
        for (let i = 1; i < spans.length; i++) {
          assert.ok(spans[i]!.start > spans[i - 1]!.end, `link:${l}: ${spans[i]!.id} started before ${spans[i - 1]!.id} ended`);
        }
      }
      const pids = new Set(starts.map((r) => r.pid));
      assert.deepEqual(pids, new Set(workers.map((w) => w.child.pid)), 'both processes did work');
      const jobs = await q.list({ limit: 500 });
      assert.ok(jobs.every((j) => j.state === 'done' && j.attempts === 1));
    } finally {
      await Promise.all(workers.map(stopWorker));
      await db.end();
      await q.close();
    }
  });

  it('start() queues again the job of a process that died, not that of one still alive', async () => {
    const schema = randomSchema();
    const q = await openQueue(schema);
    try {
      const worker = await startWorker(schema, 'hang', 1);
      const { id } = await q.enqueue({ linkId: 'link:a', trigger: 'api' });
      await worker.next('started');
      const other = await openQueue(schema);
      assert.deepEqual([(await q.get(id))?.state, (await q.get(id))?.attempts], ['active', 1], 'a live worker keeps its job');
      await other.close();
      worker.child.kill('SIGKILL');
      await once(worker.child, 'exit');
      await waitFor(
        'the dead session to go',
        async () => {
          const again = await openQueue(schema);
          await again.close();
          return (await q.get(id))?.state === 'queued';
        },
        10_000,
      );
      assert.equal((await q.get(id))?.attempts, 0);
      await q.work(async () => ({ recovered: true }), { concurrency: 1 });
      await waitFor('done', async () => (await q.get(id))?.state === 'done', 5000);
      assert.deepEqual((await q.get(id))?.result, { recovered: true });
    } finally {
      await q.close();
    }
  });
});
