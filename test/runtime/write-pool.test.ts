/**
 * The pool apply runs a batch's external writes in (runtime/write-pool.ts): never more
 * than the limit under way, started in item order, results in item order whatever order
 * the answers come in, and a throw (a crash at a fault point) stops the pool: at most one
 * more write per other lane, the writes under way finish, and the throw comes out. With limit 1 it is the old loop exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { eachLimited } from '../../src/runtime/write-pool.js';

/** Resolves after `turns` trips through the microtask queue: answers arriving in a scrambled order without timers. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

describe('eachLimited', () => {
  it('keeps at most `limit` under way, starts in order, and returns the results in item order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(20), { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), async (delays, limit) => {
        let running = 0,
          most = 0;
        const started: number[] = [];
        const out = await eachLimited(delays, limit, async (d, i) => {
          started.push(i);
          running++;
          most = Math.max(most, running);
          await turns(d);
          running--;
          return i * 10;
        });
        assert.deepEqual(
          out,
          delays.map((_, i) => i * 10),
        );
        assert.deepEqual(
          started,
          delays.map((_, i) => i),
        );
        assert.ok(most <= limit, `${most} under way with limit ${limit}`);
      }),
    );
  });

  it('a throw stops new writes (at most one more per other lane), waits for those under way, and is rethrown', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 9 }), async (limit, failAt) => {
        const items = Array.from({ length: 10 }, (_, i) => i);
        const started: number[] = [];
        const finished: number[] = [];
        let startedAfterThrow = 0;
        let thrown = false;
        await assert.rejects(
          eachLimited(items, limit, async (i) => {
            if (thrown) startedAfterThrow++;
            started.push(i);
            await turns(3);
            if (i === failAt) {
              thrown = true;
              throw new Error(`crash at ${i}`);
            }
            finished.push(i);
            return i;
          }),
          new RegExp(`crash at ${failAt}`),
        );
        // The throw reaches the pool a few microtasks after it happens: a lane that was between two writes then may start one more.
        assert.ok(startedAfterThrow <= limit - 1, `${startedAfterThrow} started after the throw with limit ${limit}`);
        assert.ok(started.length <= failAt + limit, 'then nothing more starts');
        assert.deepEqual(
          finished.sort((a, b) => a - b),
          started.filter((i) => i !== failAt).sort((a, b) => a - b),
          'every write under way finished',
        );
        if (limit === 1) assert.deepEqual(started, items.slice(0, failAt + 1), 'one at a time: the old loop');
      }),
    );
  });

  it('an empty batch and a limit of 0 (read as 1) work', async () => {
    assert.deepEqual(await eachLimited([], 4, async () => 1), []);
    assert.deepEqual(await eachLimited([1, 2, 3], 0, async (x) => x + 1), [2, 3, 4]);
  });
});
