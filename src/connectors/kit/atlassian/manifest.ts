/** Capabilities of the Jira connector (each kind's connector narrows incremental style, idempotency and writes). */
import { ALL_WRITES, READ_ONLY, type Manifest } from '../connector.js';

export const jiraManifest: Manifest = {
  type: 'jira',
  kinds: [
    { external: 'worklog', hub: 'timeEntry', can: ALL_WRITES },
    { external: 'issue', hub: 'task', can: READ_ONLY },
    { external: 'user', hub: 'person', can: READ_ONLY },
  ],
  // Worklogs: the updated/deleted feeds; issues and users: full listings with content etags.
  incremental: 'delta-cursor',
  etags: true,
  webhooks: false,
  // The entity property `timebridge` on each worklog Timebridge creates.
  idempotency: 'marker',
  // POST /worklog/list takes 1000 ids.
  batchSize: 1000,
};
