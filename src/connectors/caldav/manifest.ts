/** Capabilities of the CalDAV connector. */
import { ALL_WRITES, type Manifest } from '../kit/connector.js';

export const caldavManifest: Manifest = {
  type: 'caldav',
  kinds: [{ external: 'vevent', hub: 'event', can: ALL_WRITES }],
  // sync-collection (RFC 6578): a run with nothing to do is one REPORT.
  incremental: 'delta-cursor',
  etags: true,
  webhooks: false,
  // `<hubId>.ics` is created with If-None-Match: *, which fails if the name is taken.
  idempotency: 'deterministic-name',
  batchSize: 200,
};
