/**
 * The PostgreSQL store: the shared store contract, migrations, and what only a
 * multi-process store must show — two processes committing the same record, the change
 * log read while others write, and link locks. Every store gets a fresh schema.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { isTimebridgeError } from '../../src/core/errors.js';
import type { HubChange } from '../../src/core/model.js';
import { storeContractSuite } from '../../src/store/contract.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION, migratePg } from '../../src/store/postgres/migrations.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/pg-store.js';
import type { RecordWrite } from '../../src/store/types.js';
import { PG_URL, adminQuery, dropLeftoverSchemas, dropSchema, freshSchemaName, needsPostgres, openTestPgStore } from '../support/postgres.js';

const pgOptions = await needsPostgres();
after(dropLeftoverSchemas);

const AT = '2025-03-01T10:00:00.000Z';
function write(id: string, over: Partial<RecordWrite> = {}): RecordWrite {
  return {
    id,
    kind: 'event',
    scope: 'cal:work',
    fields: { title: `t-${id}` },
    identity: `uid-${id}`,
    tombstone: false,
    origin: 'link:a',
    runId: 'run-1',
    expectedVersion: 0,
    updatedAt: AT,
    ...over,
  };
}

/** Open a store, run fn, close it (dropping its fresh schema). */
async function withPgStore(fn: (store: PostgresStore) => Promise<void>): Promise<void> {
  const store = await openTestPgStore();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** Two stores (two pools, as two processes would have) on one fresh schema. */
async function withTwoStores(fn: (a: PostgresStore, b: PostgresStore, schema: string) => Promise<void>): Promise<void> {
  const a = await openTestPgStore();
  const schema = (await a.pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s;
  const b = await openTestPgStore({ schema, drop: false });
  try {
    await fn(a, b, schema);
  } finally {
    await b.close();
    await a.close();
  }
}

async function rejectsWithCode(promise: Promise<unknown>, code: string, mentions: RegExp[] = []): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isTimebridgeError(err), `expected a TimebridgeError, got ${String(err)}`);
    assert.equal(err.code, code);
    for (const m of mentions) assert.match(err.message, m);
    return true;
  });
}

/** Sessions waiting, directly or behind another waiter, on a lock `pid` holds. */
async function waitersBehind(pid: number): Promise<number> {
  const rows = await adminQuery<{ pid: number; blockers: number[] }>(
    "SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
  );
  const behind = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows) {
      if (!behind.has(r.pid) && r.blockers.some((b) => behind.has(b))) {
        behind.add(r.pid);
        grew = true;
      }
    }
  }
  return behind.size - 1;
}

async function untilWaiting(pid: number, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await waitersBehind(pid)) < n) {
    if (Date.now() > deadline) throw new Error(`${n} sessions never queued behind ${pid}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A third session that holds row locks in `schema` while the two stores race. */
async function blocker(schema: string): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  await client.query('BEGIN');
  return { client, pid };
}

/** Both commits settle; exactly one must succeed and the other fail with a conflict naming the record. */
async function oneWins(commits: Promise<unknown>[], recordId: string): Promise<void> {
  const settled = await Promise.allSettled(commits);
  const won = settled.filter((s) => s.status === 'fulfilled');
  const lost = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  assert.equal(won.length, 1, `exactly one commit wins: ${settled.map((s) => s.status).join(', ')}`);
  const err: unknown = lost[0]?.reason;
  assert.ok(isTimebridgeError(err) && err.code === 'STORE_VERSION_CONFLICT', `the other conflicts: ${String(err)}`);
  assert.match(err.message, new RegExp(recordId));
}

describe('postgres store', pgOptions, () => {
  storeContractSuite('postgres', () => openTestPgStore());

  describe('postgres specifics', () => {
    it('migrates a fresh schema, records the version and applies nothing twice', async () => {
      const schema = freshSchemaName();
      const store = await openTestPgStore({ schema });
      await store.close();
      const reopened = await openTestPgStore({ schema });
      try {
        const versions = await adminQuery(`SELECT version FROM "${schema}".timebridge_migrations ORDER BY version`);
        assert.deepEqual(
          versions.map((r) => r.version),
          PG_MIGRATIONS.map((m) => m.version),
        );
        const tables = await adminQuery<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema]);
        assert.deepEqual(
          tables.map((r) => r.t),
          [
            'api_tokens',
            'changes',
            'conflicts',
            'definitions',
            'intents',
            'link_state',
            'oauth_states',
            'parked',
            'records',
            'runs',
            'status',
            'timebridge_migrations',
            'webhook_deliveries',
            'write_losses',
          ],
        );
        const next = [...PG_MIGRATIONS, { version: PG_SCHEMA_VERSION + 1, description: 'test', sql: 'CREATE TABLE extra (x TEXT);' }];
        assert.equal(await migratePg(reopened.pool, schema, 'test', next), PG_SCHEMA_VERSION + 1);
        assert.equal(await migratePg(reopened.pool, schema, 'test', next), PG_SCHEMA_VERSION + 1);
        assert.equal((await adminQuery(`SELECT 1 FROM "${schema}".extra`)).length, 0);
      } finally {
        await reopened.close();
        await dropSchema(schema);
      }
    });

    it('two processes share the replay memory and sign-ins: each delivery and each sign-in is taken once', () =>
      withTwoStores(async (a, b, schema) => {
        const at = (m: number) => new Date(Date.parse(AT) + m * 60_000).toISOString();
        const tries = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).rememberDelivery('sig', at(5), AT)));
        assert.equal(tries.filter(Boolean).length, 1, 'one process accepts the delivery');
        for (let i = 0; i < 5; i++) assert.equal(await a.rememberDelivery(`old-${i}`, at(1), AT), true);
        assert.equal(await b.rememberDelivery('late', at(10), at(2)), true);
        const left = await adminQuery<{ key: string }>(`SELECT key FROM "${schema}".webhook_deliveries ORDER BY key`);
        assert.deepEqual(
          left.map((r) => r.key),
          ['late', 'sig'],
          'expired deliveries are pruned',
        );

        await a.saveOAuthState({ key: 'k', connection: 'c', userId: 'u', redirectUri: 'https://x/cb', expiresAt: at(10) }, AT);
        const takes = await Promise.all([a.takeOAuthState('k', at(1)), b.takeOAuthState('k', at(1)), b.takeOAuthState('k', at(1))]);
        assert.deepEqual(
          takes.filter((t) => t !== null).map((t) => t.connection),
          ['c'],
          'a sign-in made in one process completes once, in any',
        );
      }));

    it('two processes opening a new schema at once migrate it once', async () => {
      const schema = freshSchemaName();
      const stores = await Promise.all([1, 2, 3].map(() => openTestPgStore({ schema, drop: false })));
      for (const s of stores) await s.close();
      const versions = await adminQuery(`SELECT version FROM "${schema}".timebridge_migrations`);
      assert.equal(versions.length, PG_MIGRATIONS.length);
      await dropSchema(schema);
    });

    it('rolls back a migration that fails, keeping the old version', async () => {
      await withPgStore(async (store) => {
        const schema = (await store.pool.query('SELECT current_schema() AS s')).rows[0].s as string;
        const broken = [
          ...PG_MIGRATIONS,
          {
            version: PG_SCHEMA_VERSION + 1,
            description: 'broken',
            sql: 'CREATE TABLE half (x TEXT); CREATE TABLE records (y TEXT);',
          },
        ];
        await assert.rejects(migratePg(store.pool, schema, 'test', broken), /already exists/);
        const versions = await adminQuery(`SELECT MAX(version) AS v FROM "${schema}".timebridge_migrations`);
        assert.equal(versions[0]?.v, PG_SCHEMA_VERSION);
        assert.equal((await adminQuery('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, 'half'])).length, 0);
      });
    });

    it('refuses a schema written by a newer Timebridge', async () => {
      const schema = freshSchemaName();
      await (await openTestPgStore({ schema, drop: false })).close();
      await adminQuery(`INSERT INTO "${schema}".timebridge_migrations (version, description) VALUES ($1, 'future')`, [PG_SCHEMA_VERSION + 1]);
      await assert.rejects(openPostgresStore({ url: PG_URL, schema }), (err: unknown) => {
        assert.ok(isTimebridgeError(err));
        assert.equal(err.code, 'STORE_CORRUPT');
        assert.match(err.message, new RegExp(`schema ${schema}\\) has schema version ${PG_SCHEMA_VERSION + 1}`));
        assert.match(err.hint ?? '', /upgrade Timebridge/);
        return true;
      });
      await dropSchema(schema);
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await rejectsWithCode(openPostgresStore({ url: PG_URL, schema: 'x; DROP TABLE y' }), 'CONFIG_INVALID');
    });

    it('returns seqs and cursors as numbers and fields exactly as written', async () => {
      await withPgStore(async (store) => {
        const fields = {
          s: 'nul \u0000 é 😀 "q" \\ ',
          n: 9007199254740991,
          f: 0.1 + 0.2,
          big: 1e300,
          neg: -0.5,
          list: [1, [2, { deep: null }], true],
          empty: {},
          'key with space': '',
          z: 1,
          a: 2,
        };
        const { headSeq } = await store.commit({ records: [write('r1', { fields })], linkState: { linkId: 'l', hubCursor: 2 ** 40 } });
        assert.equal(typeof headSeq, 'number');
        const [rec] = await store.getRecords(['r1']);
        assert.deepEqual(rec?.fields, fields);
        assert.deepEqual(Object.keys(rec?.fields ?? {}), Object.keys(fields));
        const [change] = await store.changesSince('cal:work', 'event', 0);
        assert.equal(typeof change?.seq, 'number');
        assert.equal((await store.getLinkState('l')).hubCursor, 2 ** 40);
        assert.equal(typeof (await store.headSeq()), 'number');
      });
    });

    it('commits 10,000 records with their status rows in one batch (times printed, not asserted)', async (t) => {
      await withPgStore(async (store) => {
        const ids = Array.from({ length: 10_000 }, (_, i) => `big-${String(i).padStart(5, '0')}`);
        const batch = {
          records: ids.map((id) => write(id, { fields: { title: id, start: AT, attendees: ['a@example.com', 'b@example.com'] } })),
          statusUpserts: ids.map((id) => ({ linkId: 'l', hubId: id, extId: `x-${id}`, hubVersion: 1, hubHash: 'h', extEtag: 'e', extHash: 'x' })),
        };
        const started = Date.now();
        const { versions, headSeq } = await store.commit(batch);
        const created = Date.now() - started;
        const again = Date.now();
        await store.commit({ records: ids.map((id) => write(id, { fields: { title: `${id}!` }, expectedVersion: 1 })) });
        const updated = Date.now() - again;
        t.diagnostic(`10,000 records: create ${created} ms, update ${updated} ms`);
        assert.equal(Object.keys(versions).length, 10_000);
        assert.equal((await store.changesSince('cal:work', 'event', headSeq)).length, 10_000);
        assert.deepEqual(Object.keys((await store.getRecords([ids[0]!, ids[9_999]!])).reduce((m, r) => ({ ...m, [r.id]: r.fields['title'] }), {})).sort(), [
          ids[0],
          ids[9_999],
        ]);
      });
    });

    it('close can be called twice, and the store is unusable after', async () => {
      const store = await openTestPgStore();
      await store.close();
      await store.close();
      await assert.rejects(store.headSeq());
    });
  });

  describe('two processes on one schema', () => {
    it('committing the same existing record at once: one wins, the other conflicts', async () => {
      await withTwoStores(async (a, b, schema) => {
        await a.commit({ records: [write('r1')] });
        const third = await blocker(schema);
        try {
          await third.client.query("SELECT 1 FROM records WHERE id = 'r1' FOR UPDATE");
          const racing = [
            a.commit({ records: [write('r1', { fields: { title: 'from a' }, expectedVersion: 1 })] }),
            b.commit({ records: [write('r1', { fields: { title: 'from b' }, expectedVersion: 1 })] }),
          ];
          await untilWaiting(third.pid, 2);
          await third.client.query('COMMIT');
          await oneWins(racing, 'r1');
        } finally {
          await third.client.end();
        }
        const [rec] = await a.getRecords(['r1']);
        assert.equal(rec?.version, 2);
        const log = await b.changesSince('cal:work', 'event', 0);
        assert.deepEqual(
          log.map((c) => c.version),
          [1, 2],
        );
        assert.equal(log[1]?.before?.fields.title, 't-r1');
        assert.ok(['from a', 'from b'].includes(String(rec?.fields.title)));
      });
    });

    it('creating the same new record at once: one wins, the other conflicts', async () => {
      await withTwoStores(async (a, b, schema) => {
        const third = await blocker(schema);
        try {
          // An uncommitted row with the same id makes both inserts wait, then race when it goes away.
          await third.client.query(
            `INSERT INTO records (id, kind, scope, fields, identity, version, updated_at, origin)
            VALUES ('new', 'event', 'cal:work', '{}', NULL, 1, $1, 'x')`,
            [AT],
          );
          const racing = [
            a.commit({ records: [write('new', { fields: { by: 'a' } }), write('only-a')] }),
            b.commit({ records: [write('new', { fields: { by: 'b' } }), write('only-b')] }),
          ];
          await untilWaiting(third.pid, 2);
          await third.client.query('ROLLBACK');
          await oneWins(racing, 'new');
        } finally {
          await third.client.end();
        }
        const got = await a.getRecords(['new', 'only-a', 'only-b']);
        assert.equal(got.length, 2, 'the loser saved nothing');
        assert.equal(got[0]?.version, 1);
        assert.deepEqual((await a.changesSince('cal:work', 'event', 0)).map((c) => c.recordId).sort(), got.map((r) => r.id).sort());
      });
    });

    it('a reader following the change log while two writers commit never skips a change', async () => {
      await withTwoStores(async (a, b) => {
        const seen: HubChange[] = [];
        let cursor = 0,
          writing = true;
        const reader = (async () => {
          for (let last = false; !last;) {
            last = !writing;
            const batch = await a.changesSince('cal:work', 'event', cursor);
            seen.push(...batch);
            cursor = batch.at(-1)?.seq ?? cursor;
          }
        })();
        const writer = async (store: PostgresStore, name: string) => {
          for (let i = 0; i < 40; i++) {
            await store.commit({ records: Array.from({ length: 5 }, (_, k) => write(`${name}-${i}-${k}`)) });
          }
        };
        await Promise.all([writer(a, 'a'), writer(b, 'b'), writer(a, 'a2'), writer(b, 'b2')]);
        writing = false;
        await reader;
        assert.equal(seen.length, 4 * 40 * 5);
        assert.equal(new Set(seen.map((c) => c.recordId)).size, seen.length);
        assert.ok(seen.every((c, i) => i === 0 || c.seq > seen[i - 1]!.seq));
        assert.equal(cursor, await b.headSeq());
      });
    });

    it('lockLink keeps a second holder out until the first releases', async () => {
      await withTwoStores(async (a, b) => {
        const releaseA = await a.lockLink('link:a');
        let bHolds = false;
        const bLock = b.lockLink('link:a').then((release) => {
          bHolds = true;
          return release;
        });
        const releaseOther = await b.lockLink('link:other');
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(bHolds, false, 'the second holder waits');
        await releaseA();
        await releaseA();
        const releaseB = await bLock;
        assert.equal(bHolds, true);
        await releaseB();
        await releaseOther();
        // Released for good: the first store takes it again at once.
        await (
          await a.lockLink('link:a')
        )();
      });
    });

    it('lockLink on another schema does not exclude the same link id', async () => {
      await withPgStore(async (one) => {
        await withPgStore(async (two) => {
          const r1 = await one.lockLink('link:a');
          const r2 = await two.lockLink('link:a');
          await r2();
          await r1();
        });
      });
    });
  });
});
