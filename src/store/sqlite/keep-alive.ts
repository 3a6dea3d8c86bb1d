/**
 * Node 24's ObjectWrap destructor removes an environment cleanup hook and asserts that a
 * V8 context is current; when a GC finalises a better-sqlite3 object (database, statement,
 * iterator) outside one, the process aborts with "Assertion failed: (env) != nullptr"
 * (better-sqlite3 12.x, upstream issue WiseLibs/better-sqlite3#1515, closed without a fix).
 *
 * So the store never lets such an object become garbage: no per-call iterators or pragma
 * statements, and every database and prepared statement stays reachable from here until
 * the process exits (a few dozen small objects per opened store; the SQLite memory itself
 * is released by `close()`).
 */
const kept: object[] = [];

export function keepAlive<T extends object>(x: T): T {
  kept.push(x);
  return x;
}
