/**
 * The JobQueue contract: behaviour every queue implementation must show, written
 * against the interface only, so the SQLite and the pg-boss queue run the same suite.
 * Each test opens a fresh, empty queue with the options it needs, starts it and closes it.
 * Delays are small (backoff base 20 ms) so a run takes seconds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimebridgeError } from '../../core/errors.js';
import type { Job, JobHandler, JobQueue, QueueOptions, RunJobData } from './types.js';
import type { QueueHooks } from './worker-loop.js';

export type OpenQueue = (opts: QueueOptions & QueueHooks) => Promise<JobQueue>;

const FAST: QueueOptions = { baseDelayMs: 20, maxDelayMs: 200 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const run = (linkId: string, trigger = 'api'): RunJobData => ({ linkId, trigger });

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const inState = (q: JobQueue, id: string, state: Job['state']) => async (): Promise<Job | null> => {
  const job = await q.get(id);
  return job?.state === state ? job : null;
};

/** A promise and its resolver, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

async function withQueue(open: OpenQueue, opts: QueueOptions & QueueHooks, fn: (q: JobQueue) => Promise<void>): Promise<void> {
  const q = await open({ ...FAST, ...opts });
  try {
    await q.start();
    await fn(q);
  } finally {
    await q.close();
  }
}

export function jobQueueContractSuite(name: string, open: OpenQueue): void {
  describe(`job queue contract: ${name}`, () => {
    it('enqueues jobs visible through get, list (newest first, filtered) and counts', async () => {
      await withQueue(open, { maxAttempts: 4 }, async (q) => {
        const a = await q.enqueue(run('link:a', 'webhook'));
        const b = await q.enqueue({ linkId: 'link:b', trigger: 'schedule', full: true }, { maxAttempts: 2 });
        const c = await q.enqueue(run('link:a'), { dedupeKey: 'k-a' });
        assert.deepEqual([a.folded, b.folded, c.folded], [false, false, false]);
        const job = await q.get(b.id);
        assert.ok(job);
        assert.deepEqual(
          { ...job, runAfter: undefined, createdAt: undefined },
          {
            id: b.id,
            data: { linkId: 'link:b', trigger: 'schedule', full: true },
            state: 'queued',
            attempts: 0,
            maxAttempts: 2,
            runAfter: undefined,
            createdAt: undefined,
            startedAt: null,
            finishedAt: null,
            lastError: null,
            result: null,
            dedupeKey: null,
          },
        );
        assert.ok(Date.parse(job.runAfter) >= Date.parse(job.createdAt));
        assert.equal((await q.get(a.id))?.maxAttempts, 4);
        assert.equal((await q.get(c.id))?.dedupeKey, 'k-a');
        assert.deepEqual(
          (await q.list({ limit: 10 })).map((j) => j.id),
          [c.id, b.id, a.id],
        );
        assert.deepEqual(
          (await q.list({ limit: 2 })).map((j) => j.id),
          [c.id, b.id],
        );
        assert.deepEqual(
          (await q.list({ linkId: 'link:a', limit: 10 })).map((j) => j.id),
          [c.id, a.id],
        );
        assert.deepEqual(await q.list({ state: 'dead', limit: 10 }), []);
        assert.deepEqual(await q.counts(), { queued: 3, active: 0, done: 0, dead: 0 });
        assert.equal(await q.get('00000000-0000-4000-8000-000000000000'), null);
        assert.equal(await q.get('not-an-id'), null);
      });
    });

    it('runs a job to done, saving the result; enqueue wakes an idle worker at once', async () => {
      await withQueue(open, {}, async (q) => {
        const seen: Job[] = [];
        // The poll is ten minutes away: the job can only finish within the wait if the enqueue woke the worker.
        await q.work(
          async (job) => {
            seen.push(job);
            return { runId: `run-${job.data.linkId}` };
          },
          { concurrency: 2, pollMs: 600_000 },
        );
        await sleep(50);
        const { id } = await q.enqueue(run('link:a'));
        const job = await waitFor('done (an enqueue in this process wakes the worker without waiting for the poll)', inState(q, id, 'done'), 60_000);
        assert.equal(seen.length, 1);
        assert.equal(seen[0]?.state, 'active');
        assert.equal(seen[0]?.attempts, 1);
        assert.deepEqual(job.result, { runId: 'run-link:a' });
        assert.equal(job.attempts, 1);
        assert.ok(job.startedAt && job.finishedAt);
        assert.deepEqual(await q.counts(), { queued: 0, active: 0, done: 1, dead: 0 });
      });
    });

    it('honours delayMs, waking on a timer to the due time rather than the next poll', async () => {
      await withQueue(open, {}, async (q) => {
        const started = new Map<string, number>();
        // The poll is ten minutes: a delayed job done within the wait below was woken by its own timer.
        await q.work(
          async (job) => {
            started.set(job.id, Date.now());
            return {};
          },
          { concurrency: 1, pollMs: 600_000 },
        );
        const delayMs = 300;
        const t0 = Date.now();
        const late = await q.enqueue(run('link:a'), { delayMs });
        const now = await q.enqueue(run('link:b'));
        await waitFor('the immediate job', inState(q, now.id, 'done'), 60_000);
        await waitFor('the delayed job', inState(q, late.id, 'done'), 60_000);
        // Never before its due time (a correctness bound, not a speed claim).
        const waited = (started.get(late.id) ?? 0) - t0;
        assert.ok(waited >= delayMs, `started after ${waited} ms, before its delay of ${delayMs} ms`);
      });
    });

    it('folds a dedupe key into the queued job only; a started job does not absorb a new enqueue', async () => {
      await withQueue(open, {}, async (q) => {
        const first = await q.enqueue(run('link:a', 'webhook'), { dedupeKey: 'link:a', delayMs: 100 });
        const again = await q.enqueue(run('link:a', 'webhook'), { dedupeKey: 'link:a' });
        assert.deepEqual(again, { id: first.id, folded: true });
        const other = await q.enqueue(run('link:b', 'webhook'), { dedupeKey: 'link:b' });
        assert.equal(other.folded, false);
        const hold = gate();
        const runs: string[] = [];
        await q.work(
          async (job) => {
            runs.push(job.id);
            if (job.id === first.id) await hold.promise;
            return {};
          },
          { concurrency: 2 },
        );
        await waitFor('the first job to start', inState(q, first.id, 'active'));
        const later = await q.enqueue(run('link:a', 'webhook'), { dedupeKey: 'link:a' });
        assert.equal(later.folded, false);
        assert.notEqual(later.id, first.id);
        assert.deepEqual(await q.enqueue(run('link:a'), { dedupeKey: 'link:a' }), { id: later.id, folded: true });
        hold.open();
        await waitFor('the later job', inState(q, later.id, 'done'));
        assert.equal(runs.filter((id) => id === first.id).length, 1);
        assert.equal(runs.filter((id) => id === later.id).length, 1);
        assert.equal((await q.counts()).done, 3);
      });
    });

    it('a job queued again for a retry gives its dedupe key up to a queued job that holds it', async () => {
      await withQueue(open, {}, async (q) => {
        const hold = gate();
        await q.work(
          async (job) => {
            if (job.attempts === 1 && job.data.trigger === 'first') {
              await hold.promise;
              throw new TimebridgeError('CONNECTOR_TRANSIENT', 'flaky');
            }
            return {};
          },
          { concurrency: 1 },
        );
        const first = await q.enqueue(run('link:a', 'first'), { dedupeKey: 'k' });
        await waitFor('the first try', inState(q, first.id, 'active'));
        const second = await q.enqueue(run('link:a', 'second'), { dedupeKey: 'k' });
        hold.open();
        const retried = await waitFor('the first job done', inState(q, first.id, 'done'));
        assert.equal(retried.attempts, 2);
        assert.equal(retried.dedupeKey, null);
        assert.equal((await waitFor('the second job done', inState(q, second.id, 'done'))).dedupeKey, 'k');
      });
    });

    it('retries a transient failure with backoff and keeps the last error', async () => {
      await withQueue(open, { random: () => 1 }, async (q) => {
        const starts: number[] = [];
        await q.work(
          async (job) => {
            starts.push(Date.now());
            if (job.attempts < 3) throw new TimebridgeError('CONNECTOR_TRANSIENT', `try ${job.attempts} failed`);
            return { ok: true };
          },
          { concurrency: 1, pollMs: 5000 },
        );
        const { id } = await q.enqueue(run('link:a'));
        const job = await waitFor('done after retries', inState(q, id, 'done'));
        assert.equal(job.attempts, 3);
        assert.deepEqual(job.result, { ok: true });
        assert.equal(job.lastError?.code, 'CONNECTOR_TRANSIENT');
        assert.equal(job.lastError?.message, 'try 2 failed');
        // random() = 1 takes the top of the jitter range: 20 ms, then 40 ms.
        const gaps = [starts[1]! - starts[0]!, starts[2]! - starts[1]!];
        assert.ok(gaps[0]! >= 20 && gaps[1]! >= 40, `gaps ${gaps.join(', ')} ms`);
      });
    });

    it("waits at least a rate limit's Retry-After before the next try", async () => {
      await withQueue(open, { random: () => 0 }, async (q) => {
        const ends: number[] = [],
          starts: number[] = [];
        await q.work(
          async (job) => {
            starts.push(Date.now());
            if (job.attempts === 1) {
              ends.push(Date.now());
              throw new TimebridgeError('CONNECTOR_RATE_LIMITED', 'slow down', { retryAfter: 1 });
            }
            return {};
          },
          { concurrency: 1 },
        );
        const { id } = await q.enqueue(run('link:a'));
        const waiting = await waitFor('queued for a retry', async () => {
          const j = await q.get(id);
          return j?.state === 'queued' && j.attempts === 1 ? j : null;
        });
        assert.equal(waiting.lastError?.kind, 'rate_limited');
        assert.equal(waiting.lastError?.retryAfter, 1);
        assert.ok(Date.parse(waiting.runAfter) - (ends[0] ?? 0) >= 990, 'runAfter is a second after the failure');
        await waitFor('done', inState(q, id, 'done'));
        const waited = starts[1]! - ends[0]!;
        assert.ok(waited >= 1000, `retried after ${waited} ms`);
      });
    });

    it('gives a job up as dead after maxAttempts, and at once on an error retrying cannot fix', async () => {
      await withQueue(open, { maxAttempts: 3 }, async (q) => {
        const tries = new Map<string, number>();
        await q.work(
          async (job) => {
            tries.set(job.id, (tries.get(job.id) ?? 0) + 1);
            if (job.data.linkId === 'link:auth') throw new TimebridgeError('CONNECTOR_AUTH', 'token revoked');
            throw new TimebridgeError('CONNECTOR_TRANSIENT', 'server down');
          },
          { concurrency: 2 },
        );
        const flaky = await q.enqueue(run('link:flaky'));
        const auth = await q.enqueue(run('link:auth'));
        const deadFlaky = await waitFor('flaky dead', inState(q, flaky.id, 'dead'));
        const deadAuth = await waitFor('auth dead', inState(q, auth.id, 'dead'));
        assert.equal(deadFlaky.attempts, 3);
        assert.equal(tries.get(flaky.id), 3);
        assert.equal(deadFlaky.lastError?.kind, 'transient');
        assert.equal(deadAuth.attempts, 1);
        assert.equal(tries.get(auth.id), 1);
        assert.deepEqual(deadAuth.lastError, { code: 'CONNECTOR_AUTH', kind: 'auth', message: 'token revoked' });
        assert.ok(deadAuth.finishedAt);
        assert.deepEqual(new Set((await q.list({ state: 'dead', limit: 10 })).map((j) => j.id)), new Set([flaky.id, auth.id]));
        assert.deepEqual(await q.counts(), { queued: 0, active: 0, done: 0, dead: 2 });
      });
    });

    it('retry() queues a dead job again with fresh attempts; other ids are refused', async () => {
      await withQueue(open, {}, async (q) => {
        let fixed = false;
        await q.work(
          async () => {
            if (!fixed) throw new TimebridgeError('CONNECTOR_AUTH', 'bad password');
            return { ok: 1 };
          },
          { concurrency: 1 },
        );
        const { id } = await q.enqueue(run('link:a'));
        await waitFor('dead', inState(q, id, 'dead'));
        const other = await q.enqueue(run('link:b'), { delayMs: 60_000 });
        assert.equal(await q.retry(other.id), false, 'a queued job is not dead');
        assert.equal(await q.retry('00000000-0000-4000-8000-000000000000'), false);
        assert.equal(await q.retry('not-an-id'), false);
        fixed = true;
        assert.equal(await q.retry(id), true);
        const done = await waitFor('done after retry()', inState(q, id, 'done'));
        assert.equal(done.attempts, 1);
        assert.equal(await q.retry(id), false, 'a done job is not dead');
      });
    });

    it('never runs two jobs of one link at once, while different links run side by side', async () => {
      await withQueue(open, {}, async (q) => {
        // Spans are in event order (a counter), not wall time. The first job waits until a job of
        // another link starts (bounded): that happens only if different links run side by side.
        const spans: { link: string; start: number; end: number }[] = [];
        let active = 0,
          peak = 0,
          tick = 0,
          first: string | null = null,
          firstRunning = false,
          overlapped = false;
        let release!: () => void;
        const otherStarted = new Promise<void>((resolve) => {
          release = resolve;
        });
        await q.work(
          async (job) => {
            active++;
            peak = Math.max(peak, active);
            const start = tick++;
            const link = job.data.linkId;
            const isFirst = first === null;
            if (isFirst) {
              first = link;
              firstRunning = true;
              await Promise.race([otherStarted, sleep(10_000)]);
            } else if (link !== first) {
              overlapped ||= firstRunning;
              release();
            }
            await sleep(1 + Math.floor(Math.random() * 5));
            if (isFirst) firstRunning = false;
            spans.push({ link, start, end: tick++ });
            active--;
            return {};
          },
          { concurrency: 4, pollMs: 20 },
        );
        const ids: string[] = [];
        for (let i = 0; i < 30; i++) ids.push((await q.enqueue(run(`link:${i % 3}`))).id);
        await waitFor('all done', async () => (await q.counts()).done === ids.length, 15_000);
        assert.equal(spans.length, ids.length);
        assert.ok(peak <= 4, `peak concurrency ${peak}`);
        for (const link of ['link:0', 'link:1', 'link:2']) {
          const mine = spans.filter((s) => s.link === link).sort((x, y) => x.start - y.start);
          for (let i = 1; i < mine.length; i++) {
            assert.ok(mine[i]!.start >= mine[i - 1]!.end, `${link}: a job started before the previous one ended`);
          }
        }
        assert.ok(overlapped, "a job of another link started while the first link's job ran");
      });
    });

    it('stop() aborts a handler after the grace period; its job runs again, uncounted, after a restart', async () => {
      await withQueue(open, {}, async (q) => {
        const calls: { id: string; attempts: number; aborted: boolean }[] = [];
        let restarted = false;
        const handler: JobHandler = async (job, { signal }) => {
          const call = { id: job.id, attempts: job.attempts, aborted: false };
          calls.push(call);
          if (job.data.linkId === 'link:quick' || restarted) return { ok: true };
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          call.aborted = true;
          throw new TimebridgeError('CONNECTOR_TRANSIENT', 'stopped half-way');
        };
        await q.work(handler, { concurrency: 2 });
        const slow = await q.enqueue(run('link:slow'));
        await waitFor('the slow job to start', inState(q, slow.id, 'active'));
        const quick = await q.enqueue(run('link:quick'));
        await waitFor('the quick job', inState(q, quick.id, 'done'));
        const t0 = Date.now();
        await q.stop({ graceMs: 100 });
        assert.ok(Date.now() - t0 >= 90, 'stop waited for the grace period');
        const requeued = await q.get(slow.id);
        assert.equal(requeued?.state, 'queued');
        assert.equal(requeued?.attempts, 0, 'the interrupted try does not count');
        assert.equal(requeued?.lastError, null);
        assert.deepEqual(
          calls.filter((c) => c.id === slow.id).map((c) => c.aborted),
          [true],
        );
        await sleep(100);
        assert.equal((await q.get(slow.id))?.state, 'queued', 'a stopped queue claims nothing');
        restarted = true;
        await q.work(handler, { concurrency: 2 });
        const done = await waitFor('the slow job after restart', inState(q, slow.id, 'done'));
        assert.equal(done.attempts, 1);
        assert.equal(calls.filter((c) => c.id === slow.id).length, 2);
      });
    });

    it('gives up on a handler that ignores the abort: its job is queued again when stop() returns', async () => {
      await withQueue(open, { abandonAfterMs: 100 }, async (q) => {
        const hold = gate();
        let calls = 0;
        await q.work(
          async () => {
            calls++;
            if (calls === 1) await hold.promise;
            return {};
          },
          { concurrency: 1 },
        );
        const { id } = await q.enqueue(run('link:a'));
        await waitFor('active', inState(q, id, 'active'));
        await q.stop({ graceMs: 50 });
        const job = await q.get(id);
        assert.deepEqual([job?.state, job?.attempts], ['queued', 0]);
        hold.open();
        await sleep(50);
        assert.equal((await q.get(id))?.state, 'queued', 'the late return of a given-up handler changes nothing');
        await q.work(
          async () => {
            calls++;
            return { second: true };
          },
          { concurrency: 1 },
        );
        const done = await waitFor('done', inState(q, id, 'done'));
        assert.deepEqual(done.result, { second: true });
      });
    });
  });
}
