/**
 * Registry entry of the Jira Cloud connector. Links choose the kind with `externalKind`:
 * `worklog` (→ timeEntry, native Jira worklogs), `issue` (→ task) and `user` (→ person),
 * the last two read only. `collection` is a project key (`ABC`) for worklogs and issues,
 * or left out for the whole site; users take none. The Jira code itself is shared with Tempo
 * in `connectors/kit/atlassian/`.
 */
import type { z } from 'zod';
import { issueMapperEntry, userMapper } from '../kit/atlassian/directory-mappers.js';
import { jiraManifest } from '../kit/atlassian/manifest.js';
import { createJiraConnector, jiraApiOf, jiraSiteSchema, type JiraSiteConfig } from '../kit/atlassian/site.js';
import { worklogMapperEntry } from '../kit/atlassian/worklog-mapper.js';
import type { ConnectorEntry } from '../kit/entry.js';
import { fixedMapper, type MapperEntry } from '../kit/mapper.js';

export { createJiraConnector, jiraApiOf, jiraSiteSchema, projectCollection, type JiraSiteConfig } from '../kit/atlassian/site.js';

export const jiraEntry: ConnectorEntry<JiraSiteConfig, unknown> = {
  manifest: jiraManifest,
  configSchema: jiraSiteSchema as unknown as z.ZodType<JiraSiteConfig>,
  create: (config, env) =>
    createJiraConnector(
      jiraApiOf(config, undefined, { ...(env.http ? { http: env.http } : {}), ...(env.outbound ? { outbound: env.outbound } : {}) }),
      env.target,
    ),
  mappers: {
    'jira-worklog': worklogMapperEntry('jira') as MapperEntry<unknown, unknown>,
    'jira-issue': issueMapperEntry as MapperEntry<unknown, unknown>,
    'jira-user': fixedMapper('user', userMapper) as MapperEntry<unknown, unknown>,
  },
};
