/**
 * Leadership: the campaign against a lock that lives with its session (a fake in memory,
 * with time stepped by hand), then against PostgreSQL: two campaigns on one schema, one
 * leads; its connection killed, the other takes over; a released lead passes at once.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Campaign, soleLeader, type LockSession } from '../../src/service/leadership.js';
import { openPgLeadership } from '../../src/service/pg-leadership.js';
import { adminQuery, freshSchemaName, needsPostgres, PG_URL } from '../support/postgres.js';
import { until } from '../support/serve.js';

const quiet = { info: () => undefined, warn: () => undefined };

/** A lock server: one holder at a time; a session can be cut (its lock goes with it) and the server can refuse connections. */
class FakeLockServer {
  holder: object | null = null;
  down = false;
  readonly sessions: { id: object; cut: (silently?: boolean) => void }[] = [];

  open = async (onLost: (err: Error) => void): Promise<LockSession> => {
    if (this.down) throw new Error('connection refused');
    const id = {};
    let alive = true;
    const check = () => {
      if (!alive) throw new Error('connection closed');
    };
    this.sessions.push({
      id,
      cut: (silently = false) => {
        alive = false;
        if (this.holder === id) this.holder = null;
        if (!silently) onLost(new Error('connection reset'));
      },
    });
    return {
      tryLock: async () => {
        check();
        if (this.holder && this.holder !== id) return false;
        this.holder = id;
        return true;
      },
      ping: async () => check(),
      unlock: async () => {
        check();
        if (this.holder === id) this.holder = null;
      },
      end: async () => {
        alive = false;
        if (this.holder === id) this.holder = null;
      },
    };
  };

  /** End a session as the server sees it; `silently`: the client is not told (a cut-off network). */
  cut(i: number, silently = false): void {
    this.sessions[i]!.cut(silently);
  }
}

/** Timers stepped by hand: `tick()` runs what is due after `ms` and lets the promises it starts settle. */
function manualTime() {
  let now = 0;
  const due: { at: number; fn: () => void }[] = [];
  return {
    after: (ms: number, fn: () => void) => {
      const t = { at: now + ms, fn };
      due.push(t);
      return () => {
        const i = due.indexOf(t);
        if (i >= 0) due.splice(i, 1);
      };
    },
    async tick(ms: number) {
      now += ms;
      for (const t of due.filter((x) => x.at <= now)) {
        due.splice(due.indexOf(t), 1);
        t.fn();
      }
      for (let i = 0; i < 20; i++) await Promise.resolve();
    },
  };
}

describe('leadership campaign', () => {
  it('one of two campaigns leads; when its session dies the other leads after one retry interval', async () => {
    const server = new FakeLockServer();
    const time = manualTime();
    const a = new Campaign({ open: server.open, retryMs: 1000, log: quiet, after: time.after });
    const b = new Campaign({ open: server.open, retryMs: 1000, log: quiet, after: time.after });
    const changes: string[] = [];
    a.onChange((l) => changes.push(`a:${l}`));
    b.onChange((l) => changes.push(`b:${l}`));
    await a.start();
    await b.start();
    assert.deepEqual([a.isLeader, b.isLeader], [true, false]);
    await time.tick(1000);
    assert.deepEqual([a.isLeader, b.isLeader], [true, false], 'the leader keeps the lead; the other keeps asking');

    server.cut(0);
    assert.deepEqual([a.isLeader, b.isLeader], [false, false], 'a lost session ends the lead at once');
    await time.tick(1000);
    assert.equal(b.isLeader, true, 'the other takes over on its next attempt');
    assert.equal(a.isLeader, false, 'the old leader reconnects as a follower');
    assert.deepEqual(changes, ['a:true', 'a:false', 'b:true']);
    await a.close();
    await b.close();
  });

  it('a leader cut off without notice steps down at its next check, while the other takes over', async () => {
    const server = new FakeLockServer();
    const time = manualTime();
    const a = new Campaign({ open: server.open, retryMs: 500, log: quiet, after: time.after });
    const b = new Campaign({ open: server.open, retryMs: 500, log: quiet, after: time.after });
    await a.start();
    await b.start();
    server.cut(0, true);
    assert.equal(a.isLeader, true, 'nothing told it yet');
    await time.tick(500);
    assert.deepEqual([a.isLeader, b.isLeader], [false, true], 'its check failed; the other took the free lock');
    await time.tick(500);
    assert.deepEqual([a.isLeader, b.isLeader], [false, true]);
    await a.close();
    await b.close();
  });

  it('keeps campaigning while the lock server is down, and leads once it is back', async () => {
    const server = new FakeLockServer();
    server.down = true;
    const time = manualTime();
    const warnings: string[] = [];
    const a = new Campaign({ open: server.open, retryMs: 1000, log: { info: () => undefined, warn: (_o, m) => warnings.push(m) }, after: time.after });
    await a.start();
    await time.tick(1000);
    await time.tick(1000);
    assert.equal(a.isLeader, false);
    assert.equal(warnings.length, 1, 'one warning for a run of failures, not one per attempt');
    server.down = false;
    await time.tick(1000);
    assert.equal(a.isLeader, true);
    await a.close();
  });

  it('close releases the lead at once, so a follower takes it on its next attempt, and stops campaigning', async () => {
    const server = new FakeLockServer();
    const time = manualTime();
    const a = new Campaign({ open: server.open, retryMs: 1000, log: quiet, after: time.after });
    const b = new Campaign({ open: server.open, retryMs: 1000, log: quiet, after: time.after });
    await a.start();
    await b.start();
    await a.close();
    assert.equal(server.holder, null);
    assert.equal(a.isLeader, false);
    await time.tick(1000);
    assert.equal(b.isLeader, true);
    await time.tick(5000);
    assert.equal(server.sessions.length, 2, 'a closed campaign opens no new session');
    await b.close();
  });

  it('the sole process of a SQLite hub leads', async () => {
    const l = soleLeader();
    assert.equal(l.isLeader, true);
    await l.close();
  });
});

describe('leadership on PostgreSQL', await needsPostgres(), () => {
  const schema = freshSchemaName();
  const open: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const c of open) await c.close();
  });

  it('one process leads; killing its connection hands the lead to the other; closing releases it at once', async () => {
    // a tries again only every minute, so once its session is killed it cannot win the lock back
    // before b does: what is tested is that b takes over, not which of the two races back first.
    const a = await openPgLeadership({ url: PG_URL, schema, instance: 'test-a', retryMs: 60_000, log: quiet });
    open.push(a);
    const b = await openPgLeadership({ url: PG_URL, schema, instance: 'test-b', retryMs: 100, log: quiet });
    open.push(b);
    assert.deepEqual([a.isLeader, b.isLeader], [true, false]);
    const holders = async () =>
      (
        await adminQuery<{ name: string }>(`SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND a.application_name LIKE 'timebridge-leader test-%'`)
      ).map((h) => h.name);
    assert.deepEqual(await holders(), ['timebridge-leader test-a'], 'the lock holder is named in pg_stat_activity');

    await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'timebridge-leader test-a'`);
    await until('b to lead', () => b.isLeader, 10_000);
    assert.deepEqual(await holders(), ['timebridge-leader test-b'], "the lock moved to b with a's session gone");

    const c = await openPgLeadership({ url: PG_URL, schema, instance: 'test-c', retryMs: 100, log: quiet });
    open.push(c);
    assert.equal(c.isLeader, false, 'b still leads');
    await b.close();
    await until('c to lead after b released', () => c.isLeader, 10_000);
  });
});
