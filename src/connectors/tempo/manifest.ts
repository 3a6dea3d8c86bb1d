/** Capabilities of the Tempo connector: worklogs in Tempo, issues and users from its Jira site. */
import { ALL_WRITES, READ_ONLY, type Manifest } from '../kit/connector.js';

export const tempoManifest: Manifest = {
  type: 'tempo',
  kinds: [
    { external: 'worklog', hub: 'timeEntry', can: ALL_WRITES },
    { external: 'issue', hub: 'task', can: READ_ONLY },
    { external: 'user', hub: 'person', can: READ_ONLY },
  ],
  // Tempo lists no deletions: window listings with content etags.
  incremental: 'full-listing-etags',
  etags: true,
  webhooks: false,
  // A description trailer plus the natural key (issue, author, start, seconds).
  idempotency: 'natural-key',
  batchSize: 100,
  // Tempo's limit (about 5 requests a second per token, then 429) is the connection's own
  // `requestsPerSecond` setting (default 4), which tempo-api.ts passes as the published limit.
};
