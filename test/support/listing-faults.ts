/** Shared by the connectors' listing-fault scenarios: a full listing, and the fault rules they inject. */
import type { Connector, Listing } from '../../src/connectors/kit/connector.js';
import type { FaultRule } from '../../src/emulators/kit/faults.js';

export async function fullListing<E>(connector: Connector<E>): Promise<Listing & { ids: string[] }> {
  const listing = await connector.list({ cursor: null, window: null });
  return { ...listing, ids: listing.refs.map((r) => r.id).sort() };
}

/** A listing fault on the n-th page request (1-based) of `path`, once. */
export function onPage(path: string, page: number, listing: NonNullable<FaultRule['listing']>): FaultRule {
  return { method: 'GET', path, after: page - 1, times: 1, listing };
}
