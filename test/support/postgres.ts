/**
 * A PostgreSQL for tests: the server at TIMEBRIDGE_TEST_PG_URL (default
 * postgres://127.0.0.1:5432/test), one fresh random schema per store, dropped when the
 * store closes, so test files never collide and can run in parallel.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/pg-store.js';

/**
 * libpq (psql) falls back to the OS user when the URL names none; node-pg only to $USER,
 * which a container may not set. So the fallback is written into the URL.
 */
function withUser(url: string): string {
  const u = new URL(url);
  if (u.username || process.env.PGUSER || process.env.USER) return url;
  u.username = os.userInfo().username;
  return u.toString();
}

export const PG_URL = withUser(process.env.TIMEBRIDGE_TEST_PG_URL ?? 'postgres://127.0.0.1:5432/test');

/** PG_URL as messages show it: without a password. */
const SHOWN_URL = ((u) => {
  u.password = '';
  return u.toString();
})(new URL(PG_URL));

/** Schemas made by this process and not yet dropped (a crashed test leaves them for `after`). */
const schemas = new Set<string>();

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

let unreachable: string | null | undefined;

/**
 * Options for a `describe` that needs PostgreSQL: skipped with a visible reason when the
 * server does not answer, but never in CI, where the tests then fail and say why.
 */
export async function needsPostgres(): Promise<{ skip?: string }> {
  unreachable ??= await probe();
  if (unreachable === null || process.env.CI === 'true') return {};
  return {
    skip: `PostgreSQL not reachable at ${SHOWN_URL} (${unreachable}); start it or set TIMEBRIDGE_TEST_PG_URL to run these tests`,
  };
}

function failIfUnreachable(): void {
  if (unreachable) throw new Error(`PostgreSQL not reachable at ${SHOWN_URL} (${unreachable}), and CI requires these tests to run`);
}

export const freshSchemaName = (): string => `tb_test_${randomBytes(6).toString('hex')}`;

/** Run SQL on the test database outside any store (for inspecting and breaking schemas). */
export async function adminQuery<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  schemas.delete(schema);
}

/**
 * A store on a schema of its own (fresh unless given); its close() also drops the schema
 * when `drop` is set (the default for a fresh one).
 */
export async function openTestPgStore(opts: { schema?: string; drop?: boolean } = {}): Promise<PostgresStore> {
  failIfUnreachable();
  const schema = opts.schema ?? freshSchemaName();
  schemas.add(schema);
  const store = await openPostgresStore({ url: PG_URL, schema });
  if (!(opts.drop ?? opts.schema === undefined)) return store;
  const close = store.close.bind(store);
  let closing: Promise<void> | null = null;
  return Object.assign(store, { close: () => (closing ??= close().then(() => dropSchema(schema))) });
}

/** Drop every schema this process made that is still there (for an `after` hook). */
export async function dropLeftoverSchemas(): Promise<void> {
  for (const schema of [...schemas]) await dropSchema(schema);
}
