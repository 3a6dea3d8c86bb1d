/** Wrapping every call of a connector: counting a run's calls (`apiCalls`), and the service's rate limiter. */
import type { Connector } from '../connectors/kit/connector.js';

/** The connector with each call passed through `around` (which must make the call once and return its result). */
export function aroundCalls<E>(inner: Connector<E>, around: <R>(call: () => Promise<R>) => Promise<R>): Connector<E> {
  return {
    manifest: inner.manifest,
    list: (req) => around(() => inner.list(req)),
    get: (ids) => around(() => inner.get(ids)),
    create: (data, key) => around(() => inner.create(data, key)),
    update: (id, data, ifMatch) => around(() => inner.update(id, data, ifMatch)),
    delete: (id, ifMatch, options) => around(() => inner.delete(id, ifMatch, options)),
    findByKey: (key) => around(() => inner.findByKey(key)),
    ...(inner.close ? { close: () => inner.close!() } : {}),
  };
}

/** Counts the calls a run makes to its connector, for the run record's `apiCalls`. */
export function countingConnector<E>(inner: Connector<E>): { connector: Connector<E>; calls(): number } {
  let calls = 0;
  const connector = aroundCalls(inner, (call) => {
    calls++;
    return call();
  });
  return { connector, calls: () => calls };
}
