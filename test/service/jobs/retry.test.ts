import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TimebridgeError, type ErrorCode } from '../../../src/core/errors.js';
import { backoffCapMs, decideRetry, jobError, type RetryPolicy } from '../../../src/service/jobs/retry.js';
import { settle } from '../../../src/service/jobs/settlement.js';
import type { Job } from '../../../src/service/jobs/types.js';

const POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000 };
const transient = (): TimebridgeError => new TimebridgeError('CONNECTOR_TRANSIENT', 'server down');
const limited = (retryAfter: number): TimebridgeError => new TimebridgeError('CONNECTOR_RATE_LIMITED', 'slow down', { retryAfter });

describe('retry policy', () => {
  it('backs off exponentially with full jitter up to the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((a) => decideRetry(a, transient(), POLICY, () => 0.999999)),
      [1000, 2000, 4000, 8000].map((d) => ({ retry: true, delayMs: d })),
    );
    assert.deepEqual(
      decideRetry(1, transient(), POLICY, () => 0),
      { retry: true, delayMs: 0 },
    );
    assert.deepEqual(
      decideRetry(2, transient(), POLICY, () => 0.5),
      { retry: true, delayMs: 1000 },
    );
    assert.deepEqual(
      decideRetry(3, transient(), { ...POLICY, maxAttempts: 99, maxDelayMs: 3000 }, () => 1),
      { retry: true, delayMs: 3000 },
    );
    assert.equal(backoffCapMs(2000, POLICY), 60_000, 'a huge attempt number stays at the cap');
  });

  it('never retries sooner than Retry-After, even past the cap', () => {
    assert.deepEqual(
      decideRetry(1, limited(1), POLICY, () => 0),
      { retry: true, delayMs: 1000 },
    );
    assert.deepEqual(
      decideRetry(1, limited(0.2), POLICY, () => 0.9),
      { retry: true, delayMs: 900 },
    );
    assert.deepEqual(
      decideRetry(1, limited(3600), POLICY, () => 0),
      { retry: true, delayMs: 3_600_000 },
    );
  });

  it('is dead on an error retrying cannot fix, and when the attempts are used up', () => {
    for (const code of ['CONNECTOR_AUTH', 'CONNECTOR_INVALID_INPUT', 'CONNECTOR_NOT_FOUND', 'CONNECTOR_BUG'] as ErrorCode[]) {
      assert.deepEqual(
        decideRetry(1, new TimebridgeError(code, 'no'), POLICY, () => 0),
        { retry: false },
        code,
      );
    }
    assert.deepEqual(
      decideRetry(1, new Error('a plain error is a bug'), POLICY, () => 0),
      { retry: false },
    );
    assert.deepEqual(
      decideRetry(5, transient(), POLICY, () => 0),
      { retry: false },
    );
    assert.deepEqual(
      decideRetry(5, limited(1), POLICY, () => 0),
      { retry: false },
    );
  });

  it('records the error with its Retry-After', () => {
    assert.deepEqual(jobError(limited(2)), { code: 'CONNECTOR_RATE_LIMITED', kind: 'rate_limited', message: 'slow down', retryAfter: 2 });
    assert.deepEqual(jobError('oops'), { code: 'CONNECTOR_BUG', kind: 'bug', message: 'oops' });
  });

  it('property: delays stay within [Retry-After, max(cap, Retry-After)] and attempts bound retries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.option(fc.double({ min: 0.001, max: 900, noNaN: true })),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.boolean(),
        (attempt, maxAttempts, baseDelayMs, maxDelayMs, retryAfter, r, rateLimited) => {
          const policy = { maxAttempts, baseDelayMs, maxDelayMs };
          const err = rateLimited ? limited(retryAfter ?? 0) : transient();
          const d = decideRetry(attempt, err, policy, () => r);
          if (attempt >= maxAttempts) return assert.deepEqual(d, { retry: false });
          assert.equal(d.retry, true);
          if (!d.retry) return;
          const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          const floor = rateLimited && retryAfter ? Math.ceil(retryAfter * 1000) : 0;
          assert.ok(Number.isInteger(d.delayMs));
          assert.ok(d.delayMs >= floor, `Retry-After ${retryAfter} s honoured: ${d.delayMs}`);
          assert.ok(d.delayMs <= Math.max(cap, floor), `within the cap ${cap}: ${d.delayMs}`);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('settlement', () => {
  const job = { attempts: 2, maxAttempts: 3 } as Job;
  const backoff = { baseDelayMs: 10, maxDelayMs: 100 };

  it('turns an outcome into the next state', () => {
    assert.deepEqual(
      settle(job, { kind: 'returned', result: { runId: 'r' } }, backoff, () => 0),
      { kind: 'done', result: { runId: 'r' } },
    );
    assert.deepEqual(
      settle(job, { kind: 'returned', result: undefined }, backoff, () => 0),
      { kind: 'done', result: null },
    );
    assert.deepEqual(
      settle(job, { kind: 'interrupted' }, backoff, () => 0),
      { kind: 'release' },
    );
    assert.deepEqual(
      settle(job, { kind: 'threw', error: transient() }, backoff, () => 1),
      { kind: 'retry', delayMs: 20, error: { code: 'CONNECTOR_TRANSIENT', kind: 'transient', message: 'server down' } },
    );
    assert.equal(settle({ ...job, attempts: 3 }, { kind: 'threw', error: transient() }, backoff, () => 0).kind, 'dead');
  });
});
