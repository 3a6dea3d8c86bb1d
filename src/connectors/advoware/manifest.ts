/** Capabilities of the Advoware connector: appointments of one employee ↔ hub events. */
import { ALL_WRITES, type Manifest } from '../kit/connector.js';

export const advowareManifest: Manifest = {
  type: 'advoware',
  kinds: [{ external: 'appointment', hub: 'event', can: ALL_WRITES }],
  // No change feed and no versions: every run lists the window; etags are content hashes, and writes check them by reading first.
  incremental: 'full-listing-etags',
  etags: true,
  webhooks: false,
  // The create's key is a line at the end of the notes (notiz), found again by listing the employee's appointments.
  idempotency: 'marker',
  batchSize: 20,
};
