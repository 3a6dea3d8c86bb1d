/**
 * The external writes of an apply batch, up to `limit` at once (the connector's
 * `manifest.writeConcurrency`; 1: one after the other, as every connector had it). The
 * writes still start in plan order and their results come back in it, so what the batch
 * commits does not depend on which answer arrived first.
 */

/**
 * Runs `work` over `items`, at most `limit` at a time, and resolves to the results in item
 * order. The first throw (a crash, as the fault points make one) stops the pool — a lane
 * that was between two writes when it happened may start one more before the throw
 * reaches it — waits for the writes under way, and is rethrown.
 */
export async function eachLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = null as { err: unknown } | null;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await work(items[i]!, i);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  const lanes = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  if (failed) throw failed.err;
  return out;
}
