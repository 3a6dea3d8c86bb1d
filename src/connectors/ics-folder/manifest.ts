/** Capabilities of the `.ics` folder (vdir) connector. */
import { ALL_WRITES, type Manifest } from '../kit/connector.js';

export const icsFolderManifest: Manifest = {
  type: 'ics-folder',
  kinds: [{ external: 'vevent', hub: 'event', can: ALL_WRITES }],
  // mtime + size + inode is a cheap version: a resync only stats.
  incremental: 'full-listing-etags',
  etags: true,
  webhooks: false,
  // `<hubId>.ics` is created with link(2), which fails if the name is taken.
  idempotency: 'deterministic-name',
  batchSize: 200,
};
