/**
 * The scheduler's duties (the hub's own cron tasks, such as chat daily summaries): they run
 * from the first reload — which the leader makes when it takes the lead — and stop with the
 * schedules when the lead is lost. A failing duty is reported and keeps its schedule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobQueue } from '../../src/service/jobs/types.js';
import { Scheduler } from '../../src/service/scheduler.js';
import { until } from '../support/serve.js';

describe('Scheduler duties', () => {
  it('run on their schedule only between reload and stop; errors are reported', async () => {
    const errors: string[] = [];
    const s = new Scheduler({} as JobQueue, (name, err) => errors.push(`${name}: ${String(err)}`));
    let runs = 0;
    const seconds: string[] = [];
    s.addDuty({
      name: 'count',
      schedule: '* * * * * *',
      run: async () => {
        runs++;
        seconds.push(new Date().toISOString().slice(0, 19));
      },
    });
    s.addDuty({
      name: 'fails',
      schedule: '* * * * * *',
      run: async () => {
        throw new Error('boom');
      },
    });
    // Not leading yet: nothing runs until the first reload.
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(runs, 0);
    s.reload([]);
    s.reload([]); // a refresh does not start a second copy
    await until('three runs', () => runs >= 3, 10_000);
    assert.equal(new Set(seconds).size, seconds.length, 'one run per tick: the second reload made no second copy');
    assert.ok(errors.some((e) => e === 'fails: Error: boom'));
    s.stop();
    const after = runs;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(runs, after, 'stopped with the lead');
  });
});
