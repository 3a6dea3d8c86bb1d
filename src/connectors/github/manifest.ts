/** Capabilities of the GitHub connector: issues → tasks, read by full listings with content etags; the only write is closing an issue. */
import type { Manifest } from '../kit/connector.js';

export const githubManifest: Manifest = {
  type: 'github',
  kinds: [{ external: 'issue', hub: 'task', can: { create: false, update: true, delete: false } }],
  incremental: 'full-listing-etags',
  etags: true,
  webhooks: true,
  // Issues are never created by Timebridge, so no create needs finding again.
  idempotency: 'marker',
  batchSize: 50,
  // GitHub's primary limit for a token: 5,000 requests an hour.
  rateLimit: { requests: 5000, perSeconds: 3600 },
};
