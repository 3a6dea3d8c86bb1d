/**
 * Named statements of the PostgreSQL hub store. Its columns hold what the SQLite store
 * holds (JSON as text, tombstone as boolean, seq and hub cursor as bigint parsed to
 * number by the pool), so rows map through the shared store/rows.ts.
 */
import type pg from 'pg';

/**
 * A named statement: node-pg prepares it once per pooled connection and reuses the plan.
 * (Names are global per connection, so each is prefixed and must be unique in the store.)
 */
export function named(name: string, text: string) {
  return (values: unknown[] = []): pg.QueryConfig => ({ name: `tb_${name}`, text, values });
}

/** A named statement read in array mode, which skips building an object per row: for the big reads. */
export function namedArrays(name: string, text: string) {
  return (values: unknown[] = []): pg.QueryArrayConfig => ({ name: `tb_${name}`, text, values, rowMode: 'array' });
}
