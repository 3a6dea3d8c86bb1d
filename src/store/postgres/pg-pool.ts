/**
 * The connection pool of the PostgreSQL store: every connection searches the store's
 * schema, bigints come back as numbers, and transactions and session locks give their
 * connection back to the pool in a usable state (or drop it).
 */
import pg from 'pg';

const INT8_OID = 20;

/**
 * Change-log seqs and cursors are BIGINT; node-pg returns those as strings by default.
 * They stay far below 2^53, so they are parsed to numbers — for this pool only: the global
 * parser table is shared with other users of pg in the process (pg-boss).
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function createPool(url: string, schema: string, max: number): pg.Pool {
  // The schema name is checked by the caller (letters, digits, _), so it needs no quoting here.
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types,
    application_name: 'timebridge',
    options: `-c search_path=${schema}`,
  });
  // An idle connection that dies (server restart) is dropped by the pool; without a
  // listener its error would end the process. The next query opens a new connection.
  pool.on('error', () => undefined);
  return pool;
}

/** The database as messages name it: the URL without its password, and the schema. */
export function describeTarget(url: string, schema: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return `${u.toString()} (schema ${schema})`;
  } catch {
    return `(the configured PostgreSQL database, schema ${schema})`;
  }
}

/**
 * Run `fn` in a transaction on one pooled connection. A connection whose ROLLBACK failed
 * is in an unknown state, so it is dropped rather than given back.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: unknown) => {
      broken = e instanceof Error ? e : new Error(String(e));
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Take a session-level advisory lock on a connection of its own, waiting while another
 * session holds it, and return the function that releases it. The connection stays out
 * of the pool until then. If it dies meanwhile, PostgreSQL has already dropped the lock;
 * releasing then just discards the connection.
 */
export async function sessionLock(pool: pg.Pool, key: string): Promise<() => Promise<void>> {
  const client = await pool.connect();
  // A checked-out connection that fails with no listener would end the process.
  const onError = () => undefined;
  client.on('error', onError);
  const giveBack = (err?: Error) => {
    client.off('error', onError);
    client.release(err);
  };
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
  } catch (err) {
    giveBack(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    try {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
      giveBack();
    } catch (err) {
      // Dropping the connection ends its session, and with it the lock.
      giveBack(err instanceof Error ? err : new Error(String(err)));
    }
  };
}
