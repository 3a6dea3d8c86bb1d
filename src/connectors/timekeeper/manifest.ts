/** Capabilities of the Timekeeper connector (a mu-semtech application's SPARQL store). */
import { ALL_WRITES, type KindWrites, type Manifest } from '../kit/connector.js';

/** Kimai's taxonomy is never deleted from Timebridge (Kimai hides it instead). */
const TAXONOMY: KindWrites = { create: true, update: true, delete: false };
/** Timesheets are made by Timekeeper (one per person and month); Timebridge moves their state and members. */
const STATE_ONLY: KindWrites = { create: false, update: true, delete: false };

export const timekeeperManifest: Manifest = {
  type: 'timekeeper',
  kinds: [
    { external: 'work-log', hub: 'timeEntry', can: ALL_WRITES },
    { external: 'timesheet', hub: 'timesheet', can: STATE_ONLY },
    { external: 'customer', hub: 'customer', can: TAXONOMY },
    { external: 'project', hub: 'project', can: TAXONOMY },
    { external: 'activity', hub: 'activity', can: TAXONOMY },
    { external: 'account', hub: 'person', can: TAXONOMY },
  ],
  // Work logs carry no modified timestamp: windowed full listings with content etags.
  incremental: 'full-listing-etags',
  etags: true,
  webhooks: false,
  // A create's uuid is derived from its key and inserted only if absent.
  idempotency: 'deterministic-name',
  batchSize: 100,
};
