/** Capabilities of the Kimai connector (each kind's connector narrows incremental and idempotency). */
import { ALL_WRITES, READ_ONLY, type KindWrites, type Manifest } from '../kit/connector.js';

/** Taxonomy is never deleted from Timebridge (Kimai hides it instead). */
const TAXONOMY: KindWrites = { create: true, update: true, delete: false };

export const kimaiManifest: Manifest = {
  type: 'kimai',
  kinds: [
    { external: 'timesheet', hub: 'timeEntry', can: ALL_WRITES },
    { external: 'customer', hub: 'customer', can: TAXONOMY },
    { external: 'project', hub: 'project', can: TAXONOMY },
    { external: 'activity', hub: 'activity', can: TAXONOMY },
    { external: 'user', hub: 'person', can: READ_ONLY },
  ],
  // Timesheets: `modified_after` deltas plus window re-listings; taxonomy: full listings with content etags.
  incremental: 'delta-cursor',
  // Kimai sends no version: etags are content hashes, and writes check them by reading first.
  etags: true,
  webhooks: false,
  // Timesheets keep the key in a description line found with `term`; taxonomy creates look their name up first.
  idempotency: 'marker',
  batchSize: 100,
};
