/**
 * The leader's duties follow the lead: schedules run only while this process leads,
 * stop when it loses the lead, come back when it regains it, and stopping the service
 * stops them and releases the lead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { JobQueue } from '../../src/service/jobs/types.js';
import { LeaderDuties } from '../../src/service/leader-duties.js';
import type { Leadership } from '../../src/service/leadership.js';
import { Scheduler } from '../../src/service/scheduler.js';

/** A lead the test hands out and takes away. */
function manualLead(leader: boolean): Leadership & { set(l: boolean): void; closed: boolean } {
  const listeners = new Set<(l: boolean) => void>();
  let current = leader;
  return {
    get isLeader() {
      return current;
    },
    closed: false,
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    set(l) {
      current = l;
      for (const fn of listeners) fn(l);
    },
    async close() {
      this.closed = true;
    },
  };
}

// Schedules are loaded, never fired here (yearly): what counts is which crons exist.
const queue = { enqueue: async () => ({ id: 'j', folded: false }) } as unknown as JobQueue;
const SCHEDULES = [{ name: 'a', schedule: '0 0 1 1 *' }];

describe('leader duties', () => {
  it('run the schedules only while this process leads', async () => {
    const lead = manualLead(false);
    const scheduler = new Scheduler(queue, () => undefined);
    const states: boolean[] = [];
    const duties = new LeaderDuties({
      leadership: lead,
      scheduler,
      channels: null,
      schedules: async () => SCHEDULES,
      log: pino({ level: 'silent' }),
      onChange: (l) => states.push(l),
      refreshMs: 60_000,
    });
    await duties.start();
    assert.deepEqual(Object.keys(scheduler.nextRuns()), [], 'a follower fires nothing');
    await duties.refresh();
    assert.deepEqual(Object.keys(scheduler.nextRuns()), [], 'nor after a refresh');

    lead.set(true);
    await duties.refresh();
    assert.deepEqual(Object.keys(scheduler.nextRuns()), ['a'], 'the leader runs them');
    lead.set(false);
    await duties.refresh();
    assert.deepEqual(Object.keys(scheduler.nextRuns()), [], 'a lost lead stops them');
    lead.set(true);
    await duties.refresh();
    assert.deepEqual(Object.keys(scheduler.nextRuns()), ['a'], 'and a regained one starts them again');

    await duties.stop();
    assert.deepEqual(Object.keys(scheduler.nextRuns()), []);
    assert.equal(lead.closed, true, 'stopping releases the lead');
    assert.deepEqual(states, [false, true, false, true, false]);
  });
});
