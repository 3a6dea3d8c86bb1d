/**
 * A Jira Cloud site as both Atlassian connectors use it: its settings (a Jira connection's,
 * and the `jira` part of a Tempo connection), its API client, and the connector of each Jira
 * kind (Tempo builds its own site's issue and user kinds with it).
 */
import { z } from 'zod';
import { TimebridgeError } from '../../../core/errors.js';
import type { Connector } from '../connector.js';
import type { LinkTarget } from '../entry.js';
import type { HttpSetup } from '../http-setup.js';
import type { OutboundGuard } from '../outbound-policy.js';
import { fromEnv, resolved, secret } from '../settings-marks.js';
import { JiraIssueConnector, JiraUserConnector } from './directory-connectors.js';
import { JiraApi } from './jira-api.js';
import { JiraWorklogConnector } from './worklog-connector.js';

/** A Jira Cloud site and the account Timebridge works as (also the `jira` part of a Tempo connection). */
export const jiraSiteSchema = z
  .object({
    url: z
      .string()
      .regex(/^https?:\/\/[^/]+/i, 'a full address such as https://your-site.atlassian.net')
      .describe('the Jira Cloud site'),
    email: z.string().min(3).describe('email of the account whose API token is used (Basic auth)'),
    token: secret(z.string().min(1)).optional().describe('API token (id.atlassian.com → Security → API tokens); sealed at rest when set through the API'),
    tokenEnv: fromEnv('token', 'JIRA_TOKEN').optional().describe('environment variable holding the API token (timebridge.yaml and admins only)'),
    timeoutMs: z.number().int().min(1000).default(30_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.token === undefined) === (c.tokenEnv === undefined))
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'set exactly one of token and tokenEnv' });
  });

export type JiraSiteConfig = z.infer<typeof jiraSiteSchema>;

/** `http`: pacing, retries and clock; `primary: false` for the Jira site of a Tempo connection (the connection's rateLimit is Tempo's); `outbound`: where requests may go. */
export function jiraApiOf(c: JiraSiteConfig, fetchImpl?: typeof fetch, o: { http?: HttpSetup; primary?: boolean; outbound?: OutboundGuard } = {}): JiraApi {
  return new JiraApi({
    url: c.url,
    email: c.email,
    token: resolved(c.token, 'Jira API token'),
    timeoutMs: c.timeoutMs,
    primary: o.primary ?? true,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    ...(o.http ? { http: o.http } : {}),
    ...(o.outbound ? { outbound: o.outbound } : {}),
  });
}

/** A project key, or null for the whole site. */
export function projectCollection(collection: string | null, kind: string): string | null {
  if (collection === null || /^[A-Z][A-Z0-9_]*$/.test(collection)) return collection;
  throw new TimebridgeError('CONFIG_INVALID', `collection "${collection}" of a Jira ${kind} link is not a project key.`, {
    hint: 'Use the project key in capitals, such as ABC (from issue keys ABC-1, ABC-2…), or leave collection out for the whole site.',
  });
}

/** The Jira connector of one kind; Tempo builds its issue and user kinds with this too. */
export function createJiraConnector(api: JiraApi, target: LinkTarget): Connector<unknown> {
  switch (target.externalKind) {
    case 'worklog':
      return new JiraWorklogConnector(api, projectCollection(target.collection, 'worklog')) as Connector<unknown>;
    case 'issue':
      return new JiraIssueConnector(api, projectCollection(target.collection, 'issue')) as Connector<unknown>;
    case 'user':
      if (target.collection !== null) {
        throw new TimebridgeError('CONFIG_INVALID', `A Jira user link takes no collection (it was "${target.collection}").`, {
          hint: 'Remove collection from the link.',
        });
      }
      return new JiraUserConnector(api) as Connector<unknown>;
    default:
      throw new TimebridgeError('CONFIG_INVALID', `Jira has no kind "${target.externalKind}".`, { hint: 'Use worklog, issue or user.' });
  }
}
