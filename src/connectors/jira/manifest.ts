/** Capabilities of the Jira connector (each kind's connector narrows incremental style, idempotency and writes). */
import type { Manifest } from '../kit/connector.js';

export const jiraManifest: Manifest = {
  type: 'jira',
  kinds: [
    { external: 'worklog', hub: 'timeEntry' },
    { external: 'issue', hub: 'task' },
    { external: 'user', hub: 'person' },
  ],
  // Worklogs are written; issues and users are read only (their connectors refuse writes with a hint).
  can: { create: true, update: true, delete: true },
  // Worklogs: the updated/deleted feeds; issues and users: full listings with content etags.
  incremental: 'delta-cursor',
  etags: true,
  webhooks: false,
  // The entity property `timebridge` on each worklog Timebridge creates.
  idempotency: 'marker',
  // POST /worklog/list takes 1000 ids.
  batchSize: 1000,
};
