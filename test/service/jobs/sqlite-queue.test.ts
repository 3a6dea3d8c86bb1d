import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isTimebridgeError } from '../../../src/core/errors.js';
import { jobQueueContractSuite } from '../../../src/service/jobs/contract.js';
import { openSqliteQueue } from '../../../src/service/jobs/sqlite-queue.js';
import { keepAlive } from '../../../src/store/sqlite/keep-alive.js';

const dir = mkdtempSync(join(tmpdir(), 'timebridge-jobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `queue-${++n}.db`);

jobQueueContractSuite('sqlite file', async (opts) => openSqliteQueue(freshPath(), opts));
jobQueueContractSuite('sqlite :memory:', async (opts) => openSqliteQueue(':memory:', opts));

const DAY = 24 * 3600_000;

describe('sqlite queue specifics', () => {
  it('start() queues jobs left active by a process that died, without counting their try', async () => {
    const path = freshPath();
    const crashed = openSqliteQueue(path);
    await crashed.start();
    const { id } = await crashed.enqueue({ linkId: 'link:a', trigger: 'api' });
    await crashed.work(() => new Promise(() => {}), { concurrency: 1 });
    const reader = openSqliteQueue(path);
    for (let i = 0; i < 100 && (await reader.get(id))?.state !== 'active'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await reader.get(id))?.attempts, 1);
    // The first queue is never stopped: as far as the file knows, its process died.
    const next = openSqliteQueue(path);
    await next.start();
    const job = await next.get(id);
    assert.deepEqual([job?.state, job?.attempts], ['queued', 0]);
    await next.work(async () => ({ again: true }), { concurrency: 1 });
    for (let i = 0; i < 100 && (await next.get(id))?.state !== 'done'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await next.get(id))?.state, 'done');
    await next.close();
    await reader.close();
  });

  it('prunes done jobs older than seven days on start, keeping dead ones', async () => {
    const path = freshPath();
    let now = new Date('2025-03-01T10:00:00.000Z');
    const q = openSqliteQueue(path, { clock: () => now, maxAttempts: 1 });
    await q.start();
    const old = await q.enqueue({ linkId: 'link:a', trigger: 'api' });
    const dead = await q.enqueue({ linkId: 'link:b', trigger: 'api' });
    await q.work(
      async (job) => {
        if (job.data.linkId === 'link:b') throw new Error('boom');
        return {};
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 100 && (await q.counts()).queued + (await q.counts()).active > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await q.stop();
    assert.equal((await q.get(dead.id))?.state, 'dead', 'an unclassified error is a bug: dead at once');
    now = new Date(now.getTime() + 6 * DAY);
    await q.start();
    assert.equal((await q.get(old.id))?.state, 'done');
    now = new Date(now.getTime() + 2 * DAY);
    await q.start();
    assert.equal(await q.get(old.id), null);
    assert.equal((await q.get(dead.id))?.state, 'dead');
    await q.close();
  });

  it('keeps its schema version in user_version and refuses a newer file', async () => {
    const path = freshPath();
    await openSqliteQueue(path).close();
    const db = keepAlive(new Database(path));
    assert.equal(keepAlive(db.prepare('PRAGMA user_version').pluck()).get(), 1);
    db.exec('PRAGMA user_version = 99');
    db.close();
    assert.throws(
      () => openSqliteQueue(path),
      (err: unknown) => isTimebridgeError(err) && /version 99/.test(err.message),
    );
    const junk = freshPath();
    writeFileSync(junk, 'not a database, just text that is long enough to look like a header '.repeat(20));
    assert.throws(() => openSqliteQueue(junk));
  });
});
