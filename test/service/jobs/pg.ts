/**
 * PostgreSQL for the job-queue tests: the URL (TIMEBRIDGE_TEST_PG_URL, default
 * postgres://127.0.0.1:5432/test), a reachability check that skips the tests with a
 * visible message, or fails them on CI, and fresh random schemas.
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';

/** Like psql, a URL without a user name connects as the OS user (node-postgres would read $USER, often unset). */
export function testPgUrl(): string {
  const url = new URL(process.env.TIMEBRIDGE_TEST_PG_URL ?? 'postgres://127.0.0.1:5432/test');
  if (!url.username) url.username = userInfo().username;
  return url.toString();
}

/**
 * Resolves to a reason to skip when PostgreSQL cannot be reached; throws instead on CI,
 * where a missing database must fail the run rather than hide tests.
 */
export async function pgSkipReason(url = testPgUrl()): Promise<string | false> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return false;
  } catch (err) {
    const reason = `PostgreSQL at ${new URL(url).host} is unreachable (${(err as Error).message}); ` + 'start it or set TIMEBRIDGE_TEST_PG_URL';
    if (process.env.CI === 'true') throw new Error(`${reason} (CI: not skipping)`);
    return reason;
  } finally {
    await client.end().catch(() => {});
  }
}

export function randomSchema(prefix = 'tb_jobs_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
