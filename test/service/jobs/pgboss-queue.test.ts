import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { jobQueueContractSuite } from '../../../src/service/jobs/contract.js';
import { openPgBossQueue } from '../../../src/service/jobs/pgboss-queue.js';
import type { JobQueue, QueueOptions } from '../../../src/service/jobs/types.js';
import type { QueueHooks } from '../../../src/service/jobs/worker-loop.js';
import { dropSchema, pgSkipReason, randomSchema, testPgUrl } from './pg.js';

const url = testPgUrl();
const skip = await pgSkipReason(url);
const schemas: string[] = [];
after(async () => {
  if (!skip) for (const s of schemas) await dropSchema(url, s);
});

function open(opts: QueueOptions & QueueHooks = {}, schema = randomSchema()): JobQueue {
  if (!schemas.includes(schema)) schemas.push(schema);
  return openPgBossQueue({ url, schema, ...opts });
}

if (skip) {
  it('pg-boss job queue', { skip }, () => {});
} else {
  jobQueueContractSuite('pg-boss', async (opts) => open(opts));

  describe('pg-boss queue specifics', () => {
    it('two queues on one schema never run one link at once, and run each job once', async () => {
      const schema = randomSchema();
      const a = open({}, schema),
        b = open({}, schema);
      const spans: { id: string; link: string; start: number; end: number }[] = [];
      const handler = async (job: { id: string; data: { linkId: string } }) => {
        const start = performance.now();
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
        spans.push({ id: job.id, link: job.data.linkId, start, end: performance.now() });
        return {};
      };
      try {
        await Promise.all([a.start(), b.start()]);
        await a.work(handler, { concurrency: 2, pollMs: 20 });
        await b.work(handler, { concurrency: 2, pollMs: 20 });
        const ids = new Set<string>();
        for (let i = 0; i < 40; i++) ids.add((await a.enqueue({ linkId: `link:${i % 2}`, trigger: 'api' })).id);
        for (let i = 0; i < 300 && (await a.counts()).done < ids.size; i++) await new Promise((r) => setTimeout(r, 20));
        assert.equal((await a.counts()).done, ids.size);
        assert.deepEqual(new Set(spans.map((s) => s.id)), ids);
        assert.equal(spans.length, ids.size, 'each job ran once');
        for (const link of ['link:0', 'link:1']) {
          const mine = spans.filter((s) => s.link === link).sort((x, y) => x.start - y.start);
          for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.start >= mine[i - 1]!.end, `${link} overlapped`);
        }
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('keeps its logical jobs beside pg-boss in the one schema, with a schema version', async () => {
      const schema = randomSchema();
      const q = open({}, schema);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await q.start();
        await q.enqueue({ linkId: 'link:a', trigger: 'api' });
        const { rows } = await client.query(`SELECT version FROM ${schema}.timebridge_version`);
        assert.deepEqual(rows, [{ version: 1 }]);
        const boss = await client.query(`SELECT state, data FROM ${schema}.job WHERE name = 'timebridge-run-link'`);
        assert.equal(boss.rows.length, 1);
        assert.equal(boss.rows[0].state, 'created');
        assert.equal(boss.rows[0].data.linkId, 'link:a');
      } finally {
        await client.end();
        await q.close();
      }
    });

    it('refuses a schema name that is not a plain SQL name', () => {
      assert.throws(() => openPgBossQueue({ url, schema: 'x; DROP TABLE y' }), /schema/);
    });
  });
}
