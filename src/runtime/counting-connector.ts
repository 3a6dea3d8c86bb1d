/** Counts the calls a run makes to its connector, for the run record's `apiCalls`. */
import type { Connector } from '../connectors/kit/connector.js';

export function countingConnector<E>(inner: Connector<E>): { connector: Connector<E>; calls(): number } {
  let calls = 0;
  const count = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
    calls++;
    return fn(...args);
  };
  const connector: Connector<E> = {
    manifest: inner.manifest,
    list: count((req) => inner.list(req)),
    get: count((ids) => inner.get(ids)),
    create: count((data, key) => inner.create(data, key)),
    update: count((id, data, ifMatch) => inner.update(id, data, ifMatch)),
    delete: count((id, ifMatch) => inner.delete(id, ifMatch)),
    findByKey: count((key) => inner.findByKey(key)),
  };
  return { connector, calls: () => calls };
}
