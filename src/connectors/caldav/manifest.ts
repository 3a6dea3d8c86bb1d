/** Capabilities of the CalDAV connector. */
import type { Manifest } from '../kit/connector.js';

export const caldavManifest: Manifest = {
  type: 'caldav',
  kinds: [{ external: 'vevent', hub: 'event' }],
  can: { create: true, update: true, delete: true },
  // sync-collection (RFC 6578): a run with nothing to do is one REPORT.
  incremental: 'delta-cursor',
  etags: true,
  webhooks: false,
  // `<hubId>.ics` is created with If-None-Match: *, which fails if the name is taken.
  idempotency: 'deterministic-name',
  batchSize: 200,
};
