/** Capabilities of the Kimai connector (each kind's connector narrows incremental and idempotency). */
import type { Manifest } from '../kit/connector.js';

export const kimaiManifest: Manifest = {
  type: 'kimai',
  kinds: [
    { external: 'timesheet', hub: 'timeEntry' },
    { external: 'customer', hub: 'customer' },
    { external: 'project', hub: 'project' },
    { external: 'activity', hub: 'activity' },
    { external: 'user', hub: 'person' },
  ],
  // Taxonomy is never deleted (hidden in Kimai instead) and users are read only: the kinds' connectors refuse with a hint.
  can: { create: true, update: true, delete: true },
  // Timesheets: `modified_after` deltas plus window re-listings; taxonomy: full listings with content etags.
  incremental: 'delta-cursor',
  // Kimai sends no version: etags are content hashes, and writes check them by reading first.
  etags: true,
  webhooks: false,
  // Timesheets keep the key in a description line found with `term`; taxonomy creates look their name up first.
  idempotency: 'marker',
  batchSize: 100,
};
