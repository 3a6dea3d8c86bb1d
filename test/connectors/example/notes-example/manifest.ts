/** What the notes connector can do, as data the engine and the planner read. */
import { ALL_WRITES, type Manifest } from '../../../../src/connectors/kit/connector.js';

export const notesManifest: Manifest = {
  type: 'notes-example',
  // One kind; a read-only kind would say `can: READ_ONLY` and the planner would plan no write to it.
  kinds: [{ external: 'note', hub: 'task', can: ALL_WRITES }],
  incremental: 'full-listing-etags',
  etags: true,
  webhooks: true,
  // A create PUTs to an id made from the idempotency key with If-None-Match: *.
  idempotency: 'deterministic-name',
  batchSize: 50,
  rateLimit: { requests: 100, perSeconds: 10 },
};
