import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isTimebridgeError } from '../../../src/core/errors.js';
import { storeContractSuite } from '../../../src/store/contract.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { keepAlive } from '../../../src/store/sqlite/keep-alive.js';

const dir = mkdtempSync(join(tmpdir(), 'timebridge-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `store-${++n}.db`);

storeContractSuite('sqlite :memory:', async () => openSqliteStore(':memory:'));
storeContractSuite('sqlite file', async () => openSqliteStore(freshPath()));

// Raw databases opened here follow the store's rule (src/store/sqlite/keep-alive.ts):
// kept reachable, statements prepared rather than made by pragma(), or Node 24 may abort.
function inspect<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = keepAlive(new Database(path));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const tableNames = (db: Database.Database): string[] =>
  keepAlive(db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck()).all();

const pragma = (db: Database.Database, name: string): unknown => keepAlive(db.prepare(`PRAGMA ${name}`).pluck()).get();

describe('sqlite store specifics', () => {
  it('migrates an empty file to the latest schema, creating missing folders', async () => {
    const path = join(dir, 'nested', 'deeper', 'hub.db');
    const empty = freshPath();
    writeFileSync(empty, '');
    for (const p of [path, empty]) {
      await openSqliteStore(p).close();
      inspect(p, (db) => {
        assert.equal(pragma(db, 'user_version'), SCHEMA_VERSION);
        for (const t of ['api_tokens', 'changes', 'conflicts', 'definitions', 'intents', 'link_state', 'parked', 'records', 'runs', 'status']) {
          assert.ok(tableNames(db).includes(t), `missing table ${t}`);
        }
      });
    }
  });

  it('upgrades a database at an older version and leaves applied migrations alone', () => {
    const path = freshPath();
    inspect(path, (db) => migrate(db, path));
    const next = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'test', sql: 'CREATE TABLE extra (x TEXT);' }];
    inspect(path, (db) => {
      assert.equal(migrate(db, path, next), SCHEMA_VERSION + 1);
      assert.ok(tableNames(db).includes('extra'));
      // Running again must not re-apply version 1 (its CREATE TABLE would fail).
      assert.equal(migrate(db, path, next), SCHEMA_VERSION + 1);
    });
  });

  it('version 4 keeps existing definitions as global, enabled file definitions without secrets', async () => {
    const path = freshPath();
    inspect(path, (db) => {
      migrate(
        db,
        path,
        MIGRATIONS.filter((m) => m.version <= 3),
      );
      db.exec(`INSERT INTO definitions (category, id, type, config) VALUES ('connection', 'work', 'ics-folder', '{"path":"/a"}')`);
    });
    const store = openSqliteStore(path);
    try {
      const [work] = await store.listManagedDefinitions('connection');
      assert.ok(work);
      assert.deepEqual(
        { ...work, updatedAt: 'x' },
        {
          category: 'connection',
          id: 'work',
          type: 'ics-folder',
          config: { path: '/a' },
          owner: null,
          source: 'file',
          enabled: true,
          secrets: null,
          updatedAt: 'x',
        },
      );
      assert.equal(new Date(work.updatedAt).toISOString(), work.updatedAt);
      assert.deepEqual(await store.listTokens(), []);
    } finally {
      await store.close();
    }
  });

  it('rolls back a migration that fails, keeping the old version', () => {
    const path = freshPath();
    inspect(path, (db) => migrate(db, path));
    const broken = [
      ...MIGRATIONS,
      {
        version: SCHEMA_VERSION + 1,
        description: 'broken',
        sql: 'CREATE TABLE half (x TEXT); CREATE TABLE records (y TEXT);',
      },
    ];
    inspect(path, (db) => {
      assert.throws(() => migrate(db, path, broken), /already exists/);
      assert.equal(pragma(db, 'user_version'), SCHEMA_VERSION);
      assert.ok(!tableNames(db).includes('half'));
    });
  });

  it('refuses a database written by a newer Timebridge', async () => {
    const path = freshPath();
    await openSqliteStore(path).close();
    inspect(path, (db) => db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`));
    assert.throws(
      () => openSqliteStore(path),
      (err: unknown) => {
        assert.ok(isTimebridgeError(err));
        assert.equal(err.code, 'STORE_CORRUPT');
        assert.match(err.message, new RegExp(`schema version ${SCHEMA_VERSION + 1}`));
        assert.match(err.hint ?? '', /upgrade Timebridge/);
        return true;
      },
    );
    inspect(path, (db) => assert.equal(pragma(db, 'user_version'), SCHEMA_VERSION + 1));
  });

  it('refuses a file that is not a database', () => {
    const path = freshPath();
    writeFileSync(path, 'this is not sqlite, just a text file that is long enough to have a header'.repeat(20));
    assert.throws(
      () => openSqliteStore(path),
      (err: unknown) => isTimebridgeError(err) && err.code === 'STORE_CORRUPT',
    );
  });

  it('runs in WAL mode', async () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    await store.commit({ linkState: { linkId: 'link:a', hubCursor: 1 } });
    assert.ok(existsSync(`${path}-wal`), 'a WAL file exists while the store is open');
    inspect(path, (db) => assert.equal(pragma(db, 'journal_mode'), 'wal'));
    await store.close();
  });

  it('keeps data across reopening and continues the change log', async () => {
    const path = freshPath();
    const first = openSqliteStore(path);
    const write = {
      id: 'r1',
      kind: 'event' as const,
      scope: 'cal:work',
      fields: { title: 'a' },
      identity: 'u1',
      tombstone: false,
      origin: 'link:a',
      runId: 'run-1',
      expectedVersion: 0,
      updatedAt: '2025-03-01T10:00:00.000Z',
    };
    const { headSeq } = await first.commit({
      records: [write],
      statusUpserts: [{ linkId: 'link:a', hubId: 'r1', extId: 'e1', hubVersion: 1, hubHash: 'h', extEtag: 'e', extHash: 'x' }],
      linkState: { linkId: 'link:a', hubCursor: 1, extCursor: 'tok' },
    });
    await first.close();

    const second = openSqliteStore(path);
    try {
      assert.equal((await second.getRecords(['r1']))[0]?.fields.title, 'a');
      assert.equal((await second.loadStatus('link:a')).length, 1);
      assert.equal((await second.getLinkState('link:a')).extCursor, 'tok');
      const next = await second.commit({ records: [{ ...write, fields: { title: 'b' }, expectedVersion: 1 }] });
      assert.deepEqual(next.versions, { r1: 2 });
      assert.equal(next.headSeq, headSeq + 1);
    } finally {
      await second.close();
    }
  });

  it('close can be called twice', async () => {
    const store = openSqliteStore(':memory:');
    await store.close();
    await store.close();
    await assert.rejects(store.headSeq());
  });
});
